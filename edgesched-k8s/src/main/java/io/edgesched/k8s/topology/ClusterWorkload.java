package io.edgesched.k8s.topology;

import io.edgesched.api.NodeId;
import io.edgesched.api.WorkloadId;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * An opted-in Deployment (label {@code edgesched.io/managed=true}).
 *
 * @param templateLabels     the pod template's labels (what Service selectors match)
 * @param desiredReplicas    spec.replicas
 * @param runningPerNode     running pods per node, found by the Deployment's selector
 * @param readyPerNode       ready pods per node
 * @param nodeSelector       the pod template's nodeSelector
 * @param toleratedTaintKeys taint keys the pod template tolerates
 * @param toleratesAllTaints a toleration with no key and operator Exists (tolerates every taint)
 * @param lastMovedAt        when edgesched last moved it (pod-template annotation {@code edgesched.io/moved-at})
 */
public record ClusterWorkload(WorkloadId id, Map<String, String> templateLabels, int desiredReplicas,
                              SortedMap<NodeId, Integer> runningPerNode, SortedMap<NodeId, Integer> readyPerNode,
                              Map<String, String> nodeSelector, java.util.Set<String> toleratedTaintKeys,
                              boolean toleratesAllTaints, java.util.Optional<java.time.Instant> lastMovedAt) {
    public ClusterWorkload {
        Objects.requireNonNull(id, "id");
        templateLabels = Map.copyOf(templateLabels);
        nodeSelector = Map.copyOf(nodeSelector);
        toleratedTaintKeys = java.util.Set.copyOf(toleratedTaintKeys);
        Objects.requireNonNull(lastMovedAt, "lastMovedAt");
        runningPerNode = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(runningPerNode));
        readyPerNode = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(readyPerNode));
    }
}
