// SPDX-License-Identifier: GPL-2.0
/*
 * Whole-table copy of origin_clients for user space, optional companion of origin.bpf.o.
 *
 * The loader points this object's origin_clients at the live table (bpf_map__reuse_fd) and sizes
 * origin_clients_copy to the same max_entries. One run of origin_snapshot (BPF_PROG_TEST_RUN of a syscall
 * program) walks the table with bpf_for_each_map_elem and packs every (key, value) into the BPF_F_MMAPABLE
 * array, which user space reads through mmap: no per-bucket locking and no copy to user space, unlike
 * BPF_MAP_LOOKUP_BATCH. Return value: entries copied, or ORIGIN_SNAPSHOT_OVERFLOW if the copy was too small
 * (user space then reads with a batch lookup).
 *
 * Consistency: like a batch read, values are copied while the programs may be adding to them (each u64 is
 * read whole). Unlike a batch read, buckets are not locked: if an entry is evicted and reused for another
 * client at the very moment the walk steps over it, the walk may continue in that entry's new hash chain, so
 * one snapshot can list an entry twice or miss the rest of a chain (see docs/bpf.md).
 * Kernel >= 5.14 (syscall programs); a kernel that refuses it leaves user space on batch reads.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "origin.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, ORIGIN_CLIENTS_MAX_ENTRIES); /* replaced by the live map (reuse_fd) */
	__type(key, struct origin_client_key);
	__type(value, struct origin_client_value);
} origin_clients SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ORIGIN_CLIENTS_MAX_ENTRIES); /* the loader sets origin_clients' max_entries */
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct origin_client_entry);
} origin_clients_copy SEC(".maps");

struct copy_state {
	__u32 copied;
	__u32 overflow;
};

static long copy_client(void *map, struct origin_client_key *key, struct origin_client_value *value,
			struct copy_state *state)
{
	__u32 index = state->copied;
	struct origin_client_entry *slot = bpf_map_lookup_elem(&origin_clients_copy, &index);

	if (!slot) {
		state->overflow = 1;
		return 1; /* stop */
	}
	__builtin_memcpy(&slot->key, key, sizeof(*key));
	__builtin_memcpy(&slot->value, value, sizeof(*value));
	state->copied = index + 1;
	return 0;
}

SEC("syscall")
int origin_snapshot(void *ctx)
{
	struct copy_state state = {};

	bpf_for_each_map_elem(&origin_clients, copy_client, &state, 0);
	return state.overflow ? ORIGIN_SNAPSHOT_OVERFLOW : (int)state.copied;
}
