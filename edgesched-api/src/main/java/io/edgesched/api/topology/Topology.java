package io.edgesched.api.topology;

import io.edgesched.api.NodeId;
import io.edgesched.api.WorkloadId;

import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The cluster at one moment: nodes with labels and health, the node-to-node latency matrix and where each
 * workload's replicas run now. Immutable. Nodes missing from the matrix have unknown latency to everyone.
 */
public final class Topology {
    private final SortedMap<NodeId, NodeInfo> nodes;
    private final List<NodeId> nodeIds;
    private final LatencyMatrix latency;
    private final SortedMap<WorkloadId, Placement> placements;

    public Topology(Collection<NodeInfo> nodeInfos, LatencyMatrix latency, Collection<Placement> currentPlacements) {
        Objects.requireNonNull(latency, "latency");
        TreeMap<NodeId, NodeInfo> byId = new TreeMap<>();
        for (NodeInfo n : nodeInfos) {
            if (byId.put(n.id(), n) != null) {
                throw new IllegalArgumentException("node " + n.id() + " listed twice in the topology");
            }
        }
        TreeMap<WorkloadId, Placement> byWorkload = new TreeMap<>();
        for (Placement p : currentPlacements) {
            if (byWorkload.put(p.workload(), p) != null) {
                throw new IllegalArgumentException("workload " + p.workload() + " has two placements in the topology");
            }
        }
        this.nodes = Collections.unmodifiableSortedMap(byId);
        this.nodeIds = List.copyOf(byId.keySet());
        this.latency = latency;
        this.placements = Collections.unmodifiableSortedMap(byWorkload);
    }

    public SortedMap<NodeId, NodeInfo> nodes() {
        return nodes;
    }

    /** Node ids in sorted order; the position is the node's index for this topology. */
    public List<NodeId> nodeIds() {
        return nodeIds;
    }

    public Optional<NodeInfo> node(NodeId id) {
        return Optional.ofNullable(nodes.get(id));
    }

    public LatencyMatrix latency() {
        return latency;
    }

    public SortedMap<WorkloadId, Placement> placements() {
        return placements;
    }

    /** Where the workload runs now; empty placement when it is not known to run anywhere. */
    public Placement placement(WorkloadId workload) {
        Placement p = placements.get(workload);
        return p != null ? p : Placement.none(workload);
    }

    /** A copy with one workload's placement replaced (e.g. after a move completed). */
    public Topology withPlacement(Placement placement) {
        TreeMap<WorkloadId, Placement> copy = new TreeMap<>(placements);
        copy.put(placement.workload(), placement);
        return new Topology(nodes.values(), latency, copy.values());
    }

    @Override
    public String toString() {
        return "Topology{" + nodes.size() + " nodes, " + placements.size() + " placements, latency fill "
                + latency.fill() + ", " + latency.unknownPairs() + " unknown pairs}";
    }
}
