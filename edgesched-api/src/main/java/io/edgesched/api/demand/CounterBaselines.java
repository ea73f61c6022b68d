package io.edgesched.api.demand;

/**
 * The last known cumulative counter of every (service, port, client) record of one node, keyed by a 64-bit
 * fingerprint of the record's identity (collisions are ~n^2/2^65: negligible at a million records), with the
 * sequence number of the snapshot it came from. 24 bytes per record plus slack, whatever the address family, side
 * by side in one array (a look-up is one cache miss, not one per field). Rebuilt from each snapshot; records
 * missing from a snapshot are carried over for a while, so a record that is absent once (a partial read) still has
 * its baseline when it comes back.
 */
final class CounterBaselines {
    private static final double MAX_LOAD = 0.7;
    private static final int STRIDE = 3; // key, value, sequence
    private long[] slots;
    private int capacity;
    private int size;

    CounterBaselines(int expected) {
        capacity = capacityFor(expected);
        slots = new long[capacity * STRIDE];
    }

    private static int capacityFor(int expected) {
        return Math.max(8, (int) Math.ceil(expected / MAX_LOAD) + 1);
    }

    /**
     * Empties this table for {@code expected} records, reusing its array when it fits and is not more than 4x
     * too large (a node's tables are swapped every snapshot, so a steady node allocates nothing).
     */
    CounterBaselines reset(int expected) {
        int needed = capacityFor(expected);
        if (capacity < needed || capacity > 4 * needed + 64) {
            // A table outgrown by its node gets half again as much room, so a node whose clients grow for a while
            // does not reallocate every snapshot; a first table (capacity 8) is sized to fit.
            return new CounterBaselines(capacity <= 8 ? expected : expected + expected / 2);
        }
        java.util.Arrays.fill(slots, 0); // also brings the table into the cache for the puts that follow
        size = 0;
        return this;
    }

    int size() {
        return size;
    }

    long bytes() {
        return 8L * slots.length;
    }

    private static long key(long fingerprint) {
        return fingerprint == 0 ? 1 : fingerprint;
    }

    /** Slot of the fingerprint, or -1 when absent. */
    int find(long fingerprint) {
        long key = key(fingerprint);
        int i = slot(key, capacity);
        while (true) {
            long k = slots[i * STRIDE];
            if (k == 0) {
                return -1;
            }
            if (k == key) {
                return i;
            }
            i = i + 1 == capacity ? 0 : i + 1;
        }
    }

    long valueAt(int slot) {
        return slots[slot * STRIDE + 1];
    }

    int sequenceAt(int slot) {
        return (int) slots[slot * STRIDE + 2];
    }

    /** Capacity in slots, for iterating with {@link #occupied}. */
    int capacity() {
        return capacity;
    }

    boolean occupied(int slot) {
        return slots[slot * STRIDE] != 0;
    }

    long keyAt(int slot) {
        return slots[slot * STRIDE];
    }

    /** Stores a value; a record listed twice in one snapshot keeps the larger counter. */
    void put(long fingerprint, long value, int sequence) {
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
                slots[b + 1] = value;
                slots[b + 2] = sequence;
                size++;
                return;
            }
            if (k == key) {
                slots[b + 1] = Math.max(slots[b + 1], value);
                slots[b + 2] = Math.max((int) slots[b + 2], sequence);
                return;
            }
            i = i + 1 == capacity ? 0 : i + 1;
        }
    }

    private void grow() {
        long[] old = slots;
        int oldCapacity = capacity;
        capacity = oldCapacity + oldCapacity / 2 + 1;
        slots = new long[capacity * STRIDE];
        size = 0;
        for (int i = 0; i < oldCapacity; i++) {
            int b = i * STRIDE;
            if (old[b] != 0) {
                put(old[b], old[b + 1], (int) old[b + 2]);
            }
        }
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
