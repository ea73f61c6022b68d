package io.edgesched.api.policy;

import io.edgesched.api.NodeId;
import io.edgesched.api.WorkloadId;
import io.edgesched.api.demand.DemandView;
import io.edgesched.api.demand.EntryDemand;
import io.edgesched.api.demand.WorkloadDemand;
import io.edgesched.api.topology.LabelSelector;
import io.edgesched.api.topology.LatencyMatrix;
import io.edgesched.api.topology.MissingLatency;
import io.edgesched.api.topology.NodeInfo;
import io.edgesched.api.topology.Placement;
import io.edgesched.api.topology.Topology;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Random placement problems for tests: a topology, demand and specs, plus an independent cost function. */
final class RandomInstance {
    static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
    static final double UNKNOWN_MICROS = 4000;

    final List<NodeInfo> nodes = new ArrayList<>();
    final double[][] lat;           // NaN = not measured
    final Topology topology;
    final List<WorkloadSpec> specs = new ArrayList<>();
    final List<WorkloadDemand> demands = new ArrayList<>();

    /**
     * @param constrained add cordoned nodes, a role selector, taints and zone spreading at random
     * @param missing     probability that a directed latency pair is not measured
     */
    RandomInstance(Random rnd, int n, int workloads, int maxReplicas, boolean constrained, double missing) {
        for (int i = 0; i < n; i++) {
            NodeInfo node = NodeInfo.ready(String.format("n%02d", i))
                    .withLabels(Map.of("zone", "z" + rnd.nextInt(3), "role", rnd.nextInt(4) == 0 ? "core" : "edge"));
            if (constrained && rnd.nextInt(8) == 0) {
                node = node.withCordoned(true);
            }
            if (constrained && rnd.nextInt(8) == 0) {
                node = node.withTaints(java.util.Set.of("gpu"));
            }
            nodes.add(node);
        }
        lat = new double[n][n];
        LatencyMatrix.Builder b = LatencyMatrix.builder(nodes.stream().map(NodeInfo::id).toList());
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                lat[i][j] = Double.NaN;
                if (i != j && rnd.nextDouble() >= missing) {
                    lat[i][j] = 100 + rnd.nextInt(5000);
                    b.measure(nodes.get(i).id(), nodes.get(j).id(), lat[i][j]);
                }
            }
        }
        List<Placement> placements = new ArrayList<>();
        for (int w = 0; w < workloads; w++) {
            WorkloadId id = WorkloadId.of("ns", "w" + w);
            int k = 1 + rnd.nextInt(maxReplicas);
            WorkloadSpec spec = WorkloadSpec.of(id, k);
            if (constrained && rnd.nextInt(3) == 0) {
                spec = spec.withNodeSelector(LabelSelector.of("role", "edge"));
            }
            if (constrained && rnd.nextInt(3) == 0) {
                spec = spec.withSpread("zone", 1 + rnd.nextInt(2));
            }
            if (constrained && rnd.nextInt(2) == 0) {
                spec = spec.withTolerations(java.util.Set.of("gpu"));
            }
            specs.add(spec);
            List<EntryDemand> entries = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                if (rnd.nextInt(3) == 0) {
                    double rtt = rnd.nextInt(4) == 0 ? Double.NaN : rnd.nextInt(20_000);
                    entries.add(new EntryDemand(nodes.get(i).id(), 0.1 + rnd.nextDouble() * 100, rtt, 1));
                }
            }
            demands.add(new WorkloadDemand(id, entries));
            List<NodeId> shuffled = new ArrayList<>(nodes.stream().map(NodeInfo::id).toList());
            Collections.shuffle(shuffled, rnd);
            placements.add(Placement.of(id, shuffled.subList(0, Math.min(k, n))));
        }
        topology = new Topology(nodes, b.build(MissingLatency.UNKNOWN), placements);
    }

    static PolicyConfig config() {
        return PolicyConfig.defaults().withUnknownLatencyMicros(UNKNOWN_MICROS).withMinDemandRate(0);
    }

    PlacementInput input(MoveGate gate) {
        return PlacementInput.of(NOW, topology, DemandView.of(NOW, demands), specs, gate);
    }

    int indexOf(NodeId node) {
        for (int i = 0; i < nodes.size(); i++) {
            if (nodes.get(i).id().equals(node)) {
                return i;
            }
        }
        throw new IllegalArgumentException(node.toString());
    }

    /** Mean latency of serving the demand from exactly these nodes, written independently of the policy. */
    double meanCost(WorkloadDemand demand, List<Integer> chosen) {
        double knownRate = 0;
        double knownSum = 0;
        for (EntryDemand e : demand.entries()) {
            if (!Double.isNaN(e.meanRttMicros())) {
                knownRate += e.ratePerSecond();
                knownSum += e.ratePerSecond() * e.meanRttMicros();
            }
        }
        double fallback = knownRate > 0 ? knownSum / knownRate : 0;
        double total = 0;
        double rate = 0;
        for (EntryDemand e : demand.entries()) {
            int from = indexOf(e.entryNode());
            double best = Double.POSITIVE_INFINITY;
            for (int c : chosen) {
                double hop = from == c ? 0 : Double.isNaN(lat[from][c]) ? UNKNOWN_MICROS : lat[from][c];
                best = Math.min(best, hop);
            }
            double rtt = Double.isNaN(e.meanRttMicros()) ? fallback : e.meanRttMicros();
            total += e.ratePerSecond() * (rtt + best);
            rate += e.ratePerSecond();
        }
        return total / rate;
    }

    boolean allowed(WorkloadSpec spec, int node) {
        NodeInfo info = nodes.get(node);
        return info.ready() && !info.cordoned() && spec.tolerations().containsAll(info.taints())
                && spec.nodeSelector().matches(info.labels());
    }

    boolean spreadOk(WorkloadSpec spec, List<Integer> chosen) {
        if (spec.spreadLabel().isEmpty()) {
            return true;
        }
        Map<String, Integer> perZone = new java.util.HashMap<>();
        for (int c : chosen) {
            if (perZone.merge(nodes.get(c).labels().get(spec.spreadLabel().get()), 1, Integer::sum)
                    > spec.maxReplicasPerDomain()) {
                return false;
            }
        }
        return true;
    }

    /** Brute force over all k-subsets of nodes: the optimal mean cost, or NaN when nothing is feasible. */
    double bruteForceOptimum(WorkloadSpec spec, WorkloadDemand demand) {
        double[] best = {Double.NaN};
        subsets(0, spec.replicas(), new ArrayList<>(), chosen -> {
            for (int c : chosen) {
                if (!allowed(spec, c)) {
                    return;
                }
            }
            if (!spreadOk(spec, chosen)) {
                return;
            }
            double cost = meanCost(demand, chosen);
            if (Double.isNaN(best[0]) || cost < best[0]) {
                best[0] = cost;
            }
        });
        return best[0];
    }

    private void subsets(int from, int left, List<Integer> acc, java.util.function.Consumer<List<Integer>> out) {
        if (left == 0) {
            out.accept(acc);
            return;
        }
        for (int i = from; i < nodes.size(); i++) {
            acc.add(i);
            subsets(i + 1, left - 1, acc, out);
            acc.remove(acc.size() - 1);
        }
    }

    List<Integer> indices(Placement p) {
        return p.nodes().stream().map(this::indexOf).toList();
    }
}
