package io.edgesched.api.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edgesched.api.NodeId;
import io.edgesched.api.WorkloadId;
import io.edgesched.api.demand.WorkloadDemand;
import io.edgesched.api.policy.DecisionReason;
import io.edgesched.api.policy.Explanation;
import io.edgesched.api.policy.WorkloadDecision;
import io.edgesched.api.topology.Placement;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;

/** The one reason type: who may give which reason, and which reasons move. */
class DecisionReasonTest {
    private static final WorkloadId WEB = WorkloadId.of("default", "web");
    private static final Placement ON_A = Placement.of(WEB, NodeId.of("edge-a"));
    private static final Placement ON_B = Placement.of(WEB, NodeId.of("edge-b"));

    @Test
    void policyVerdictsAndControllerReasonsSplitTheEnum() {
        EnumSet<DecisionReason> policy = EnumSet.noneOf(DecisionReason.class);
        for (DecisionReason r : DecisionReason.values()) {
            if (r.isPolicyVerdict()) {
                policy.add(r);
            }
        }
        assertThat(policy).containsExactlyInAnyOrder(DecisionReason.MOVE, DecisionReason.HOLD_AT_OPTIMUM,
                DecisionReason.HOLD_BELOW_THRESHOLD, DecisionReason.HOLD_DWELL, DecisionReason.HOLD_RATE_LIMIT,
                DecisionReason.HOLD_NO_DEMAND, DecisionReason.HOLD_NO_FEASIBLE_NODE, DecisionReason.HOLD_NOT_RUNNING);
        assertThat(EnumSet.complementOf(policy)).containsExactlyInAnyOrder(DecisionReason.MOVE_STARTED,
                DecisionReason.WOULD_MOVE, DecisionReason.HOLD_IN_FLIGHT, DecisionReason.HOLD_BACKOFF,
                DecisionReason.HOLD_REFUSED, DecisionReason.HOLD_SETTLING);
        assertThat(EnumSet.allOf(DecisionReason.class)).filteredOn(DecisionReason::isMove)
                .containsExactlyInAnyOrder(DecisionReason.MOVE, DecisionReason.MOVE_STARTED, DecisionReason.WOULD_MOVE);
    }

    @Test
    void aDecisionNeverSaysMoveAndAPolicyNeverSaysWhatTheControllerDid() {
        WorkloadDecision move = verdict(DecisionReason.MOVE);
        assertThatThrownBy(() -> new Decision(1, Instant.EPOCH, WEB, DecisionReason.MOVE, ON_A,
                WorkloadDemand.none(WEB), Optional.of(move), "x"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("MOVE_STARTED or WOULD_MOVE");
        assertThatThrownBy(() -> verdict(DecisionReason.MOVE_STARTED))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("MOVE_STARTED");
        assertThatThrownBy(() -> verdict(DecisionReason.HOLD_SETTLING))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("HOLD_SETTLING");

        Decision started = new Decision(1, Instant.EPOCH, WEB, DecisionReason.MOVE_STARTED, ON_A,
                WorkloadDemand.none(WEB), Optional.of(move), "x");
        assertThat(started.target()).isEqualTo(ON_B);
        Decision inFlight = new Decision(1, Instant.EPOCH, WEB, DecisionReason.HOLD_IN_FLIGHT, ON_A,
                WorkloadDemand.none(WEB), Optional.of(move), "x");
        assertThat(inFlight.target()).as("a held move stays where it is").isEqualTo(ON_A);
    }

    private static WorkloadDecision verdict(DecisionReason reason) {
        return new WorkloadDecision(WEB, ON_A, ON_B, reason, 1000, 2000, 1000, 1,
                new Explanation(List.of(), List.of(), 2, true, false, "test"));
    }
}
