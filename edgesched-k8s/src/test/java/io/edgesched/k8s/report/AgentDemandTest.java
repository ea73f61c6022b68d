package io.edgesched.k8s.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.NodeId;
import io.edgesched.api.OriginRecord;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.OriginStats;
import io.edgesched.api.WorkloadId;
import io.edgesched.api.demand.DemandConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The agent runs the engine's demand rules: what OriginRateComputer did differently is gone. */
class AgentDemandTest {
    static final NodeId NODE = NodeId.of("edge-1");
    static final ClientAddress A = ClientAddress.parse("192.0.2.1");
    static final ClientAddress B = ClientAddress.parse("192.0.2.2");
    static final ClientAddress PEER = ClientAddress.parse("10.0.0.2");
    static final WorkloadPort WEB = new WorkloadPort(WorkloadId.of("shop", "web"), 30080);
    /** Each window counts alone: the rate is exactly the window's increase over its length. */
    static final DemandConfig LAST_WINDOW = DemandConfig.defaults().withHalfLife(Duration.ofMillis(1)).withRttSmoothing(1);

    static OriginRecord rec(ClientAddress c, long packets, long firstSeenSeconds) {
        return new OriginRecord(1, 30080, c, packets / 10, packets, packets * 100, 700, 3,
                firstSeenSeconds * 1_000_000_000L, firstSeenSeconds * 1_000_000_000L, false);
    }

    static OriginSnapshot snap(long seconds, OriginRecord... records) {
        return new OriginSnapshot(NODE, Instant.ofEpochSecond(1000 + seconds), seconds * 1_000_000_000L, 7,
                List.of(records), OriginStats.EMPTY);
    }

    static AgentDemand agent() {
        return new AgentDemand(NODE, id -> id == 1 ? Optional.of(WEB) : Optional.empty(), LAST_WINDOW);
    }

    static double packets(AgentDemand.Window w, ClientAddress c) {
        return w.demand().getOrDefault(WEB, List.of()).stream().filter(r -> r.client().equals(c))
                .mapToDouble(ClientRate::packetsPerSecond).sum();
    }

    @Test
    void aRecordMissedByTheLastReadCountsOnlyFromItsFirstSeenTime() {
        AgentDemand agent = agent();
        assertThat(agent.next(snap(10, rec(A, 100, 1)), Map.of())).isEmpty(); // no baseline yet
        // B was already counting before the previous read (first seen at 5 s) but that read missed it: its
        // 10,000 packets are history, not this window's demand (OriginRateComputer counted them all: a spike)
        AgentDemand.Window w = agent.next(snap(20, rec(A, 300, 1), rec(B, 10_000, 5)), Map.of()).orElseThrow();
        assertThat(packets(w, A)).isCloseTo(20, within(1e-6));
        assertThat(packets(w, B)).isZero();
        // from then on B counts normally
        w = agent.next(snap(30, rec(A, 500, 1), rec(B, 10_100, 5)), Map.of()).orElseThrow();
        assertThat(packets(w, B)).isCloseTo(10, within(1e-6));
        assertThat(agent.stats().baselineOnly()).isEqualTo(2); // A at the first read, B at the second
    }

    @Test
    void aNewClientCountsInFullAndARecreatedRecordOnlyFromItsRecreation() {
        AgentDemand agent = agent();
        agent.next(snap(10, rec(A, 1000, 1)), Map.of());
        // B first seen after the previous read: all it holds is this window's
        AgentDemand.Window w = agent.next(snap(20, rec(A, 1000, 1), rec(B, 400, 15)), Map.of()).orElseThrow();
        assertThat(packets(w, B)).isCloseTo(40, within(1e-6));
        // A's counter went down: the kernel evicted and re-created it at 25 s, so its 50 packets are new
        w = agent.next(snap(30, rec(A, 50, 25), rec(B, 400, 15)), Map.of()).orElseThrow();
        assertThat(packets(w, A)).isCloseTo(5, within(1e-6));
        assertThat(agent.stats().counterResets()).isEqualTo(1);
    }

    @Test
    void otherNodesAreNotDemandButTheirRttIsANodeRtt() {
        AgentDemand agent = agent();
        Map<ClientAddress, NodeId> nodes = Map.of(PEER, NodeId.of("edge-2"));
        agent.next(snap(10, rec(A, 100, 1), rec(PEER, 100, 1)), nodes);
        AgentDemand.Window w = agent.next(snap(20, rec(A, 200, 1), rec(PEER, 5000, 1)), nodes).orElseThrow();
        assertThat(w.demand().get(WEB)).extracting(ClientRate::client).containsExactly(A);
        assertThat(w.nodeRtts()).containsExactly(Map.entry(NodeId.of("edge-2"), 700L));
        assertThat(w.seconds()).isEqualTo(10);
    }

    @Test
    void recordsOfUnwatchedServicesAreCountedAsUnmapped() {
        AgentDemand agent = agent();
        OriginRecord stray = new OriginRecord(9, 9999, B, 1, 10, 100, 0, 0, 0, 0, false);
        agent.next(snap(10, rec(A, 100, 1), stray), Map.of());
        AgentDemand.Window w = agent.next(snap(20, rec(A, 200, 1), stray), Map.of()).orElseThrow();
        assertThat(w.unmappedRecords()).isEqualTo(1);
        assertThat(w.demand()).containsOnlyKeys(WEB);
    }
}
