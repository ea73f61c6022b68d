package io.edgesched.api.policy;

import io.edgesched.api.policy.KMedian.Instance;
import io.edgesched.api.policy.KMedian.Result;

import java.util.Arrays;

/** The k-median heuristic: greedy construction, then best-improvement swaps priced by the fast interchange. */
final class KMedianSwap {
    private KMedianSwap() {
    }

    /**
     * Per-thread work arrays, grown as needed and reused by every workload the thread plans: a round plans thousands
     * of workloads, and fresh arrays for each made ~100 MB of garbage per round at 10k workloads.
     */
    private static final class Scratch {
        float[] lat = new float[0];
        int[] base = new int[0];
        double[] best = new double[0];
        double[] score = new double[0];
        double[] near = new double[0];
        double[] second = new double[0];
        int[] nearSlot = new int[0];
        double[] stay = new double[0];
        double[] lose = new double[0];
        double[] others = new double[0];

        /** Sizes the arrays for an instance of {@code entries} rows searched over {@code size} candidates, m chosen. */
        Scratch fit(int entries, int size, int m) {
            best = fit(best, entries);
            near = fit(near, entries);
            second = fit(second, entries);
            nearSlot = fit(nearSlot, entries);
            score = fit(score, size);
            stay = fit(stay, m * size);
            lose = fit(lose, m * size);
            others = fit(others, size);
            return this;
        }

        /** Sizes the copy of the pool's columns. */
        void fitPool(int entries, int size) {
            lat = fit(lat, entries * size);
            base = fit(base, entries);
        }

        private static float[] fit(float[] a, int n) {
            return a.length >= n ? a : new float[Math.max(64, n + n / 2)];
        }

        private static double[] fit(double[] a, int n) {
            return a.length >= n ? a : new double[Math.max(64, n + n / 2)];
        }

