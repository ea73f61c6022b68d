package io.edgesched.api.policy;

import io.edgesched.api.NodeId;

/**
 * Expected demand-weighted latency if one replica of the workload ran on {@code node} alone.
 *
 * @param costMicros mean over the workload's demand of (client RTT to entry node + entry node to {@code node})
 */
public record CandidateCost(NodeId node, double costMicros) {
}
