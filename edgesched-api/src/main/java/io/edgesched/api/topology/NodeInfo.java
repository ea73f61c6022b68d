package io.edgesched.api.topology;

import io.edgesched.api.NodeId;

import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A node as the placement policy sees it.
 *
 * @param id            the node
 * @param labels        node labels (zone, region, hardware...), matched by {@link LabelSelector}
 * @param ready         the node reports ready; not-ready nodes are never chosen as targets
 * @param cordoned      unschedulable (cordoned); never chosen as a target
 * @param taints        taint keys; a workload may use the node only if it tolerates all of them
 * @param capacityUnits how many units of managed replicas the node may host
 *                      (see {@code WorkloadSpec.unitsPerReplica}, 1 per replica by default); {@link #UNLIMITED} for no limit
 */
public record NodeInfo(NodeId id, SortedMap<String, String> labels, boolean ready, boolean cordoned,
                       SortedSet<String> taints, int capacityUnits) {
    public static final int UNLIMITED = Integer.MAX_VALUE;

    public NodeInfo {
        Objects.requireNonNull(id, "id");
        labels = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(labels));
        taints = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(taints));
        if (capacityUnits < 0) {
            throw new IllegalArgumentException("capacityUnits must be >= 0, got " + capacityUnits + " for node " + id);
        }
    }

    /** A ready, uncordoned, untainted node without labels and without a capacity limit. */
    public static NodeInfo ready(NodeId id) {
        return new NodeInfo(id, new TreeMap<>(), true, false, new TreeSet<>(), UNLIMITED);
    }

    public static NodeInfo ready(String name) {
        return ready(NodeId.of(name));
    }

    public NodeInfo withLabels(Map<String, String> newLabels) {
        return new NodeInfo(id, new TreeMap<>(newLabels), ready, cordoned, taints, capacityUnits);
    }

    public NodeInfo withCapacity(int units) {
        return new NodeInfo(id, labels, ready, cordoned, taints, units);
    }

    public NodeInfo withReady(boolean isReady) {
        return new NodeInfo(id, labels, isReady, cordoned, taints, capacityUnits);
    }

    public NodeInfo withCordoned(boolean isCordoned) {
        return new NodeInfo(id, labels, ready, isCordoned, taints, capacityUnits);
    }

    public NodeInfo withTaints(Set<String> newTaints) {
        return new NodeInfo(id, labels, ready, cordoned, new TreeSet<>(newTaints), capacityUnits);
    }

    /** Whether a new replica of a workload with these tolerations may be placed here. */
    public boolean acceptsNewReplicas(Set<String> tolerations) {
        return ready && !cordoned && tolerations.containsAll(taints);
    }
}
