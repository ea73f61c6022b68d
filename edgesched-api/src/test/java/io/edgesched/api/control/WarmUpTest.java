package io.edgesched.api.control;

import io.edgesched.api.MoveResult;
import io.edgesched.api.Rescheduler;
import io.edgesched.api.WorkloadId;
import io.edgesched.api.demand.DemandConfig;
import io.edgesched.api.policy.LatencyAwarePolicy;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import static io.edgesched.api.control.Fixtures.A;
import static io.edgesched.api.control.Fixtures.B;
import static io.edgesched.api.control.Fixtures.workload;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WarmUpTest {
    private static final WarmUp.Shape SMALL = new WarmUp.Shape(40, 200, 4_000, 4);

    @Test
    void runsTheWholeRoundOnItsOwnCluster_andLeavesTheControllerUntouched() {
        Fixtures.TestClock clock = new Fixtures.TestClock();
        Fixtures.Cluster cluster = new Fixtures.Cluster();
        WorkloadId web = workload("web");
        cluster.place(web, A);
        cluster.demandAt(web, B, 10);
        AtomicInteger calls = new AtomicInteger();
        Rescheduler counting = r -> {
            calls.incrementAndGet();
            return CompletableFuture.completedFuture(new MoveResult.Done(r, Duration.ZERO));
        };
        try (PlacementController controller = cluster.controller(clock, "web").rescheduler(counting).build()) {
            WarmUp.Report report = controller.warmUp(SMALL);

            assertThat(report.rounds()).isEqualTo(4);
            assertThat(report.records()).isEqualTo(4L * 4_000); // every client reports every round
            assertThat(report.planned()).isGreaterThan(200);    // the first round with demand plans them all
            assertThat(report.moves()).isPositive();
            assertThat(calls).hasValue(0);
            assertThat(controller.lastRound()).isEmpty();
            assertThat(controller.lastDecisions()).isEmpty();
            assertThat(controller.stats().movesStarted()).isZero();

            // the real cluster's first round decides as it would have without the warm-up
            RoundReport first = controller.reconcileOnce();
            assertThat(first.round()).isEqualTo(1);
            assertThat(first.movesStarted()).isEqualTo(1);
            assertThat(controller.lastDecision(web).orElseThrow().target().nodes()).containsExactly(B);
            assertThat(calls).hasValue(1);
        }
    }

    @Test
    void isDeterministic() {
        WarmUp.Report one = WarmUp.run(SMALL, new LatencyAwarePolicy(), DemandConfig.defaults(), 0.05);
        WarmUp.Report two = WarmUp.run(SMALL, new LatencyAwarePolicy(), DemandConfig.defaults(), 0.05);
        assertThat(two.records()).isEqualTo(one.records());
        assertThat(two.planned()).isEqualTo(one.planned());
        assertThat(two.moves()).isEqualTo(one.moves());
    }

    @Test
    void planningEveryRoundPlansEveryWorkloadEveryRound() {
        WarmUp.Report report = WarmUp.run(SMALL, new LatencyAwarePolicy(), DemandConfig.defaults(), -1);
        // workloads with a move in flight or settling are held, not planned: at most all of them, every round
        assertThat(report.planned()).isGreaterThan(2L * 200).isLessThanOrEqualTo(4L * 200);
    }

    @Test
    void rejectsShapesThatAreEmptyOrLargerThanAWarmUpNeeds() {
        assertThatThrownBy(() -> new WarmUp.Shape(3, 10, 10, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(">= 4 nodes");
        assertThatThrownBy(() -> new WarmUp.Shape(10, 10, 10, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new WarmUp.Shape(10, 10, 2_000_000, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("too large");
    }
}
