package io.edgesched.ebpf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * Finds rows whose 24-byte client key already appeared earlier in the same copy. The copier's unlocked walk
 * can step into another hash chain when an entry is evicted and reused at that very moment, and then list
 * entries twice (docs/bpf.md); counting one client twice in a snapshot would double its demand. An
 * open-addressing set of key fingerprints (one long per slot: fingerprint bits + row), full keys compared on a
 * fingerprint match: ~20 ns per row, the array reused across reads. Not thread-safe.
 */
final class DuplicateKeyFilter {
    private static final long KEY_SIZE = OriginMapLayouts.CLIENT_KEY.byteSize();

    /** Low bits of a slot: row + 1 (0 = free); the rest: the key's fingerprint. One array keeps it cache-small. */
    private static final int ROW_BITS = 24;
    private static final long ROW_MASK = (1L << ROW_BITS) - 1;

    private long[] slots = new long[0];
    private int mask;
    private MemorySegment rows;
    private long rowSize;
    private long duplicates;

    /** Starts a new copy of {@code count} rows, {@code rowSize} bytes apart, each starting with the key. */
    void reset(MemorySegment rows, long rowSize, int count) {
        if (count >= ROW_MASK) {
            throw new IllegalArgumentException("at most " + (ROW_MASK - 1) + " rows, got " + count);
        }
        int wanted = Integer.highestOneBit(Math.max(16, count + count / 2) * 2 - 1); // load <= 2/3, power of two
        if (slots.length < wanted) {
            slots = new long[wanted];
        } else {
            Arrays.fill(slots, 0L);
        }
        this.mask = slots.length - 1;
        this.rows = rows;
        this.rowSize = rowSize;
    }

    /** True if row {@code row}'s key was seen before in this copy (then skip the row). */
    boolean seenBefore(int row) {
        long base = row * rowSize;
        long fingerprint = mix(rows.get(ValueLayout.JAVA_LONG_UNALIGNED, base)
                ^ mix(rows.get(ValueLayout.JAVA_LONG_UNALIGNED, base + 8)
                ^ mix(rows.get(ValueLayout.JAVA_LONG_UNALIGNED, base + 16))));
        long tag = fingerprint & ~ROW_MASK;
        for (int slot = (int) (fingerprint >>> 40) & mask; ; slot = (slot + 1) & mask) {
            long present = slots[slot];
            if (present == 0) {
                slots[slot] = tag | (row + 1L);
                return false;
            }
            if ((present & ~ROW_MASK) == tag) {
                long other = ((present & ROW_MASK) - 1) * rowSize;
                if (MemorySegment.mismatch(rows, base, base + KEY_SIZE, rows, other, other + KEY_SIZE) == -1) {
                    duplicates++;
                    return true;
                }
            }
        }
    }

    /** Duplicate rows skipped since this filter was made. */
    long duplicates() {
        return duplicates;
    }

    /** Murmur3's 64-bit finalizer. */
    private static long mix(long x) {
        x ^= x >>> 33;
        x *= 0xff51afd7ed558ccdL;
        x ^= x >>> 33;
        x *= 0xc4ceb9fe1a85ec53L;
        return x ^ (x >>> 33);
    }
}
