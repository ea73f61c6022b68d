package io.edgesched.k8s.topology;

import java.util.List;
import java.util.Map;

/**
 * A Service and the managed workloads it fronts (those whose pod template labels match its selector).
 *
 * @param nodePorts TCP NodePorts (empty for ClusterIP services)
 * @param ports     TCP service ports
 */
public record ClusterService(String namespace, String name, Map<String, String> selector, List<Integer> ports,
                             List<Integer> nodePorts, List<io.edgesched.api.WorkloadId> workloads) {
    public ClusterService {
        selector = Map.copyOf(selector);
        ports = List.copyOf(ports);
        nodePorts = List.copyOf(nodePorts);
        workloads = List.copyOf(workloads);
    }
}
