package io.edgesched.api.demand;

import io.edgesched.api.NodeId;
import io.edgesched.api.OriginRecord;
import io.edgesched.api.WorkloadId;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.edgesched.api.demand.Snapshots.at;
import static io.edgesched.api.demand.Snapshots.record;
import static io.edgesched.api.demand.Snapshots.time;
import static org.assertj.core.api.Assertions.assertThat;

/** The handoff rule of {@link DemandStore} (docs/engine.md, "Handoff"). */
class DemandStoreHandoffTest {
    static final WorkloadId WEB = WorkloadId.of("default", "web");
    static final ServiceCatalog CATALOG = ServiceCatalog.byPort(Map.of(8080, WEB));
    static final DemandConfig CONFIG = DemandConfig.defaults().withHalfLife(Duration.ofSeconds(10))
            .withHandoff(new HandoffRule(2, Duration.ofSeconds(20)));
    static final String DEVICE = "198.51.100.7";

    /** Kernel tables of a few nodes: cumulative requests per client, first seen. */
    static final class Nodes {
        final DemandStore store;
        final Map<String, Map<String, double[]>> tables = new LinkedHashMap<>();
        /** The handshake RTT each node's kernel measures toward the device, in us; none when absent. */
        final Map<String, Long> rttMicros = new LinkedHashMap<>();

        Nodes(DemandConfig config, String... nodes) {
            store = new DemandStore(CATALOG, config);
            for (String n : nodes) {
                tables.put(n, new LinkedHashMap<>());
            }
        }

        void request(String node, String client, double t) {
            tables.get(node).computeIfAbsent(client, c -> new double[] {0, t})[0]++;
        }

        void read(String node, double t) {
            List<OriginRecord> records = new ArrayList<>();
            long rtt = rttMicros.getOrDefault(node, -1L);
            tables.get(node).forEach((client, c) -> records.add(record(8080, client, (long) c[0], c[1], rtt)));
            store.ingest(at(node, t, 1000 * Snapshots.NANOS, 1, records));
        }

        /** Reads every node, then the once-per-round maintenance. */
        void round(double t) {
            for (String n : tables.keySet()) {
                read(n, t);
            }
            store.maintain(time(t));
        }

        double rate(String node, double t) {
            return store.view(time(t)).demand(WEB).rateAt(NodeId.of(node));
        }
    }

    /** A request every 2 s (at odd seconds) through {@code entry(t)}, a round every second, until {@code end}. */
    static void drive(Nodes nodes, double from, double end, java.util.function.DoubleFunction<String> entry) {
        for (double t = from; t <= end; t += 1) {
            if (((long) t) % 2 == 1) {
                nodes.request(entry.apply(t), DEVICE, t - 0.5);
            }
            nodes.round(t);
        }
    }

    @Test
    void demandMovesToTheNewEntryOnceItsSecondRequestCameAndTheOldEntryStayedSilent() {
        Nodes nodes = new Nodes(CONFIG, "cloud1", "edge1");
        drive(nodes, 1, 40, t -> "cloud1");
        double before = nodes.rate("cloud1", 40);
        assertThat(before).isGreaterThan(0.3);

        drive(nodes, 41, 41, t -> "edge1");            // first request through edge1: only a candidate
        assertThat(nodes.store.handoffCount()).isZero();
        assertThat(nodes.rate("cloud1", 41)).isGreaterThan(nodes.rate("edge1", 41));
        drive(nodes, 42, 43, t -> "edge1");            // the second: handed off
        assertThat(nodes.store.handoffCount()).isEqualTo(1);
        assertThat(nodes.rate("cloud1", 43)).isZero();
        assertThat(nodes.rate("edge1", 43)).isGreaterThan(before * 0.8);
        List<Handoff> handoffs = nodes.store.recentHandoffs(time(43));
        assertThat(handoffs).hasSize(1);
        assertThat(handoffs.getFirst().describe()).isEqualTo("client 198.51.100.7 handed off cloud1 -> edge1");
        assertThat(nodes.store.view(time(43)).handoffs(WEB)).isEqualTo(handoffs);
        // Listed for the rule's window, then no longer.
        drive(nodes, 44, 70, t -> "edge1");
        assertThat(nodes.store.recentHandoffs(time(70))).isEmpty();
        assertThat(nodes.store.view(time(70)).handoffs(WEB)).isEmpty();
    }

