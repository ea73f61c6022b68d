/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * edgesched request-origin maps: the layouts shared by the tc programs (origin.bpf.c) and the
 * Java side (edgesched-ebpf io.edgesched.ebpf.OriginMapLayouts mirrors every struct, size and index
 * here; OriginMapLayoutsTest pins the _Static_assert numbers and the stats enum, OriginBtfLayoutTest
 * compares every member offset with the BTF of the compiled object).
 *
 * Conventions
 *  - family is ORIGIN_FAMILY_IPV4 (4) or ORIGIN_FAMILY_IPV6 (6), not AF_*.
 *  - addresses are in network byte order; an IPv4 address fills addr[0..3], addr[4..15] stay zero.
 *  - ports and every other integer are in host byte order.
 *  - pad/reserved bytes must be zero in keys written by user space (keys are hashed bytewise).
 *
 * Maps (names are the BPF map names, stable):
 *  origin_ports       ARRAY[65536] port -> origin_port. Fast path: a packet whose local port has
 *                     flags 0 is not watched; a service on any local address is found here without
 *                     a hash lookup (wildcard_service_id[0] for IPv4, [1] for IPv6, valid when the
 *                     ORIGIN_PORT_ANY_IPV4/ANY_IPV6 bit is set). ORIGIN_PORT_EXACT means origin_services
 *                     holds keys for specific local addresses on this port; they win over the wildcard.
 *                     "Local" = the packet's destination (ingress) / source (egress); the program does
 *                     not check that the address is this host's (pod addresses routed via the node match).
 *  origin_services    HASH origin_service_key -> origin_service_value: services bound to one local
 *                     address (addr non-zero). Only consulted for ports with ORIGIN_PORT_EXACT.
 *  origin_nodes       HASH origin_node_key -> u32 flags (non-zero): addresses of cluster nodes.
 *                     Traffic from them is relayed (e.g. kube-proxy NodePort forwarding), not from
 *                     end clients. Checked when a client entry is created on a port whose origin_port
 *                     has ORIGIN_PORT_CHECK_NODES; the ORIGIN_CLIENT_FORWARDED flag of that entry then
 *                     marks all of its traffic. Fill it before attaching (entries created earlier keep
 *                     their flag until they are evicted or deleted).
 *  origin_node_filter ARRAY[1] of origin_node_filter: one bit per origin_node_bit() of every address in
 *                     origin_nodes (user space sets the bit before adding the node). A new client whose bit
 *                     is clear is not a node, without the origin_nodes hash lookup; a set bit (a node, or a
 *                     rare collision) leads to the exact lookup. Bits are never cleared.
 *  origin_clients     LRU_HASH origin_client_key -> origin_client_value, one entry per
 *                     (service, local port, client address). An address enters only with evidence that a
 *                     socket talks to it: a completed handshake (ingress), or our own egress segment to it
 *                     that is neither SYN-ACK nor RST (a connection established before we attached;
 *                     counted CLIENTS_ESTABLISHED). Other packets from unknown addresses count UNVERIFIED.
 *                     Bounded: when full the kernel evicts
 *                     the least recently used entry to admit a new client (never drops the new one).
 *                     Evictions are not reported by the kernel, so the program counts
 *                     ORIGIN_STAT_CLIENTS_NEW: evicted = CLIENTS_NEW - (entries present + entries
 *                     user space deleted). An insert that still fails (ENOMEM) counts CLIENTS_FULL.
 *  origin_handshakes  ARRAY[power of two] of origin_handshake: pending handshakes, direct-mapped by
 *                     origin_flow_slot() of the 4-tuple (no hash-table insert per SYN: a spoofed SYN
 *                     costs a slot write). A watched SYN (ingress) claims the slot, our SYN-ACK (egress)
 *                     adds its ISN, the client's ACK of ISN+1 (ingress) completes it: only then does an
 *                     unknown address become a client and a connection count. A pending slot taken by
 *                     another 4-tuple counts HANDSHAKES_EXPIRED. The loader sets the slot mask and a
 *                     random seed in origin_config (.rodata).
 *  origin_handshake_hints ARRAY[slots / 64] of u64: bit i set while a SYN waits in slot i, so an ACK of
 *                     a known client reads its slot only then (established traffic touches 2 KiB, not the
 *                     slots). Internal to the programs, not pinned.
 *  origin_stats       PERCPU_ARRAY[ORIGIN_STAT_COUNT] of u64: sum over CPUs. Nothing is dropped
 *                     silently: every packet that is not counted towards a client lands in one of
 *                     the NOT_* / UNPARSED* counters.
 *
 * The programs only read packets and always return ORIGIN_VERDICT (TC_ACT_UNSPEC): "no opinion, go on
 * with the next filter". TC_ACT_OK would also pass the packet, but in direct-action mode it ends the
 * classification, so a filter behind ours on a shared hook (a CNI's program, say) would be skipped.
 */
#ifndef EDGESCHED_ORIGIN_H
#define EDGESCHED_ORIGIN_H

#include <linux/types.h>

#define ORIGIN_VERDICT (-1) /* TC_ACT_UNSPEC */

#define ORIGIN_FAMILY_IPV4 4
#define ORIGIN_FAMILY_IPV6 6

#define ORIGIN_PORTS_MAX_ENTRIES      65536
#define ORIGIN_SERVICES_MAX_ENTRIES   1024
#define ORIGIN_NODES_MAX_ENTRIES      4096
#define ORIGIN_CLIENTS_MAX_ENTRIES    65536 /* loader may resize before load */
#define ORIGIN_HANDSHAKES_MAX_ENTRIES 16384 /* power of two; loader may resize before load (and sets the mask) */

/* origin_port.flags bits */
#define ORIGIN_PORT_ANY_IPV4 (1u << 0) /* wildcard_service_id[0] watches this port on every IPv4 address */
#define ORIGIN_PORT_ANY_IPV6 (1u << 1) /* wildcard_service_id[1] watches this port on every IPv6 address */
#define ORIGIN_PORT_EXACT    (1u << 2) /* origin_services has keys with a specific local address for it */
#define ORIGIN_PORT_CHECK_NODES (1u << 3) /* new clients on this port are checked against origin_nodes
					   * (~2 ns per new client that is not a node, thanks to
					   * origin_node_filter): set it on every watched port while
					   * origin_nodes is not empty, or only on ports that receive relayed
					   * traffic (NodePorts) */

/* Bits of the origin_nodes pre-filter (a power of two; 512 bytes). */
#define ORIGIN_NODE_FILTER_BITS 4096
#define ORIGIN_NODE_FILTER_SHIFT 20 /* 32 - log2(ORIGIN_NODE_FILTER_BITS) */

/*
 * The filter bit of an address: the XOR of its four 32-bit words (as stored, native order) and the family,
 * multiplied by 0x9E3779B1 (32-bit, wrapping), top 12 bits. Mirrored by OriginMapLayouts.nodeFilterBit.
 */
#define ORIGIN_NODE_HASH_MULTIPLIER 0x9E3779B1u

/* origin_client_value.flags bits */
#define ORIGIN_CLIENT_FORWARDED (1u << 0) /* the client address is in origin_nodes */

/* origin_handshake.flags bits */
#define ORIGIN_HANDSHAKE_RETRANSMITTED (1u << 0) /* SYN-ACK sent again: RTT ambiguous (Karn), no sample */
#define ORIGIN_HANDSHAKE_SYNACK        (1u << 1) /* our SYN-ACK was seen: expected_ack and synack_ns are set */

/* origin_handshake.state */
#define ORIGIN_HANDSHAKE_FREE    0
#define ORIGIN_HANDSHAKE_PENDING 1 /* SYN or SYN-ACK seen, ACK not yet */
#define ORIGIN_HANDSHAKE_DONE    2 /* completed: the slot may be reused without counting an expiry */

/*
 * The slot of a 4-tuple: the XOR of the remote address words, the local address's last word and both ports,
 * XOR the load-time seed, times 0x9E3779B1 (32-bit, wrapping), folded (h ^ h >> 16), masked.
 */
#define ORIGIN_FLOW_HASH_MULTIPLIER 0x9E3779B1u

/* IPv6 extension headers walked before giving up (counted UNPARSED_IPV6_EXT). */
#define ORIGIN_MAX_IPV6_EXT_HEADERS 6

struct origin_port {
	__u32 flags;                  /* ORIGIN_PORT_* */
	__u32 wildcard_service_id[2]; /* [0] IPv4, [1] IPv6 */
	__u32 reserved;
};                                    /* 16 bytes; key: __u32 port */

struct origin_service_key {
	__u8 family;
	__u8 pad;
	__u16 port;      /* local TCP port */
	__u8 addr[16];   /* local address (non-zero; "any address" lives in origin_ports) */
};                       /* 20 bytes */

struct origin_service_value {
	__u32 service_id;
	__u32 reserved;  /* zero */
};                       /* 8 bytes */

struct origin_node_key {
	__u8 family;
	__u8 pad[3];
	__u8 addr[16];
};                       /* 20 bytes; value: __u32 flags, non-zero */

struct origin_node_filter {
	__u64 bits[ORIGIN_NODE_FILTER_BITS / 64];
};                       /* 512 bytes; the single value of origin_node_filter (key __u32 0) */

struct origin_client_key {
	__u32 service_id;
	__u16 port;      /* local TCP port the client reached */
	__u8 family;
	__u8 pad;
	__u8 addr[16];   /* client address (packet source) */
};                       /* 24 bytes */

struct origin_client_value {
	__u64 connections;   /* handshakes the client completed (its ACK of our SYN-ACK) */
	__u64 packets;       /* TCP packets from the client (GSO segments counted) */
	__u64 bytes;         /* IP bytes (header + payload) from the client, never more than the frame held */
	__u64 first_seen_ns; /* bpf_ktime_get_coarse_ns (CLOCK_MONOTONIC_COARSE: same clock as CLOCK_MONOTONIC,
			      * one-tick resolution) of the entry's first packet */
	__u64 last_seen_ns;  /* ... of the latest packet */
	__u64 last_syn_ns;   /* ... of the latest completed handshake; 0 = none */
	__u64 srtt_ns;       /* smoothed handshake RTT (bpf_ktime_get_ns, full resolution):
			      * first sample as is, then 7/8 old + 1/8 new */
	__u64 rtt_min_ns;    /* smallest RTT sample; 0 = none */
	__u64 rtt_samples;   /* RTT samples taken */
	__u32 flags;         /* ORIGIN_CLIENT_* */
	__u32 seen_tick;     /* internal: low 32 bits of jiffies when last_seen_ns was last written; the
			      * coarse clock only moves once a tick, so it is read at most once a tick */
};                           /* 80 bytes */

/* One packed entry of origin_clients_copy (origin_snapshot.bpf.c): a client table row as user space reads it. */
struct origin_client_entry {
	struct origin_client_key key;
	struct origin_client_value value;
};                           /* 104 bytes */

/* origin_snapshot's return value when origin_clients_copy had no room for every entry. */
#define ORIGIN_SNAPSHOT_OVERFLOW (-1)

struct origin_flow_key {
	__u8 family;
	__u8 pad;
	__u16 local_port;
	__u16 remote_port;
	__u16 pad2;
	__u8 local_addr[16];
	__u8 remote_addr[16];
};                           /* 40 bytes */

struct origin_handshake {
	struct origin_flow_key flow; /* the 4-tuple holding the slot */
	__u64 synack_ns;     /* when the (first) SYN-ACK left (bpf_ktime_get_ns); valid with ORIGIN_HANDSHAKE_SYNACK */
	__u64 syn_bytes;     /* IP bytes of the SYNs from an address not yet in origin_clients (clamped to the
			      * frame), added to the client when the handshake completes */
	__u32 syn_packets;   /* ... and their packets */
	__u32 expected_ack;  /* SYN-ACK sequence number + 1 */
	__u32 service_id;
	__u32 flags;         /* ORIGIN_HANDSHAKE_* bits */
	__u32 state;         /* ORIGIN_HANDSHAKE_FREE / PENDING / DONE */
	__u32 reserved;
};                           /* 80 bytes */

/*
 * The programs' .rodata: the whole section is this struct (OriginMapLayouts.CONFIG), written by the loader
 * before load. handshake_slot_mask = origin_handshakes' max_entries - 1 (a power of two); handshake_seed is
 * random per load, so nobody can aim packets at the slot of someone else's handshake.
 */
struct origin_config {
	__u32 handshake_slot_mask;
	__u32 handshake_seed;
};                           /* 8 bytes */

/* origin_stats indices. Append only; never renumber. */
enum origin_stat {
	ORIGIN_STAT_PACKETS_SEEN = 0,      /* ingress: every packet the program ran for */
	ORIGIN_STAT_NOT_IP = 1,            /* ingress: not IPv4/IPv6 (ARP, ...) */
	ORIGIN_STAT_NOT_TCP = 2,           /* ingress: IP but not TCP (UDP, ICMP, ESP, no-next-header) */
	ORIGIN_STAT_UNPARSED = 3,          /* ingress: sum of the UNPARSED_* reasons below */
	ORIGIN_STAT_UNPARSED_TRUNCATED = 4,/* headers end beyond the packet */
	ORIGIN_STAT_UNPARSED_BAD_HEADER = 5,/* IP version/IHL/total length or TCP data offset invalid */
	ORIGIN_STAT_UNPARSED_IPV6_EXT = 6, /* more than ORIGIN_MAX_IPV6_EXT_HEADERS extension headers */
	ORIGIN_STAT_UNPARSED_FRAGMENT = 7, /* non-first IP fragment: no TCP header to read */
	ORIGIN_STAT_NOT_WATCHED = 8,       /* TCP to a port/address no service watches */
	ORIGIN_STAT_MATCHED = 9,           /* TCP packets counted towards a client entry (a completing ACK
					    * brings its waiting SYNs along: they move here from UNVERIFIED) */
	ORIGIN_STAT_CLIENTS_NEW = 10,      /* client entries inserted */
	ORIGIN_STAT_CLIENTS_FULL = 11,     /* client insert failed: packet counted nowhere else */
	ORIGIN_STAT_FORWARDED_PACKETS = 12,/* matched packets from addresses in origin_nodes */
	ORIGIN_STAT_HANDSHAKES_TRACKED = 13,/* egress: SYN-ACKs recorded in a slot */
	ORIGIN_STAT_HANDSHAKES_FULL = 14,  /* unused since origin_handshakes is an array (an LRU insert could fail) */
	ORIGIN_STAT_HANDSHAKES_RETRANSMITTED = 15, /* egress: SYN-ACK retransmission, sample dropped (Karn) */
	ORIGIN_STAT_RTT_SAMPLES = 16,      /* ingress: handshake RTT samples taken */
	ORIGIN_STAT_EGRESS_PACKETS_SEEN = 17,/* egress: every packet the program ran for */
	ORIGIN_STAT_EGRESS_UNPARSED = 18,  /* egress: any parse failure (not IP/TCP is not a failure) */
	ORIGIN_STAT_CLIENTS_RACE = 19,     /* new-client insert lost a race (EEXIST), counted on re-lookup */
	ORIGIN_STAT_HANDSHAKES_PENDING = 20,/* ingress: SYNs that opened a pending handshake slot */
	ORIGIN_STAT_HANDSHAKES_COMPLETED = 21,/* ingress: ACKs that completed one (a connection counted) */
	ORIGIN_STAT_HANDSHAKES_EXPIRED = 22,/* pending handshakes whose slot another 4-tuple took (a flood shows here) */
	ORIGIN_STAT_UNVERIFIED = 23,       /* ingress: from an address not in origin_clients, completing nothing
					    * (SYNs included while their handshake is pending) */
	ORIGIN_STAT_CLIENTS_ESTABLISHED = 24,/* egress: clients created by our own segment to them (no SYN seen) */
	ORIGIN_STAT_COUNT = 25
};

#ifndef __cplusplus
_Static_assert(sizeof(struct origin_port) == 16, "origin_port layout");
_Static_assert(sizeof(struct origin_service_key) == 20, "origin_service_key layout");
_Static_assert(sizeof(struct origin_service_value) == 8, "origin_service_value layout");
_Static_assert(sizeof(struct origin_node_key) == 20, "origin_node_key layout");
_Static_assert(sizeof(struct origin_node_filter) == 512, "origin_node_filter layout");
_Static_assert(sizeof(struct origin_client_key) == 24, "origin_client_key layout");
_Static_assert(sizeof(struct origin_client_value) == 80, "origin_client_value layout");
_Static_assert(sizeof(struct origin_client_entry) == 104, "origin_client_entry layout");
_Static_assert(sizeof(struct origin_flow_key) == 40, "origin_flow_key layout");
_Static_assert(sizeof(struct origin_handshake) == 80, "origin_handshake layout");
_Static_assert(sizeof(struct origin_config) == 8, "origin_config layout");
_Static_assert(__builtin_offsetof(struct origin_client_value, srtt_ns) == 48, "srtt_ns offset");
_Static_assert(__builtin_offsetof(struct origin_client_value, flags) == 72, "flags offset");
#endif

#endif /* EDGESCHED_ORIGIN_H */
