// SPDX-License-Identifier: GPL-2.0
/*
 * edgesched request origin: tc programs that count, per watched service and client address, the TCP
 * connections, packets and bytes arriving at this node, and the handshake RTT to each client.
 * Layouts and semantics: origin.h and docs/bpf.md. Both programs only read: always ORIGIN_VERDICT (TC_ACT_UNSPEC, see origin.h).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "origin.h"

#ifndef EEXIST
#define EEXIST 17
#endif

char LICENSE[] SEC("license") = "GPL";

_Static_assert(ORIGIN_VERDICT == TC_ACT_UNSPEC, "ORIGIN_VERDICT is TC_ACT_UNSPEC");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ORIGIN_PORTS_MAX_ENTRIES);
	__type(key, __u32);
	__type(value, struct origin_port);
} origin_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ORIGIN_SERVICES_MAX_ENTRIES);
	__type(key, struct origin_service_key);
	__type(value, struct origin_service_value);
} origin_services SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ORIGIN_NODES_MAX_ENTRIES);
	__type(key, struct origin_node_key);
	__type(value, __u32);
} origin_nodes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct origin_node_filter);
} origin_node_filter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, ORIGIN_CLIENTS_MAX_ENTRIES);
	__type(key, struct origin_client_key);
	__type(value, struct origin_client_value);
} origin_clients SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ORIGIN_HANDSHAKES_MAX_ENTRIES);
	__type(key, __u32);
	__type(value, struct origin_handshake);
} origin_handshakes SEC(".maps");

/*
 * One bit per origin_handshakes slot: set while a SYN waits there. An ACK of a known client reads its slot only
 * when the bit is set, so established traffic touches a 2 KiB bitmap, not the 1.3 MB slot array.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ORIGIN_HANDSHAKES_MAX_ENTRIES / 64);
	__type(key, __u32);
	__type(value, __u64);
} origin_handshake_hints SEC(".maps");

/* Load-time configuration (.rodata, set by the loader; origin.h). */
const volatile struct origin_config origin_config = {
	.handshake_slot_mask = ORIGIN_HANDSHAKES_MAX_ENTRIES - 1,
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ORIGIN_STAT_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} origin_stats SEC(".maps");

/*
 * Per-CPU cache of the coarse clock, keyed by jiffies. The coarse clock only moves when the tick updates
 * timekeeping, so reading it again within the same jiffy gives the same value: a new client or a SYN costs
 * a per-CPU array read (inlined) instead of a helper call (~15 ns). Internal to the programs, not pinned.
 */
struct coarse_clock_cache {
	__u64 tick;      /* bpf_jiffies64() when coarse_ns was read */
	__u64 coarse_ns; /* bpf_ktime_get_coarse_ns() at that tick */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct coarse_clock_cache);
} origin_clock SEC(".maps");

enum parse_result {
	PARSE_OK = 0,
	PARSE_NOT_IP,
	PARSE_NOT_TCP,
	PARSE_TRUNCATED,
	PARSE_BAD_HEADER,
	PARSE_IPV6_EXT,
	PARSE_FRAGMENT,
};

/* What the programs need from one packet; integers in host order, addresses as 4 words. */
struct packet {
	__u32 saddr[4];
	__u32 daddr[4];
	__u64 ip_bytes;
	__u32 seq;
	__u32 ack_seq;
	__u16 sport;
	__u16 dport;
	__u8 family;
	__u8 tcp_flags;
};

#define TCP_FLAG_FIN_BIT 0x01
#define TCP_FLAG_SYN_BIT 0x02
#define TCP_FLAG_RST_BIT 0x04
#define TCP_FLAG_ACK_BIT 0x10

/* Bytes made linear before parsing when the skb head is shorter (most drivers already do this). */
#define ORIGIN_PULL_LEN 256

struct vlan_tag {
	__be16 tci;
	__be16 encapsulated_proto;
};

/* The first 8 bytes every IPv6 extension header has; frag_off only means something in a fragment header. */
struct ipv6_ext_header {
	__u8 nexthdr;
	__u8 hdrlen;
	__be16 frag_off;
	__be32 rest;
};

