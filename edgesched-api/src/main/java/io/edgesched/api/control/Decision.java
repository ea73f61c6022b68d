package io.edgesched.api.control;

import io.edgesched.api.WorkloadId;
import io.edgesched.api.demand.WorkloadDemand;
import io.edgesched.api.policy.DecisionReason;
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
 * @param reason   why the workload moves or holds: the policy's hold as it is, {@code MOVE_STARTED} or
 *                 {@code WOULD_MOVE} for its move, or one of the controller's own holds (never {@code MOVE})
 * @param current  where the workload ran when the round started (as the topology said)
 * @param demand   the demand the decision was based on, per entry node
 * @param policy   the policy's verdict with its explanation (costs per candidate, thresholds); empty when
 *                 the workload was not planned this round (a move of it still running, backing off, settling)
 * @param why      one human sentence
 */
public record Decision(long round, Instant at, WorkloadId workload, DecisionReason reason, Placement current,
                       WorkloadDemand demand, Optional<WorkloadDecision> policy, String why) {

    public Decision {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(workload, "workload");
        Objects.requireNonNull(reason, "reason");
        if (reason == DecisionReason.MOVE) {
            throw new IllegalArgumentException("a controller decision says MOVE_STARTED or WOULD_MOVE, not MOVE");
        }
        Objects.requireNonNull(current, "current");
        Objects.requireNonNull(demand, "demand");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(why, "why");
    }

    /** Target nodes when the reason is a move, else the current placement. */
    public Placement target() {
        return reason.isMove() && policy.isPresent() ? policy.get().target() : current;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(160);
        sb.append("round ").append(round).append(' ').append(workload).append(' ').append(reason)
                .append(" at ").append(current.replicasPerNode());
        policy.ifPresent(p -> sb.append(String.format(Locale.ROOT, " [%s -> %s, cost %.0f -> %.0f us, rate %.2f/s, best %s]",
                p.reason(), p.target().replicasPerNode(), p.currentCostMicros(), p.targetCostMicros(), p.demandRate(),
                p.explanation().bestCandidates())));
        return sb.append(": ").append(why).toString();
    }
}
