package io.edgesched.api;

import java.time.Instant;
import java.util.Objects;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Ask a {@link Rescheduler} to run a workload on exactly these target nodes.
 *
 * @param workload          what to move
 * @param currentNodes      where its replicas run now (as the caller believes)
 * @param targetNodes       where they should run; one entry per distinct node
 * @param reason            human-readable why (goes into annotations and events)
 * @param predictedGainMicros demand-weighted latency gain the policy expects, in microseconds
 * @param decidedAt         when the decision was taken
 */
public record MoveRequest(WorkloadId workload, SortedSet<NodeId> currentNodes, SortedSet<NodeId> targetNodes,
                          String reason, double predictedGainMicros, Instant decidedAt) {
    public MoveRequest {
        Objects.requireNonNull(workload, "workload");
        currentNodes = new TreeSet<>(currentNodes);
        targetNodes = new TreeSet<>(targetNodes);
        if (targetNodes.isEmpty()) {
            throw new IllegalArgumentException("a move needs at least one target node");
        }
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(decidedAt, "decidedAt");
    }

    public static MoveRequest of(WorkloadId workload, Set<NodeId> from, Set<NodeId> to, String reason,
                                 double gainMicros, Instant at) {
        return new MoveRequest(workload, new TreeSet<>(from), new TreeSet<>(to), reason, gainMicros, at);
    }
}