static __always_inline void stat_add(__u32 index, __u64 n)
{
	__u64 *counter = bpf_map_lookup_elem(&origin_stats, &index);

	if (counter)
		*counter += n;
}

/*
 * bpf_ktime_get_coarse_ns(), read at most once per jiffy per CPU. The tick handler advances jiffies just before
 * it advances timekeeping, so a read in that window caches the previous tick's time for the rest of the jiffy:
 * the result is at most one tick older than a direct read, whose resolution is one tick anyway.
 */
static __always_inline __u64 coarse_now(__u64 tick)
{
	__u32 zero = 0;
	struct coarse_clock_cache *cache = bpf_map_lookup_elem(&origin_clock, &zero);
	__u64 now;

	if (cache && cache->tick == tick)
		return cache->coarse_ns;
	now = bpf_ktime_get_coarse_ns();
	if (cache) {
		cache->coarse_ns = now;
		cache->tick = tick;
	}
	return now;
}

static __always_inline void copy_addr(void *dst, const __u32 *src)
{
	__u32 *d = dst;

	d[0] = src[0];
	d[1] = src[1];
	d[2] = src[2];
	d[3] = src[3];
}

/* Makes up to ORIGIN_PULL_LEN bytes linear when the head is shorter than the packet; 1 if it did. */
static __always_inline int pull_headers(struct __sk_buff *skb)
{
	__u32 linear = skb->data_end - skb->data;

	if (linear >= skb->len || linear >= ORIGIN_PULL_LEN)
		return 0;
	return bpf_skb_pull_data(skb, skb->len < ORIGIN_PULL_LEN ? skb->len : ORIGIN_PULL_LEN) == 0;
}

static __always_inline int parse_tcp(void *data, void *data_end, __u64 off, struct packet *p)
{
	struct tcphdr *tcp = data + off;

	if ((void *)(tcp + 1) > data_end)
		return PARSE_TRUNCATED;
	if (tcp->doff < 5)
		return PARSE_BAD_HEADER;
	p->sport = bpf_ntohs(tcp->source);
	p->dport = bpf_ntohs(tcp->dest);
	p->seq = bpf_ntohl(tcp->seq);
	p->ack_seq = bpf_ntohl(tcp->ack_seq);
	p->tcp_flags = ((__u8 *)tcp)[13];
	return PARSE_OK;
}

static __always_inline int parse_ipv4(struct __sk_buff *skb, void *data, void *data_end, __u64 off,
				      struct packet *p)
{
	struct iphdr *ip = data + off;
	__u32 header_len, total_len;

	if ((void *)(ip + 1) > data_end)
		return PARSE_TRUNCATED;
	if (ip->version != 4 || ip->ihl < 5)
		return PARSE_BAD_HEADER;
	header_len = ip->ihl * 4;
	total_len = bpf_ntohs(ip->tot_len);
	if (total_len == 0) /* BIG TCP / TSO: the length lives in the skb only */
		total_len = skb->len - off;
	else if (total_len < header_len)
		return PARSE_BAD_HEADER;
	else if (total_len > skb->len - off) /* a length field claiming more than the frame holds */
		total_len = skb->len - off;
	if (ip->protocol != IPPROTO_TCP)
		return PARSE_NOT_TCP;
	if (ip->frag_off & bpf_htons(0x1fff))
		return PARSE_FRAGMENT;
	p->family = ORIGIN_FAMILY_IPV4;
	p->ip_bytes = total_len;
	p->saddr[0] = ip->saddr;
	p->daddr[0] = ip->daddr;
	return parse_tcp(data, data_end, off + header_len, p);
}

static __always_inline int parse_ipv6(struct __sk_buff *skb, void *data, void *data_end, __u64 off,
				      struct packet *p)
{
	struct ipv6hdr *ip6 = data + off;
	__u32 payload_len;
	__u8 nexthdr;

