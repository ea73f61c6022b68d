package io.edgesched.api.policy;

import io.edgesched.api.policy.KMedian.Instance;
import io.edgesched.api.policy.KMedian.Result;

import java.util.Arrays;

/** The exact k-median solver: enumerates every domain-feasible combination of m candidates. */
final class KMedianExact {
    private KMedianExact() {
    }

    static Result exact(Instance in, int m) {
        Enumeration en = new Enumeration(in, m);
        en.run(0, 0);
        return en.bestChosen == null ? null : new Result(en.bestChosen, en.bestCost, true);
    }

    private static final class Enumeration {
        final Instance in;
        final int m;
        final int entries;
        final double[] byCandidate; // candidate-major copy: byCandidate[p * entries + e]
        final int[] current;
        final double[][] minAt;     // minAt[depth][e]: min latency over the first depth chosen nodes
        final int[] domainUse;
        int[] bestChosen;
        double bestCost = Double.POSITIVE_INFINITY;

        Enumeration(Instance in, int m) {
            this.in = in;
            this.m = m;
            this.entries = in.entries();
            this.byCandidate = new double[in.nc * entries];
            for (int e = 0; e < entries; e++) {
                for (int p = 0; p < in.nc; p++) {
                    byCandidate[p * entries + e] = in.at(e, p);
                }
            }
            this.current = new int[m];
            this.minAt = new double[m + 1][entries];
            Arrays.fill(minAt[0], Double.POSITIVE_INFINITY);
            this.domainUse = new int[KMedian.domainCounts(in).length];
        }

        void run(int depth, int from) {
            if (depth == m) {
                double sum = 0;
                double[] mins = minAt[m];
                for (int e = 0; e < entries; e++) {
                    sum += in.w[e] * mins[e];
                }
                if (sum < bestCost) {
                    bestCost = sum;
                    bestChosen = current.clone();
                }
                return;
            }
            for (int p = from; p <= in.nc - (m - depth); p++) {
                int d = in.domainOf[p];
                if (d >= 0 && domainUse[d] >= in.maxPerDomain) {
                    continue;
                }
                double[] prev = minAt[depth];
                double[] next = minAt[depth + 1];
                int base = p * entries;
                for (int e = 0; e < entries; e++) {
                    next[e] = Math.min(prev[e], byCandidate[base + e]);
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
}
