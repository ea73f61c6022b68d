package io.edgesched.api.demand;

import io.edgesched.api.WorkloadId;

import java.util.Map;

/**
 * Workload indices by the identity of the {@link WorkloadId} object a catalog answered with, in front of the
 * store's map by equality: a catalog usually answers with the same objects again, and comparing references saves
 * the hashing and string comparisons of an equality look-up (a million records per round at 10k workloads).
 *
 * <p>Immutable, so preparing threads read it without locks; the store's applying thread publishes a larger copy
 * with what the threads looked up by equality ({@link #with}). Not a thread-local cache: the common pool's workers
 * drop their thread-locals between tasks. Indices never change once numbered, so an entry never goes stale; a table
 * that holds many more objects than there are workloads (a catalog that makes new objects) starts over.
 */
final class WorkloadIdentities {
    static final int ABSENT = -1;
    static final WorkloadIdentities EMPTY = new WorkloadIdentities(new Object[16], new int[16], 0);

    private final Object[] keys;
    private final int[] values;
    private final int size;

    private WorkloadIdentities(Object[] keys, int[] values, int size) {
        this.keys = keys;
        this.values = values;
        this.size = size;
    }

    /** The index stored for this very object, or {@link #ABSENT}. */
    int indexOf(WorkloadId id) {
        int mask = keys.length - 1;
        for (int i = System.identityHashCode(id) & mask; keys[i] != null; i = (i + 1) & mask) {
            if (keys[i] == id) {
                return values[i];
            }
        }
        return ABSENT;
    }

    int size() {
        return size;
    }

    /**
     * A table with these objects added (distinct objects: an identity map); {@code workloads} is how many the store
     * numbered, which bounds the table.
     */
    WorkloadIdentities with(Map<WorkloadId, Integer> added, int workloads) {
        boolean restart = size + added.size() > 2 * workloads + 1024;
        int count = (restart ? 0 : size) + added.size();
        int capacity = 16;
        while (capacity < 2 * count) {
            capacity <<= 1;
        }
        Object[] k = new Object[capacity];
        int[] v = new int[capacity];
        int stored = 0;
        if (!restart) {
            for (int j = 0; j < keys.length; j++) {
                if (keys[j] != null) {
                    stored += insert(k, v, keys[j], values[j]);
                }
            }
        }
        for (Map.Entry<WorkloadId, Integer> e : added.entrySet()) {
            stored += insert(k, v, e.getKey(), e.getValue());
        }
        return new WorkloadIdentities(k, v, stored);
    }

    /** 1 when the key was new, 0 when it was there already. */
    private static int insert(Object[] k, int[] v, Object key, int value) {
        int mask = k.length - 1;
        int i = System.identityHashCode(key) & mask;
        while (k[i] != null) {
            if (k[i] == key) {
                v[i] = value;
                return 0;
            }
            i = (i + 1) & mask;
        }
        k[i] = key;
        v[i] = value;
        return 1;
    }
}
