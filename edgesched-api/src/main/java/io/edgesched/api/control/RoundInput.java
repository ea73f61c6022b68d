package io.edgesched.api.control;

import io.edgesched.api.demand.DemandView;
import io.edgesched.api.policy.WorkloadSpec;
import io.edgesched.api.topology.Topology;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * Everything one decision round reads, taken at one instant: demand per entry node, the cluster (nodes,
 * latencies, placements), and the workloads to place. One object, so demand and topology cannot come from two
 * different moments (the Kubernetes controller builds both from the same reports and the same cluster snapshot).
 */
public record RoundInput(DemandView demand, Topology topology, List<WorkloadSpec> workloads) {
    public RoundInput {
        Objects.requireNonNull(demand, "demand view is null");
        Objects.requireNonNull(topology, "topology is null");
        workloads = List.copyOf(Objects.requireNonNull(workloads, "workload specs are null"));
    }

    /** Reads a round's input; called once per round with the round's instant, on the round's thread. */
    @FunctionalInterface
    public interface Source {
        RoundInput read(Instant now);
    }
}
