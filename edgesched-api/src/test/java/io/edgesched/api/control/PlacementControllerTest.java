package io.edgesched.api.control;

import io.edgesched.api.MoveRequest;
import io.edgesched.api.MoveResult;
import io.edgesched.api.Rescheduler;
import io.edgesched.api.WorkloadId;
import io.edgesched.api.policy.DecisionReason;
import io.edgesched.api.policy.StabilityConfig;
import io.edgesched.api.policy.StabilityGate;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.edgesched.api.control.Fixtures.A;
import static io.edgesched.api.control.Fixtures.B;
import static io.edgesched.api.control.Fixtures.C;
import static io.edgesched.api.control.Fixtures.workload;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PlacementControllerTest {
    private final Fixtures.TestClock clock = new Fixtures.TestClock();
    private final Fixtures.Cluster cluster = new Fixtures.Cluster();
    private final WorkloadId web = workload("web");
    private final WorkloadId api = workload("api");

    @Test
    void dryRunDecidesAndExplainsButNeverCallsTheRescheduler() {
        AtomicInteger calls = new AtomicInteger();
        Rescheduler mustNotBeCalled = r -> {
            calls.incrementAndGet();
            return CompletableFuture.completedFuture(new MoveResult.Done(r, Duration.ZERO));
        };
        cluster.place(web, A);
        cluster.demandAt(web, B, 10);
        try (PlacementController controller = cluster.controller(clock, "web").rescheduler(mustNotBeCalled).dryRun(true).build()) {
            for (int i = 0; i < 3; i++) {
                RoundReport report = controller.reconcileOnce();
                assertThat(report.wouldMove()).isEqualTo(1);
                assertThat(report.movesStarted()).isZero();
                clock.advance(Duration.ofMinutes(1));
            }
            Decision d = controller.lastDecision(web).orElseThrow();
            assertThat(d.reason()).isEqualTo(DecisionReason.WOULD_MOVE);
            assertThat(d.target().nodes()).containsExactly(B);
            assertThat(d.why()).contains("dry run");
            assertThat(controller.stats().wouldMove()).isEqualTo(3);
            assertThat(controller.stats().movesStarted()).isZero();
        }
        assertThat(calls).hasValue(0);
    }

    @Test
    void dryRunNeedsNoRescheduler_butARealRunDoes() {
        assertThatThrownBy(() -> cluster.controller(clock, "web").build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("dryRun(true)");
        assertThat(cluster.controller(clock, "web").dryRun(true).build().isDryRun()).isTrue();
    }

    @Test
    void neverRunsTwoMovesOfTheSameWorkloadAtOnce() {
        Fixtures.ManualRescheduler slow = new Fixtures.ManualRescheduler();
        cluster.place(web, A);
        cluster.demandAt(web, B, 10);
        PlacementController controller = cluster.controller(clock, "web").rescheduler(slow).build();

        assertThat(controller.reconcileOnce().movesStarted()).isEqualTo(1);
        for (int i = 0; i < 5; i++) {
            clock.advance(Duration.ofMinutes(1));
            // the demand even shifts: the policy now wants C, but the move to B is still running
            cluster.demandAt(web, C, 50);
            RoundReport report = controller.reconcileOnce();
            assertThat(report.movesStarted()).isZero();
            assertThat(controller.lastDecision(web).orElseThrow().reason()).isEqualTo(DecisionReason.HOLD_IN_FLIGHT);
        }
        assertThat(slow.requests).hasSize(1);
        assertThat(slow.maxConcurrentPerWorkload).isEqualTo(1);
        assertThat(controller.moveInFlight(web)).isTrue();
        assertThat(controller.stats().movesInFlight()).isEqualTo(1);

        slow.completeAll(r -> Fixtures.doneIn(cluster, r));
        assertThat(controller.moveInFlight(web)).isFalse();
        clock.advance(Duration.ofMinutes(1));
        assertThat(controller.reconcileOnce().movesStarted()).isEqualTo(1);
        assertThat(slow.requests).hasSize(2);
        assertThat(slow.requests.get(1).currentNodes()).containsExactly(B);
        assertThat(slow.requests.get(1).targetNodes()).containsExactly(C);
        assertThat(slow.maxConcurrentPerWorkload).isEqualTo(1);
        assertThat(controller.stats().movesDone()).isEqualTo(1);
    }

    @Test
    void failedMoveIsRetriedWithExponentialBackoffWhileOtherWorkloadsProceed() {
        List<MoveRequest> calls = new ArrayList<>();
        Rescheduler webFails = r -> {
            calls.add(r);
            MoveResult result = r.workload().equals(web)
                    ? new MoveResult.Failed(r, "new pod never became ready", true, null)
                    : Fixtures.doneIn(cluster, r);
            return CompletableFuture.completedFuture(result);
        };
        cluster.place(web, A);
        cluster.demandAt(web, B, 10);
        cluster.place(api, A);
        cluster.demandAt(api, C, 10);
        PlacementController controller = cluster.controller(clock, "web", "api").rescheduler(webFails).build();

        // round 1: both move; web fails (backoff 10 s, jitter 0 in this fixture), api is done
        assertThat(controller.reconcileOnce().movesStarted()).isEqualTo(2);
        assertThat(cluster.topology().placement(api).nodes()).containsExactly(C);
        // one second later web is backing off; api is at its optimum
        clock.advance(Duration.ofSeconds(1));
        controller.reconcileOnce();
        assertThat(controller.lastDecision(web).orElseThrow().reason()).isEqualTo(DecisionReason.HOLD_BACKOFF);
        assertThat(controller.lastDecision(api).orElseThrow().policy().orElseThrow().reason())
                .isEqualTo(DecisionReason.HOLD_AT_OPTIMUM);
        assertThat(webCalls(calls)).isEqualTo(1);

        // retries at 10 s, then 20 s later, then 40 s later: count attempts second by second
        List<Long> attemptSeconds = new ArrayList<>();
        attemptSeconds.add(0L);
        for (int s = 2; s <= 75; s++) {
            clock.advance(Duration.ofSeconds(1));
            int before = webCalls(calls);
            controller.reconcileOnce();
            if (webCalls(calls) > before) {
                attemptSeconds.add((long) s);
            }
        }
        assertThat(attemptSeconds).containsExactly(0L, 10L, 30L, 70L);
        assertThat(controller.stats().movesFailed()).isEqualTo(4);
        assertThat(controller.stats().movesDone()).isEqualTo(1);
    }

    @Test
    void backoffIsCappedAndJittered() {
        RetryPolicy retry = new RetryPolicy(Duration.ofSeconds(1), Duration.ofSeconds(30), 2, 0.2, Duration.ofMinutes(1));
        java.util.Random random = new java.util.Random(7);
        for (int failures = 1; failures <= 20; failures++) {
            double base = Math.min(30, Math.pow(2, failures - 1));
            double seconds = retry.backoff(failures, random).toNanos() / 1e9;
            assertThat(seconds).isBetween(base * 0.8, base * 1.2);
        }
        assertThat(retry.backoff(3, new java.util.Random(1))).isEqualTo(retry.backoff(3, new java.util.Random(1)));
        assertThatThrownBy(() -> new RetryPolicy(Duration.ofSeconds(5), Duration.ofSeconds(1), 2, 0, Duration.ZERO))
                .hasMessageContaining("maxBackoff");
    }

    @Test
    void refusedMoveIsHeldUntilTheProposalChangesOrTheCooldownPasses() {
        List<MoveRequest> calls = new ArrayList<>();
        Rescheduler refuses = r -> {
            calls.add(r);
            return CompletableFuture.completedFuture(new MoveResult.Refused(r, "target cordoned"));
        };
        cluster.place(web, A);
        cluster.demandAt(web, B, 10);
        PlacementController controller = cluster.controller(clock, "web").rescheduler(refuses).build();
        controller.reconcileOnce();
        assertThat(calls).hasSize(1);
        for (int i = 0; i < 4; i++) { // cool-down is 5 minutes in the fixture
            clock.advance(Duration.ofMinutes(1));
            controller.reconcileOnce();
            Decision d = controller.lastDecision(web).orElseThrow();
            assertThat(d.reason()).isEqualTo(DecisionReason.HOLD_REFUSED);
            assertThat(d.why()).contains("target cordoned");
        }
        assertThat(calls).hasSize(1);
        // the inputs change: now C is the best place, a different move may go at once
        cluster.demandAt(web, C, 10);
        controller.reconcileOnce();
        assertThat(calls).hasSize(2);
        assertThat(calls.get(1).targetNodes()).containsExactly(C);
        // the refusal of C is held too, until its cool-down passes
        clock.advance(Duration.ofMinutes(4));
        controller.reconcileOnce();
        assertThat(calls).hasSize(2);
        clock.advance(Duration.ofMinutes(1));
        controller.reconcileOnce();
        assertThat(calls).hasSize(3);
        assertThat(controller.stats().movesRefused()).isEqualTo(3);
    }

    @Test
    void everyWorkloadGetsAnExplainedDecisionEveryRound() {
        Fixtures.ManualRescheduler slow = new Fixtures.ManualRescheduler();
        cluster.place(web, A);
        cluster.demandAt(web, B, 10);          // moves, then in flight
        cluster.place(api, C);
        cluster.demandAt(api, C, 10);          // already optimal
        WorkloadId idle = workload("idle");
        cluster.place(idle, A);                // no demand
        WorkloadId ghost = workload("ghost");  // runs nowhere
        List<Decision> heard = new ArrayList<>();
        PlacementController controller = cluster.controller(clock, "web", "api", "idle", "ghost")
                .rescheduler(slow).listener(heard::add).build();
        for (int round = 0; round < 2; round++) {
            RoundReport report = controller.reconcileOnce();
            assertThat(report.decisions()).extracting(Decision::workload).containsExactly(api, ghost, idle, web);
            for (Decision d : report.decisions()) {
                assertThat(d.why()).isNotBlank();
                assertThat(d.toString()).contains(d.workload().toString());
                if (d.reason() != DecisionReason.HOLD_IN_FLIGHT) {
                    assertThat(d.policy()).isPresent();
                    assertThat(d.policy().get().explanation().detail()).isNotBlank();
                }
            }
            clock.advance(Duration.ofSeconds(30));
        }
        assertThat(heard).hasSize(8);
        assertThat(controller.lastDecision(api).orElseThrow().policy().orElseThrow().reason()).isEqualTo(DecisionReason.HOLD_AT_OPTIMUM);
        assertThat(controller.lastDecision(idle).orElseThrow().policy().orElseThrow().reason()).isEqualTo(DecisionReason.HOLD_NO_DEMAND);
        assertThat(controller.lastDecision(ghost).orElseThrow().policy().orElseThrow().reason()).isEqualTo(DecisionReason.HOLD_NOT_RUNNING);
        assertThat(controller.lastDecision(web).orElseThrow().reason()).isEqualTo(DecisionReason.HOLD_IN_FLIGHT);
        assertThat(controller.lastDecision(web).orElseThrow().demand().rateAt(B)).isEqualTo(10);
        assertThat(controller.stats().decisions()).isEqualTo(8);
        assertThat(controller.stats().rounds()).isEqualTo(2);
    }

    @Test
    void failingInputsDecideNothingAndAreCounted() {
        AtomicInteger calls = new AtomicInteger();
        cluster.place(web, A);
        cluster.demandAt(web, B, 10);
        PlacementController controller = cluster.controller(clock, "web")
                .topology(() -> { throw new IllegalStateException("informer not synced"); })
                .rescheduler(r -> { calls.incrementAndGet(); return new CompletableFuture<>(); })
                .build();
        RoundReport report = controller.reconcileOnce();
        assertThat(report.inputError()).get().asString().contains("informer not synced");
        assertThat(report.decisions()).isEmpty();
        assertThat(calls).hasValue(0);
        assertThat(controller.stats().inputErrors()).isEqualTo(1);
    }

    @Test
    void twoSpecsForOneWorkloadAreAnInputError() {
        cluster.place(web, A);
        PlacementController controller = cluster.controller(clock).dryRun(true)
                .workloads(List.of(io.edgesched.api.policy.WorkloadSpec.of(web, 1), io.edgesched.api.policy.WorkloadSpec.of(web, 2)))
                .build();
        assertThat(controller.reconcileOnce().inputError()).get().asString().contains("has two specs");
    }

    @Test
    void aThrowingReschedulerCountsAsAFailedMove() {
        cluster.place(web, A);
        cluster.demandAt(web, B, 10);
        PlacementController controller = cluster.controller(clock, "web")
                .rescheduler(r -> { throw new IllegalStateException("bug"); }).build();
        controller.reconcileOnce();
        assertThat(controller.stats().movesFailed()).isEqualTo(1);
        assertThat(controller.moveInFlight(web)).isFalse();
        clock.advance(Duration.ofSeconds(1));
        controller.reconcileOnce();
        assertThat(controller.lastDecision(web).orElseThrow().reason()).isEqualTo(DecisionReason.HOLD_BACKOFF);
    }

    @Test
    void stabilityGateGetsTheStartedMovesSoDwellTimeHolds() {
        Fixtures.ManualRescheduler manual = new Fixtures.ManualRescheduler();
        StabilityGate gate = new StabilityGate(new StabilityConfig(0, 0, Duration.ofMinutes(10), 60, 10), clock);
        cluster.place(web, A);
        cluster.demandAt(web, B, 10);
        PlacementController controller = cluster.controller(clock, "web").gate(gate).rescheduler(manual).build();
        controller.reconcileOnce();
        manual.completeAll(r -> Fixtures.doneIn(cluster, r));
        assertThat(gate.lastMove(web)).contains(Fixtures.T0);
        clock.advance(Duration.ofMinutes(1));
        cluster.demandAt(web, C, 10);
        controller.reconcileOnce();
        assertThat(controller.lastDecision(web).orElseThrow().policy().orElseThrow().reason()).isEqualTo(DecisionReason.HOLD_DWELL);
        assertThat(manual.requests).hasSize(1);
    }

    @Test
    void settlesAfterADoneMoveUntilTheTopologyShowsIt() {
        Fixtures.ManualRescheduler manual = new Fixtures.ManualRescheduler();
        cluster.place(web, A);
        cluster.demandAt(web, B, 10);
        PlacementController controller = cluster.controller(clock, "web").settleTimeout(Duration.ofMinutes(2))
                .rescheduler(manual).build();
        controller.reconcileOnce();
        // done, but the topology still shows A (informer lag)
        manual.completeAll(r -> new MoveResult.Done(r, Duration.ofSeconds(3)));
        clock.advance(Duration.ofSeconds(30));
        controller.reconcileOnce();
        assertThat(controller.lastDecision(web).orElseThrow().reason()).isEqualTo(DecisionReason.HOLD_SETTLING);
        assertThat(manual.requests).hasSize(1);
        cluster.place(web, B);
        clock.advance(Duration.ofSeconds(30));
        controller.reconcileOnce();
        assertThat(controller.lastDecision(web).orElseThrow().policy().orElseThrow().reason()).isEqualTo(DecisionReason.HOLD_AT_OPTIMUM);
    }

    @Test
    void triggerRunsARoundOnTheControllersThread() throws InterruptedException {
        cluster.place(web, A);
        cluster.demandAt(web, A, 10);
        CountDownLatch rounds = new CountDownLatch(2);
        PlacementController controller = cluster.controller(clock, "web").dryRun(true)
                .interval(Duration.ofHours(1)).minRoundSpacing(Duration.ZERO).listener(d -> rounds.countDown()).build();
        assertThatThrownBy(controller::trigger).hasMessageContaining("start()");
        controller.start();     // first round at once
        controller.trigger();   // and one more
        assertThat(rounds.await(30, TimeUnit.SECONDS)).isTrue();
        controller.close();
        assertThat(controller.stats().rounds()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void concurrentRoundsAndAsynchronousCompletionsNeverOverlapMovesOfOneWorkload() throws InterruptedException {
        // rounds run as fast as possible on the controller thread while moves finish on other threads,
        // and every finished move makes the policy want the next one at once
        java.util.concurrent.ScheduledExecutorService finisher = java.util.concurrent.Executors.newScheduledThreadPool(2);
        java.util.Map<WorkloadId, AtomicInteger> running = new java.util.concurrent.ConcurrentHashMap<>();
        AtomicInteger maxRunning = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(40);
        java.util.Random jitter = new java.util.Random(3);
        Rescheduler async = r -> {
            int now = running.computeIfAbsent(r.workload(), w -> new AtomicInteger()).incrementAndGet();
            maxRunning.accumulateAndGet(now, Math::max);
            CompletableFuture<MoveResult> f = new CompletableFuture<>();
            long delayMicros;
            synchronized (jitter) {
                delayMicros = 100 + jitter.nextInt(2000);
            }
            finisher.schedule(() -> {
                running.get(r.workload()).decrementAndGet();
                MoveResult result = Fixtures.doneIn(cluster, r);
                // the clients follow the workload away: next round wants another move
                cluster.demandAt(r.workload(), r.targetNodes().first().equals(B) ? C : B, 10);
                f.complete(result);
                done.countDown();
            }, delayMicros, TimeUnit.MICROSECONDS);
            return f;
        };
        for (String name : List.of("w1", "w2", "w3")) {
            cluster.place(workload(name), A);
            cluster.demandAt(workload(name), B, 10);
        }
        PlacementController controller = cluster.controller(clock, "w1", "w2", "w3").rescheduler(async)
                .interval(Duration.ofMillis(1)).minRoundSpacing(Duration.ZERO).build();
        controller.start();
        try {
            for (int i = 0; i < 2000 && done.getCount() > 0; i++) {
                controller.trigger();
                Thread.sleep(1);
            }
            assertThat(done.await(60, TimeUnit.SECONDS)).isTrue();
        } finally {
            controller.close();
            finisher.shutdownNow();
        }
        assertThat(maxRunning).hasValue(1);
        assertThat(controller.stats().movesDone()).isGreaterThanOrEqualTo(40);
    }

    private int webCalls(List<MoveRequest> calls) {
        return (int) calls.stream().filter(r -> r.workload().equals(web)).count();
    }
}
