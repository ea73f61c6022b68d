package io.edgesched.api.control;

import io.edgesched.api.MoveResult;
import io.edgesched.api.WorkloadId;
import io.edgesched.api.policy.DecisionReason;
import io.edgesched.api.policy.MoveGate;
import io.edgesched.api.topology.Topology;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static io.edgesched.api.control.Fixtures.A;
import static io.edgesched.api.control.Fixtures.B;
import static io.edgesched.api.control.Fixtures.workload;
import static org.assertj.core.api.Assertions.assertThat;

/** The controller's seams: gate hooks for any gate, one round input, and the round scheduler. */
class ControllerSeamsTest {
    private final Fixtures.TestClock clock = new Fixtures.TestClock();
    private final Fixtures.Cluster cluster = new Fixtures.Cluster();
    private final WorkloadId web = workload("web");

    /** A gate of the user's own: admits every improvement and writes down what the controller tells it. */
    static final class RecordingGate implements MoveGate {
        final List<String> events = new CopyOnWriteArrayList<>();

        @Override
        public Round open(Instant now) {
            return (workload, current, target) -> target < current ? DecisionReason.MOVE : DecisionReason.HOLD_AT_OPTIMUM;
        }

        @Override
        public void moveStarted(WorkloadId workload, Instant at) {
            events.add("started " + workload.name() + " at " + at);
        }

        @Override
        public void moveEnded(MoveResult result, Instant at) {
            events.add((result.isDone() ? "done " : "not done ") + result.request().workload().name());
        }
    }

    @Test
    void aCustomGateIsToldOfEveryMoveThatStartsAndEnds() {
        Fixtures.ManualRescheduler rescheduler = new Fixtures.ManualRescheduler();
        RecordingGate gate = new RecordingGate();
        cluster.place(web, A);
        cluster.demandAt(web, B, 10);
        PlacementController controller = cluster.controller(clock, "web").gate(gate).rescheduler(rescheduler).build();

        Instant first = clock.instant();
        assertThat(controller.reconcileOnce().movesStarted()).isEqualTo(1);
        assertThat(gate.events).containsExactly("started web at " + first);
        rescheduler.completeAll(r -> new MoveResult.Failed(r, "node gone", false, null));
        assertThat(gate.events).containsExactly("started web at " + first, "not done web");
    }

    @Test
    void demandAndTopologyComeFromOneReadPerRound() {
        AtomicInteger reads = new AtomicInteger();
        AtomicReference<Instant> readAt = new AtomicReference<>();
        cluster.place(web, A);
        cluster.demandAt(web, B, 10);
        Fixtures.Cluster c = cluster;
        PlacementController controller = PlacementController.builder()
                .clock(clock)
                .roundInput(now -> {
                    reads.incrementAndGet();
                    readAt.set(now);
                    Topology topology = c.topology();
                    return new RoundInput(c.demandView().apply(now), topology, c.specs("web"));
                })
                .policy(new Fixtures.BusiestEntryPolicy())
                .gate(MoveGate.ANY_IMPROVEMENT)
                .dryRun(true)
                .build();
        RoundReport report = controller.reconcileOnce();
        assertThat(reads).hasValue(1);
        assertThat(readAt.get()).isEqualTo(report.at());
        assertThat(report.decisions()).singleElement()
                .satisfies(d -> assertThat(d.reason()).isEqualTo(DecisionReason.WOULD_MOVE));
    }

    @Test
    void aSoonerTriggerBringsAPendingLaterRunForwardAndRunsOnce() throws Exception {
        java.util.concurrent.ScheduledThreadPoolExecutor thread = new java.util.concurrent.ScheduledThreadPoolExecutor(1);
        try {
            AtomicInteger runs = new AtomicInteger();
            CountDownLatch ran = new CountDownLatch(1);
            RoundScheduler scheduler = RoundScheduler.on(thread, "test", () -> {
                runs.incrementAndGet();
                ran.countDown();
            }, Duration.ZERO);
            scheduler.trigger(Duration.ofMinutes(10)); // an ordinary report's delay
            scheduler.trigger(Duration.ofMinutes(20)); // later: merges
            scheduler.trigger(Duration.ZERO);          // a handoff: sooner, replaces the pending run
            assertThat(ran.await(10, TimeUnit.SECONDS)).as("ran long before the first trigger's 10 min").isTrue();
            CountDownLatch drained = new CountDownLatch(1);
            scheduler.execute(drained::countDown);
            assertThat(drained.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(runs).as("the replaced run does not run as well").hasValue(1);
            assertThat(thread.getQueue())
                    .as("nothing left pending").allMatch(r -> ((java.util.concurrent.Future<?>) r).isCancelled());
            scheduler.close();
        } finally {
            thread.shutdownNow();
        }
    }

    @Test
    void triggersWhileOneIsPendingMergeAndAThrowingRunKeepsTheSchedule() throws Exception {
        ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor();
        try {
            AtomicInteger runs = new AtomicInteger();
            CountDownLatch firstRunEntered = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            RoundScheduler scheduler = RoundScheduler.on(thread, "test", () -> {
                if (runs.incrementAndGet() == 1) {
                    firstRunEntered.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    throw new IllegalStateException("a bug in the task");
                }
            }, Duration.ZERO);
            scheduler.trigger();
            assertThat(firstRunEntered.await(10, TimeUnit.SECONDS)).isTrue();
            for (int i = 0; i < 5; i++) {
                scheduler.trigger(); // the first is pending behind the running one; the rest merge into it
            }
            release.countDown();
            CountDownLatch drained = new CountDownLatch(1);
            scheduler.execute(drained::countDown); // queued after the pending run: runs once that ran
            assertThat(drained.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(runs).as("one run, then one for the five merged triggers").hasValue(2);
            scheduler.trigger(); // the throw did not stop it
            CountDownLatch again = new CountDownLatch(1);
            scheduler.execute(again::countDown);
            assertThat(again.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(runs).hasValue(3);
            scheduler.close();
            scheduler.trigger(); // closed: ignored
            CountDownLatch after = new CountDownLatch(1);
            thread.execute(after::countDown);
            assertThat(after.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(runs).hasValue(3);
        } finally {
            thread.shutdownNow();
        }
    }
}
