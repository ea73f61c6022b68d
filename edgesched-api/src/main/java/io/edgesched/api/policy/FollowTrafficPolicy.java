package io.edgesched.api.policy;

/**
 * The prior work's rule: put the replicas on the nodes that receive the most traffic, ignoring latencies.
 * It is {@link LatencyAwarePolicy} with {@link ForwardingCost#UNIFORM}: when every forwarding hop costs the
 * same, the cheapest placement is the one that keeps the most demand local.
 */
public final class FollowTrafficPolicy implements PlacementPolicy {
    private final LatencyAwarePolicy delegate;

    public FollowTrafficPolicy(PolicyConfig base) {
        this.delegate = new LatencyAwarePolicy(base.withUniformForwarding(base.uniformHopMicros()));
    }

    public FollowTrafficPolicy() {
        this(PolicyConfig.defaults());
    }

    @Override
    public PlacementPlan plan(PlacementInput input) {
        return delegate.plan(input);
    }
}