	if ((void *)(ip6 + 1) > data_end)
		return PARSE_TRUNCATED;
	if (ip6->version != 6)
		return PARSE_BAD_HEADER;
	payload_len = bpf_ntohs(ip6->payload_len);
	p->family = ORIGIN_FAMILY_IPV6;
	p->ip_bytes = payload_len ? payload_len + sizeof(*ip6) : skb->len - off; /* 0: jumbogram/BIG TCP */
	if (p->ip_bytes > skb->len - off) /* clamped to what the frame holds */
		p->ip_bytes = skb->len - off;
	copy_addr(p->saddr, ip6->saddr.in6_u.u6_addr32);
	copy_addr(p->daddr, ip6->daddr.in6_u.u6_addr32);
	nexthdr = ip6->nexthdr;
	off += sizeof(*ip6);

#pragma unroll
	for (int i = 0; i < ORIGIN_MAX_IPV6_EXT_HEADERS; i++) {
		struct ipv6_ext_header *ext;

		if (nexthdr == IPPROTO_TCP)
			return parse_tcp(data, data_end, off, p);
		if (nexthdr != IPPROTO_HOPOPTS && nexthdr != IPPROTO_ROUTING && nexthdr != IPPROTO_DSTOPTS &&
		    nexthdr != IPPROTO_FRAGMENT && nexthdr != IPPROTO_AH)
			return PARSE_NOT_TCP; /* UDP, ICMPv6, ESP, no next header, ... */
		/* Every extension header is at least 8 bytes: one bounds check covers all fields read. */
		ext = data + off;
		if ((void *)(ext + 1) > data_end)
			return PARSE_TRUNCATED;
		if (nexthdr == IPPROTO_FRAGMENT) {
			if (ext->frag_off & bpf_htons(0xfff8))
				return PARSE_FRAGMENT;
			off += sizeof(*ext);
		} else if (nexthdr == IPPROTO_AH) {
			off += (ext->hdrlen + 2) * 4;
		} else {
			off += (ext->hdrlen + 1) * 8;
		}
		nexthdr = ext->nexthdr;
	}
	if (nexthdr == IPPROTO_TCP)
		return parse_tcp(data, data_end, off, p);
	return PARSE_IPV6_EXT;
}

static __always_inline int parse_packet(struct __sk_buff *skb, struct packet *p)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	__u64 off = sizeof(*eth);
	__be16 proto;

	if ((void *)(eth + 1) > data_end)
		return PARSE_TRUNCATED;
	proto = eth->h_proto;
#pragma unroll
	for (int i = 0; i < 2; i++) { /* 802.1Q / 802.1ad tags left in the frame */
		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		struct vlan_tag *tag = data + off;

		if ((void *)(tag + 1) > data_end)
			return PARSE_TRUNCATED;
		proto = tag->encapsulated_proto;
		off += sizeof(*tag);
	}
	if (proto == bpf_htons(ETH_P_IP))
		return parse_ipv4(skb, data, data_end, off, p);
	if (proto == bpf_htons(ETH_P_IPV6))
		return parse_ipv6(skb, data, data_end, off, p);
	return PARSE_NOT_IP;
}

/*
 * Parses from the linear head and pulls only when the headers are not all there. Pulling up front would
 * cost every packet with paged payload a head copy: TCP segments are clones (the sender keeps the
 * original for retransmission), and bpf_skb_pull_data unclones them (pskb_expand_head), on a veth on
 * both directions, though the stack already put the headers in the head.
 */
static __always_inline int parse_headers(struct __sk_buff *skb, struct packet *p)
{
	int result = parse_packet(skb, p);

	if (result == PARSE_TRUNCATED && pull_headers(skb))
		result = parse_packet(skb, p);
	return result;
}

static __always_inline void count_unparsed(int result)
{
	__u32 reason;

	switch (result) {
	case PARSE_TRUNCATED:
		reason = ORIGIN_STAT_UNPARSED_TRUNCATED;
		break;
	case PARSE_BAD_HEADER:
		reason = ORIGIN_STAT_UNPARSED_BAD_HEADER;
		break;
	case PARSE_IPV6_EXT:
		reason = ORIGIN_STAT_UNPARSED_IPV6_EXT;
		break;
	default:
		reason = ORIGIN_STAT_UNPARSED_FRAGMENT;
		break;
	}
	stat_add(ORIGIN_STAT_UNPARSED, 1);
	stat_add(reason, 1);
}

