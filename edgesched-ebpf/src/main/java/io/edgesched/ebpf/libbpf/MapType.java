package io.edgesched.ebpf.libbpf;

/** Kernel map types (enum bpf_map_type in linux/bpf.h), by their numeric id. */
public enum MapType {
    UNSPEC, HASH, ARRAY, PROG_ARRAY, PERF_EVENT_ARRAY, PERCPU_HASH, PERCPU_ARRAY, STACK_TRACE, CGROUP_ARRAY,
    LRU_HASH, LRU_PERCPU_HASH, LPM_TRIE, ARRAY_OF_MAPS, HASH_OF_MAPS, DEVMAP, SOCKMAP, CPUMAP, XSKMAP, SOCKHASH,
    CGROUP_STORAGE, REUSEPORT_SOCKARRAY, PERCPU_CGROUP_STORAGE, QUEUE, STACK, SK_STORAGE, DEVMAP_HASH, STRUCT_OPS,
    RINGBUF, INODE_STORAGE, TASK_STORAGE, BLOOM_FILTER, USER_RINGBUF,
    /** A type newer than this enum knows. */
    UNKNOWN;

    private static final MapType[] BY_ID = values();

    /** The type with kernel id {@code id}, or UNKNOWN. */
    public static MapType ofId(int id) {
        return id >= 0 && id < BY_ID.length - 1 ? BY_ID[id] : UNKNOWN;
    }

    /** The kernel id, or -1 for UNKNOWN. */
    public int id() {
        return this == UNKNOWN ? -1 : ordinal();
    }

    /** Lookups return one value per possible CPU, each rounded up to 8 bytes. */
    public boolean isPerCpu() {
        return this == PERCPU_HASH || this == PERCPU_ARRAY || this == LRU_PERCPU_HASH
                || this == PERCPU_CGROUP_STORAGE;
    }
}
