package io.edgesched.api.policy;

import io.edgesched.api.WorkloadId;
import io.edgesched.api.topology.LabelSelector;

import java.util.Collections;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * What the policy must respect when placing one workload.
 *
 * @param workload             the workload
 * @param replicas             k: how many replicas to place
 * @param nodeSelector         only nodes whose labels match may host it
 * @param maxReplicasPerNode   spreading: at most this many replicas on one node (1 = one per node)
 * @param spreadLabel          optional node label (e.g. {@code topology.kubernetes.io/zone}) that defines domains
 * @param maxReplicasPerDomain at most this many replicas per value of {@code spreadLabel} (ignored without a label)
 * @param tolerations          taint keys the workload tolerates
 * @param unitsPerReplica      capacity units one replica uses on its node (see {@code NodeInfo.capacityUnits})
 */
public record WorkloadSpec(WorkloadId workload, int replicas, LabelSelector nodeSelector, int maxReplicasPerNode,
                           Optional<String> spreadLabel, int maxReplicasPerDomain, SortedSet<String> tolerations,
                           int unitsPerReplica) {
    public WorkloadSpec {
        Objects.requireNonNull(workload, "workload");
        Objects.requireNonNull(nodeSelector, "nodeSelector");
        Objects.requireNonNull(spreadLabel, "spreadLabel");
        tolerations = Collections.unmodifiableSortedSet(new TreeSet<>(tolerations));
        if (replicas < 1) {
            throw new IllegalArgumentException("replicas must be >= 1 for " + workload + ", got " + replicas);
        }
        if (maxReplicasPerNode < 1 || maxReplicasPerDomain < 1) {
            throw new IllegalArgumentException("maxReplicasPerNode and maxReplicasPerDomain must be >= 1 for " + workload);
        }
        if (unitsPerReplica < 0) {
            throw new IllegalArgumentException("unitsPerReplica must be >= 0 for " + workload);
        }
    }

    /** k replicas anywhere, at most one per node, one capacity unit each. */
    public static WorkloadSpec of(WorkloadId workload, int replicas) {
        return new WorkloadSpec(workload, replicas, LabelSelector.ALL, 1, Optional.empty(), Integer.MAX_VALUE,
                new TreeSet<>(), 1);
    }

    public WorkloadSpec withNodeSelector(LabelSelector selector) {
        return new WorkloadSpec(workload, replicas, selector, maxReplicasPerNode, spreadLabel, maxReplicasPerDomain, tolerations, unitsPerReplica);
    }

    public WorkloadSpec withMaxReplicasPerNode(int max) {
        return new WorkloadSpec(workload, replicas, nodeSelector, max, spreadLabel, maxReplicasPerDomain, tolerations, unitsPerReplica);
    }

    public WorkloadSpec withSpread(String label, int maxPerDomain) {
        return new WorkloadSpec(workload, replicas, nodeSelector, maxReplicasPerNode, Optional.of(label), maxPerDomain, tolerations, unitsPerReplica);
    }

    public WorkloadSpec withTolerations(Set<String> keys) {
        return new WorkloadSpec(workload, replicas, nodeSelector, maxReplicasPerNode, spreadLabel, maxReplicasPerDomain, new TreeSet<>(keys), unitsPerReplica);
    }

    public WorkloadSpec withUnitsPerReplica(int units) {
        return new WorkloadSpec(workload, replicas, nodeSelector, maxReplicasPerNode, spreadLabel, maxReplicasPerDomain, tolerations, units);
    }

    public WorkloadSpec withReplicas(int k) {
        return new WorkloadSpec(workload, k, nodeSelector, maxReplicasPerNode, spreadLabel, maxReplicasPerDomain, tolerations, unitsPerReplica);
    }
}
