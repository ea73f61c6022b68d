package com.example.placement;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.MoveRequest;
import io.edgesched.api.MoveResult;
import io.edgesched.api.NodeId;
import io.edgesched.api.OriginRecord;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.OriginStats;
import io.edgesched.api.WorkloadId;
import io.edgesched.api.control.Decision;
import io.edgesched.api.control.PlacementController;
import io.edgesched.api.control.SnapshotInbox;
import io.edgesched.api.demand.ServiceCatalog;
import io.edgesched.api.policy.DecisionReason;
import io.edgesched.api.policy.LatencyAwarePolicy;
import io.edgesched.api.policy.StabilityConfig;
import io.edgesched.api.policy.StabilityGate;
import io.edgesched.api.policy.WorkloadSpec;
import io.edgesched.api.topology.LatencyMatrix;
import io.edgesched.api.topology.MissingLatency;
import io.edgesched.api.topology.NodeInfo;
import io.edgesched.api.topology.Placement;
import io.edgesched.api.topology.Topology;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Two regions, eu (eu-1, eu-2) and us (us-1, us-2). All clients enter at us-1. "web" runs in eu and is fenced
 * there; "api" runs in us and may go anywhere. Latency alone would pull both to us-1.
 */
class CustomControllerTest {
    static final NodeId EU1 = NodeId.of("eu-1");
    static final NodeId EU2 = NodeId.of("eu-2");
    static final NodeId US1 = NodeId.of("us-1");
    static final NodeId US2 = NodeId.of("us-2");
    static final WorkloadId WEB = WorkloadId.of("shop", "web");
    static final WorkloadId API = WorkloadId.of("shop", "api");
    static final int WEB_PORT = 8080;
    static final int API_PORT = 9090;

    final MutableClock clock = new MutableClock();
    final AtomicReference<Topology> cluster = new AtomicReference<>(new Topology(
            List.of(node(EU1, "eu"), node(EU2, "eu"), node(US1, "us"), node(US2, "us")),
            LatencyMatrix.builder(List.of(EU1, EU2, US1, US2))
                    .measureBoth(EU1, EU2, 10_000).measureBoth(EU1, US1, 80_000).measureBoth(EU2, US1, 40_000)
                    .measureBoth(EU1, US2, 90_000).measureBoth(EU2, US2, 50_000).measureBoth(US1, US2, 20_000)
                    .build(MissingLatency.SYMMETRIC),
            List.of(Placement.of(WEB, EU1), Placement.of(API, US2))));
    final SnapshotInbox inbox = new SnapshotInbox();
    final ServiceCatalog services = ServiceCatalog.byServiceId(Map.of(WEB_PORT, WEB, API_PORT, API));
    final List<WorkloadSpec> workloads = List.of(WorkloadSpec.of(WEB, 1), WorkloadSpec.of(API, 1));

    @Test
    void fencedWorkloadMovesToTheNearestNodeInsideItsRegionAndTheOtherFollowsItsClients() {
        AuditedRescheduler mover = new AuditedRescheduler(this::apply, Set.of());
        try (PlacementController controller = CustomController.create(inbox, services, cluster::get, workloads, "eu",
                mover, clock)) {
            runTwoReportRounds(controller);

            Decision web = controller.lastDecision(WEB).orElseThrow();
            Decision api = controller.lastDecision(API).orElseThrow();
            assertThat(web.reason()).isEqualTo(DecisionReason.MOVE_STARTED);
            assertThat(web.target().nodes()).containsExactly(EU2);
            assertThat(api.reason()).isEqualTo(DecisionReason.MOVE_STARTED);
            assertThat(api.target().nodes()).containsExactly(US1);
        }
        assertThat(mover.requests()).extracting(MoveRequest::workload).containsExactlyInAnyOrder(WEB, API);
        assertThat(mover.requests()).filteredOn(r -> r.workload().equals(WEB))
                .allSatisfy(r -> assertThat(r.targetNodes()).containsExactly(EU2));
        assertThat(mover.results()).allMatch(MoveResult::isDone);
        assertThat(cluster.get().placement(WEB).nodes()).containsExactly(EU2);
        assertThat(cluster.get().placement(API).nodes()).containsExactly(US1);
    }

