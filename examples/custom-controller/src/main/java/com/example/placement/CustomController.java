package com.example.placement;

import io.edgesched.api.Rescheduler;
import io.edgesched.api.control.DemandInput;
import io.edgesched.api.control.PlacementController;
import io.edgesched.api.demand.ServiceCatalog;
import io.edgesched.api.policy.LatencyAwarePolicy;
import io.edgesched.api.policy.StabilityConfig;
import io.edgesched.api.policy.StabilityGate;
import io.edgesched.api.policy.WorkloadSpec;
import io.edgesched.api.topology.Topology;
import java.time.InstantSource;
import java.util.Collection;
import java.util.function.Supplier;

/** Wires edgesched's {@link PlacementController} with our region fence and our mover. */
public final class CustomController {
    private CustomController() {
    }

    public static PlacementController create(DemandInput demand, ServiceCatalog services, Supplier<Topology> topology,
                                             Collection<WorkloadSpec> workloads, String fencedRegion,
                                             Rescheduler mover, InstantSource clock) {
        return PlacementController.builder()
                .demand(demand, services)
                .topology(topology)
                .workloads(workloads)
                .policy(new RegionFencePolicy(new LatencyAwarePolicy(), fencedRegion))
                .gate(new StabilityGate(StabilityConfig.defaults(), clock))
                .rescheduler(mover)
                .clock(clock)
                .build();
    }
}
