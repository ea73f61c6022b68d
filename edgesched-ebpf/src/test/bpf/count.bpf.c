// Test program for the binding: counts packets per direction, and a packet rewriter for test_run.
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} packet_counts SEC(".maps");

/* Load-time configuration (lands in .rodata): the byte mark_first_byte writes. */
const volatile __u8 mark_value = 0x42;

static __always_inline int count(__u32 slot)
{
	__u64 *counter = bpf_map_lookup_elem(&packet_counts, &slot);

	if (counter)
		__sync_fetch_and_add(counter, 1);
	return TC_ACT_OK;
}

SEC("tc")
int count_ingress(struct __sk_buff *skb)
{
	return count(0);
}

SEC("tc")
int count_egress(struct __sk_buff *skb)
{
	return count(1);
}

/* Overwrites the first byte with mark_value and returns the packet length. */
SEC("tc")
int mark_first_byte(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;

	if (data + 1 > data_end)
		return TC_ACT_SHOT;
	*(__u8 *)data = mark_value;
	return skb->len;
}

char LICENSE[] SEC("license") = "GPL";

/* Counts in slot 0 and passes the packet on to the next program (TC_ACT_UNSPEC / TCX_NEXT): chain-friendly. */
SEC("tc")
int count_next(struct __sk_buff *skb)
{
	count(0);
	return TC_ACT_UNSPEC;
}
