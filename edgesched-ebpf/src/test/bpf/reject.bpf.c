// A program the verifier must reject: it reads packet data without checking data_end.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("tc")
int unbounded_read(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;

	return *(__u32 *)data;
}

char LICENSE[] SEC("license") = "GPL";
