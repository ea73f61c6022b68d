package io.edgesched.ebpf.libbpf;

import io.edgesched.ebpf.BpfException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Reads a whole map into one pre-allocated pair of native buffers (keys packed, values packed) with as few
 * BPF_MAP_LOOKUP_BATCH calls as possible, reusing the buffers on every {@link #read()}. The buffers belong to
 * the reader and are freed by {@link #close()}; segments returned by its accessors are valid until the next
 * read or close. Not thread-safe: one reader per reading thread.
 *
 * <pre>{@code
 * try (MapSnapshotReader reader = map.snapshotReader()) {
 *     int n = reader.read();
 *     for (int i = 0; i < n; i++) { MemorySegment k = reader.key(i), v = reader.value(i); ... }
 * }
 * }</pre>
 */
public final class MapSnapshotReader implements AutoCloseable {
    private final BpfMap map;
    private final Arena arena;
    private final int capacity;
    private final int keySize;
    private final int valueStride;
    private final MemorySegment keys;
    private final MemorySegment values;
    private final MapBatchCursor cursor;
    private int count;
    private boolean truncated;
    private int calls;

    MapSnapshotReader(BpfMap map, int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive, got " + capacity);
        }
        this.map = map;
        this.capacity = capacity;
        this.keySize = map.keySize();
        this.valueStride = map.valueStride();
        this.arena = Arena.ofShared();
        try {
            this.keys = arena.allocate((long) keySize * capacity, 8);
            this.values = arena.allocate((long) valueStride * capacity, 8);
            this.cursor = map.batchCursor(arena);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Replaces the buffers' contents with the map's current entries.
     *
     * @return number of entries read (at most the capacity; see {@link #truncated()})
     */
    public int read() {
        cursor.reset();
        count = 0;
        truncated = false;
        calls = 0;
        while (!cursor.isDone()) {
            int room = capacity - count;
            if (room == 0) {
                truncated = true;
                break;
            }
            int read;
            try {
                read = map.batchLookup(cursor, keys.asSlice((long) count * keySize),
                        values.asSlice((long) count * valueStride), room);
            } catch (BpfException e) {
                if (e.errno() == Errors.ENOSPC && count > 0) {
                    truncated = true; // the next bucket does not fit into what is left
                    break;
                }
                throw e;
            }
            calls++;
            count += read;
            if (read == 0 && !cursor.isDone()) {
                break; // defensive: the kernel made no progress
            }
        }
        return count;
    }

    /** Entries of the last read. */
    public int count() {
        return count;
    }

    /** The last read stopped because the buffers were full; the map may hold more entries. */
    public boolean truncated() {
        return truncated;
    }

    /** System calls the last read needed (1 for a batch read of a map that fits; ~2 per entry in fallback). */
    public int calls() {
        return calls;
    }

    /** True if the kernel refused batch reads for this map type and get_next_key is used instead. */
    public boolean usesFallback() {
        return map.batchFallbackActive();
    }

    public int capacity() {
        return capacity;
    }

    public int keySize() {
        return keySize;
    }

    /** Bytes between consecutive values (value size, or the per-CPU stride). */
    public int valueStride() {
        return valueStride;
    }

    /** Keys of the last read, packed ({@code count() * keySize()} bytes). */
    public MemorySegment keys() {
        return keys.asSlice(0, (long) count * keySize);
    }

    /** Values of the last read, packed ({@code count() * valueStride()} bytes). */
    public MemorySegment values() {
        return values.asSlice(0, (long) count * valueStride);
    }

    public MemorySegment key(int index) {
        return keys.asSlice((long) checkIndex(index) * keySize, keySize);
    }

    public MemorySegment value(int index) {
        return values.asSlice((long) checkIndex(index) * valueStride, valueStride);
    }

    private int checkIndex(int index) {
        if (index < 0 || index >= count) {
            throw new IndexOutOfBoundsException("entry " + index + " of " + count);
        }
        return index;
    }

    /** Frees the buffers. Idempotent. */
    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
