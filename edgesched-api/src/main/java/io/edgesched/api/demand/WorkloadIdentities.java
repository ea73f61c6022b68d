package io.edgesched.api.demand;

import io.edgesched.api.WorkloadId;

import java.util.Arrays;

/**
 * Workload indices by the identity of the {@link WorkloadId} object a catalog answered with: one thread's cache in
 * front of the store's map by equality. A catalog usually answers with the same objects again, and comparing
 * references saves the string comparisons of an equality look-up (several cache misses per record, a million
 * records per round at 10k workloads). Indices never change once numbered, so an entry never goes stale; the cache
 * is emptied when it holds many more objects than there are workloads (a catalog that makes new objects).
 */
final class WorkloadIdentities {
    static final int ABSENT = -1;

    private Object[] keys = new Object[64];
    private int[] values = new int[64];
    private int size;

    /** The index cached for this very object, or {@link #ABSENT}. */
    int indexOf(WorkloadId id) {
        int mask = keys.length - 1;
        for (int i = System.identityHashCode(id) & mask; keys[i] != null; i = (i + 1) & mask) {
            if (keys[i] == id) {
                return values[i];
            }
        }
        return ABSENT;
    }

    /** Caches the index of an object; {@code workloads} is how many the store numbered (bounds the cache). */
    void put(WorkloadId id, int index, int workloads) {
        if (size >= 2 * workloads + 1024) {
            Arrays.fill(keys, null);
            size = 0;
        }
        if ((size + 1) * 2 > keys.length) {
            grow();
        }
        int mask = keys.length - 1;
        int i = System.identityHashCode(id) & mask;
        while (keys[i] != null) {
            if (keys[i] == id) {
                values[i] = index;
                return;
            }
            i = (i + 1) & mask;
        }
        keys[i] = id;
        values[i] = index;
        size++;
    }

    int size() {
        return size;
    }

    private void grow() {
        Object[] oldKeys = keys;
        int[] oldValues = values;
        keys = new Object[oldKeys.length * 2];
        values = new int[oldKeys.length * 2];
        int mask = keys.length - 1;
        for (int j = 0; j < oldKeys.length; j++) {
            if (oldKeys[j] != null) {
                int i = System.identityHashCode(oldKeys[j]) & mask;
                while (keys[i] != null) {
                    i = (i + 1) & mask;
                }
                keys[i] = oldKeys[j];
                values[i] = oldValues[j];
            }
        }
    }
}
