package io.edgesched.api.policy;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class BusiestEntriesTest {
    /** The picks by selection (up to 64 entries) and by sorting (more) equal a plain sorted walk, ties included. */
    @Test
    void picksTheBusiestEntriesInOrderWithinDomainLimits() {
        Random rnd = new Random(5);
        for (int round = 0; round < 500; round++) {
            int n = 20 + rnd.nextInt(120);
            int entries = 1 + rnd.nextInt(Math.min(n, round % 2 == 0 ? 64 : 120));
            double[] lat = new double[n * n];
            List<Integer> nodes = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                nodes.add(i);
            }
            java.util.Collections.shuffle(nodes, rnd);
            int[] rows = new int[entries];
            double[] w = new double[entries];
            for (int e = 0; e < entries; e++) {
                rows[e] = nodes.get(e);
                w[e] = 1 + rnd.nextInt(5); // many ties
            }
            int[] cands = nodes.subList(0, Math.max(1, n - rnd.nextInt(n / 2))).stream().mapToInt(Integer::intValue)
                    .sorted().toArray();
            int[] domainOf = new int[cands.length];
            for (int i = 0; i < domainOf.length; i++) {
                domainOf[i] = rnd.nextInt(4) - 1;
            }
            int maxPerDomain = 1 + rnd.nextInt(2);
            KMedian.Instance in = KMedian.Instance.of(lat, n, rows, w, cands, domainOf, maxPerDomain);
            int m = 1 + rnd.nextInt(3);
            assertThat(KMedian.busiestEntries(in, m)).as("round %d", round).containsExactly(reference(in, m));
        }
    }

    /** When the busiest entries cannot be used (not candidates), picking goes on past them, in the sorted order. */
    @Test
    void picksPastManyUnusableBusyEntries() {
        Random rnd = new Random(9);
        for (int round = 0; round < 50; round++) {
            int n = 300;
            int entries = 100 + rnd.nextInt(150);
            int[] rows = new int[entries];
            double[] w = new double[entries];
            for (int e = 0; e < entries; e++) {
                rows[e] = e; // nodes 0..entries-1
                w[e] = e < 80 ? 100 + rnd.nextInt(3) : 1 + rnd.nextInt(5); // the 80 busiest first, ties included
            }
            int[] cands = new int[n - 80]; // the busiest 80 entries' nodes are not candidates
            for (int i = 0; i < cands.length; i++) {
                cands[i] = 80 + i;
            }
            int[] domainOf = new int[cands.length];
            for (int i = 0; i < domainOf.length; i++) {
                domainOf[i] = rnd.nextInt(3) - 1;
            }
            KMedian.Instance in = KMedian.Instance.of(new double[n * n], n, rows, w, cands, domainOf, 1);
            int m = 1 + rnd.nextInt(3);
            int[] picked = KMedian.busiestEntries(in, m);
            assertThat(picked).as("round %d", round).containsExactly(reference(in, m)).isNotEmpty();
            for (int p : picked) {
                assertThat(in.cands[p]).isGreaterThanOrEqualTo(80);
            }
        }
    }

    private static int[] reference(KMedian.Instance in, int m) {
        Integer[] order = new Integer[in.entries()];
        for (int e = 0; e < order.length; e++) {
            order[e] = e;
        }
        Arrays.sort(order, (a, b) -> a.equals(b) ? 0 : in.w[a] != in.w[b] ? Double.compare(in.w[b], in.w[a]) : a - b);
        List<Integer> picked = new ArrayList<>();
        int[] perDomain = new int[8];
        boolean[] used = new boolean[in.nc];
        for (int e : order) {
            int p = in.entryPos[e];
            if (picked.size() == m || p < 0 || used[p]) {
                continue;
            }
            int d = in.domainOf[p];
            if (d >= 0 && perDomain[d] >= in.maxPerDomain) {
                continue;
            }
            used[p] = true;
            if (d >= 0) {
                perDomain[d]++;
            }
            picked.add(p);
        }
        return picked.stream().mapToInt(Integer::intValue).toArray();
    }
}