/*
 * Service watching (family, local address, local port): exact address first, then any address.
 * *port_flags gets the port's ORIGIN_PORT_* bits.
 */
static __always_inline int find_service(__u8 family, __u16 port, const __u32 *addr, __u32 *service_id,
					__u32 *port_flags)
{
	__u32 port_key = port;
	struct origin_port *watched = bpf_map_lookup_elem(&origin_ports, &port_key);
	__u32 any_bit = family == ORIGIN_FAMILY_IPV4 ? ORIGIN_PORT_ANY_IPV4 : ORIGIN_PORT_ANY_IPV6;

	if (!watched || !watched->flags)
		return 0;
	*port_flags = watched->flags;
	if (watched->flags & ORIGIN_PORT_EXACT) {
		struct origin_service_key key = {};
		struct origin_service_value *service;

		key.family = family;
		key.port = port;
		copy_addr(key.addr, addr);
		service = bpf_map_lookup_elem(&origin_services, &key);
		if (service) {
			*service_id = service->service_id;
			return 1;
		}
	}
	if (watched->flags & any_bit) {
		*service_id = watched->wildcard_service_id[family == ORIGIN_FAMILY_IPV4 ? 0 : 1];
		return 1;
	}
	return 0;
}

static __always_inline __u32 node_filter_bit(__u8 family, const __u32 *addr)
{
	__u32 h = (addr[0] ^ addr[1] ^ addr[2] ^ addr[3] ^ family) * ORIGIN_NODE_HASH_MULTIPLIER;

	return h >> ORIGIN_NODE_FILTER_SHIFT;
}

static __always_inline int is_cluster_node(const struct packet *p)
{
	struct origin_node_key key = {};
	__u32 zero = 0, bit = node_filter_bit(p->family, p->saddr);
	struct origin_node_filter *filter = bpf_map_lookup_elem(&origin_node_filter, &zero);

	/* Most new clients are not nodes: a clear filter bit spares the hash lookup (~20 ns). */
	if (filter && !(filter->bits[(bit / 64) & (ORIGIN_NODE_FILTER_BITS / 64 - 1)] & (1ULL << (bit % 64))))
		return 0;

	key.family = p->family;
	copy_addr(key.addr, p->saddr);
	return bpf_map_lookup_elem(&origin_nodes, &key) != 0;
}

static __always_inline void flow_key_from_ingress(const struct packet *p, struct origin_flow_key *key)
{
	key->family = p->family;
	key->local_port = p->dport;
	key->remote_port = p->sport;
	copy_addr(key->local_addr, p->daddr);
	copy_addr(key->remote_addr, p->saddr);
}

static __always_inline void flow_key_from_egress(const struct packet *p, struct origin_flow_key *key)
{
	key->family = p->family;
	key->local_port = p->sport;
	key->remote_port = p->dport;
	copy_addr(key->local_addr, p->saddr);
	copy_addr(key->remote_addr, p->daddr);
}

/* The pending-handshake slot index of a 4-tuple (origin.h, origin_handshakes). */
static __always_inline __u32 handshake_index(const struct origin_flow_key *key)
{
	const __u32 *r = (const __u32 *)key->remote_addr;
	const __u32 *l = (const __u32 *)key->local_addr;
	__u32 h = r[0] ^ r[1] ^ r[2] ^ r[3] ^ l[3] ^ ((__u32)key->local_port << 16 | key->remote_port);

	h = (h ^ origin_config.handshake_seed) * ORIGIN_FLOW_HASH_MULTIPLIER;
	return (h ^ (h >> 16)) & origin_config.handshake_slot_mask;
}

static __always_inline __u64 *hint_word(__u32 index)
{
	__u32 word = index / 64;

	return bpf_map_lookup_elem(&origin_handshake_hints, &word);
}

