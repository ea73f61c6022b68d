package io.edgesched.api.demand;


/**
 * The previous cumulative counter of every (service, port, client) record of one node, keyed by a 64-bit
 * fingerprint of the record's identity (collisions are ~n^2/2^65: negligible at a million records) so a
 * record costs 16 bytes plus slack, whatever the client address family. Rebuilt from each snapshot.
 */
final class CounterBaselines {
    private static final double MAX_LOAD = 0.7;
    private long[] keys;
    private long[] values;
    private int size;

    CounterBaselines(int expected) {
        int capacity = Math.max(8, (int) Math.ceil(expected / MAX_LOAD) + 1);
        keys = new long[capacity];
        values = new long[capacity];
    }

    int size() {
        return size;
    }

    long bytes() {
        return 16L * keys.length;
    }

    /** The stored value, or -1 when absent (counters are never negative). */
    long get(long fingerprint) {
        long key = fingerprint == 0 ? 1 : fingerprint;
        int i = slot(key, keys.length);
        while (true) {
            long k = keys[i];
            if (k == 0) {
                return -1;
            }
            if (k == key) {
                return values[i];
            }
            i = i + 1 == keys.length ? 0 : i + 1;
        }
    }

    void put(long fingerprint, long value) {
        if (size + 1 > keys.length * MAX_LOAD) {
            grow();
        }
        long key = fingerprint == 0 ? 1 : fingerprint;
        int i = slot(key, keys.length);
        while (true) {
            long k = keys[i];
            if (k == 0) {
                keys[i] = key;
                values[i] = value;
                size++;
                return;
            }
            if (k == key) {
                values[i] = Math.max(values[i], value);
                return;
            }
            i = i + 1 == keys.length ? 0 : i + 1;
        }
    }

    private void grow() {
        long[] oldKeys = keys;
        long[] oldValues = values;
        int capacity = oldKeys.length + oldKeys.length / 2 + 1;
        keys = new long[capacity];
        values = new long[capacity];
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != 0) {
                put(oldKeys[i], oldValues[i]);
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
