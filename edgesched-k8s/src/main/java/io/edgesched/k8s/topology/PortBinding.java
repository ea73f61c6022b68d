package io.edgesched.k8s.topology;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.WorkloadId;
import java.util.Objects;
import java.util.Optional;

/**
 * A port on one node where traffic for a managed workload arrives, and so must be watched.
 *
 * @param localAddress empty for NodePorts and hostPorts (every node address); the pod IP for pod ports
 * @param origin       the Service or Pod this binding comes from, for logs
 */
public record PortBinding(Kind kind, Optional<ClientAddress> localAddress, int port, WorkloadId workload, String origin) {
    public enum Kind { NODE_PORT, HOST_PORT, POD_PORT }

    public PortBinding {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(localAddress, "localAddress");
        Objects.requireNonNull(workload, "workload");
        Objects.requireNonNull(origin, "origin");
    }
}
