package io.edgesched.api.policy;

import io.edgesched.api.MoveRequest;
import io.edgesched.api.WorkloadId;
import io.edgesched.api.topology.Placement;

import java.time.Instant;
import java.util.Objects;

/**
 * The policy's verdict for one workload. Costs are demand-weighted mean expected latencies in microseconds
 * (NaN when undefined, e.g. no demand); {@code predictedGainMicros = currentCostMicros - targetCostMicros}.
 */
public record WorkloadDecision(WorkloadId workload, Placement current, Placement target,
                               DecisionReason reason, double predictedGainMicros, double currentCostMicros,
                               double targetCostMicros, double demandRate, Explanation explanation) {
    public WorkloadDecision {
        Objects.requireNonNull(workload, "workload");
        Objects.requireNonNull(current, "current");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(reason, "reason");
        if (!reason.isPolicyVerdict()) {
            throw new IllegalArgumentException("a policy's verdict for " + workload + " is MOVE or a policy hold, not "
                    + reason + " (the controller gives that one)");
        }
        Objects.requireNonNull(explanation, "explanation");
    }

    public boolean isMove() {
        return reason.isMove();
    }

    /** The request for a {@link io.edgesched.api.Rescheduler}; only for moves. */
    public MoveRequest toMoveRequest(Instant decidedAt) {
        if (!isMove()) {
            throw new IllegalStateException("decision for " + workload + " is " + reason + ", not a move");
        }
        return new MoveRequest(workload, current.nodes(), target.nodes(), explanation.detail(), predictedGainMicros,
                decidedAt);
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "%s %s %s -> %s cost %.0f -> %.0f us (gain %.0f us, rate %.2f/s): %s",
                workload, reason, current.replicasPerNode(), target.replicasPerNode(), currentCostMicros,
                targetCostMicros, predictedGainMicros, demandRate, explanation.detail());
    }
}
