package io.edgesched.api.demand;

/**
 * The workload index each (service id, port) resolved to, and in which snapshot: an open-addressing map from a mixed
 * 64-bit key to (workload, snapshot stamp), kept across snapshots. Resolving a record costs no boxing, and a service
 * resolved earlier in the same snapshot costs one look-up (a kernel snapshot lists records in hash order, not
 * grouped by service, so most records miss the "same service as the last record" shortcut).
 */
final class ServiceWorkloads {
    static final int ABSENT = Integer.MIN_VALUE;
    /** Grows past this many keys only after a {@link #clearIfLarge}: services come and go over months. */
    private static final int LARGE = 1 << 20;

    private long[] keys = new long[16];
    private int[] values = new int[16];
    private int[] stamps = new int[16];
    private boolean[] used = new boolean[16];
    private int size;

    /** Slot of {@code key}, or {@code -1 - insertionPoint} when absent. */
    int slotOf(long key) {
        int mask = keys.length - 1;
        int i = (int) key & mask;
        while (used[i]) {
            if (keys[i] == key) {
                return i;
            }
            i = (i + 1) & mask;
        }
        return -1 - i;
    }

    int valueAt(int slot) {
        return values[slot];
    }

    int stampAt(int slot) {
        return stamps[slot];
    }

    /** The value stored for {@code key}, or {@link #ABSENT}. */
    int get(long key) {
        int s = slotOf(key);
        return s >= 0 ? values[s] : ABSENT;
    }

    void put(long key, int value, int stamp) {
        int s = slotOf(key);
        if (s >= 0) {
            values[s] = value;
            stamps[s] = stamp;
            return;
        }
        if ((size + 1) * 2 > keys.length) {
            grow();
            s = slotOf(key);
        }
        int i = -1 - s;
        used[i] = true;
        keys[i] = key;
        values[i] = value;
        stamps[i] = stamp;
        size++;
    }

    /** Forgets everything when the map has grown large (a bound on memory, not a correctness matter). */
    void clearIfLarge() {
        if (size > LARGE) {
            keys = new long[16];
            values = new int[16];
            stamps = new int[16];
            used = new boolean[16];
            size = 0;
        }
    }

    private void grow() {
        long[] oldKeys = keys;
        int[] oldValues = values;
        int[] oldStamps = stamps;
        boolean[] oldUsed = used;
        keys = new long[oldKeys.length * 2];
        values = new int[oldKeys.length * 2];
        stamps = new int[oldKeys.length * 2];
        used = new boolean[oldKeys.length * 2];
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldUsed[i]) {
                put(oldKeys[i], oldValues[i], oldStamps[i]);
            }
        }
    }

    @Override
    public String toString() {
        return "ServiceWorkloads{" + size + "/" + keys.length + "}";
    }
}