    @Test
    void withoutTheFenceLatencyAlonePullsWebOutOfItsRegion() {
        // the control experiment: same cluster and demand, edgesched's policy unwrapped
        AuditedRescheduler mover = new AuditedRescheduler(this::apply, Set.of());
        try (PlacementController controller = PlacementController.builder()
                .demand(inbox, services).topology(cluster::get).workloads(workloads)
                .policy(new LatencyAwarePolicy())
                .gate(new StabilityGate(StabilityConfig.defaults(), clock))
                .rescheduler(mover).clock(clock).build()) {
            runTwoReportRounds(controller);
            assertThat(controller.lastDecision(WEB).orElseThrow().target().nodes()).containsExactly(US1);
        }
    }

    @Test
    void ourMoverRefusesATargetInMaintenanceAndTheControllerHolds() {
        AuditedRescheduler mover = new AuditedRescheduler(this::apply, Set.of(EU2));
        try (PlacementController controller = CustomController.create(inbox, services, cluster::get, workloads, "eu",
                mover, clock)) {
            runTwoReportRounds(controller);
            clock.advance(Duration.ofSeconds(10));
            controller.reconcileOnce();

            assertThat(mover.results()).filteredOn(r -> r.request().workload().equals(WEB))
                    .isNotEmpty().allMatch(r -> r instanceof MoveResult.Refused);
            assertThat(controller.lastDecision(WEB).orElseThrow().reason()).isEqualTo(DecisionReason.HOLD_REFUSED);
        }
        assertThat(cluster.get().placement(WEB).nodes()).containsExactly(EU1);
        assertThat(mover.requests()).filteredOn(r -> r.workload().equals(WEB))
                .allSatisfy(r -> assertThat(r.targetNodes()).allMatch(n -> n.equals(EU1) || n.equals(EU2)));
    }

    @Test
    void onlyWorkloadsRunningEntirelyInTheRegionAreFenced() {
        RegionFencePolicy fence = new RegionFencePolicy(new LatencyAwarePolicy(), "eu");
        assertThat(fence.isFenced(cluster.get(), WEB)).isTrue();
        assertThat(fence.isFenced(cluster.get(), API)).isFalse();
        assertThat(fence.isFenced(cluster.get().withPlacement(Placement.of(WEB, EU1, US1)), WEB)).isFalse();
        assertThat(fence.isFenced(cluster.get(), WorkloadId.of("shop", "not-running"))).isFalse();
    }

    /** Clients 3 ms from us-1, for both services, reported twice 10 s apart (rates need two readings). */
    private void runTwoReportRounds(PlacementController controller) {
        ClientAddress client = ClientAddress.parse("198.51.100.7");
        for (int i = 1; i <= 2; i++) {
            List<OriginRecord> records = List.of(
                    new OriginRecord(WEB_PORT, WEB_PORT, client, 100L * i, 1000L * i, 100_000L * i, 3_000, 10, 1,
                            i * 10_000_000_000L, false),
                    new OriginRecord(API_PORT, API_PORT, client, 100L * i, 1000L * i, 100_000L * i, 3_000, 10, 1,
                            i * 10_000_000_000L, false));
            inbox.offer(new OriginSnapshot(US1, clock.instant(), i * 10_000_000_000L, 1, records, OriginStats.EMPTY));
            controller.reconcileOnce();
            clock.advance(Duration.ofSeconds(10));
        }
    }

    private void apply(MoveRequest request) {
        cluster.updateAndGet(t -> t.withPlacement(Placement.of(request.workload(), request.targetNodes())));
    }

    private static NodeInfo node(NodeId id, String region) {
        return new NodeInfo(id, new TreeMap<>(Map.of(RegionFencePolicy.REGION_LABEL, region)), true, false,
                new TreeSet<>(), NodeInfo.UNLIMITED);
    }

    static final class MutableClock implements InstantSource {
        private Instant now = Instant.parse("2026-01-01T00:00:00Z");

        @Override
        public synchronized Instant instant() {
            return now;
        }

        synchronized void advance(Duration by) {
            now = now.plus(by);
        }
    }
}