    /** The closer-path rule; the device 60 ms from cloud1 for 40 s, {@code edgeRttMicros} from edge1. */
    static Nodes deviceAtCloudThenNearEdge1(long edgeRttMicros) {
        Nodes nodes = new Nodes(CONFIG.withHandoff(new HandoffRule(2, Duration.ofSeconds(20), 0.5)), "cloud1", "edge1");
        nodes.rttMicros.put("cloud1", 60_000L);
        nodes.rttMicros.put("edge1", edgeRttMicros);
        drive(nodes, 1, 40, t -> "cloud1");
        return nodes;
    }

    @Test
    void aClientWhosePathGotMuchShorterIsHandedOffAfterOneRequestOnceTheOldEntryWasReadSilent() {
        Nodes nodes = deviceAtCloudThenNearEdge1(150L);
        drive(nodes, 41, 41, t -> "edge1");            // one request; cloud1 was read in the same round, not after it
        assertThat(nodes.store.handoffCount()).isZero();
        drive(nodes, 42, 42, t -> "edge1");            // no request; cloud1 read silent after the arrival: handed off
        assertThat(nodes.store.handoffCount()).isEqualTo(1);
        assertThat(nodes.rate("cloud1", 42)).isZero();
    }

    @Test
    void aPathThatIsNotMuchShorterStillNeedsTheSecondRequest() {
        HandoffRule rule = new HandoffRule(2, Duration.ofSeconds(20), 0.5);
        for (long edgeRtt : new long[] {40_000L, 59_000L, 90_000L}) {
            Nodes nodes = deviceAtCloudThenNearEdge1(edgeRtt);
            drive(nodes, 41, 42, t -> "edge1");
            assertThat(nodes.store.handoffCount()).as("edge1 at %d us", edgeRtt).isZero();
            drive(nodes, 43, 43, t -> "edge1");
            assertThat(nodes.store.handoffCount()).as("edge1 at %d us", edgeRtt).isEqualTo(1);
        }
        // Sub-millisecond paths differ by jitter: 300 us vs 900 us is a third, but not a gain that counts.
        assertThat(rule.closer(300, 900)).isFalse();
        assertThat(rule.closer(150, 60_000)).isTrue();
        assertThat(rule.closer(Double.NaN, 60_000)).isFalse();
        assertThat(rule.closer(150, Double.NaN)).isFalse();
        assertThat(rule.withCloserRatio(0).closer(150, 60_000)).isFalse();
    }

    @Test
    void aClientSeenAgainAtTheOldEntryStaysSplitEvenWhenTheNewPathIsShorter() {
        Nodes nodes = deviceAtCloudThenNearEdge1(150L);
        // both paths in the same round (two connections): not silent at cloud1, so not a handoff
        nodes.request("edge1", DEVICE, 40.5);
        nodes.request("cloud1", DEVICE, 40.6);
        nodes.round(41);
        drive(nodes, 42, 44, t -> "cloud1");
        assertThat(nodes.store.handoffCount()).isZero();
        assertThat(nodes.store.handoffsKeptSplit()).isEqualTo(1);
    }

    @Test
    void withoutTheRuleTheOldEntryDecays() {
        Nodes nodes = new Nodes(CONFIG.withHandoff(HandoffRule.off()), "cloud1", "edge1");
        drive(nodes, 1, 40, t -> "cloud1");
        drive(nodes, 41, 43, t -> "edge1");
        assertThat(nodes.store.handoffCount()).isZero();
        assertThat(nodes.rate("cloud1", 43)).isGreaterThan(nodes.rate("edge1", 43));
    }

    @Test
    void silenceCountsOnlyOnceTheOldEntryWasReadAfterTheArrival() {
        Nodes nodes = new Nodes(CONFIG, "cloud1", "edge1");
        drive(nodes, 1, 40, t -> "cloud1");
        // cloud1's reads stop (its agent lags): edge1 alone cannot tell that cloud1 no longer sees the client.
        for (double t = 41; t <= 46; t++) {
            if (((long) t) % 2 == 1) {
                nodes.request("edge1", DEVICE, t - 0.5);
            }
            nodes.read("edge1", t);
            nodes.store.maintain(time(t));
        }
        assertThat(nodes.store.handoffCount()).isZero();
        nodes.round(47);
        assertThat(nodes.store.handoffCount()).isEqualTo(1);
        assertThat(nodes.rate("cloud1", 47)).isZero();
    }

    @Test
    void aClientArrivingThroughBothNodesStaysSplit() {
        Nodes nodes = new Nodes(CONFIG, "cloud1", "edge1");
        drive(nodes, 1, 120, t -> ((long) t / 2) % 2 == 0 ? "cloud1" : "edge1");
        assertThat(nodes.store.handoffCount()).isZero();
        assertThat(nodes.store.handoffsKeptSplit()).isGreaterThan(10);
        double cloud = nodes.rate("cloud1", 120);
        double edge = nodes.rate("edge1", 120);
        assertThat(cloud).isGreaterThan(0.1);
        assertThat(edge).isGreaterThan(0.1);
    }

