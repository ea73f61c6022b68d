package io.edgesched.api.control;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.MoveResult;
import io.edgesched.api.NodeId;
import io.edgesched.api.OriginRecord;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.OriginStats;
import io.edgesched.api.Rescheduler;
import io.edgesched.api.WorkloadId;
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
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** The example of docs/controller.md, kept compiling and true. */
class UsageExampleTest {

    @Test
    void theDocumentedExampleMovesWebToWhereItsClientsAre() {
        // --- docs/controller.md example starts ---
        NodeId edgeA = NodeId.of("edge-a");
        NodeId edgeB = NodeId.of("edge-b");
        WorkloadId web = WorkloadId.of("default", "web");
        Fixtures.TestClock clock = new Fixtures.TestClock(); // any InstantSource; InstantSource.system() in production

        // The cluster: two nodes 8 ms apart, web runs on edge-a.
        LatencyMatrix latency = LatencyMatrix.builder(List.of(edgeA, edgeB))
                .measureBoth(edgeA, edgeB, 8_000).build(MissingLatency.SYMMETRIC);
        AtomicReference<Topology> cluster = new AtomicReference<>(new Topology(
                List.of(NodeInfo.ready(edgeA), NodeInfo.ready(edgeB)), latency, List.of(Placement.of(web, edgeA))));

        // A fake rescheduler: "moves" by updating the topology at once.
        Rescheduler rescheduler = request -> {
            cluster.updateAndGet(t -> t.withPlacement(Placement.of(request.workload(), request.targetNodes())));
            return CompletableFuture.completedFuture(new MoveResult.Done(request, Duration.ZERO));
        };

        // Node reports arrive in an inbox; service id 8080 is web on every node.
        SnapshotInbox inbox = new SnapshotInbox();
        PlacementController controller = PlacementController.builder()
                .demand(inbox, ServiceCatalog.byServiceId(Map.of(8080, web)))
                .topology(cluster::get)
                .workloads(List.of(WorkloadSpec.of(web, 1)))
                .policy(new LatencyAwarePolicy())
                .gate(new StabilityGate(StabilityConfig.defaults(), clock))
                .rescheduler(rescheduler)
                .clock(clock)
                .listener(decision -> System.out.println(decision))
                .build();
        // In a service: inbox.onChange(controller::trigger); controller.start(); ... controller.close();

        // edge-b sees a client 3 ms away, twice, 10 s apart (rates need two readings).
        ClientAddress client = ClientAddress.parse("198.51.100.7");
        for (int i = 1; i <= 2; i++) {
            OriginRecord record = new OriginRecord(8080, 8080, client, 100L * i, 1000L * i, 100_000L * i,
                    3_000, 10, 1, i * 10_000_000_000L, false);
            inbox.offer(new OriginSnapshot(edgeB, clock.instant(), i * 10_000_000_000L, 1, List.of(record),
                    OriginStats.EMPTY));
            controller.reconcileOnce();
            clock.advance(Duration.ofSeconds(10));
        }
        Decision decision = controller.lastDecision(web).orElseThrow();
        // --- docs/controller.md example ends ---

        assertThat(decision.reason()).isEqualTo(DecisionReason.MOVE_STARTED);
        assertThat(cluster.get().placement(web).nodes()).containsExactly(edgeB);
        assertThat(decision.policy().orElseThrow().currentCostMicros()).isGreaterThan(decision.policy().get().targetCostMicros());
        assertThat(controller.stats().movesDone()).isEqualTo(1);
    }
}
