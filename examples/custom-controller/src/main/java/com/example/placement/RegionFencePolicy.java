package com.example.placement;

import io.edgesched.api.NodeId;
import io.edgesched.api.WorkloadId;
import io.edgesched.api.policy.PlacementInput;
import io.edgesched.api.policy.PlacementPlan;
import io.edgesched.api.policy.PlacementPolicy;
import io.edgesched.api.policy.WorkloadDecision;
import io.edgesched.api.policy.WorkloadSpec;
import io.edgesched.api.topology.NodeInfo;
import io.edgesched.api.topology.Placement;
import io.edgesched.api.topology.Topology;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * "Never leave region X": a workload that runs entirely in {@code fencedRegion} is only ever planned onto nodes of
 * that region (data residency), while every other workload is planned freely. Inside the fence the wrapped policy
 * still finds the nearest nodes to the clients; nodes outside it are offered to fenced workloads as cordoned.
 */
public final class RegionFencePolicy implements PlacementPolicy {
    /** The well-known Kubernetes node label for a node's region. */
    public static final String REGION_LABEL = "topology.kubernetes.io/region";

    private final PlacementPolicy inner;
    private final String fencedRegion;

    public RegionFencePolicy(PlacementPolicy inner, String fencedRegion) {
        this.inner = Objects.requireNonNull(inner, "inner");
        this.fencedRegion = Objects.requireNonNull(fencedRegion, "fencedRegion");
    }

    @Override
    public PlacementPlan plan(PlacementInput input) {
        Topology topology = input.topology();
        List<WorkloadSpec> fenced = new ArrayList<>();
        List<WorkloadSpec> free = new ArrayList<>();
        for (WorkloadSpec spec : input.specs().values()) {
            (isFenced(topology, spec.workload()) ? fenced : free).add(spec);
        }
        List<WorkloadDecision> decisions = new ArrayList<>();
        if (!free.isEmpty()) {
            decisions.addAll(inner.plan(PlacementInput.of(input.now(), topology, input.demand(), free, input.gate()))
                    .decisions());
        }
        if (!fenced.isEmpty()) {
            Topology insideFence = new Topology(topology.nodes().values().stream().map(this::closedIfOutside).toList(),
                    topology.latency(), topology.placements().values());
            decisions.addAll(inner.plan(PlacementInput.of(input.now(), insideFence, input.demand(), fenced,
                    input.gate())).decisions());
        }
        return new PlacementPlan(input.now(), decisions);
    }

    /** True when the workload runs somewhere and every node it runs on is in the fenced region. */
    public boolean isFenced(Topology topology, WorkloadId workload) {
        Placement current = topology.placement(workload);
        return !current.nodes().isEmpty() && current.nodes().stream().allMatch(node -> inFence(topology, node));
    }

    private boolean inFence(Topology topology, NodeId node) {
        return topology.node(node).map(this::inFence).orElse(false);
    }

    private boolean inFence(NodeInfo node) {
        return fencedRegion.equals(node.labels().get(REGION_LABEL));
    }

    private NodeInfo closedIfOutside(NodeInfo node) {
        return inFence(node) ? node
                : new NodeInfo(node.id(), node.labels(), node.ready(), true, node.taints(), node.capacityUnits());
    }
}
