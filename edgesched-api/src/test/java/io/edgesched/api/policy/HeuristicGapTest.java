package io.edgesched.api.policy;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Measures how far greedy + swap lands from the optimum on random instances larger than the exact limit
 * would normally allow, against an independent brute force. Prints a table (copied into docs/engine.md).
 */
class HeuristicGapTest {

    record Gap(int n, int k, int instances, double meanPercent, double maxPercent, int optimalCount) {
    }

    static Gap measure(long seed, int n, int k, int instances, int swapRounds) {
        return measure(seed, n, k, instances, swapRounds, PolicyConfig.DEFAULT_NEAREST_CANDIDATES);
    }

    /** @param nearest nearest nodes per entry searched (the policy's shortlist on large instances), 0 = all nodes */
    static Gap measure(long seed, int n, int k, int instances, int swapRounds, int nearest) {
        return measure(seed, n, k, instances, swapRounds, nearest, false);
    }

    /**
     * @param clustered nodes in sqrt(n) regions, at most 40 entries, 70 % of them in one home region, the rest
     *                  anywhere (the simulator's shape); else nodes uniform on the plane and 1..n entries
     */
    static Gap measure(long seed, int n, int k, int instances, int swapRounds, int nearest, boolean clustered) {
        Random rnd = new Random(seed);
        double sum = 0;
        double max = 0;
        int optimal = 0;
        int shortlisted = 0;
        for (int t = 0; t < instances; t++) {
            int entries = clustered ? 1 + rnd.nextInt(40) : 1 + rnd.nextInt(n);
            double[] lat = new double[n * n];
            // nodes on a plane, latency = distance + noise: realistic metric-ish instances
            double[] x = new double[n];
            double[] y = new double[n];
            int regions = (int) Math.round(Math.sqrt(n));
            double[] rx = new double[regions];
            double[] ry = new double[regions];
            for (int r = 0; clustered && r < regions; r++) {
                rx[r] = rnd.nextDouble() * 10_000;
                ry[r] = rnd.nextDouble() * 10_000;
            }
            for (int i = 0; i < n; i++) {
                if (clustered) {
                    x[i] = rx[i % regions] + rnd.nextGaussian() * 300;
                    y[i] = ry[i % regions] + rnd.nextGaussian() * 300;
                } else {
                    x[i] = rnd.nextDouble() * 10_000;
                    y[i] = rnd.nextDouble() * 10_000;
                }
            }
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    lat[i * n + j] = i == j ? 0 : Math.hypot(x[i] - x[j], y[i] - y[j]) + rnd.nextInt(500);
                }
            }
            int[] rows = new int[entries];
            double[] w = new double[entries];
            int home = clustered ? rnd.nextInt(regions) : 0;
            for (int e = 0; e < entries; e++) {
                rows[e] = clustered && rnd.nextDouble() < 0.7 ? home + regions * rnd.nextInt((n - 1 - home) / regions + 1)
                        : rnd.nextInt(n);
                w[e] = Math.pow(rnd.nextDouble(), 3) * 100 + 0.01; // skewed demand
            }
            int[] cands = new int[n];
            for (int i = 0; i < n; i++) {
                cands[i] = i;
            }
            if (swapRounds > 0 && nearest > 0) {
                // as the policy does on large instances: entries and their nearest nodes only, if that saves half
                int[] near = KMedian.nearCandidates(NodeGeometry.ofDense(lat, n, nearest), rows, w, nearest, cands,
                        new int[0], new boolean[entries]);
                if (n > LatencyAwarePolicy.SMALL_FACTOR * nearest && near.length >= k && 2 * near.length <= n) {
                    cands = near;
                    shortlisted++;
                }
            }
            int[] domains = new int[cands.length];
            Arrays.fill(domains, -1);
            KMedian.Instance in = KMedian.Instance.of(lat, n, rows, w, cands, domains, Integer.MAX_VALUE);
            double heuristic = swapRounds == 0
                    ? KMedianSwap.heuristic(in, KMedian.singleCosts(in), k, 0, KMedian.shortlist(in, KMedian.singleCosts(in), n), new int[0]).cost()
                    : KMedian.solve(in, KMedian.singleCosts(in), k, cands.length < n ? 0 : 1, swapRounds,
                            cands.length < n ? cands.length : LatencyAwarePolicy.SWAP_SHORTLIST).cost();
            double best = bruteForce(lat, n, rows, w, k);
            double gap = best > 0 ? (heuristic - best) / best * 100 : (heuristic > 1e-9 ? 100 : 0);
            assertThat(heuristic).isGreaterThanOrEqualTo(best - 1e-6 * Math.max(1, best));
            sum += gap;
            max = Math.max(max, gap);
            if (gap < 1e-9) {
                optimal++;
            }
        }
        if (shortlisted > 0) {
            System.out.printf(Locale.ROOT, "%d nodes, k = %d: %d of %d instances searched a nearest-node shortlist%n",
                    n, k, shortlisted, instances);
        }
        return new Gap(n, k, instances, sum / instances, max, optimal);
    }

    /** All k-subsets, written without the policy's code. */
    static double bruteForce(double[] lat, int n, int[] rows, double[] w, int k) {
        int[] idx = new int[k];
        for (int i = 0; i < k; i++) {
            idx[i] = i;
        }
        double best = Double.POSITIVE_INFINITY;
        while (true) {
            double cost = 0;
            for (int e = 0; e < rows.length; e++) {
                double m = Double.POSITIVE_INFINITY;
                for (int c : idx) {
                    m = Math.min(m, lat[rows[e] * n + c]);
                }
                cost += w[e] * m;
            }
            best = Math.min(best, cost);
            int i = k - 1;
            while (i >= 0 && idx[i] == n - k + i) {
                i--;
            }
            if (i < 0) {
                return best;
            }
            idx[i]++;
            for (int j = i + 1; j < k; j++) {
                idx[j] = idx[j - 1] + 1;
            }
        }
    }

    @Test
    void greedyPlusSwapStaysCloseToTheOptimum() {
        List<Gap> gaps = new ArrayList<>();
        // {nodes, k, instances}; 200 nodes exceed the swap shortlist (128), so that path is measured too
        int[][] sizes = {{12, 2, 100}, {16, 3, 100}, {20, 4, 100}, {25, 5, 60}, {30, 3, 100}, {40, 4, 30}, {60, 3, 30},
                {200, 2, 20}};
        for (int[] s : sizes) {
            gaps.add(measure(42 + s[0] * 31L + s[1], s[0], s[1], s[2], 50));
        }
        // clustered like the simulator, above the size where the policy searches a nearest-node shortlist
        int[][] clusteredSizes = {{300, 2, 20}, {300, 3, 8}};
        for (int[] s : clusteredSizes) {
            gaps.add(measure(77 + s[0] * 31L + s[1], s[0], s[1], s[2], 50, PolicyConfig.DEFAULT_NEAREST_CANDIDATES, true));
            Gap all = measure(77 + s[0] * 31L + s[1], s[0], s[1], s[2], 50, 0, true);
            System.out.printf(Locale.ROOT, "clustered %d nodes, k = %d, searching every node: mean %.3f%% max %.2f%% optimal %d/%d%n",
                    s[0], s[1], all.meanPercent(), all.maxPercent(), all.optimalCount(), all.instances());
        }
        StringBuilder table = new StringBuilder("| nodes | k | instances | mean gap % | max gap % | optimal |\n|---|---|---|---|---|---|\n");
        int row = 0;
        double worst = 0;
        double meanOfMeans = 0;
        for (Gap g : gaps) {
            table.append(String.format(Locale.ROOT, "| %d%s | %d | %d | %.3f | %.2f | %d/%d |%n", g.n(),
                    row++ >= sizes.length ? " clustered" : "", g.k(), g.instances(),
                    g.meanPercent(), g.maxPercent(), g.optimalCount(), g.instances()));
            worst = Math.max(worst, g.maxPercent());
            meanOfMeans += g.meanPercent() / gaps.size();
        }
        System.out.print("greedy + swap vs brute force\n" + table);
        assertThat(meanOfMeans).isLessThan(1.0);
        assertThat(worst).isLessThan(10.0);
    }

    @Test
    void greedyAloneIsWorseThanWithSwaps() {
        Gap withSwaps = measure(7, 20, 4, 60, 50);
        Gap greedyOnly = measure(7, 20, 4, 60, 0);
        System.out.printf(Locale.ROOT, "greedy only: mean %.3f%% max %.2f%%; with swaps: mean %.3f%% max %.2f%%%n",
                greedyOnly.meanPercent(), greedyOnly.maxPercent(), withSwaps.meanPercent(), withSwaps.maxPercent());
        assertThat(withSwaps.meanPercent()).isLessThanOrEqualTo(greedyOnly.meanPercent());
        assertThat(withSwaps.optimalCount()).isGreaterThanOrEqualTo(greedyOnly.optimalCount());
    }
}
