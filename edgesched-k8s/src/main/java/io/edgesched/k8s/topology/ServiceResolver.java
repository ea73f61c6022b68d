package io.edgesched.k8s.topology;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.NodeId;
import io.edgesched.api.WorkloadId;
import java.util.List;
import java.util.Optional;

/** Turns a (node, local address, local port) the kernel saw into the workload it belongs to. */
public interface ServiceResolver {

    /** A node-wide port (NodePort or hostPort) on this node. */
    Optional<WorkloadId> resolve(NodeId node, int localPort);

    /** A port on one local address: a pod port (pod IP on this node) first, then node-wide ports. */
    Optional<WorkloadId> resolve(NodeId node, ClientAddress localAddress, int localPort);

    /** Every port an agent on this node must watch, with the workload behind it. */
    List<PortBinding> bindingsOn(NodeId node);
}
