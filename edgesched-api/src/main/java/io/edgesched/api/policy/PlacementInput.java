package io.edgesched.api.policy;

import io.edgesched.api.WorkloadId;
import io.edgesched.api.demand.DemandView;
import io.edgesched.api.topology.Topology;

import java.time.Instant;
import java.util.Collection;
import java.util.Collections;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Everything one planning round looks at. The workloads decided are exactly those with a spec; their current
 * placements come from the topology.
 */
public record PlacementInput(Instant now, Topology topology, DemandView demand,
                             SortedMap<WorkloadId, WorkloadSpec> specs, MoveGate gate) {
    public PlacementInput {
        Objects.requireNonNull(now, "now");
        Objects.requireNonNull(topology, "topology");
        Objects.requireNonNull(demand, "demand");
        Objects.requireNonNull(gate, "gate");
        specs = Collections.unmodifiableSortedMap(new TreeMap<>(specs));
    }

    public static PlacementInput of(Instant now, Topology topology, DemandView demand, Collection<WorkloadSpec> specs,
                                    MoveGate gate) {
        TreeMap<WorkloadId, WorkloadSpec> byId = new TreeMap<>();
        for (WorkloadSpec s : specs) {
            if (byId.put(s.workload(), s) != null) {
                throw new IllegalArgumentException("workload " + s.workload() + " has two specs");
            }
        }
        return new PlacementInput(now, topology, demand, byId, gate);
    }
}
