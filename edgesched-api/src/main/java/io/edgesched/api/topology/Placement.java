package io.edgesched.api.topology;

import io.edgesched.api.NodeId;
import io.edgesched.api.WorkloadId;

import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Where a workload's replicas run: a multiset of nodes (node -> replica count, all counts >= 1).
 */
public record Placement(WorkloadId workload, SortedMap<NodeId, Integer> replicasPerNode) {
    public Placement {
        Objects.requireNonNull(workload, "workload");
        TreeMap<NodeId, Integer> copy = new TreeMap<>();
        for (Map.Entry<NodeId, Integer> e : replicasPerNode.entrySet()) {
            int count = e.getValue();
            if (count < 0) {
                throw new IllegalArgumentException("negative replica count " + count + " on " + e.getKey() + " for " + workload);
            }
            if (count > 0) {
                copy.put(Objects.requireNonNull(e.getKey()), count);
            }
        }
        replicasPerNode = Collections.unmodifiableSortedMap(copy);
    }

    /** One replica on each given node (a node listed twice gets two). */
    public static Placement of(WorkloadId workload, NodeId... nodes) {
        return of(workload, java.util.List.of(nodes));
    }

    public static Placement of(WorkloadId workload, Collection<NodeId> nodes) {
        TreeMap<NodeId, Integer> counts = new TreeMap<>();
        for (NodeId n : nodes) {
            counts.merge(n, 1, Integer::sum);
        }
        return new Placement(workload, counts);
    }

    public static Placement none(WorkloadId workload) {
        return new Placement(workload, new TreeMap<>());
    }

    /** Total replica count. */
    public int replicas() {
        int sum = 0;
        for (int c : replicasPerNode.values()) {
            sum += c;
        }
        return sum;
    }

    /** The distinct nodes with at least one replica. */
    public SortedSet<NodeId> nodes() {
        return Collections.unmodifiableSortedSet(new TreeSet<>(replicasPerNode.keySet()));
    }

    public int replicasOn(NodeId node) {
        return replicasPerNode.getOrDefault(node, 0);
    }

    public boolean isEmpty() {
        return replicasPerNode.isEmpty();
    }

    /** Same nodes with the same counts (ignores the workload id). */
    public boolean sameNodesAs(Placement other) {
        return replicasPerNode.equals(other.replicasPerNode);
    }

    @Override
    public String toString() {
        return workload + "@" + replicasPerNode;
    }
}
