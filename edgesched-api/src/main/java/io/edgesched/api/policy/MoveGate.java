package io.edgesched.api.policy;

import io.edgesched.api.MoveResult;
import io.edgesched.api.WorkloadId;

import java.time.Instant;

/**
 * Decides whether a better placement may actually be moved to. The policy opens one {@link Round} per plan
 * and asks it about each candidate move, most valuable first; a round may count what it admitted (rate
 * limits) but must not change the gate's state, so planning stays repeatable: the controller tells the gate
 * what really happened through {@link #moveStarted} and {@link #moveEnded}.
 */
public interface MoveGate {

    Round open(Instant now);

    /** The controller handed this move to the rescheduler at {@code at} (a gate counts it: dwell, rate limit). */
    default void moveStarted(WorkloadId workload, Instant at) {
    }

    /** The move ended ({@link MoveResult#isDone()} or not) at {@code at}. */
    default void moveEnded(MoveResult result, Instant at) {
    }

    interface Round {
        /**
         * @param currentCostMicros demand-weighted mean latency of the current placement
         * @param targetCostMicros  the same for the proposed target (lower)
         * @return {@link DecisionReason#MOVE} to admit (and count) it, or the HOLD_* reason
         */
        DecisionReason admit(WorkloadId workload, double currentCostMicros, double targetCostMicros);
    }

    /** Admits every strict improvement: the policy without any stability (for tests and offline analysis). */
    MoveGate ANY_IMPROVEMENT = now -> (workload, current, target) ->
            target < current ? DecisionReason.MOVE : DecisionReason.HOLD_BELOW_THRESHOLD;
}
