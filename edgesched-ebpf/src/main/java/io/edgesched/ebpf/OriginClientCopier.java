package io.edgesched.ebpf;

import io.edgesched.ebpf.libbpf.BpfMap;
import io.edgesched.ebpf.libbpf.BpfObject;
import io.edgesched.ebpf.libbpf.BpfProgram;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Fast whole-table read of an origin_clients map: one run of the {@code origin_snapshot} program
 * (bpf/origin_snapshot.bpf.c) copies every entry, packed as {@link OriginMapLayouts#CLIENT_ENTRY}, into a
 * memory-mapped array that this class exposes without any further copy. Several times faster than
 * BPF_MAP_LOOKUP_BATCH (no bucket locks, no copy to user space; docs/bench/binding.md), at the price of a
 * second table-sized array in the kernel (104 bytes x max_entries) and a rare race under LRU churn: an entry
 * evicted and reused while the walk steps over it can make one snapshot list an entry twice or miss the rest
 * of a hash chain (docs/bpf.md).
 *
 * <p>Needs kernel 5.14+ (syscall programs) and the same privileges as loading the origin programs. Not
 * thread-safe: the copy array is shared, one {@link #copy()} at a time per copier.
 *
 * <pre>{@code
 * try (OriginClientCopier copier = OriginClientCopier.open(clientsMap)) {
 *     int n = copier.copy();                           // -1: the table outgrew the copy, read it another way
 *     MemorySegment rows = copier.entries();           // n x 104 bytes, valid until the next copy()
 * }
 * }</pre>
 */
public final class OriginClientCopier implements AutoCloseable {
    private static final long ENTRY_SIZE = OriginMapLayouts.CLIENT_ENTRY.byteSize();

    private final BpfObject object;
    private final BpfProgram program;
    private final Arena arena;
    private final MemorySegment rows;
    private final int capacity;
    private int count;

    private OriginClientCopier(BpfObject object, Arena arena, MemorySegment rows, int capacity) {
        this.object = object;
        this.program = object.program(OriginMapLayouts.SNAPSHOT_PROGRAM);
        this.arena = arena;
        this.rows = rows;
        this.capacity = capacity;
    }

    /**
     * Loads the copier for {@code clients} (an origin_clients map: loaded, or opened from a pin).
     *
     * @throws BpfException if the kernel refuses the program (e.g. older than 5.14) or the map does not fit
     */
    public static OriginClientCopier open(BpfMap clients) {
        clients.requireLayouts(OriginMapLayouts.CLIENT_KEY, OriginMapLayouts.CLIENT_VALUE);
        int capacity = clients.maxEntries();
        BpfObject object = BpfObject.openResource(OriginClientCopier.class, OriginMapLayouts.SNAPSHOT_OBJECT_RESOURCE);
        Arena arena = Arena.ofShared();
        try {
            object.map(OriginMapLayouts.CLIENTS_MAP).reuse(clients);
            object.map(OriginMapLayouts.CLIENTS_COPY_MAP).setMaxEntries(capacity);
            object.load();
            MemorySegment rows = object.map(OriginMapLayouts.CLIENTS_COPY_MAP).mapValuesReadOnly(arena);
            return new OriginClientCopier(object, arena, rows, capacity);
        } catch (RuntimeException | Error e) {
            arena.close();
            object.close();
            throw e;
        }
    }

    /**
     * Copies the whole table (one system call).
     *
     * @return entries copied, or {@link OriginMapLayouts#SNAPSHOT_OVERFLOW} if they did not fit the copy
     */
    public int copy() {
        int result = program.run();
        count = result == OriginMapLayouts.SNAPSHOT_OVERFLOW ? 0 : result;
        if (count < 0 || count > capacity) {
            throw new BpfException("program " + OriginMapLayouts.SNAPSHOT_PROGRAM + " returned " + result
                    + " for a copy of " + capacity + " entries: object and loader disagree", 0);
        }
        return result;
    }

    /** Entries of the last copy, packed {@link OriginMapLayouts#CLIENT_ENTRY} rows; valid until the next copy. */
    public MemorySegment entries() {
        return rows.asSlice(0, count * ENTRY_SIZE);
    }

    /** Entries of the last copy. */
    public int count() {
        return count;
    }

    /** Rows the copy holds: the table's max_entries. */
    public int capacity() {
        return capacity;
    }

    /** Unmaps the copy and unloads the program; the table itself is untouched. */
    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
        object.close();
    }
}