        private static int[] fit(int[] a, int n) {
            return a.length >= n ? a : new int[Math.max(64, n + n / 2)];
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * Starts from {@code seed} (distinct, domain-feasible candidate positions), adds greedily over {@code pool}
     * (a first pick over all candidates), then improves by best-improvement swaps within {@code pool}.
     * Swaps are evaluated with each entry's nearest and second-nearest chosen node (the classic fast interchange):
     * one entries x pool pass prices every (slot out, candidate in) pair at once.
     */
    static Result heuristic(Instance in, double[] single, int m, int swapRounds, int[] pool, int[] seed) {
        return heuristic(in, single, m, swapRounds, pool, seed, null);
    }

    /**
     * @param localOptimum a set (sorted) another start already ended in, or null: reaching it ends the search at
     *                     once (it is a local optimum, so the remaining passes could only confirm it)
     */
    static Result heuristic(Instance in, double[] single, int m, int swapRounds, int[] pool, int[] seed,
                            int[] localOptimum) {
        int nc = in.nc;
        int entries = in.entries();
        int size = pool.length;
        Scratch scratch = SCRATCH.get().fit(entries, size, m);
        float[] lat;
        int[] base;
        if (size == nc) { // pool is every candidate in order: use the instance's rows as they are
            lat = in.sub;
            base = in.rowBase;
        } else { // the pool's columns, copied contiguously: the loops below then run over consecutive doubles
            scratch.fitPool(entries, size);
            lat = scratch.lat;
            base = scratch.base;
            for (int e = 0; e < entries; e++) {
                int from = in.rowBase[e];
                int to = e * size;
                base[e] = to;
                for (int q = 0; q < size; q++) {
                    lat[to + q] = in.sub[from + pool[q]];
                }
            }
        }
        double[] w = in.w;
        int[] domainUse = new int[KMedian.domainCounts(in).length];
        boolean[] inSet = new boolean[nc];
        int[] chosen = new int[m];
        double[] best = scratch.best;
        Arrays.fill(best, 0, entries, Double.POSITIVE_INFINITY);
        double[] score = scratch.score;
        for (int step = 0; step < m; step++) {
            int pick = -1;
            if (step < seed.length) {
                pick = seed[step];
            } else if (step == 0) {
                for (int p = 0; p < nc; p++) {
                    if (KMedian.domainAllows(in, domainUse, p, -1) && (pick < 0 || single[p] < single[pick])) {
                        pick = p;
                    }
                }
            } else {
                // score[q]: change of the cost when q is added (only entries closer to q than to the set gain)
                Arrays.fill(score, 0, size, 0);
                for (int e = 0; e < entries; e++) {
                    int rb = base[e];
                    double we = w[e];
                    double b = best[e];
                    for (int q = 0; q < size; q++) {
                        double l = lat[rb + q];
                        score[q] += we * (Math.min(l, b) - b);
                    }
                }
                int pickQ = -1;
                for (int q = 0; q < size; q++) {
                    int p = pool[q];
                    if (!inSet[p] && KMedian.domainAllows(in, domainUse, p, -1) && (pickQ < 0 || score[q] < score[pickQ])) {
                        pickQ = q;
                    }
                }
                if (pickQ < 0) { // the pool is exhausted under the domain limits: fall back to every candidate
                    for (int p = 0; p < nc; p++) {
                        if (!inSet[p] && KMedian.domainAllows(in, domainUse, p, -1)) {
                            pick = p;
                            break;
                        }
                    }
                } else {
                    pick = pool[pickQ];
                }
            }
            if (pick < 0) {
                return null;
            }
            inSet[pick] = true;
            chosen[step] = pick;
            int d = in.domainOf[pick];
            if (d >= 0) {
                domainUse[d]++;
            }
            for (int e = 0; e < entries; e++) {
                best[e] = Math.min(best[e], in.at(e, pick));
            }
        }
        double[] near = scratch.near;     // latency to the nearest chosen node
        double[] second = scratch.second; // ... and to the second nearest (+inf when m = 1)
        int[] nearSlot = scratch.nearSlot;
        double current = nearest(in, chosen, near, second, nearSlot, entries);
        // Cost after swapping slot s out and pool[q] in: every entry another slot serves stays at min(its nearest, q),
        // and every entry s serves falls back to min(its second nearest, q). Per slot s, stay[s * size + q] sums the
        // first over s's entries and lose[s * size + q] the second, so one entries x pool pass with two minima per
        // cell prices every (slot, candidate) pair: cost = lose[s][q] + sum over slots t != s of stay[t][q].
        double[] stay = scratch.stay;
        double[] lose = scratch.lose;
        double[] others = scratch.others;
        for (int round = 0; round < swapRounds; round++) {
            if (localOptimum != null && sameSet(chosen, localOptimum)) {
                break;
            }
            Arrays.fill(stay, 0, m * size, 0);
            Arrays.fill(lose, 0, m * size, 0);
            for (int e = 0; e < entries; e++) {
                int rb = base[e];
                double we = w[e];
                double a = near[e];
                double b = second[e];
                int off = nearSlot[e] * size;
                // Two loops, each writing one array: the compiler cannot tell two double[] apart, and vectorizes
                // a loop only when its stores cannot overlap its other accesses. Math.min is branch-free.
                for (int q = 0; q < size; q++) {
                    stay[off + q] += we * Math.min(lat[rb + q], a);
                }
                for (int q = 0; q < size; q++) {
                    lose[off + q] += we * Math.min(lat[rb + q], b);
                }
            }
            double bestSwap = current;
            int bestOut = -1;
            int bestIn = -1;
            double margin = 1e-9 * Math.max(1, Math.abs(current));
            for (int slot = 0; slot < m; slot++) {
                othersThan(stay, slot, m, size, others);
                int off = slot * size;
                for (int q = 0; q < size; q++) {
                    double c = others[q] + lose[off + q];
                    if (c < bestSwap - margin) {
                        int p = pool[q];
                        if (!inSet[p] && KMedian.domainAllows(in, domainUse, p, chosen[slot])) {
                            bestSwap = c;
                            bestOut = slot;
                            bestIn = p;
                        }
                    }
                }
            }
            if (bestOut < 0) {
                break;
            }
            int out = chosen[bestOut];
            inSet[out] = false;
            inSet[bestIn] = true;
            int dOut = in.domainOf[out];
            if (dOut >= 0) {
                domainUse[dOut]--;
            }
            int dIn = in.domainOf[bestIn];
            if (dIn >= 0) {
                domainUse[dIn]++;
            }
            chosen[bestOut] = bestIn;
            double next = nearest(in, chosen, near, second, nearSlot, entries);
            if (!(next < current)) { // rounding in the priced swap: stop rather than cycle
                current = next;
                break;
            }
            current = next;
        }
        int[] sorted = chosen.clone();
        Arrays.sort(sorted);
        return new Result(sorted, current, false);
    }

    /** {@code out[q]}: the sum over every slot but {@code slot} of {@code stay[t * size + q]}, in slot order. */
    private static void othersThan(double[] stay, int slot, int m, int size, double[] out) {
        Arrays.fill(out, 0, size, 0);
        for (int t = 0; t < m; t++) {
            if (t != slot) {
                int off = t * size;
                for (int q = 0; q < size; q++) {
                    out[q] += stay[off + q];
                }
            }
        }
    }

    /** Whether {@code chosen} (any order) holds exactly the nodes of {@code sorted}. */
    private static boolean sameSet(int[] chosen, int[] sorted) {
        if (chosen.length != sorted.length) {
            return false;
        }
        for (int c : chosen) {
            if (Arrays.binarySearch(sorted, c) < 0) {
                return false;
            }
        }
        return true;
    }

    /** Fills each entry's nearest and second-nearest chosen latency and the nearest's slot; returns the cost. */
    private static double nearest(Instance in, int[] chosen, double[] near, double[] second, int[] nearSlot,
                                  int entries) {
        double sum = 0;
        for (int e = 0; e < entries; e++) {
            double a = Double.POSITIVE_INFINITY;
            double b = Double.POSITIVE_INFINITY;
            int s = 0;
            for (int slot = 0; slot < chosen.length; slot++) {
                double l = in.at(e, chosen[slot]);
                if (l < a) {
                    b = a;
                    a = l;
                    s = slot;
                } else if (l < b) {
                    b = l;
                }
            }
            near[e] = a;
            second[e] = b;
            nearSlot[e] = s;
            sum += in.w[e] * a;
        }
        return sum;
    }
}