/* Whether a SYN waits in slot {@code index} (or waited: a stale bit only costs one slot read). */
static __always_inline int hint_set(__u32 index)
{
	__u64 *word = hint_word(index);

	return word && (*word & (1ULL << (index % 64)));
}

static __always_inline int same_flow(const struct origin_flow_key *a, const struct origin_flow_key *b)
{
	const __u64 *x = (const __u64 *)a;
	const __u64 *y = (const __u64 *)b;

	return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) | (x[4] ^ y[4])) == 0;
}

/* Claims (or refreshes) the slot of the SYN's 4-tuple; SYNs of an unknown address wait there with their bytes. */
static __always_inline void record_syn(const struct packet *p, __u32 service_id, __u64 segments, __u64 bytes)
{
	struct origin_flow_key key __attribute__((aligned(8))) = {};
	struct origin_handshake *slot;

	__u32 index;
	__u64 *word;

	flow_key_from_ingress(p, &key);
	index = handshake_index(&key);
	slot = bpf_map_lookup_elem(&origin_handshakes, &index);
	if (!slot)
		return;
	word = hint_word(index);
	if (word)
		__sync_fetch_and_or(word, 1ULL << (index % 64));
	if (slot->state == ORIGIN_HANDSHAKE_PENDING && same_flow(&slot->flow, &key)) {
		slot->syn_packets += segments; /* retransmitted SYN */
		slot->syn_bytes += bytes;
		return;
	}
	if (slot->state == ORIGIN_HANDSHAKE_PENDING)
		stat_add(ORIGIN_STAT_HANDSHAKES_EXPIRED, 1);
	slot->flow = key;
	slot->synack_ns = 0;
	slot->syn_bytes = bytes;
	slot->syn_packets = segments;
	slot->expected_ack = 0;
	slot->service_id = service_id;
	slot->flags = 0;
	slot->state = ORIGIN_HANDSHAKE_PENDING;
	stat_add(ORIGIN_STAT_HANDSHAKES_PENDING, 1);
}

/*
 * The slot this ACK completes: pending, same 4-tuple, our SYN-ACK seen, and the ACK acknowledges its ISN + 1.
 * Marks it done (so a duplicate ACK completes nothing). Null if the ACK completes no handshake.
 */
static __always_inline struct origin_handshake *complete_handshake(const struct packet *p)
{
	struct origin_flow_key key __attribute__((aligned(8))) = {};
	struct origin_handshake *slot;
	__u32 index;
	__u64 *word;

	flow_key_from_ingress(p, &key);
	index = handshake_index(&key);
	if (!hint_set(index))
		return 0;
	slot = bpf_map_lookup_elem(&origin_handshakes, &index);
	if (!slot || slot->state != ORIGIN_HANDSHAKE_PENDING || !(slot->flags & ORIGIN_HANDSHAKE_SYNACK) ||
	    slot->expected_ack != p->ack_seq || !same_flow(&slot->flow, &key))
		return 0;
	/* Not atomic: two CPUs handling the same ACK at once could both complete it (RSS keeps a flow on one). */
	slot->state = ORIGIN_HANDSHAKE_DONE;
	word = hint_word(index);
	if (word)
		__sync_fetch_and_and(word, ~(1ULL << (index % 64)));
	stat_add(ORIGIN_STAT_HANDSHAKES_COMPLETED, 1);
	return slot;
}

/* RTT = now - time the SYN-ACK left, unless it was retransmitted (Karn). */
static __always_inline void take_rtt_sample(const struct origin_handshake *handshake,
					    struct origin_client_value *client)
{
	__u64 now, rtt, samples;

	if (handshake->flags & ORIGIN_HANDSHAKE_RETRANSMITTED)
		return;
	now = bpf_ktime_get_ns();
	if (now < handshake->synack_ns)
		return;
	rtt = now - handshake->synack_ns;
	samples = client->rtt_samples;
	/* Not atomic across CPUs: a concurrent sample may be lost from the average, never corrupt it. */
	client->srtt_ns = samples ? (client->srtt_ns * 7 + rtt) / 8 : rtt;
	if (!client->rtt_min_ns || rtt < client->rtt_min_ns)
		client->rtt_min_ns = rtt;
	__sync_fetch_and_add(&client->rtt_samples, 1);
	stat_add(ORIGIN_STAT_RTT_SAMPLES, 1);
}

