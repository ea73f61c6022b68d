package io.edgesched.api.policy;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.NodeId;
import io.edgesched.api.OriginRecord;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.OriginStats;
import io.edgesched.api.WorkloadId;
import io.edgesched.api.demand.DemandConfig;
import io.edgesched.api.demand.DemandStore;
import io.edgesched.api.demand.ServiceCatalog;
import io.edgesched.api.topology.LatencyMatrix;
import io.edgesched.api.topology.MissingLatency;
import io.edgesched.api.topology.NodeInfo;
import io.edgesched.api.topology.Placement;
import io.edgesched.api.topology.Topology;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The example of docs/engine.md, end to end: snapshots in, a move out. */
class EngineUsageExampleTest {
    @Test
    void docsExampleMovesTheWorkloadTowardsItsClients() {
        WorkloadId web = WorkloadId.of("shop", "web");
        NodeId a = NodeId.of("edge-a");
        NodeId b = NodeId.of("edge-b");
        NodeId c = NodeId.of("edge-c");
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        InstantSource clock = InstantSource.fixed(t0.plusSeconds(60));

        ServiceCatalog catalog = ServiceCatalog.byPort(Map.of(30080, web));
        DemandStore demand = new DemandStore(catalog, DemandConfig.defaults().withPrefixes(24, 56));
        for (int t = 0; t <= 60; t += 10) {
            // clients of 192.0.2.0/24 enter at edge-b, 40 packets/s; a few at edge-a
            OriginRecord atB = new OriginRecord(30080, 30080, ClientAddress.parse("192.0.2.7"), 1, 40L * t, 0, 3000, 5,
                    0, 0, false);
            OriginRecord atA = new OriginRecord(30080, 30080, ClientAddress.parse("198.51.100.9"), 1, 2L * t, 0, 2000, 5,
                    0, 0, false);
            demand.ingest(new OriginSnapshot(b, t0.plusSeconds(t), 1_000_000_000_000L + t * 1_000_000_000L, 1,
                    List.of(atB), OriginStats.EMPTY));
            demand.ingest(new OriginSnapshot(a, t0.plusSeconds(t), 1_000_000_000_000L + t * 1_000_000_000L, 1,
                    List.of(atA), OriginStats.EMPTY));
        }
        Instant now = clock.instant();
        demand.maintain(now);

        LatencyMatrix latency = LatencyMatrix.builder(List.of(a, b, c))
                .measureBoth(a, b, 1800)
                .measureBoth(b, c, 900)
                .build(MissingLatency.SYMMETRIC_THEN_TRIANGLE);
        Topology topology = new Topology(List.of(NodeInfo.ready(a), NodeInfo.ready(b), NodeInfo.ready(c)), latency,
                List.of(Placement.of(web, a)));

        StabilityGate gate = new StabilityGate(StabilityConfig.defaults(), clock);
        PlacementPolicy policy = new LatencyAwarePolicy(PolicyConfig.defaults());
        PlacementPlan plan = policy.plan(PlacementInput.of(now, topology, demand.view(now),
                List.of(WorkloadSpec.of(web, 1)), gate));
        gate.record(plan);

        assertThat(latency.latencyMicros(a, c)).hasValue(2700); // triangle bound via edge-b
        WorkloadDecision decision = plan.decisions().get(0);
        assertThat(decision.reason()).as("%s", decision).isEqualTo(DecisionReason.MOVE);
        assertThat(decision.target().nodes()).containsExactly(b);
        assertThat(decision.explanation().demand()).extracting(e -> e.entryNode()).containsExactly(a, b);
        assertThat(plan.moveRequests()).singleElement().satisfies(r -> assertThat(r.targetNodes()).containsExactly(b));
        assertThat(gate.lastMove(web)).contains(now);
        // the next round does not move it back: dwell and thresholds hold
        PlacementPlan next = policy.plan(PlacementInput.of(now.plusSeconds(10), topology.withPlacement(decision.target()),
                demand.view(now.plusSeconds(10)), List.of(WorkloadSpec.of(web, 1)), gate));
        assertThat(next.moves()).isEmpty();
    }
}
