package io.edgesched.api.demand;

import java.util.Arrays;

/** Per (workload, node) sums for a view; open addressing over packed long keys. */
final class PairSums {
    long[] keys;
    boolean[] used;
    double[] rate;
    double[] rttRate;
    double[] rttWeighted;
    int[] clients;
    int size;

    PairSums(int expected) {
        allocate(Math.max(16, expected * 2));
    }

    private void allocate(int capacity) {
        keys = new long[capacity];
        used = new boolean[capacity];
        rate = new double[capacity];
        rttRate = new double[capacity];
        rttWeighted = new double[capacity];
        clients = new int[capacity];
        size = 0;
    }

    int slotOf(long key) {
        int i = (int) Math.unsignedMultiplyHigh(CounterBaselines.mix(key), keys.length);
        while (used[i] && keys[i] != key) {
            i = i + 1 == keys.length ? 0 : i + 1;
        }
        return i;
    }

    void add(long key, double r, float rtt) {
        if (size + 1 > keys.length * 0.7) {
            grow();
        }
        int i = slotOf(key);
        if (!used[i]) {
            used[i] = true;
            keys[i] = key;
            size++;
        }
        rate[i] += r;
        clients[i]++;
        if (!Float.isNaN(rtt)) {
            rttRate[i] += r;
            rttWeighted[i] += r * rtt;
        }
    }

    private void grow() {
        long[] k = keys;
        boolean[] u = used;
        double[] ra = rate;
        double[] rr = rttRate;
        double[] rw = rttWeighted;
        int[] c = clients;
        allocate(keys.length * 2);
        for (int j = 0; j < k.length; j++) {
            if (u[j]) {
                int i = slotOf(k[j]);
                used[i] = true;
                keys[i] = k[j];
                rate[i] = ra[j];
                rttRate[i] = rr[j];
                rttWeighted[i] = rw[j];
                clients[i] = c[j];
                size++;
            }
        }
    }

    long[] sortedKeys() {
        long[] out = new long[size];
        int n = 0;
        for (int i = 0; i < keys.length; i++) {
            if (used[i]) {
                out[n++] = keys[i];
            }
        }
        Arrays.sort(out);
        return out;
    }
}
