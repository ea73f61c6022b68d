package io.edgesched.k8s.topology;

import io.edgesched.api.NodeId;
import io.edgesched.api.policy.WorkloadSpec;
import io.edgesched.api.topology.LabelSelector;
import io.edgesched.api.topology.LatencyMatrix;
import io.edgesched.api.topology.MissingLatency;
import io.edgesched.api.topology.NodeInfo;
import io.edgesched.api.topology.Placement;
import io.edgesched.api.topology.Topology;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/** Adapts a {@link ClusterSnapshot} to the engine's {@link Topology} and {@link WorkloadSpec}s. */
public final class EngineTopology {
    private EngineTopology() {
    }

    /** A measured node-to-node RTT. */
    public record NodeLatency(NodeId from, NodeId to, double rttMicros) {
    }

    /**
     * The engine's view: nodes (ready, cordoned, blocking taint keys, labels), the latency matrix from the
     * measurements given (symmetric, then triangle fill), and each managed workload's running pods per node.
     */
    public static Topology topology(ClusterSnapshot cluster, List<NodeLatency> latencies) {
        LatencyMatrix.Builder matrix = LatencyMatrix.builder(cluster.nodes().keySet());
        for (NodeLatency l : latencies) {
            if (cluster.nodes().containsKey(l.from()) && cluster.nodes().containsKey(l.to()) && !l.from().equals(l.to())
                    && l.rttMicros() >= 0 && !Double.isInfinite(l.rttMicros())) {
                matrix.measure(l.from(), l.to(), l.rttMicros());
            }
        }
        return topology(cluster, matrix.build(MissingLatency.SYMMETRIC_THEN_TRIANGLE));
    }

    /** The same with a latency matrix built elsewhere (e.g. a {@link LatencyMatrixCache}). */
    public static Topology topology(ClusterSnapshot cluster, LatencyMatrix latency) {
        List<NodeInfo> nodes = new ArrayList<>();
        for (ClusterNode n : cluster.nodes().values()) {
            TreeSet<String> blocking = new TreeSet<>();
            n.taints().stream().filter(ClusterNode.Taint::blocksScheduling).forEach(t -> blocking.add(t.key()));
            nodes.add(new NodeInfo(n.id(), new TreeMap<>(n.labels()), n.ready(), n.cordoned(), blocking, NodeInfo.UNLIMITED));
        }
        List<Placement> placements = new ArrayList<>();
        for (ClusterWorkload w : cluster.workloads().values()) {
            placements.add(new Placement(w.id(), new TreeMap<>(w.runningPerNode())));
        }
        return new Topology(nodes, latency, placements);
    }

    /** One spec per managed workload: its replica count, nodeSelector and tolerations. */
    public static List<WorkloadSpec> workloadSpecs(ClusterSnapshot cluster) {
        Set<String> allTaintKeys = new TreeSet<>();
        cluster.nodes().values().forEach(n -> n.taints().forEach(t -> allTaintKeys.add(t.key())));
        List<WorkloadSpec> specs = new ArrayList<>();
        for (ClusterWorkload w : cluster.workloads().values()) {
            if (w.desiredReplicas() < 1) {
                continue; // scaled to zero: nothing to place
            }
            WorkloadSpec spec = WorkloadSpec.of(w.id(), w.desiredReplicas());
            if (!w.nodeSelector().isEmpty()) {
                spec = spec.withNodeSelector(LabelSelector.of(w.nodeSelector()));
            }
            Set<String> tolerated = w.toleratesAllTaints() ? allTaintKeys : w.toleratedTaintKeys();
            if (!tolerated.isEmpty()) {
                spec = spec.withTolerations(tolerated);
            }
            specs.add(spec);
        }
        return specs;
    }

}
