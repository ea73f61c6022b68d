package io.edgesched.api.control;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.NodeId;
import io.edgesched.api.OriginRecord;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.OriginSourceException;
import io.edgesched.api.OriginStats;
import io.edgesched.api.RequestOriginSource;
import io.edgesched.api.WatchedService;
import io.edgesched.api.WorkloadId;
import io.edgesched.api.MoveResult;
import io.edgesched.api.demand.DemandConfig;
import io.edgesched.api.demand.DemandStore;
import io.edgesched.api.demand.ServiceCatalog;
import io.edgesched.api.policy.DecisionReason;
import io.edgesched.api.policy.LatencyAwarePolicy;
import io.edgesched.api.policy.MoveGate;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import static io.edgesched.api.control.Fixtures.A;
import static io.edgesched.api.control.Fixtures.B;
import static org.assertj.core.api.Assertions.assertThat;

/** The controller fed with cumulative snapshots through the real demand store and the real policy. */
class SnapshotInputTest {
    private static final int SERVICE = 80;
    private final Fixtures.TestClock clock = new Fixtures.TestClock();
    private final Fixtures.Cluster cluster = new Fixtures.Cluster();
    private final WorkloadId web = Fixtures.workload("web");
    private final ClientAddress client = ClientAddress.parse("192.0.2.10");
    private final AtomicInteger moves = new AtomicInteger();

    /** A node's source whose counters, generation and failures the test scripts. */
    private final class ScriptedSource implements RequestOriginSource {
        final NodeId node;
        long packets;
        long generation = 1;
        boolean failing;

        ScriptedSource(NodeId node) {
            this.node = node;
        }

        @Override
        public NodeId node() {
            return node;
        }

        @Override
        public void watch(WatchedService service) {
        }

        @Override
        public void unwatch(int serviceId) {
        }

        @Override
        public Set<WatchedService> watched() {
            return Set.of(WatchedService.port(SERVICE));
        }

        @Override
        public OriginSnapshot snapshot() {
            if (failing) {
                throw new OriginSourceException("map read failed (test)");
            }
            long mono = Duration.between(Fixtures.T0, clock.instant()).toNanos() + 1_000_000_000L;
            List<OriginRecord> records = packets == 0 ? List.of() : List.of(new OriginRecord(SERVICE, SERVICE, client,
                    packets / 10, packets, packets * 100, 3000, 5, 1, mono, false));
            return new OriginSnapshot(node, clock.instant(), mono, generation, records, OriginStats.EMPTY);
        }

        @Override
        public void close() {
        }
    }

    @Test
    void counterResetsRestartsAndMissingNodesNeverCauseASpuriousMove() {
        ScriptedSource a = new ScriptedSource(A);
        ScriptedSource b = new ScriptedSource(B);
        cluster.place(web, A);
        List<Decision> decisions = new ArrayList<>();
        DemandStore store = new DemandStore(ServiceCatalog.byServiceId(Map.of(SERVICE, web)), DemandConfig.defaults());
        PlacementController controller = PlacementController.builder()
                .clock(clock)
                .demand(DemandInput.fromSources(List.of(a, b)), store)
                .topology(cluster::topology)
                .workloads(cluster.specs("web"))
                .policy(new LatencyAwarePolicy())
                .gate(MoveGate.ANY_IMPROVEMENT)
                .rescheduler(r -> {
                    moves.incrementAndGet();
                    return CompletableFuture.completedFuture(new MoveResult.Done(r, Duration.ZERO));
                })
                .listener(decisions::add)
                .build();

        // steady local demand at A, where web runs
        for (int i = 0; i < 5; i++) {
            a.packets += 10_000;
            controller.reconcileOnce();
            clock.advance(Duration.ofSeconds(10));
        }
        assertThat(controller.lastDecision(web).orElseThrow().policy().orElseThrow().reason())
                .isEqualTo(DecisionReason.HOLD_AT_OPTIMUM);

        // A's counter goes backwards (entry evicted and re-created), B's source throws, then A restarts
        a.packets = 50;
        b.failing = true;
        controller.reconcileOnce();
        clock.advance(Duration.ofSeconds(10));
        a.generation = 2;
        a.packets = 10;
        controller.reconcileOnce();
        clock.advance(Duration.ofSeconds(10));
        // A stops answering altogether: its last estimate decays, nothing else appears
        a.failing = true;
        for (int i = 0; i < 3; i++) {
            controller.reconcileOnce();
            clock.advance(Duration.ofSeconds(10));
        }
        assertThat(moves).hasValue(0);
        assertThat(decisions).isNotEmpty().allSatisfy(d -> {
            assertThat(d.reason()).isIn(DecisionReason.HOLD_AT_OPTIMUM, DecisionReason.HOLD_NO_DEMAND);
            assertThat(d.policy().orElseThrow().reason()).isIn(DecisionReason.HOLD_AT_OPTIMUM, DecisionReason.HOLD_NO_DEMAND);
        });
        assertThat(controller.stats().inputErrors()).isZero();
        assertThat(store.stats().counterResets()).as("the reset was seen").isGreaterThanOrEqualTo(1);
        assertThat(store.stats().generationChanges()).as("the restart was seen").isEqualTo(1);
    }