static __always_inline void count_existing(struct origin_client_value *client, __u64 segments, __u64 bytes,
					   __u64 tick)
{
	__sync_fetch_and_add(&client->packets, segments);
	__sync_fetch_and_add(&client->bytes, bytes);
	if (client->seen_tick != (__u32)tick) {
		/* The coarse clock only moves with jiffies: update last_seen_ns at most once a tick. */
		client->seen_tick = tick;
		client->last_seen_ns = coarse_now(tick);
	}
}

static __always_inline int is_pure_ack(__u8 flags)
{
	return (flags & (TCP_FLAG_SYN_BIT | TCP_FLAG_ACK_BIT | TCP_FLAG_RST_BIT)) == TCP_FLAG_ACK_BIT;
}

/*
 * Inserts a client entry (a handshake completed, or our egress segment proved a socket). Returns the entry
 * already there when another CPU inserted it first (counted CLIENTS_RACE), null when the table refused.
 */
static __always_inline struct origin_client_value *insert_client(const struct origin_client_key *key,
								 struct origin_client_value *fresh, int *inserted)
{
	struct origin_client_value *client;
	long err;

	err = bpf_map_update_elem(&origin_clients, key, fresh, BPF_NOEXIST);
	if (err == 0) {
		*inserted = 1;
		stat_add(ORIGIN_STAT_CLIENTS_NEW, 1);
		return fresh;
	}
	*inserted = 0;
	client = err == -EEXIST ? bpf_map_lookup_elem(&origin_clients, key) : 0;
	if (!client) {
		stat_add(ORIGIN_STAT_CLIENTS_FULL, 1);
		return 0;
	}
	stat_add(ORIGIN_STAT_CLIENTS_RACE, 1);
	return client;
}

/* A packet from an address not in the table: only a completing ACK makes it a client. */
static __always_inline int ingress_unknown(struct packet *p, struct origin_client_key *key, __u32 port_flags,
					   __u64 segments, __u64 tick)
{
	struct origin_handshake *handshake;
	struct origin_client_value *client;
	__u64 now;
	int inserted;

	handshake = is_pure_ack(p->tcp_flags) ? complete_handshake(p) : 0;
	if (!handshake) {
		stat_add(ORIGIN_STAT_UNVERIFIED, 1);
		return ORIGIN_VERDICT;
	}
	now = coarse_now(tick);
	struct origin_client_value fresh = {
		.connections = 1,
		.packets = handshake->syn_packets + segments,
		.bytes = handshake->syn_bytes + p->ip_bytes,
		.first_seen_ns = now,
		.last_seen_ns = now,
		.last_syn_ns = now,
		.flags = (port_flags & ORIGIN_PORT_CHECK_NODES) && is_cluster_node(p) ? ORIGIN_CLIENT_FORWARDED : 0,
		.seen_tick = tick,
	};

	take_rtt_sample(handshake, &fresh);
	client = insert_client(key, &fresh, &inserted);
	if (!client)
		return ORIGIN_VERDICT;
	if (!inserted) {
		__sync_fetch_and_add(&client->connections, 1);
		count_existing(client, fresh.packets, fresh.bytes, tick);
	}
	/* The waiting SYNs move from UNVERIFIED to MATCHED with their ACK (per-CPU sums wrap, so -n is exact). */
	stat_add(ORIGIN_STAT_UNVERIFIED, -(__u64)handshake->syn_packets);
	stat_add(ORIGIN_STAT_MATCHED, fresh.packets);
	if (client->flags & ORIGIN_CLIENT_FORWARDED)
		stat_add(ORIGIN_STAT_FORWARDED_PACKETS, fresh.packets);
	return ORIGIN_VERDICT;
}

