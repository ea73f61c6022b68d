package io.edgesched.api.demand;

import io.edgesched.api.NodeId;
import io.edgesched.api.WorkloadId;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

class ViewBuilderTest {
    private static final ViewBuilder.Decay UNDECAYED = (t, slot, tick) -> t.rate(slot);

    /** Node names in an order unlike their indices, so entries must be put in name order. */
    private static List<NodeId> nodes(int count) {
        List<NodeId> nodes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            nodes.add(NodeId.of("node-" + (char) ('z' - i % 26) + i));
        }
        return nodes;
    }

    private static List<WorkloadId> workloads(int count) {
        List<WorkloadId> out = new ArrayList<>();
        for (int w = 0; w < count; w++) {
            out.add(WorkloadId.of("ns", "app-" + w));
        }
        return out;
    }

    @Test
    void sumsEachWorkloadsAggregatesPerEntryNodeInNodeNameOrder() {
        List<NodeId> nodes = nodes(3);
        List<WorkloadId> workloads = workloads(3);
        AggregateTable t = new AggregateTable(16, false);
        addClient(t, 0, 2, 1, 4f, 1000f);
        addClient(t, 0, 2, 2, 1f, Float.NaN); // RTT unknown: counts in the rate, not in the mean RTT
        addClient(t, 0, 0, 3, 2f, 3000f);
        addClient(t, 2, 1, 4, 0f, 500f);     // no rate: not in the view
        List<WorkloadDemand> view = new ViewBuilder(UNDECAYED).build(t, 0, workloads, nodes, 1);

        assertThat(view).hasSize(1);
        WorkloadDemand d = view.get(0);
        assertThat(d.workload()).isEqualTo(workloads.get(0));
        // node-x2 (index 2) sorts before node-z0 (index 0)
        assertThat(d.entries()).containsExactly(
                new EntryDemand(nodes.get(2), 5.0, 1000.0, 2),
                new EntryDemand(nodes.get(0), 2.0, 3000.0, 1));
    }

    @Test
    void theViewDoesNotDependOnHowManyPartsSumIt() {
        Random rnd = new Random(7);
        List<NodeId> nodes = nodes(40);
        List<WorkloadId> workloads = workloads(60);
        AggregateTable t = new AggregateTable(1000, false);
        for (int c = 0; c < 20_000; c++) {
            // rates of very different sizes, so a different summation order would show in the last bits
            float rate = rnd.nextInt(4) == 0 ? 0f : (float) Math.scalb(rnd.nextDouble(), rnd.nextInt(40) - 20);
            addClient(t, rnd.nextInt(workloads.size()), rnd.nextInt(nodes.size()), c, rate,
                    rnd.nextInt(5) == 0 ? Float.NaN : rnd.nextFloat() * 10_000);
        }
        List<WorkloadDemand> one = new ViewBuilder(UNDECAYED).build(t, 0, workloads, nodes, 1);
        ViewBuilder reused = new ViewBuilder(UNDECAYED);
        for (int parts : new int[] {2, 3, 8, 32, 2}) {
            assertThat(reused.build(t, 0, workloads, nodes, parts)).as("%d parts", parts).isEqualTo(one);
        }
        assertThat(one).isEqualTo(slotBySlot(t, workloads, nodes));
    }

    /** The view summed the obvious way: slot by slot, into a map per (workload, node). */
    private static List<WorkloadDemand> slotBySlot(AggregateTable t, List<WorkloadId> workloads, List<NodeId> nodes) {
        Map<Integer, Map<Integer, double[]>> sums = new TreeMap<>();
        for (int i = 0; i < t.capacity(); i++) {
            if (t.workload(i) < 0 || !(t.rate(i) > 0)) {
                continue;
            }
            double[] s = sums.computeIfAbsent(t.workload(i), w -> new HashMap<>())
                    .computeIfAbsent(AggregateTable.nodeOf(t.nodeMeta(i)), n -> new double[4]);
            double r = t.rate(i);
            s[0] += r;
            s[3]++;
            if (!Float.isNaN(t.rtt(i))) {
                s[1] += r;
                s[2] += r * t.rtt(i);
            }
        }
        List<WorkloadDemand> out = new ArrayList<>();
        sums.forEach((w, perNode) -> {
            List<EntryDemand> entries = new ArrayList<>();
            perNode.forEach((n, s) -> entries.add(new EntryDemand(nodes.get(n), s[0],
                    s[1] > 0 ? s[2] / s[1] : Double.NaN, (int) s[3])));
            out.add(new WorkloadDemand(workloads.get(w), entries));
        });
        return out;
    }

    private static void addClient(AggregateTable t, int workload, int node, long client, float rate, float rtt) {
        int slot = t.insert(workload, AggregateTable.meta(node, 32, false), 0, client, 0);
        t.setRate(slot, rate, 0);
        t.setRtt(slot, rtt);
    }
}
