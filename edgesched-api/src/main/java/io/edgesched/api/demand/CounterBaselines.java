package io.edgesched.api.demand;

/**
 * The last known cumulative counter of every (service, port, client) record of one node, keyed by a 64-bit
 * fingerprint of the record's identity (collisions are ~n^2/2^65: negligible at a million records), with the
 * sequence number of the snapshot it came from. 20 bytes per record plus slack, whatever the address family.
 * Rebuilt from each snapshot; records missing from a snapshot are carried over for a while, so a record that
 * is absent once (a partial read) still has its baseline when it comes back.
 */
final class CounterBaselines {
    private static final double MAX_LOAD = 0.7;
    private long[] keys;
    private long[] values;
    private int[] sequences;
    private int size;

    CounterBaselines(int expected) {
        int capacity = capacityFor(expected);
        keys = new long[capacity];
        values = new long[capacity];
        sequences = new int[capacity];
    }

    private static int capacityFor(int expected) {
        return Math.max(8, (int) Math.ceil(expected / MAX_LOAD) + 1);
    }

    /**
     * Empties this table for {@code expected} records, reusing its arrays when they fit and are not more than 4x
     * too large (a node's tables are swapped every snapshot, so a steady node allocates nothing).
     */
    CounterBaselines reset(int expected) {
        int capacity = capacityFor(expected);
        if (keys.length < capacity || keys.length > 4 * capacity + 64) {
            return new CounterBaselines(expected);
        }
        java.util.Arrays.fill(keys, 0);
        size = 0;
        return this;
    }

    int size() {
        return size;
    }

    long bytes() {
        return 20L * keys.length;
    }

    private static long key(long fingerprint) {
        return fingerprint == 0 ? 1 : fingerprint;
    }

    /** Slot of the fingerprint, or -1 when absent. */
    int find(long fingerprint) {
        long key = key(fingerprint);
        int i = slot(key, keys.length);
        while (true) {
            long k = keys[i];
            if (k == 0) {
                return -1;
            }
            if (k == key) {
                return i;
            }
            i = i + 1 == keys.length ? 0 : i + 1;
        }
    }

    long valueAt(int slot) {
        return values[slot];
    }

    int sequenceAt(int slot) {
        return sequences[slot];
    }

    /** Capacity of the slot arrays, for iterating with {@link #occupied}. */
    int capacity() {
        return keys.length;
    }

    boolean occupied(int slot) {
        return keys[slot] != 0;
    }

    long keyAt(int slot) {
        return keys[slot];
    }

    /** Stores a value; a record listed twice in one snapshot keeps the larger counter. */
    void put(long fingerprint, long value, int sequence) {
        if (size + 1 > keys.length * MAX_LOAD) {
            grow();
        }
        long key = key(fingerprint);
        int i = slot(key, keys.length);
        while (true) {
            long k = keys[i];
            if (k == 0) {
                keys[i] = key;
                values[i] = value;
                sequences[i] = sequence;
                size++;
                return;
            }
            if (k == key) {
                values[i] = Math.max(values[i], value);
                sequences[i] = Math.max(sequences[i], sequence);
                return;
            }
            i = i + 1 == keys.length ? 0 : i + 1;
        }
    }

    private void grow() {
        long[] oldKeys = keys;
        long[] oldValues = values;
        int[] oldSequences = sequences;
        int capacity = oldKeys.length + oldKeys.length / 2 + 1;
        keys = new long[capacity];
        values = new long[capacity];
        sequences = new int[capacity];
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != 0) {
                put(oldKeys[i], oldValues[i], oldSequences[i]);
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
        return "CounterBaselines{" + size + "/" + keys.length + "}";
    }
}
