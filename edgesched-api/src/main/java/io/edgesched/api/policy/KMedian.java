package io.edgesched.api.policy;

import java.util.Arrays;

/**
 * Chooses m distinct nodes minimising sum over entries e of w[e] * min over chosen c of lat(e, c)
 * (weighted k-median restricted to the entries' rows). Exact by enumeration when the number of
 * combinations is small, else greedy construction plus best-improvement swaps. All loops run
 * entry-outer / candidate-inner over contiguous rows of the dense matrix. Deterministic: ties go to the
 * lowest candidate index.
 */
final class KMedian {
    private KMedian() {
    }

    /** The problem, with entries already reduced to rows of the dense latency matrix. */
    record Instance(double[] lat, int n, int[] rows, double[] w, int[] cands, int[] domainOf, int maxPerDomain) {
        int entries() {
            return rows.length;
        }

        double at(int entry, int candPos) {
            return lat[rows[entry] * n + cands[candPos]];
        }
    }

    /** Chosen candidate positions (into {@code cands}), sorted, and whether the result is proven optimal. */
    record Result(int[] chosen, double cost, boolean exact) {
    }

    /** Number of distinct nodes that can be chosen at most, given the domain limit. */
    static int maxDistinct(Instance in, int k) {
        int nc = in.cands().length;
        if (in.maxPerDomain() >= k) {
            return Math.min(k, nc);
        }
        int[] perDomain = domainCounts(in);
        long total = 0;
        int unlabelled = 0;
        for (int p = 0; p < nc; p++) {
            if (in.domainOf()[p] < 0) {
                unlabelled++;
            }
        }
        for (int c : perDomain) {
            total += Math.min(c, in.maxPerDomain());
        }
        return (int) Math.min(k, total + unlabelled);
    }

    private static int[] domainCounts(Instance in) {
        int max = -1;
        for (int d : in.domainOf()) {
            max = Math.max(max, d);
        }
        int[] counts = new int[max + 1];
        for (int d : in.domainOf()) {
            if (d >= 0) {
                counts[d]++;
            }
        }
        return counts;
    }

    static double combinations(int n, int m) {
        double c = 1;
        for (int i = 0; i < m; i++) {
            c = c * (n - i) / (i + 1);
        }
        return c;
    }

    static Result solve(Instance in, int m, int exactLimit, int swapRounds) {
        if (m <= 0 || in.cands().length == 0) {
            return null;
        }
        if (combinations(in.cands().length, m) <= exactLimit) {
            return exact(in, m);
        }
        return heuristic(in, m, swapRounds);
    }

    /** Cost of every candidate as the only chosen node, indexed by candidate position. */
    static double[] singleCosts(Instance in) {
        int nc = in.cands().length;
        double[] cost = new double[nc];
        for (int e = 0; e < in.entries(); e++) {
            int base = in.rows()[e] * in.n();
            double w = in.w()[e];
            int[] cands = in.cands();
            double[] lat = in.lat();
            for (int p = 0; p < nc; p++) {
                cost[p] += w * lat[base + cands[p]];
            }
        }
        return cost;
    }

    static double cost(Instance in, int[] chosen) {
        double sum = 0;
        for (int e = 0; e < in.entries(); e++) {
            double best = Double.POSITIVE_INFINITY;
            for (int p : chosen) {
                best = Math.min(best, in.at(e, p));
            }
            sum += in.w()[e] * best;
        }
        return sum;
    }

    // ---- exact ----

    static Result exact(Instance in, int m) {
        Enumeration en = new Enumeration(in, m);
        en.run(0, 0);
        return en.bestChosen == null ? null : new Result(en.bestChosen, en.bestCost, true);
    }

    private static final class Enumeration {
        final Instance in;
        final int m;
        final int[] current;
        final double[][] minAt;   // minAt[depth][e]: min latency over the first depth chosen nodes
        final int[] domainUse;
        int[] bestChosen;
        double bestCost = Double.POSITIVE_INFINITY;

        Enumeration(Instance in, int m) {
            this.in = in;
            this.m = m;
            this.current = new int[m];
            this.minAt = new double[m + 1][in.entries()];
            Arrays.fill(minAt[0], Double.POSITIVE_INFINITY);
            this.domainUse = new int[domainCounts(in).length];
        }

