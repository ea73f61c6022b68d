package io.edgesched.api.policy;

import java.util.Objects;

/**
 * Places each workload's k replicas on the nodes that minimise demand-weighted expected latency.
 */
public final class LatencyAwarePolicy implements PlacementPolicy {
    private final PolicyConfig config;

    public LatencyAwarePolicy(PolicyConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    public LatencyAwarePolicy() {
        this(PolicyConfig.defaults());
    }

    public PolicyConfig config() {
        return config;
    }

    @Override
    public PlacementPlan plan(PlacementInput input) {
        throw new UnsupportedOperationException("TODO");
    }
}
