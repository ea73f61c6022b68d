// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark-only object (edge-lab-bench's "direct+tc-noop" control case): a tc program that does nothing
 * and returns TC_ACT_UNSPEC, attached like the origin programs, so the bench can separate the cost of having
 * any tc hook on the uplink from the cost of the origin programs' work. Not loaded by the agent.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tc")
int noop_tc(struct __sk_buff *skb)
{
	return TC_ACT_UNSPEC;
}
