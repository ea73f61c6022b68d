package io.edgesched.api.demand;

import java.util.Arrays;

/**
 * Per (workload, node) sums for a view; open addressing over packed long keys, each slot's fields side by side in
 * one array (key + 1, rate, rate with a known RTT, RTT-weighted rate, clients), so an add is one cache miss.
 */
final class PairSums {
    private static final int STRIDE = 5;
    private long[] slots;
    private int capacity;
    private int size;

    PairSums(int expected) {
        allocate(Math.max(16, expected * 2));
    }

    private void allocate(int slotCount) {
        capacity = slotCount;
        slots = new long[slotCount * STRIDE];
        size = 0;
    }

    /**
     * Empty sums for {@code expected} pairs: this instance cleared when its array fits and is not more than 4x too
     * large, else a new one (a view reuses its sums round after round instead of allocating tens of MB).
     */
    PairSums reset(int expected) {
        int wanted = Math.max(16, expected * 2);
        if (capacity < wanted || capacity > 4 * wanted) {
            return new PairSums(expected);
        }
        Arrays.fill(slots, 0);
        size = 0;
        return this;
    }

    long bytes() {
        return 8L * slots.length;
    }

    int size() {
        return size;
    }

    /** Slot of {@code key}: where it is, or the empty slot where it would go. */
    int slotOf(long key) {
        long stored = key + 1;
        int i = (int) Math.unsignedMultiplyHigh(CounterBaselines.mix(key), capacity);
        while (true) {
            long k = slots[i * STRIDE];
            if (k == 0 || k == stored) {
                return i;
            }
            i = i + 1 == capacity ? 0 : i + 1;
        }
    }

    double rate(int slot) {
        return Double.longBitsToDouble(slots[slot * STRIDE + 1]);
    }

    double rttRate(int slot) {
        return Double.longBitsToDouble(slots[slot * STRIDE + 2]);
    }

    double rttWeighted(int slot) {
        return Double.longBitsToDouble(slots[slot * STRIDE + 3]);
    }

    int clients(int slot) {
        return (int) slots[slot * STRIDE + 4];
    }

    void add(long key, double r, float rtt) {
        if (size + 1 > capacity * 0.7) {
            grow();
        }
        int b = slotOf(key) * STRIDE;
        if (slots[b] == 0) {
            slots[b] = key + 1;
            size++;
        }
        slots[b + 1] = Double.doubleToRawLongBits(Double.longBitsToDouble(slots[b + 1]) + r);
        slots[b + 4]++;
        if (!Float.isNaN(rtt)) {
            slots[b + 2] = Double.doubleToRawLongBits(Double.longBitsToDouble(slots[b + 2]) + r);
            slots[b + 3] = Double.doubleToRawLongBits(Double.longBitsToDouble(slots[b + 3]) + r * rtt);
        }
    }

    private void grow() {
        long[] old = slots;
        int oldCapacity = capacity;
        allocate(oldCapacity * 2);
        for (int j = 0; j < oldCapacity; j++) {
            int ob = j * STRIDE;
            if (old[ob] != 0) {
                int b = slotOf(old[ob] - 1) * STRIDE;
                System.arraycopy(old, ob, slots, b, STRIDE);
                size++;
            }
        }
    }

    long[] sortedKeys() {
        long[] out = new long[size];
        int n = 0;
        for (int i = 0; i < capacity; i++) {
            long k = slots[i * STRIDE];
            if (k != 0) {
                out[n++] = k - 1;
            }
        }
        Arrays.sort(out);
        return out;
    }
}
