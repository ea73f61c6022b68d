package io.edgesched.api.policy;

/** How the policy prices the hop from the entry node to the node that serves the request. */
public enum ForwardingCost {
    /** The topology's latency matrix (unknown pairs: {@link PolicyConfig#unknownLatencyMicros()}). */
    MEASURED,
    /**
     * Every hop between two distinct nodes costs the same ({@link PolicyConfig#uniformHopMicros()}): the
     * "follow the node that receives the traffic" model of the prior work, see {@link FollowTrafficPolicy}.
     */
    UNIFORM
}
