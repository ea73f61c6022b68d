package io.edgesched.api.demand;

/**
 * The workload each (service id, port) of one snapshot resolved to: a small open-addressing map from a
 * mixed 64-bit key to an int, so resolving a record costs no boxing (a kernel snapshot lists records in hash
 * order, not grouped by service, so most records miss the "same service as the last record" shortcut).
 */
final class ServiceWorkloads {
    static final int ABSENT = Integer.MIN_VALUE;

    private long[] keys = new long[16];
    private int[] values = new int[16];
    private boolean[] used = new boolean[16];
    private int size;

    /** The value stored for {@code key}, or {@link #ABSENT}. */
    int get(long key) {
        int mask = keys.length - 1;
        for (int i = (int) key & mask; used[i]; i = (i + 1) & mask) {
            if (keys[i] == key) {
                return values[i];
            }
        }
        return ABSENT;
    }

    void put(long key, int value) {
        if ((size + 1) * 2 > keys.length) {
            grow();
        }
        int mask = keys.length - 1;
        int i = (int) key & mask;
        while (used[i]) {
            if (keys[i] == key) {
                values[i] = value;
                return;
            }
            i = (i + 1) & mask;
        }
        used[i] = true;
        keys[i] = key;
        values[i] = value;
        size++;
    }

    /** Empties the map and keeps its capacity (one map serves snapshot after snapshot, warm in the cache). */
    void clear() {
        java.util.Arrays.fill(used, false);
        size = 0;
    }

    private void grow() {
        long[] oldKeys = keys;
        int[] oldValues = values;
        boolean[] oldUsed = used;
        keys = new long[oldKeys.length * 2];
        values = new int[oldKeys.length * 2];
        used = new boolean[oldKeys.length * 2];
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldUsed[i]) {
                put(oldKeys[i], oldValues[i]);
            }
        }
    }

    @Override
    public String toString() {
        return "ServiceWorkloads{" + size + "/" + keys.length + "}";
    }
}
