package io.edgesched.api.demand;

import io.edgesched.api.NodeId;
import io.edgesched.api.WorkloadId;

import java.util.Map;
import java.util.Optional;

/**
 * Says which workload a (node, service id, local port) belongs to. Supplied by the caller: in Kubernetes a
 * NodePort maps to a workload on every node, in the lab a port on one host. Called once per distinct
 * (service id, port) per snapshot, so it may do a map lookup but should not block. Must be thread-safe:
 * {@link DemandStore#ingestAll} prepares different nodes' snapshots on several threads at once (an immutable map,
 * as the factories below build, is).
 */
@FunctionalInterface
public interface ServiceCatalog {
    /** The workload, or empty when this traffic belongs to nothing the controller manages. */
    Optional<WorkloadId> workloadFor(NodeId node, int serviceId, int localPort);

    /** The same service id means the same workload on every node. */
    static ServiceCatalog byServiceId(Map<Integer, WorkloadId> workloads) {
        Map<Integer, WorkloadId> copy = Map.copyOf(workloads);
        return (node, serviceId, port) -> Optional.ofNullable(copy.get(serviceId));
    }

    /** The same local port means the same workload on every node (NodePort style). */
    static ServiceCatalog byPort(Map<Integer, WorkloadId> workloads) {
        Map<Integer, WorkloadId> copy = Map.copyOf(workloads);
        return (node, serviceId, port) -> Optional.ofNullable(copy.get(port));
    }
}
