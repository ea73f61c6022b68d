package io.edgesched.ebpf.libbpf;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Position of a batch traversal ({@link BpfMap#batchLookup}). Start a new traversal with a new cursor or
 * {@link #reset()}. Its native memory belongs to the arena it was created in.
 */
public final class MapBatchCursor {
    // struct bpf_map_batch_opts as of libbpf 1.1: { size_t sz; __u64 elem_flags; __u64 flags; } (sizeof 24)
    static final long BATCH_OPTS_SIZE = 24;

    final MemorySegment inToken;
    final MemorySegment outToken;
    final MemorySegment lastKey;
    final MemorySegment count;
    final MemorySegment opts;
    boolean started;
    boolean done;

    MapBatchCursor(Arena arena, int keySize) {
        // The kernel's batch token is a u32 bucket/index for hash and array maps; key-sized leaves room for others.
        long tokenSize = Math.max(8, keySize);
        this.inToken = arena.allocate(tokenSize, 8);
        this.outToken = arena.allocate(tokenSize, 8);
        this.lastKey = arena.allocate(Math.max(1, keySize), 8);
        this.count = arena.allocate(JAVA_INT);
        this.opts = batchOpts(arena, 0);
    }

    static MemorySegment batchOpts(Arena arena, long elemFlags) {
        MemorySegment opts = arena.allocate(BATCH_OPTS_SIZE, 8);
        opts.set(JAVA_LONG, 0, BATCH_OPTS_SIZE);
        opts.set(JAVA_LONG, 8, elemFlags);
        opts.set(JAVA_LONG, 16, 0L);
        return opts;
    }

    /** True once the traversal reached the end of the map. */
    public boolean isDone() {
        return done;
    }

    /** Starts over from the first entry. */
    public void reset() {
        started = false;
        done = false;
    }
}
