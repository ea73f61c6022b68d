// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark-only object (ProgramCostBench): the origin programs plus
 *  - baseline_tc: an empty tc program, the baseline BPF_PROG_TEST_RUN's own per-run cost is measured with;
 *  - bench_rewrite_source: gives the IPv4 source address a new value on every run (BPF_PROG_TEST_RUN repeats
 *    one frame, so this is how a repeat loop sees a new client each time);
 *  - bench_ingress_new_client: the same rewrite, then the full origin ingress path.
 *  - bench_lru_insert_only: the same rewrite, then only a lookup + BPF_NOEXIST insert into an LRU map with
 *    origin_clients' key/value types: the kernel's floor for any new-client path on an LRU table.
 *  - bench_syn_synack / bench_handshake: a new source address per run, then that address's SYN (ingress),
 *    our SYN-ACK (egress) and, for bench_handshake, its completing ACK (ingress), all on the one test-run frame
 *    rewritten in place between the calls; *_rewrites_only do the same rewrites without the origin programs.
 * new-client cost = bench_ingress_new_client - bench_rewrite_source; handshake cost = bench_handshake -
 * bench_handshake_rewrites_only. Not loaded by the agent.
 */
#include "origin.bpf.c"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} bench_source_counter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, ORIGIN_CLIENTS_MAX_ENTRIES);
	__type(key, struct origin_client_key);
	__type(value, struct origin_client_value);
} bench_lru_clients SEC(".maps");

SEC("tc")
int baseline_tc(struct __sk_buff *skb)
{
	return ORIGIN_VERDICT;
}

/* 10.x.y.z with a per-CPU counter, CPU number in the top bits so that CPUs never collide. */
static __always_inline int rewrite_source(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	__u32 zero = 0;
	__u32 *counter = bpf_map_lookup_elem(&bench_source_counter, &zero);

	if ((void *)(ip + 1) > data_end || !counter)
		return 0;
	*counter += 1;
	ip->saddr = bpf_htonl(0x0a000000 | ((bpf_get_smp_processor_id() & 0x3) << 22) | (*counter & 0x3fffff));
	return 1;
}

SEC("tc")
int bench_rewrite_source(struct __sk_buff *skb)
{
	rewrite_source(skb);
	return ORIGIN_VERDICT;
}

SEC("tc")
int bench_ingress_new_client(struct __sk_buff *skb)
{
	if (!rewrite_source(skb))
		return ORIGIN_VERDICT;
	return ingress_packet(skb);
}

SEC("tc")
int bench_lru_insert_only(struct __sk_buff *skb)
{
	struct origin_client_key key = {};
	struct origin_client_value value = {};
	void *data, *data_end;
	struct iphdr *ip;

	if (!rewrite_source(skb))
		return ORIGIN_VERDICT;
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	ip = data + sizeof(struct ethhdr);
	if ((void *)(ip + 1) > data_end)
		return ORIGIN_VERDICT;
	key.family = ORIGIN_FAMILY_IPV4;
	key.port = 8080;
	__builtin_memcpy(key.addr, &ip->saddr, 4);
	value.packets = 1;
	if (!bpf_map_lookup_elem(&bench_lru_clients, &key))
		bpf_map_update_elem(&bench_lru_clients, &key, &value, BPF_NOEXIST);
	return ORIGIN_VERDICT;
}

/* The test frame as one IPv4 TCP segment of the 4-tuple (10.x client, port 40000) <-> (server, 8080). */
struct bench_frame {
	struct ethhdr eth;
	struct iphdr ip;
	struct tcphdr tcp;
} __attribute__((packed));

/* Rewrites the frame as the client's (or, reply != 0, the server's) segment with these flags and numbers. */
static __always_inline struct bench_frame *bench_segment(struct __sk_buff *skb, __be32 client, __be32 server,
							 int reply, __u8 flags, __u32 seq, __u32 ack)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct bench_frame *f = data;

	if ((void *)(f + 1) > data_end)
		return 0;
	f->ip.saddr = reply ? server : client;
	f->ip.daddr = reply ? client : server;
	f->tcp.source = bpf_htons(reply ? 8080 : 40000);
	f->tcp.dest = bpf_htons(reply ? 40000 : 8080);
	((__u8 *)&f->tcp)[13] = flags;
	f->tcp.seq = bpf_htonl(seq);
	f->tcp.ack_seq = bpf_htonl(ack);
	return f;
}

#define BENCH_SYN 0x02
#define BENCH_ACK 0x10

/* steps: 2 = SYN + SYN-ACK, 3 = + the completing ACK; run = 0 only rewrites. */
static __always_inline int bench_handshake_steps(struct __sk_buff *skb, int steps, int run)
{
	struct bench_frame *f;
	__be32 client, server;

	if (!rewrite_source(skb))
		return ORIGIN_VERDICT;
	f = (void *)(long)skb->data;
	if ((void *)(f + 1) > (void *)(long)skb->data_end)
		return ORIGIN_VERDICT;
	client = f->ip.saddr;
	server = f->ip.daddr;
	if (!bench_segment(skb, client, server, 0, BENCH_SYN, 1000, 0))
		return ORIGIN_VERDICT;
	if (run)
		ingress_packet(skb);
	if (!bench_segment(skb, client, server, 1, BENCH_SYN | BENCH_ACK, 5000, 1001))
		return ORIGIN_VERDICT;
	if (run)
		egress_packet(skb);
	if (steps >= 3) {
		if (!bench_segment(skb, client, server, 0, BENCH_ACK, 1001, 5001))
			return ORIGIN_VERDICT;
		if (run)
			ingress_packet(skb);
	}
	/* Back to the client's SYN, so the next repetition starts from the same frame. */
	bench_segment(skb, client, server, 0, BENCH_SYN, 1000, 0);
	return ORIGIN_VERDICT;
}

SEC("tc")
int bench_syn_synack(struct __sk_buff *skb)
{
	return bench_handshake_steps(skb, 2, 1);
}

SEC("tc")
int bench_syn_synack_rewrites_only(struct __sk_buff *skb)
{
	return bench_handshake_steps(skb, 2, 0);
}

SEC("tc")
int bench_handshake(struct __sk_buff *skb)
{
	return bench_handshake_steps(skb, 3, 1);
}

SEC("tc")
int bench_handshake_rewrites_only(struct __sk_buff *skb)
{
	return bench_handshake_steps(skb, 3, 0);
}
