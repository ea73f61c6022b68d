package io.edgesched.api.demand;

import io.edgesched.api.NodeId;
import io.edgesched.api.WorkloadId;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Sums a table's live aggregates into per-(workload, entry node) demand without hashing: a counting pass finds how
 * many aggregates each workload has, a second pass copies them into one bucket per workload, and each bucket is
 * summed per node through a node-indexed scratch array. Both passes stream the table; the parts of the table (and
 * then the workloads) go to the common pool's threads and this one.
 *
 * <p>Every pair's sums add its aggregates in slot order, as summing the table slot by slot does, so the view is
 * the same whatever the number of threads. Buffers stay for the next view (a round's view holds about a million
 * aggregates at 10k workloads).
 */
final class ViewBuilder {
    /** The decayed rate of a slot at a tick. */
    @FunctionalInterface
    interface Decay {
        double at(AggregateTable t, int slot, int tick);
    }

    private final Decay decay;
    private int[] bucketNode = new int[0];
    private double[] bucketRate = new double[0];
    private float[] bucketRtt = new float[0];
    /** Rank of each node index in {@link NodeId} order, for as many nodes as {@link #rankedNodes}. */
    private int[] nodeRank = new int[0];
    private int rankedNodes;

    ViewBuilder(Decay decay) {
        this.decay = decay;
    }

    long bytes() {
        return 16L * bucketNode.length + 4L * nodeRank.length;
    }

    /** Every workload's entry-node demand at {@code nowTick}, workloads in index order; none for workloads without demand. */
    List<WorkloadDemand> build(AggregateTable t, int nowTick, List<WorkloadId> workloads, List<NodeId> nodes) {
        return build(t, nowTick, workloads, nodes, TableParts.partsFor(t));
    }

    /** The same, in {@code parts} parts (tests compare part counts: the result must not depend on them). */
    List<WorkloadDemand> build(AggregateTable t, int nowTick, List<WorkloadId> workloads, List<NodeId> nodes, int parts) {
        int workloadCount = workloads.size();
        int cap = t.capacity();
        rankNodes(nodes);

        // 1. live aggregates per (part of the table, workload)
        int[][] counts = new int[parts][workloadCount];
        TableParts.inParallel(parts, part -> {
            int[] c = counts[part];
            for (int i = TableParts.from(part, parts, cap), end = TableParts.from(part + 1, parts, cap); i < end; i++) {
                int wl = t.workload(i);
                if (wl >= 0 && decay.at(t, i, nowTick) > 0) {
                    c[wl]++;
                }
            }
        });
        // 2. bucket starts: workload by workload, and within one the parts in table order (so slot order holds)
        int[] bucketStart = new int[workloadCount + 1];
        int total = 0;
        for (int wl = 0; wl < workloadCount; wl++) {
            bucketStart[wl] = total;
            for (int part = 0; part < parts; part++) {
                int c = counts[part][wl];
                counts[part][wl] = total; // from now on: where this part writes its next aggregate of wl
                total += c;
            }
        }
        bucketStart[workloadCount] = total;
        fit(total);
        int[] node = bucketNode;
        double[] rate = bucketRate;
        float[] rtt = bucketRtt;
        TableParts.inParallel(parts, part -> {
            int[] at = counts[part];
            for (int i = TableParts.from(part, parts, cap), end = TableParts.from(part + 1, parts, cap); i < end; i++) {
                int wl = t.workload(i);
                if (wl < 0) {
                    continue;
                }
                double r = decay.at(t, i, nowTick);
                if (r > 0) {
                    int k = at[wl]++;
                    node[k] = AggregateTable.nodeOf(t.nodeMeta(i));
                    rate[k] = r;
                    rtt[k] = t.rtt(i);
                }
            }
        });

        // 3. per workload: sums per node, entries in node order
        @SuppressWarnings("unchecked")
        List<WorkloadDemand>[] results = new List[parts];
        int nodeCount = nodes.size();
        TableParts.inParallel(parts, part -> {
            List<WorkloadDemand> out = new ArrayList<>();
            NodeSums sums = new NodeSums(nodeCount);
            for (int wl = TableParts.from(part, parts, workloadCount), end = TableParts.from(part + 1, parts, workloadCount); wl < end; wl++) {
                int fromK = bucketStart[wl];
                int toK = bucketStart[wl + 1];
                if (fromK == toK) {
                    continue;
                }
                sums.clear();
                for (int k = fromK; k < toK; k++) {
                    sums.add(node[k], rate[k], rtt[k]);
                }
                out.add(new WorkloadDemand(workloads.get(wl), sums.entries(nodes, nodeRank)));
            }
            results[part] = out;
        });
        List<WorkloadDemand> all = new ArrayList<>(workloadCount);
        for (List<WorkloadDemand> r : results) {
            all.addAll(r);
        }
        return all;
    }