        void run(int depth, int from) {
            int nc = in.cands().length;
            if (depth == m) {
                double sum = 0;
                double[] mins = minAt[m];
                for (int e = 0; e < mins.length; e++) {
                    sum += in.w()[e] * mins[e];
                }
                if (sum < bestCost) {
                    bestCost = sum;
                    bestChosen = current.clone();
                }
                return;
            }
            for (int p = from; p <= nc - (m - depth); p++) {
                int d = in.domainOf()[p];
                if (d >= 0 && domainUse[d] >= in.maxPerDomain()) {
                    continue;
                }
                double[] prev = minAt[depth];
                double[] next = minAt[depth + 1];
                for (int e = 0; e < prev.length; e++) {
                    next[e] = Math.min(prev[e], in.at(e, p));
                }
                current[depth] = p;
                if (d >= 0) {
                    domainUse[d]++;
                }
                run(depth + 1, p + 1);
                if (d >= 0) {
                    domainUse[d]--;
                }
            }
        }
    }

    // ---- heuristic: greedy add, then best-improvement swaps ----

    static Result heuristic(Instance in, int m, int swapRounds) {
        int nc = in.cands().length;
        int entries = in.entries();
        double[] lat = in.lat();
        int n = in.n();
        int[] cands = in.cands();
        int[] domainUse = new int[domainCounts(in).length];
        boolean[] inSet = new boolean[nc];
        int[] chosen = new int[m];
        double[] best = new double[entries];
        Arrays.fill(best, Double.POSITIVE_INFINITY);
        double[] score = new double[nc];
        for (int step = 0; step < m; step++) {
            Arrays.fill(score, 0);
            for (int e = 0; e < entries; e++) {
                int base = in.rows()[e] * n;
                double w = in.w()[e];
                double b = best[e];
                for (int p = 0; p < nc; p++) {
                    score[p] += w * Math.min(b, lat[base + cands[p]]);
                }
            }
            int pick = -1;
            for (int p = 0; p < nc; p++) {
                if (inSet[p] || !domainAllows(in, domainUse, p, -1)) {
                    continue;
                }
                if (pick < 0 || score[p] < score[pick]) {
                    pick = p;
                }
            }
            if (pick < 0) {
                return null;
            }
            inSet[pick] = true;
            chosen[step] = pick;
            int d = in.domainOf()[pick];
            if (d >= 0) {
                domainUse[d]++;
            }
            for (int e = 0; e < entries; e++) {
                best[e] = Math.min(best[e], in.at(e, pick));
            }
        }
        double current = cost(in, chosen);
        double[] alt = new double[entries];
        double[] swapCost = new double[nc];
        for (int round = 0; round < swapRounds; round++) {
            double bestSwap = current;
            int bestOut = -1;
            int bestIn = -1;
            for (int slot = 0; slot < m; slot++) {
                // alt[e]: best latency for e over the chosen set without chosen[slot]
                Arrays.fill(alt, Double.POSITIVE_INFINITY);
                for (int other = 0; other < m; other++) {
                    if (other == slot) {
                        continue;
                    }
                    for (int e = 0; e < entries; e++) {
                        alt[e] = Math.min(alt[e], in.at(e, chosen[other]));
                    }
                }
                Arrays.fill(swapCost, 0);
                for (int e = 0; e < entries; e++) {
                    int base = in.rows()[e] * n;
                    double w = in.w()[e];
                    double a = alt[e];
                    for (int p = 0; p < nc; p++) {
                        swapCost[p] += w * Math.min(a, lat[base + cands[p]]);
                    }
                }
                for (int p = 0; p < nc; p++) {
                    if (inSet[p] || !domainAllows(in, domainUse, p, chosen[slot])) {
                        continue;
                    }
                    if (swapCost[p] < bestSwap - 1e-9 * Math.max(1, Math.abs(bestSwap))) {
                        bestSwap = swapCost[p];
                        bestOut = slot;
                        bestIn = p;
                    }
                }
            }
            if (bestOut < 0) {
                break;
            }
            int out = chosen[bestOut];
            inSet[out] = false;
            inSet[bestIn] = true;
            int dOut = in.domainOf()[out];
            if (dOut >= 0) {
                domainUse[dOut]--;
            }
            int dIn = in.domainOf()[bestIn];
            if (dIn >= 0) {
                domainUse[dIn]++;
            }
            chosen[bestOut] = bestIn;
            current = cost(in, chosen);
        }
        int[] sorted = chosen.clone();
        Arrays.sort(sorted);
        return new Result(sorted, current, false);
    }

    /** Whether adding candidate p (after removing candidate position {@code leaving}, or -1) respects the domain limit. */
    private static boolean domainAllows(Instance in, int[] domainUse, int p, int leaving) {
        int d = in.domainOf()[p];
        if (d < 0) {
            return true;
        }
        int use = domainUse[d];
        if (leaving >= 0 && in.domainOf()[leaving] == d) {
            use--;
        }
        return use < in.maxPerDomain();
    }
}
