package io.edgesched.api.policy;

/**
 * Chooses target nodes for workloads. Implementations are stateless and deterministic: the same input
 * (including the gate's state) gives the same plan.
 */
@FunctionalInterface
public interface PlacementPolicy {
    PlacementPlan plan(PlacementInput input);
}