    private void fit(int total) {
        if (bucketNode.length < total || bucketNode.length > 4 * Math.max(total, 1024)) {
            int size = total + total / 4;
            bucketNode = new int[size];
            bucketRate = new double[size];
            bucketRtt = new float[size];
        }
    }

    /** Node ranks by name; recomputed only when nodes were added since (node indices never change). */
    private void rankNodes(List<NodeId> nodes) {
        if (rankedNodes == nodes.size()) {
            return;
        }
        Integer[] order = new Integer[nodes.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparing(nodes::get));
        int[] rank = new int[order.length];
        for (int r = 0; r < order.length; r++) {
            rank[order[r]] = r;
        }
        nodeRank = rank;
        rankedNodes = order.length;
    }

    /** One workload's sums per entry node (a thread's scratch, cleared per workload). */
    private static final class NodeSums {
        private final int[] position; // per node index: its place in the arrays below, or -1
        private int[] nodeOf = new int[64];
        private double[] rate = new double[64];
        private double[] rttRate = new double[64];
        private double[] rttWeighted = new double[64];
        private int[] clients = new int[64];
        private int size;

        NodeSums(int nodes) {
            position = new int[nodes];
            Arrays.fill(position, -1);
        }

        void clear() {
            for (int p = 0; p < size; p++) {
                position[nodeOf[p]] = -1;
            }
            size = 0;
        }

        void add(int node, double r, float rtt) {
            int p = position[node];
            if (p < 0) {
                p = size++;
                if (p == nodeOf.length) {
                    grow();
                }
                position[node] = p;
                nodeOf[p] = node;
                rate[p] = 0;
                rttRate[p] = 0;
                rttWeighted[p] = 0;
                clients[p] = 0;
            }
            rate[p] += r;
            clients[p]++;
            if (!Float.isNaN(rtt)) {
                rttRate[p] += r;
                rttWeighted[p] += r * rtt;
            }
        }

        /** The entries, ordered by node name (what {@link WorkloadDemand} keeps, so it need not sort). */
        List<EntryDemand> entries(List<NodeId> nodes, int[] rank) {
            long[] order = new long[size];
            for (int p = 0; p < size; p++) {
                order[p] = (long) rank[nodeOf[p]] << 32 | p;
            }
            Arrays.sort(order);
            EntryDemand[] out = new EntryDemand[size];
            for (int j = 0; j < size; j++) {
                int p = (int) order[j];
                double meanRtt = rttRate[p] > 0 ? rttWeighted[p] / rttRate[p] : Double.NaN;
                out[j] = new EntryDemand(nodes.get(nodeOf[p]), rate[p], meanRtt, clients[p]);
            }
            return List.of(out);
        }

        private void grow() {
            int n = nodeOf.length * 2;
            nodeOf = Arrays.copyOf(nodeOf, n);
            rate = Arrays.copyOf(rate, n);
            rttRate = Arrays.copyOf(rttRate, n);
            rttWeighted = Arrays.copyOf(rttWeighted, n);
            clients = Arrays.copyOf(clients, n);
        }
    }
}
