package io.edgesched.api.control;

import io.edgesched.api.WorkloadId;
import io.edgesched.api.demand.WorkloadDemand;
import io.edgesched.api.policy.WorkloadDecision;
import io.edgesched.api.topology.Placement;

import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * What the controller decided for one workload in one round, and why.
 *
 * @param round    number of the round (1 for the first)
 * @param at       the controller clock's instant when the round started
 * @param workload the workload
 * @param outcome  what the controller did
 * @param current  where the workload ran when the round started (as the topology said)
 * @param demand   the demand the decision was based on, per entry node
 * @param policy   the policy's verdict with its explanation (costs per candidate, thresholds); empty when
 *                 the workload was not planned this round (a move of it still running, backing off, settling)
 * @param why      one human sentence
 */
public record Decision(long round, Instant at, WorkloadId workload, Outcome outcome, Placement current,
                       WorkloadDemand demand, Optional<WorkloadDecision> policy, String why) {

    /** What the controller did with a workload in a round. */
    public enum Outcome {
        /** A move was handed to the rescheduler. */
        MOVE_STARTED,
        /** Dry run: the policy and the gate chose a move; nothing was started. */
        WOULD_MOVE,
        /** The policy or the stability gate keeps the placement; see {@link WorkloadDecision#reason()}. */
        HOLD,
        /** A move of this workload is still running; no second one is started. */
        HOLD_IN_FLIGHT,
        /** Its last move failed; waiting for the backoff to pass before trying again. */
        HOLD_BACKOFF,
        /** The rescheduler refused this same move; holding until the proposal changes or a cool-down passes. */
        HOLD_REFUSED,
        /** A move just completed; waiting for the topology to show the new placement. */
        HOLD_SETTLING;

        public boolean isMove() {
            return this == MOVE_STARTED || this == WOULD_MOVE;
        }
    }

    public Decision {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(workload, "workload");
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(current, "current");
        Objects.requireNonNull(demand, "demand");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(why, "why");
    }

    /** Target nodes when the outcome is a move, else the current placement. */
    public Placement target() {
        return outcome.isMove() && policy.isPresent() ? policy.get().target() : current;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(160);
        sb.append("round ").append(round).append(' ').append(workload).append(' ').append(outcome)
                .append(" at ").append(current.replicasPerNode());
        policy.ifPresent(p -> sb.append(String.format(Locale.ROOT, " [%s -> %s, cost %.0f -> %.0f us, rate %.2f/s, best %s]",
                p.reason(), p.target().replicasPerNode(), p.currentCostMicros(), p.targetCostMicros(), p.demandRate(),
                p.explanation().bestCandidates())));
        return sb.append(": ").append(why).toString();
    }
}
