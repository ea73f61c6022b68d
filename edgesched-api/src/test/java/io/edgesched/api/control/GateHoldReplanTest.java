package io.edgesched.api.control;

import io.edgesched.api.WorkloadId;
import io.edgesched.api.demand.WorkloadDemand;
import io.edgesched.api.policy.DecisionReason;
import io.edgesched.api.policy.Explanation;
import io.edgesched.api.policy.MoveGate;
import io.edgesched.api.policy.PlacementPlan;
import io.edgesched.api.policy.PlacementPolicy;
import io.edgesched.api.policy.StabilityConfig;
import io.edgesched.api.policy.StabilityGate;
import io.edgesched.api.policy.WorkloadDecision;
import io.edgesched.api.policy.WorkloadSpec;
import io.edgesched.api.topology.Placement;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static io.edgesched.api.control.Fixtures.A;
import static io.edgesched.api.control.Fixtures.B;
import static io.edgesched.api.control.Fixtures.C;
import static io.edgesched.api.control.Fixtures.workload;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Incremental planning of gate holds: a better target held back by the rate limit is not planned again while
 * the workload's inputs are unchanged; the gate alone is asked each round, and the move starts once it admits it.
 */
class GateHoldReplanTest {
    private final Fixtures.TestClock clock = new Fixtures.TestClock();
    private final Fixtures.Cluster cluster = new Fixtures.Cluster();
    private final WorkloadId web = workload("web");
    private final WorkloadId api = workload("api");
    private final List<List<WorkloadId>> plannedPerRound = new ArrayList<>();

    /** Moves each workload to its only entry node; a held move keeps its target (as the latency policy does). */
    private final PlacementPolicy toEntry = input -> {
        plannedPerRound.add(input.specs().values().stream().map(WorkloadSpec::workload).sorted().toList());
        MoveGate.Round gate = input.gate().open(input.now());
        List<WorkloadDecision> out = new ArrayList<>();
        for (WorkloadSpec spec : input.specs().values()) {
            WorkloadId w = spec.workload();
            Placement current = input.topology().placement(w);
            WorkloadDemand d = input.demand().demand(w);
            Placement target = Placement.of(w, d.entries().getFirst().entryNode());
            Explanation ex = new Explanation(d.entries(), List.of(), 3, true, false, "to the entry");
            if (target.sameNodesAs(current)) {
                out.add(new WorkloadDecision(w, current, current, DecisionReason.HOLD_AT_OPTIMUM, 0, 900, 900,
                        d.totalRate(), ex));
                continue;
            }
            DecisionReason reason = gate.admit(w, 5000, 900);
            out.add(new WorkloadDecision(w, current, target, reason, 4100, 5000, 900, d.totalRate(), ex));
        }
        return new PlacementPlan(input.now(), out);
    };

    @Test
    void aRateLimitedMoveIsNotPlannedAgainAndStartsWhenATokenIsBack() {
        cluster.place(web, A);
        cluster.demandAt(web, B, 10);
        cluster.place(api, A);
        cluster.demandAt(api, C, 10);
        // one move per minute, burst 1, no dwell: the first round admits one of the two moves
        StabilityGate gate = new StabilityGate(new StabilityConfig(0.05, 100, Duration.ZERO, 1, 1), clock);
        PlacementController controller = cluster.controller(clock, "web", "api").policy(toEntry).gate(gate)
                .incrementalPlanning(0.05, Duration.ofMinutes(10))
                .rescheduler(r -> CompletableFuture.completedFuture(Fixtures.doneIn(cluster, r))).build();

        RoundReport first = controller.reconcileOnce();
        assertThat(first.movesStarted()).isEqualTo(1);
        WorkloadId held = first.decisions().stream()
                .filter(d -> d.policy().orElseThrow().reason() == DecisionReason.HOLD_RATE_LIMIT)
                .map(Decision::workload).findFirst().orElseThrow();
        WorkloadId moved = held.equals(web) ? api : web;

        clock.advance(Duration.ofSeconds(10)); // no token yet
        RoundReport second = controller.reconcileOnce();
        assertThat(plannedPerRound.get(plannedPerRound.size() - 1)).as("only the moved workload is planned again")
                .containsExactly(moved);
        Decision heldAgain = second.decisions().stream().filter(d -> d.workload().equals(held)).findFirst().orElseThrow();
        assertThat(heldAgain.reason()).isEqualTo(DecisionReason.HOLD_RATE_LIMIT);
        assertThat(heldAgain.policy().orElseThrow().reason()).isEqualTo(DecisionReason.HOLD_RATE_LIMIT);
        assertThat(heldAgain.why()).contains("gate asked again");
        int plannedRounds = plannedPerRound.size();

        clock.advance(Duration.ofSeconds(60)); // a token is back
        RoundReport third = controller.reconcileOnce();
        assertThat(plannedPerRound).as("nothing needed planning: the gate alone admitted the held move")
                .hasSize(plannedRounds);
        assertThat(third.movesStarted()).isEqualTo(1);
        Decision started = third.decisions().stream().filter(d -> d.workload().equals(held)).findFirst().orElseThrow();
        assertThat(started.reason()).isEqualTo(DecisionReason.MOVE_STARTED);
        assertThat(cluster.topology().placement(held).nodes()).containsExactly(held.equals(web) ? B : C);
    }

    @Test
    void aHeldMoveWhoseDemandShiftedIsPlannedAgain() {
        cluster.place(web, A);
        cluster.demandAt(web, B, 10);
        StabilityGate gate = new StabilityGate(new StabilityConfig(0.05, 100, Duration.ZERO, 1, 1), clock);
        gate.recordMove(workload("other"), clock.instant()); // the only token is spent
        PlacementController controller = cluster.controller(clock, "web").policy(toEntry).gate(gate)
                .incrementalPlanning(0.05, Duration.ofMinutes(10))
                .rescheduler(r -> CompletableFuture.completedFuture(Fixtures.doneIn(cluster, r))).build();
        assertThat(controller.reconcileOnce().decisions().getFirst().policy().orElseThrow().reason())
                .isEqualTo(DecisionReason.HOLD_RATE_LIMIT);
        cluster.demand.remove(web);
        cluster.demandAt(web, C, 10); // clients now enter at C: the held target is stale
        clock.advance(Duration.ofSeconds(10));
        controller.reconcileOnce();
        assertThat(plannedPerRound).hasSize(2);
    }
}