/* The ingress body, shared with the cost benchmark's wrapper (bpf/origin_bench.bpf.c). */
static __always_inline int ingress_packet(struct __sk_buff *skb)
{
	struct origin_client_key key = {};
	struct origin_client_value *client;
	struct origin_handshake *handshake;
	struct packet p = {};
	__u64 segments;
	__u32 service_id, port_flags = 0;
	__u64 tick;
	int result, syn;

	stat_add(ORIGIN_STAT_PACKETS_SEEN, 1);
	result = parse_headers(skb, &p);
	if (result != PARSE_OK) {
		if (result == PARSE_NOT_IP)
			stat_add(ORIGIN_STAT_NOT_IP, 1);
		else if (result == PARSE_NOT_TCP)
			stat_add(ORIGIN_STAT_NOT_TCP, 1);
		else
			count_unparsed(result);
		return ORIGIN_VERDICT;
	}
	if (!find_service(p.family, p.dport, p.daddr, &service_id, &port_flags)) {
		stat_add(ORIGIN_STAT_NOT_WATCHED, 1);
		return ORIGIN_VERDICT;
	}

	key.service_id = service_id;
	key.port = p.dport;
	key.family = p.family;
	copy_addr(key.addr, p.saddr);
	tick = bpf_jiffies64(); /* nearly free, unlike reading a clock */
	segments = skb->gso_segs ? skb->gso_segs : 1;
	syn = (p.tcp_flags & (TCP_FLAG_SYN_BIT | TCP_FLAG_ACK_BIT)) == TCP_FLAG_SYN_BIT;

	if (syn) {
		/*
		 * Every SYN waits in its slot, known address or not: no client lookup (a cache miss in a big table)
		 * per SYN, so a spoofed SYN costs a slot write. Its packet joins the client when the handshake completes.
		 */
		record_syn(&p, service_id, segments, p.ip_bytes);
		stat_add(ORIGIN_STAT_UNVERIFIED, 1);
		return ORIGIN_VERDICT;
	}
	client = bpf_map_lookup_elem(&origin_clients, &key);
	if (!client)
		return ingress_unknown(&p, &key, port_flags, segments, tick);

	count_existing(client, segments, p.ip_bytes, tick);
	stat_add(ORIGIN_STAT_MATCHED, 1);
	if (client->flags & ORIGIN_CLIENT_FORWARDED)
		stat_add(ORIGIN_STAT_FORWARDED_PACKETS, 1);
	handshake = is_pure_ack(p.tcp_flags) ? complete_handshake(&p) : 0;
	if (handshake) {
		__u64 waiting = handshake->syn_packets;

		__sync_fetch_and_add(&client->connections, 1);
		__sync_fetch_and_add(&client->packets, waiting);
		__sync_fetch_and_add(&client->bytes, handshake->syn_bytes);
		client->last_syn_ns = coarse_now(tick);
		take_rtt_sample(handshake, client);
		stat_add(ORIGIN_STAT_UNVERIFIED, -waiting);
		stat_add(ORIGIN_STAT_MATCHED, waiting);
		if (client->flags & ORIGIN_CLIENT_FORWARDED)
			stat_add(ORIGIN_STAT_FORWARDED_PACKETS, waiting);
	}
	return ORIGIN_VERDICT;
}

SEC("tc")
int origin_ingress(struct __sk_buff *skb)
{
	return ingress_packet(skb);
}