    @Test
    void aOneRequestDetourIsNotAHandoffAndReturningHomeTakesItsBitBack() {
        Nodes nodes = new Nodes(CONFIG, "cloud1", "edge1");
        drive(nodes, 1, 40, t -> "cloud1");
        drive(nodes, 41, 41, t -> "edge1");
        drive(nodes, 42, 60, t -> "cloud1");
        assertThat(nodes.store.recentHandoffs(time(60))).allSatisfy(h -> assertThat(h.to()).isEqualTo(NodeId.of("cloud1")));
        assertThat(nodes.rate("cloud1", 60)).isGreaterThan(nodes.rate("edge1", 60) * 10);
    }

    @Test
    void evidenceThatNeverCompletesExpires() {
        Nodes nodes = new Nodes(CONFIG, "cloud1", "edge1");
        drive(nodes, 1, 40, t -> "cloud1");
        drive(nodes, 41, 41, t -> "edge1");                 // one request, then the client falls silent
        for (double t = 42; t <= 70; t++) {
            nodes.round(t);
        }
        assertThat(nodes.store.handoffCount()).isZero();
        assertThat(nodes.store.handoffsExpired()).isEqualTo(1);
    }

    @Test
    void aPrefixAggregateHandsOffOnlyWhenAllItsClientsMoved() {
        DemandConfig prefixes = CONFIG.withPrefixes(24, 56);
        Nodes nodes = new Nodes(prefixes, "cloud1", "edge1");
        for (double t = 1; t <= 40; t++) {
            if (((long) t) % 2 == 1) {
                nodes.request("cloud1", "198.51.100.7", t - 0.5);
                nodes.request("cloud1", "198.51.100.8", t - 0.5);
            }
            nodes.round(t);
        }
        for (double t = 41; t <= 50; t++) {                  // .7 moves, .8 stays: the /24 arrives through both
            if (((long) t) % 2 == 1) {
                nodes.request("edge1", "198.51.100.7", t - 0.5);
                nodes.request("cloud1", "198.51.100.8", t - 0.5);
            }
            nodes.round(t);
        }
        assertThat(nodes.store.handoffCount()).isZero();
        assertThat(nodes.store.handoffsKeptSplit()).isPositive();
        Nodes fresh = new Nodes(prefixes, "cloud1", "edge1");
        for (double t = 1; t <= 40; t++) {
            if (((long) t) % 2 == 1) {
                fresh.request("cloud1", "198.51.100.7", t - 0.5);
                fresh.request("cloud1", "198.51.100.8", t - 0.5);
            }
            fresh.round(t);
        }
        for (double t = 41; t <= 44; t++) {                  // both move together
            if (((long) t) % 2 == 1) {
                fresh.request("edge1", "198.51.100.7", t - 0.5);
                fresh.request("edge1", "198.51.100.8", t - 0.5);
            }
            fresh.round(t);
        }
        assertThat(fresh.store.recentHandoffs(time(44))).singleElement()
                .satisfies(h -> assertThat(h.describe()).isEqualTo("client 198.51.100.0/24 handed off cloud1 -> edge1"));
    }

    @Test
    void aClientFoldedIntoOtherClientsHasNoIdentityToHandOff() {
        Nodes nodes = new Nodes(CONFIG.withMaxClientsPerWorkload(1), "cloud1", "edge1");
        for (double t = 1; t <= 40; t++) {
            nodes.request("cloud1", "203.0.113.1", t - 0.5);        // the top client, every second
            if (((long) t) % 2 == 1) {
                nodes.request("cloud1", DEVICE, t - 0.5);           // folded into cloud1's "other clients"
            }
            nodes.round(t);
        }
        for (double t = 41; t <= 46; t++) {
            nodes.request("cloud1", "203.0.113.1", t - 0.5);
            if (((long) t) % 2 == 1) {
                nodes.request("edge1", DEVICE, t - 0.5);
            }
            nodes.round(t);
        }
        assertThat(nodes.store.handoffCount()).isZero();
        // cloud1 still holds the device's folded share, decaying as before.
        List<ClientDemand> cloudClients = nodes.store.topClients(WEB, 10, time(46)).stream()
                .filter(c -> c.entryNode().equals(NodeId.of("cloud1"))).toList();
        assertThat(cloudClients).anySatisfy(c -> assertThat(c.client().prefixLength()).isZero());
    }
}
