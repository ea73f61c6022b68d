package io.edgesched.k8s.topology;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.NodeId;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A Kubernetes node as edgesched needs it.
 *
 * @param internalAddresses InternalIP addresses (what other nodes forward from)
 * @param externalAddresses ExternalIP addresses (what clients may reach NodePorts on)
 * @param ready             the Ready condition is True
 * @param cordoned          spec.unschedulable
 * @param taints            "key=value:Effect" strings (NoSchedule/NoExecute ones keep new replicas off)
 */
public record ClusterNode(NodeId id, Map<String, String> labels, List<ClientAddress> internalAddresses,
                          List<ClientAddress> externalAddresses, boolean ready, boolean cordoned, List<Taint> taints) {
    public ClusterNode {
        Objects.requireNonNull(id, "id");
        labels = Map.copyOf(labels);
        internalAddresses = List.copyOf(internalAddresses);
        externalAddresses = List.copyOf(externalAddresses);
        taints = List.copyOf(taints);
    }

    /** A node taint; {@code value} may be empty. */
    public record Taint(String key, String value, String effect) {
        /** NoSchedule and NoExecute keep new pods off; PreferNoSchedule does not. */
        public boolean blocksScheduling() {
            return "NoSchedule".equals(effect) || "NoExecute".equals(effect);
        }
    }

    /** Whether a new replica without tolerations could land here. */
    public boolean schedulable() {
        return ready && !cordoned && taints.stream().noneMatch(Taint::blocksScheduling);
    }

    public List<ClientAddress> addresses() {
        return java.util.stream.Stream.concat(internalAddresses.stream(), externalAddresses.stream()).toList();
    }
}