/* Our SYN-ACK: the ISN the client's ACK must acknowledge, and the time the RTT starts. */
static __always_inline void record_synack(const struct packet *p, __u32 service_id)
{
	struct origin_flow_key key __attribute__((aligned(8))) = {};
	struct origin_handshake *slot;

	__u32 index;
	__u64 *word;

	flow_key_from_egress(p, &key);
	index = handshake_index(&key);
	slot = bpf_map_lookup_elem(&origin_handshakes, &index);
	if (!slot)
		return;
	if (slot->state == ORIGIN_HANDSHAKE_PENDING && same_flow(&slot->flow, &key)) {
		if ((slot->flags & ORIGIN_HANDSHAKE_SYNACK) && slot->expected_ack == p->seq + 1) {
			/* Retransmitted SYN-ACK: the ACK cannot tell which copy it answers (Karn). */
			slot->flags |= ORIGIN_HANDSHAKE_RETRANSMITTED;
			stat_add(ORIGIN_STAT_HANDSHAKES_RETRANSMITTED, 1);
			return;
		}
	} else {
		/* The SYN was not seen (before we attached, or its slot was taken since): start the slot here. */
		if (slot->state == ORIGIN_HANDSHAKE_PENDING)
			stat_add(ORIGIN_STAT_HANDSHAKES_EXPIRED, 1);
		slot->flow = key;
		slot->syn_bytes = 0;
		slot->syn_packets = 0;
		slot->state = ORIGIN_HANDSHAKE_PENDING;
		word = hint_word(index);
		if (word)
			__sync_fetch_and_or(word, 1ULL << (index % 64));
	}
	slot->synack_ns = bpf_ktime_get_ns();
	slot->expected_ack = p->seq + 1;
	slot->service_id = service_id;
	slot->flags = ORIGIN_HANDSHAKE_SYNACK;
	stat_add(ORIGIN_STAT_HANDSHAKES_TRACKED, 1);
}

/*
 * Our own segment to an address that is not a client yet, neither SYN-ACK (a spoofed SYN draws one) nor RST
 * (a spoofed segment hitting no socket draws one): a socket talks to that address, e.g. a connection
 * established before the programs were attached. The entry starts with zero counters (our segment is not
 * the client's traffic).
 */
static __always_inline void egress_established(const struct packet *p, __u32 service_id, __u32 port_flags)
{
	struct origin_client_key key = {};
	struct origin_client_value *client;
	struct packet remote = {};
	__u64 tick, now;
	int inserted;

	key.service_id = service_id;
	key.port = p->sport;
	key.family = p->family;
	copy_addr(key.addr, p->daddr);
	client = bpf_map_lookup_elem(&origin_clients, &key);
	if (client)
		return;
	tick = bpf_jiffies64();
	now = coarse_now(tick);
	remote.family = p->family;
	copy_addr(remote.saddr, p->daddr);
	struct origin_client_value fresh = {
		.first_seen_ns = now,
		.last_seen_ns = now,
		.flags = (port_flags & ORIGIN_PORT_CHECK_NODES) && is_cluster_node(&remote) ?
				 ORIGIN_CLIENT_FORWARDED : 0,
		.seen_tick = tick,
	};
	if (insert_client(&key, &fresh, &inserted) && inserted)
		stat_add(ORIGIN_STAT_CLIENTS_ESTABLISHED, 1);
}

/* The egress body, shared with the cost benchmark's wrapper (bpf/origin_bench.bpf.c). */
static __always_inline int egress_packet(struct __sk_buff *skb)
{
	struct packet p = {};
	__u32 service_id, port_flags = 0;
	int result;
	__u8 flags;

	stat_add(ORIGIN_STAT_EGRESS_PACKETS_SEEN, 1);
	result = parse_headers(skb, &p);
	if (result != PARSE_OK) {
		if (result != PARSE_NOT_IP && result != PARSE_NOT_TCP)
			stat_add(ORIGIN_STAT_EGRESS_UNPARSED, 1);
		return ORIGIN_VERDICT;
	}
	flags = p.tcp_flags & (TCP_FLAG_SYN_BIT | TCP_FLAG_ACK_BIT | TCP_FLAG_RST_BIT);
	if (flags != (TCP_FLAG_SYN_BIT | TCP_FLAG_ACK_BIT) && flags != TCP_FLAG_ACK_BIT)
		return ORIGIN_VERDICT; /* RST, a SYN of our own, or no ACK: no evidence of anything */
	if (!find_service(p.family, p.sport, p.saddr, &service_id, &port_flags))
		return ORIGIN_VERDICT;
	if (flags == TCP_FLAG_ACK_BIT)
		egress_established(&p, service_id, port_flags);
	else
		record_synack(&p, service_id);
	return ORIGIN_VERDICT;
}

SEC("tc")
int origin_egress(struct __sk_buff *skb)
{
	return egress_packet(skb);
}
