package io.edgesched.api.control;

import io.edgesched.api.WorkloadId;
import io.edgesched.api.demand.EntryDemand;
import io.edgesched.api.demand.WorkloadDemand;
import io.edgesched.api.policy.DecisionReason;
import io.edgesched.api.policy.PlacementPolicy;
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

class IncrementalPlanningTest {
    private final Fixtures.TestClock clock = new Fixtures.TestClock();
    private final Fixtures.Cluster cluster = new Fixtures.Cluster();
    private final WorkloadId web = workload("web");
    private final WorkloadId api = workload("api");
    private final List<Integer> plannedPerRound = new ArrayList<>();
    private final PlacementPolicy counting = input -> {
        plannedPerRound.add(input.specs().size());
        return new Fixtures.BusiestEntryPolicy().plan(input);
    };

    private PlacementController controller(PlacementController.Builder b) {
        return b.policy(counting).rescheduler(r -> CompletableFuture.completedFuture(Fixtures.doneIn(cluster, r))).build();
    }

    private void mixedDemand(WorkloadId w, double atA, double atB) {
        cluster.demand.put(w, new WorkloadDemand(w, List.of(EntryDemand.of(A, atA, 1000), EntryDemand.of(B, atB, 1000))));
    }

    @Test
    void heldWorkloadsWithUnchangedInputsAreNotPlannedAgainButStillExplained() {
        cluster.place(web, A);
        mixedDemand(web, 10, 3);
        cluster.place(api, C);
        cluster.demandAt(api, C, 5);
        PlacementController controller = controller(cluster.controller(clock, "web", "api")
                .incrementalPlanning(0.05, Duration.ofMinutes(10)));
        assertThat(controller.reconcileOnce().planned()).isEqualTo(2);
        for (int i = 0; i < 3; i++) {
            clock.advance(Duration.ofSeconds(30));
            mixedDemand(web, 10 + 0.5 * i, 3); // a small wobble: shape moves by less than 5 %
            RoundReport report = controller.reconcileOnce();
            assertThat(report.planned()).isZero();
            assertThat(report.decisions()).hasSize(2).allSatisfy(d -> {
                assertThat(d.reason()).isEqualTo(DecisionReason.HOLD_AT_OPTIMUM);
                assertThat(d.why()).startsWith("inputs unchanged since round 1 (demand shape moved ")
                        .contains(" % <= 5.0 %, same placement, nodes and latencies): ");
                assertThat(d.policy().orElseThrow().reason()).isEqualTo(DecisionReason.HOLD_AT_OPTIMUM);
            });
        }
        assertThat(plannedPerRound).as("with nothing to plan the policy is not called").containsExactly(2);
    }

    @Test
    void aShiftInDemandAPlacementChangeOrAgeBringsTheWorkloadBack() {
        cluster.place(web, A);
        mixedDemand(web, 10, 3);
        PlacementController controller = controller(cluster.controller(clock, "web")
                .incrementalPlanning(0.05, Duration.ofMinutes(10)));
        controller.reconcileOnce();
        clock.advance(Duration.ofSeconds(30));
        assertThat(controller.reconcileOnce().planned()).isZero();

        mixedDemand(web, 10, 6); // shares 0.77/0.23 -> 0.62/0.38: moved by 30 %
        clock.advance(Duration.ofSeconds(30));
        assertThat(controller.reconcileOnce().planned()).isEqualTo(1);

        cluster.place(web, A, C); // someone scaled it
        clock.advance(Duration.ofSeconds(30));
        assertThat(controller.reconcileOnce().planned()).isEqualTo(1);

        clock.advance(Duration.ofSeconds(30));
        assertThat(controller.reconcileOnce().planned()).isZero();
        clock.advance(Duration.ofMinutes(10)); // max age passed
        assertThat(controller.reconcileOnce().planned()).isEqualTo(1);
    }

    @Test
    void replanEveryRoundPlansEveryRound() {
        cluster.place(web, A);
        mixedDemand(web, 10, 3);
        PlacementController controller = controller(cluster.controller(clock, "web").replanEveryRound());
        for (int i = 0; i < 3; i++) {
            assertThat(controller.reconcileOnce().planned()).isEqualTo(1);
            clock.advance(Duration.ofSeconds(30));
        }
    }

    @Test
    void moveDecisionsAreNeverReused() {
        cluster.place(web, A);
        cluster.demandAt(web, B, 10);
        PlacementController controller = cluster.controller(clock, "web").policy(counting).dryRun(true).build();
        for (int i = 0; i < 3; i++) {
            RoundReport report = controller.reconcileOnce();
            assertThat(report.planned()).isEqualTo(1);
            assertThat(report.wouldMove()).isEqualTo(1);
            clock.advance(Duration.ofSeconds(30));
        }
    }

    @Test
    void percentagesReadAsAFormatStringWouldPrintThem() {
        java.util.Random rnd = new java.util.Random(3);
        for (int i = 0; i < 10_000; i++) {
            double fraction = i < 2001 ? i / 1000.0 : rnd.nextDouble() * 2;
            String expected = String.format(java.util.Locale.ROOT, "%.1f", 100 * fraction);
            String got = ReplanFilter.appendPercent(new StringBuilder(), fraction).toString();
            // the two round differently only for fractions within 1e-12 of a half tenth, which print either way
            if (!expected.equals(got)) {
                assertThat(Math.abs(fraction * 1000 - Math.floor(fraction * 1000) - 0.5)).as("%s", fraction).isLessThan(1e-9);
            }
        }
        assertThat(ReplanFilter.appendPercent(new StringBuilder(), 0.0171).toString()).isEqualTo("1.7");
        assertThat(ReplanFilter.appendPercent(new StringBuilder(), 0.05).toString()).isEqualTo("5.0");
        assertThat(ReplanFilter.appendPercent(new StringBuilder(), 2).toString()).isEqualTo("200.0");
    }

    @Test
    void shapeDistance() {
        WorkloadDemand a = new WorkloadDemand(web, List.of(EntryDemand.of(A, 3, 0), EntryDemand.of(B, 1, 0)));
        WorkloadDemand doubled = new WorkloadDemand(web, List.of(EntryDemand.of(A, 6, 0), EntryDemand.of(B, 2, 0)));
        WorkloadDemand elsewhere = new WorkloadDemand(web, List.of(EntryDemand.of(C, 1, 0)));
        assertThat(ReplanFilter.shapeDistance(a, doubled)).isZero();
        assertThat(ReplanFilter.shapeDistance(a, elsewhere)).isEqualTo(2.0);
        assertThat(ReplanFilter.shapeDistance(WorkloadDemand.none(web), WorkloadDemand.none(web))).isZero();
        assertThat(ReplanFilter.shapeDistance(WorkloadDemand.none(web), a)).isEqualTo(2.0);
    }
}
