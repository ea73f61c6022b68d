// Test maps for the binding: same key/value sizes as the origin client table (24/64 bytes).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct test_key {
	__u8 bytes[24];
};

struct test_value {
	__u64 words[8];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct test_key);
	__type(value, struct test_value);
} hash_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct test_key);
	__type(value, struct test_value);
} lru_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u32);
} percpu_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} array_map SEC(".maps");

/* A trie: older kernels have no batch lookup for it. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 64);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, __u32);
} trie_map SEC(".maps");

char LICENSE[] SEC("license") = "GPL";
