package io.edgesched.api.policy;

import io.edgesched.api.demand.WorkloadDemand;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The nearest-node shortlist of large instances: neighbour lists, the k = 1 optimality proof, policy results. */
class NearestShortlistTest {

    private static double[] plane(Random rnd, int n) {
        double[] x = new double[n];
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = rnd.nextDouble() * 10_000;
            y[i] = rnd.nextDouble() * 10_000;
        }
        double[] lat = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                lat[i * n + j] = i == j ? 0 : Math.round(Math.hypot(x[i] - x[j], y[i] - y[j])) + rnd.nextInt(3) * 100;
            }
        }
        return lat;
    }

    @Test
    void neighbourListsHoldTheNearestNodesInOrder() {
        Random rnd = new Random(3);
        int n = 60;
        double[] lat = plane(rnd, n);
        NodeGeometry g = NodeGeometry.ofDense(lat, n, 8);
        for (int i = 0; i < n; i++) {
            int[] list = Arrays.copyOfRange(g.neighbours, i * 8, i * 8 + 8);
            assertThat(Arrays.stream(list).distinct().count()).isEqualTo(8);
            for (int r = 1; r < 8; r++) {
                double prev = lat[i * n + list[r - 1]];
                double cur = lat[i * n + list[r]];
                assertThat(prev < cur || prev == cur && list[r - 1] < list[r]).isTrue();
            }
            double last = g.radius(i, 7);
            for (int j = 0; j < n; j++) {
                int node = j;
                if (Arrays.stream(list).noneMatch(v -> v == node)) {
                    assertThat(lat[i * n + j]).isGreaterThanOrEqualTo(last);
                }
            }
        }
        assertThat(g.hubs).hasSize(16).doesNotHaveDuplicates().isSorted();
    }

    /** Where the lower bound says the shortlist's best single node is optimal, it is (checked over all nodes). */
    @Test
    void singleNodeProofIsSound() {
        Random rnd = new Random(11);
        int proven = 0;
        for (int t = 0; t < 200; t++) {
            int n = 100 + rnd.nextInt(100);
            double[] lat = plane(rnd, n);
            int entries = 1 + rnd.nextInt(12);
            int[] rows = new int[entries];
            double[] w = new double[entries];
            for (int e = 0; e < entries; e++) {
                rows[e] = rnd.nextInt(n);
                w[e] = 0.01 + rnd.nextDouble() * 10;
            }
            int[] all = new int[n];
            Arrays.setAll(all, i -> i);
            NodeGeometry g = NodeGeometry.ofDense(lat, n, 16);
            boolean[] expanded = new boolean[entries];
            int[] near = KMedian.nearCandidates(g, rows, w, 16, all, new int[0], expanded);
            int[] domains = new int[near.length];
            Arrays.fill(domains, -1);
            double[] single = KMedian.singleCosts(KMedian.Instance.of(lat, n, rows, w, near, domains, Integer.MAX_VALUE));
            double best = Arrays.stream(single).min().orElseThrow();
            double optimum = Double.POSITIVE_INFINITY;
            for (int c = 0; c < n; c++) {
                double cost = 0;
                for (int e = 0; e < entries; e++) {
                    cost += w[e] * lat[rows[e] * n + c];
                }
                optimum = Math.min(optimum, cost);
            }
            assertThat(best).isGreaterThanOrEqualTo(optimum - 1e-9 * optimum);
            if (best < KMedian.outsideLowerBound(g, rows, w, 16, expanded)) {
                proven++;
                assertThat(best).isCloseTo(optimum, within(1e-9 * Math.max(1, optimum)));
            }
        }
        assertThat(proven).isGreaterThan(0);
    }

    /** Through the policy: a result marked exact is the optimum; any other is feasible and no better than it. */
    @Property(tries = 25)
    void policyResultsOnShortlistsAreHonest(@ForAll long seed) {
        RandomInstance inst = new RandomInstance(new Random(seed), 120, 4, 2, false, 0.2);
        PlacementPlan plan = new LatencyAwarePolicy(RandomInstance.config().withNearestCandidates(4))
                .plan(inst.input(MoveGate.ANY_IMPROVEMENT));
        for (WorkloadDecision d : plan.decisions()) {
            WorkloadSpec spec = inst.specs.stream().filter(s -> s.workload().equals(d.workload())).findFirst().orElseThrow();
            WorkloadDemand demand = inst.demands.stream().filter(x -> x.workload().equals(d.workload())).findFirst().orElseThrow();
            if (demand.entries().isEmpty()) {
                continue;
            }
            double optimum = inst.bruteForceOptimum(spec, demand);
            double tolerance = 1e-6 * Math.max(1, optimum);
            if (d.reason() == DecisionReason.MOVE) {
                List<Integer> target = inst.indices(d.target());
                assertThat(target).hasSize(spec.replicas());
                assertThat(d.targetCostMicros()).isCloseTo(inst.meanCost(demand, target), within(tolerance));
                assertThat(d.targetCostMicros()).isGreaterThanOrEqualTo(optimum - tolerance);
                if (d.explanation().exact()) {
                    assertThat(d.targetCostMicros()).isCloseTo(optimum, within(tolerance));
                }
            } else if (d.reason() == DecisionReason.HOLD_AT_OPTIMUM && d.explanation().exact()) {
                assertThat(inst.meanCost(demand, inst.indices(d.current()))).isLessThanOrEqualTo(optimum + tolerance);
            }
        }
    }
}
