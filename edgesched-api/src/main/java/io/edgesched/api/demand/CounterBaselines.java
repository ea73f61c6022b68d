package io.edgesched.api.demand;

import java.util.function.IntPredicate;

/**
 * The cumulative counters of every (service, port, client) record of one node, keyed by a 64-bit fingerprint of
 * the record's identity (collisions are ~n^2/2^65: negligible at a million records), updated in place by each
 * snapshot: a slot holds the counter and sequence number of the last snapshot that listed the record and, as the
 * record's baseline, the counter and sequence it had before that snapshot. One hash probe per record and one
 * table per node (32 bytes per record plus slack), where a table rebuilt from each snapshot cost three probes and
 * two tables.
 *
 * <p>Records a snapshot does not list keep their slot, so a record absent once (a partial read) still has its
 * baseline when it comes back; whether an old baseline still counts is the store's call ({@link #tidy} drops
 * those it no longer wants when the table fills up). A snapshot that fails half-way is undone by
 * {@link #rollBack}.
 */
final class CounterBaselines {
    /** The sequence of a record that has no baseline (and of one whose snapshot was rolled back). */
    static final int NONE = Integer.MIN_VALUE;
    private static final double MAX_LOAD = 0.7;
    private static final int STRIDE = 4; // key, counter, baseline counter, sequence << 32 | baseline sequence
    private long[] slots;
    private int capacity;
    private int size;

    CounterBaselines(int expected) {
        allocate(capacityFor(expected));
    }

    private void allocate(int slotCount) {
        if ((long) slotCount * STRIDE > Integer.MAX_VALUE - 16) {
            throw new IllegalStateException("one node's counter table cannot hold " + slotCount + " slots: its snapshots"
                    + " list more records than any source can (a broken or hostile sender?)");
        }
        capacity = slotCount;
        slots = new long[slotCount * STRIDE];
        size = 0;
    }

    private static int capacityFor(int expected) {
        return Math.max(8, (int) Math.ceil(expected / MAX_LOAD) + 1);
    }

    /** Slots in use, including records whose baselines the store no longer wants but that were not tidied away yet. */
    int size() {
        return size;
    }

    long bytes() {
        return 8L * slots.length;
    }

    private static long key(long fingerprint) {
        return fingerprint == 0 ? 1 : fingerprint;
    }

    /**
     * Before a snapshot of {@code incoming} records: when little room is left for records new to the table (an
     * eighth of the snapshot), drops the records {@code keep} rejects (by their last sequence) and sizes the table
     * for what stays or the snapshot, whichever is larger, plus a quarter; in place when the array fits, so a node
     * with churning clients does not allocate a table every few snapshots. {@code scratch} is a buffer the caller
     * keeps; the one to keep (grown if needed) is returned.
     */
    long[] tidy(int incoming, IntPredicate keep, long[] scratch) {
        if (size + incoming / 8 + 1 <= capacity * MAX_LOAD) {
            return scratch;
        }
        if (scratch.length < size * STRIDE) { // room for every record: one pass asks keep once per record
            scratch = new long[Math.max(64, size * STRIDE + size * STRIDE / 2)];
        }
        int at = 0;
        for (int i = 0; i < capacity; i++) {
            int b = i * STRIDE;
            if (slots[b] != 0 && keep.test(sequence(slots[b + 3]))) {
                System.arraycopy(slots, b, scratch, at, STRIDE);
                at += STRIDE;
            }
        }
        int kept = at / STRIDE;
        int expected = Math.max(kept, incoming);
        int needed = capacityFor(expected + expected / 4);
        if (capacity < needed || capacity > 4 * needed + 64) {
            allocate(needed);
        } else {
            java.util.Arrays.fill(slots, 0);
            size = 0;
        }
        for (int from = 0; from < at; from += STRIDE) {
            System.arraycopy(scratch, from, slots, emptySlotFor(scratch[from]) * STRIDE, STRIDE);
            size++;
        }
        return scratch;
    }

    /** Half again as many slots, every record kept (a snapshot brought more new records than there was room for). */
    private void grow() {
        long[] old = slots;
        int oldCapacity = capacity;
        allocate(oldCapacity + oldCapacity / 2 + 1);
        for (int i = 0; i < oldCapacity; i++) {
            int b = i * STRIDE;
            if (old[b] != 0) {
                System.arraycopy(old, b, slots, emptySlotFor(old[b]) * STRIDE, STRIDE);
                size++;
            }
        }
    }

    private int emptySlotFor(long key) {
        int i = slot(key, capacity);
        while (slots[i * STRIDE] != 0) {
            i = i + 1 == capacity ? 0 : i + 1;
        }
        return i;
    }

    /**
     * Records the counter of a listed record in snapshot {@code sequence}; its slot. The counter it had before this
     * snapshot stays readable as its baseline ({@link #baselineSequenceAt} {@link #NONE} when it had none). A record
     * listed twice in one snapshot keeps the larger counter and the same baseline.
     */
    int update(long fingerprint, long counter, int sequence) {
        if (size + 1 > capacity * MAX_LOAD) {
            grow();
        }
        long key = key(fingerprint);
        int i = slot(key, capacity);
        while (true) {
            int b = i * STRIDE;
            long k = slots[b];
            if (k == 0) {
                slots[b] = key;
                slots[b + 1] = counter;
                slots[b + 2] = 0;
                slots[b + 3] = sequences(sequence, NONE);
                size++;
                return i;
            }
            if (k == key) {
                int last = sequence(slots[b + 3]);
                if (last == sequence) {
                    slots[b + 1] = Math.max(slots[b + 1], counter);
                } else {
                    slots[b + 2] = slots[b + 1];
                    slots[b + 3] = sequences(sequence, last);
                    slots[b + 1] = counter;
                }
                return i;
            }
            i = i + 1 == capacity ? 0 : i + 1;
        }
    }

    /** The counter the record had before the snapshot that last listed it. */
    long baselineAt(int slot) {
        return slots[slot * STRIDE + 2];
    }

    /** The sequence of that baseline, {@link #NONE} when the record had none. */
    int baselineSequenceAt(int slot) {
        return (int) slots[slot * STRIDE + 3];
    }

    /**
     * Undoes snapshot {@code sequence} (it failed half-way): every record it listed gets its baseline back as its
     * counter; a record it listed first keeps its slot with sequence {@link #NONE}, which no one takes as a baseline.
     */
    void rollBack(int sequence) {
        for (int i = 0; i < capacity; i++) {
            int b = i * STRIDE;
            if (slots[b] != 0 && sequence(slots[b + 3]) == sequence) {
                int baseline = (int) slots[b + 3];
                slots[b + 1] = slots[b + 2];
                slots[b + 3] = sequences(baseline, NONE);
            }
        }
    }

    private static long sequences(int last, int baseline) {
        return (long) last << 32 | (baseline & 0xffffffffL);
    }

    private static int sequence(long packed) {
        return (int) (packed >> 32);
    }

    static int slot(long hash, int capacity) {
        return (int) Math.unsignedMultiplyHigh(mix(hash), capacity);
    }

    static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }

    @Override
    public String toString() {
        return "CounterBaselines{" + size + "/" + capacity + "}";
    }
}