    @Test
    void demandMovingToAnotherNodeMovesTheWorkloadThere() {
        ScriptedSource a = new ScriptedSource(A);
        ScriptedSource b = new ScriptedSource(B);
        cluster.place(web, A);
        PlacementController controller = PlacementController.builder()
                .clock(clock)
                .demand(DemandInput.fromSources(List.of(a, b)), ServiceCatalog.byServiceId(Map.of(SERVICE, web)))
                .topology(cluster::topology)
                .workloads(cluster.specs("web"))
                .gate(MoveGate.ANY_IMPROVEMENT)
                .rescheduler(r -> {
                    moves.incrementAndGet();
                    return CompletableFuture.completedFuture(Fixtures.doneIn(cluster, r));
                })
                .build();
        for (int i = 0; i < 4; i++) {
            b.packets += 10_000;
            controller.reconcileOnce();
            clock.advance(Duration.ofSeconds(10));
        }
        assertThat(moves).hasValue(1);
        assertThat(cluster.topology().placement(web).nodes()).containsExactly(B);
    }

    @Test
    void pushedSnapshotsCountLikePulledOnes() {
        ScriptedSource b = new ScriptedSource(B);
        cluster.place(web, A);
        PlacementController controller = PlacementController.builder()
                .clock(clock)
                .demand(DemandInput.PUSH_ONLY, ServiceCatalog.byServiceId(Map.of(SERVICE, web)))
                .topology(cluster::topology)
                .workloads(cluster.specs("web"))
                .gate(MoveGate.ANY_IMPROVEMENT)
                .rescheduler(r -> {
                    moves.incrementAndGet();
                    return CompletableFuture.completedFuture(Fixtures.doneIn(cluster, r));
                })
                .build();
        for (int i = 0; i < 4; i++) {
            b.packets += 10_000;
            OriginSnapshot snapshot = b.snapshot();
            controller.ingest(snapshot);
            controller.ingest(snapshot); // a duplicate report is ingested once
            controller.reconcileOnce();
            clock.advance(Duration.ofSeconds(10));
        }
        assertThat(moves).hasValue(1);
        assertThat(cluster.topology().placement(web).nodes()).containsExactly(B);
        PlacementController viewOnly = PlacementController.builder().dryRun(true)
                .demandView(cluster.demandView()).topology(cluster::topology).workloads(cluster.specs("web")).build();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> viewOnly.ingest(b.snapshot()))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("snapshot demand");
    }

    @Test
    void housekeepingBetweenRoundsGrowsTheStoreAheadOfTheNextIngest() {
        cluster.place(web, A);
        DemandStore store = new DemandStore(ServiceCatalog.byServiceId(Map.of(SERVICE, web)), DemandConfig.defaults());
        PlacementController controller = PlacementController.builder()
                .clock(clock)
                .demand(DemandInput.PUSH_ONLY, store)
                .topology(cluster::topology)
                .workloads(cluster.specs("web"))
                .rescheduler(r -> CompletableFuture.completedFuture(Fixtures.doneIn(cluster, r)))
                .build();
        assertThat(controller.housekeep()).as("nothing to do before any demand").isFalse();
        int grown = 0;
        for (int round = 1; round <= 12; round++) {
            long mono = Duration.between(Fixtures.T0, clock.instant()).toNanos() + 1_000_000_000L;
            List<OriginRecord> records = new ArrayList<>();
            for (int c = 0; c < 40 * round; c++) { // more clients each round
                records.add(new OriginRecord(SERVICE, SERVICE, ClientAddress.parse("198.51." + (c / 200) + "." + (c % 200)),
                        round, 10L * round, 1000L * round, 3000, 5, 1, 1, false));
            }
            controller.ingest(new OriginSnapshot(B, clock.instant(), mono, 1, records, OriginStats.EMPTY));
            controller.reconcileOnce();
            long before = store.aggregateMemoryBytes();
            if (controller.housekeep()) {
                grown++;
                assertThat(store.aggregateMemoryBytes()).isGreaterThan(before);
            }
            assertThat(controller.housekeep()).as("room was made").isFalse();
            clock.advance(Duration.ofSeconds(10));
        }
        assertThat(store.aggregateCount()).isEqualTo(480);
        assertThat(grown).isGreaterThanOrEqualTo(2);
        PlacementController viewOnly = PlacementController.builder().dryRun(true)
                .demandView(cluster.demandView()).topology(cluster::topology).workloads(cluster.specs("web")).build();
        assertThat(viewOnly.housekeep()).as("no store of its own").isFalse();
    }
}
