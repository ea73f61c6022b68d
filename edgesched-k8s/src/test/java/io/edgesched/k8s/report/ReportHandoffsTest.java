package io.edgesched.k8s.report;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgesched.api.NodeId;
import io.edgesched.api.WorkloadId;
import io.edgesched.api.demand.Handoff;
import io.edgesched.api.demand.HandoffRule;
import io.edgesched.k8s.report.OriginReportSpec.Arrival;
import io.edgesched.k8s.report.OriginReportSpec.ClientDemand;
import io.edgesched.k8s.report.OriginReportSpec.Departure;
import io.edgesched.k8s.report.OriginReportSpec.OtherClients;
import io.edgesched.k8s.report.OriginReportSpec.WorkloadOrigins;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The controller's matching of one node's arrivals with another's departures: a client handed off moves its demand
 * at once, one that arrives through both stays split, and nothing is decided on a report not yet written.
 */
class ReportHandoffsTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final String CLIENT = "198.51.100.7";
    private static final NodeId CLOUD = NodeId.of("cloud1");
    private static final NodeId EDGE = NodeId.of("edge1");
    private static final WorkloadId WEB = WorkloadId.of("shop", "web");
    private static final long CLOUD_RTT = 40_000;
    private static final long EDGE_RTT = 1_000;

    private ReportHandoffs handoffs;

    @BeforeEach
    void newMatcher() {
        handoffs = new ReportHandoffs(HandoffRule.defaults());
    }

    /** One node's report at {@code atMillis} after T0 listing the client at {@code rate} (0 = not listed). */
    static OriginReportWatcher.ReceivedReport report(NodeId node, long atMillis, double rate, long rtt,
                                                     List<Arrival> arrivals, List<Departure> departures) {
        List<ClientDemand> clients = new ArrayList<>();
        if (rate > 0) {
            clients.add(new ClientDemand(CLIENT, 1, 0, rate, 0, rtt));
        }
        clients.add(new ClientDemand("203.0.113.9", 1, 0, 1, 0, rtt)); // a bystander that never moves
        Instant at = T0.plusMillis(atMillis);
        OriginReport r = new OriginReport();
        r.setMetadata(new ObjectMetaBuilder().withName(node.name()).build());
        r.setSpec(new OriginReportSpec(node.name(), at.toString(), 10, List.of(new WorkloadOrigins("web", "shop",
                30080, clients, OtherClients.NONE, arrivals, departures)), List.of(), "packets"));
        return new OriginReportWatcher.ReceivedReport(r, at, at);
    }

    private static OriginReportWatcher.ReceivedReport cloud(long atMillis, double rate, Departure departure) {
        return report(CLOUD, atMillis, rate, CLOUD_RTT, List.of(), departure == null ? List.of() : List.of(departure));
    }

    /** The edge saw the client's visit begin at {@code arrivedAtMillis} (after T0), in {@code reads} reads. */
    private static OriginReportWatcher.ReceivedReport edge(long atMillis, long arrivedAtMillis, int reads, long rtt) {
        return report(EDGE, atMillis, 1, rtt, List.of(new Arrival(CLIENT, atMillis - arrivedAtMillis, reads, rtt)),
                List.of());
    }

    /** The cloud last saw the client at {@code lastSeenMillis} after T0, reported at {@code atMillis}. */
    private static Departure lastSeen(long atMillis, long lastSeenMillis) {
        return new Departure(CLIENT, atMillis - lastSeenMillis);
    }

    private ReportedDemand round(long atMillis, OriginReportWatcher.ReceivedReport... reports) {
        return ReportedDemand.from(List.of(reports), ReportedDemand.Rate.PACKETS, handoffs, T0.plusMillis(atMillis));
    }

    private static double rate(ReportedDemand d, NodeId node) {
        ReportedDemand.Entry e = d.workloads().get(WEB).get(node);
        return e == null ? 0 : e.ratePerSecond();
    }

    @Test
    void aClientThatLeftTheCloudAndArrivedAtTheEdgeCountsThereAtOnce() {
        // the cloud last saw it at 300 ms; the edge's visit began at 500 ms, one read, 40x closer
        ReportedDemand d = round(1_300, cloud(1_200, 10, lastSeen(1_200, 300)), edge(1_000, 500, 1, EDGE_RTT));
        assertThat(rate(d, EDGE)).isEqualTo(12); // its own 1/s plus the 10/s handed over, plus the bystander's 1/s
        assertThat(rate(d, CLOUD)).isEqualTo(1);  // only the bystander stays
        assertThat(d.workloads().get(WEB).get(EDGE).meanRttMicros()).isLessThan(10_000);
        assertThat(d.handoffs()).singleElement().satisfies(h -> {
            assertThat(h.describe()).isEqualTo("client 198.51.100.7 handed off cloud1 -> edge1");
            assertThat(h.ratePerSecond()).isEqualTo(10);
        });
        assertThat(handoffs.handoffCount()).isEqualTo(1);
        // the next rounds keep it there while the cloud keeps saying it is silent (the visit's start, counted back
        // from another report, wobbles by a tick: still the same visit)
        ReportedDemand later = round(5_000, cloud(4_800, 8, lastSeen(4_800, 300)), edge(4_900, 560, 9, EDGE_RTT));
        assertThat(rate(later, EDGE)).isEqualTo(10);
        assertThat(handoffs.handoffCount()).as("decided once, not every round").isEqualTo(1);
    }

    @Test
    void nothingMovesUntilTheOldEntryHasReportedSinceTheArrival() {
        // the cloud's last report predates the arrival: its silence is not known yet
        ReportedDemand d = round(1_100, cloud(400, 10, null), edge(1_000, 500, 3, EDGE_RTT));
        assertThat(rate(d, CLOUD)).isEqualTo(11);
        assertThat(d.handoffs()).isEmpty();
        // a report from before the arrival that already lists a departure proves nothing either
        d = round(1_100, cloud(450, 10, lastSeen(450, 300)), edge(1_000, 500, 3, EDGE_RTT));
        assertThat(d.handoffs()).isEmpty();
    }

    @Test
    void packetsStillInFlightAtTheOldEntryDoNotBlockTheHandoff() {
        // the last request's closing packets reached the cloud 300 ms after the first packet at the edge
        ReportedDemand d = round(2_000, cloud(1_900, 10, lastSeen(1_900, 800)), edge(1_000, 500, 2, EDGE_RTT));
        assertThat(d.handoffs()).hasSize(1);
        assertThat(rate(d, EDGE)).isEqualTo(12);
    }

    @Test
    void aClientStillArrivingThroughTheCloudStaysSplit() {
        // the cloud saw it at 1.8 s, well after the edge's visit began at 500 ms: two paths, not a handoff
        ReportedDemand d = round(2_600, cloud(2_500, 10, lastSeen(2_500, 1_800)), edge(2_000, 500, 4, EDGE_RTT));
        assertThat(rate(d, CLOUD)).isEqualTo(11);
        assertThat(rate(d, EDGE)).isEqualTo(2);
        // and without any departure listed at all
        d = round(1_300, cloud(1_200, 10, null), edge(1_000, 500, 4, EDGE_RTT));
        assertThat(d.handoffs()).isEmpty();
        assertThat(handoffs.handoffCount()).isZero();
    }

    @Test
    void aDetourThatIsNotCloserNeedsTwoReads() {
        long notCloser = 30_000; // 30 ms at the new entry against 40 ms: not half
        ReportedDemand d = round(1_300, cloud(1_200, 10, lastSeen(1_200, 300)), edge(1_000, 500, 1, notCloser));
        assertThat(d.handoffs()).as("one read of a detour").isEmpty();
        d = round(2_300, cloud(2_200, 10, lastSeen(2_200, 300)), edge(2_000, 500, 2, notCloser));
        assertThat(d.handoffs()).as("the second read is evidence").hasSize(1);
        assertThat(rate(d, EDGE)).isEqualTo(12);
    }

    @Test
    void theHandoffEndsWhenTheClientShowsUpAtTheCloudAgain() {
        round(1_300, cloud(1_200, 10, lastSeen(1_200, 300)), edge(1_000, 500, 1, EDGE_RTT));
        assertThat(handoffs.handoffCount()).isEqualTo(1);
        // the cloud sees it again: no departure listed any more; the edge still lists the same visit
        ReportedDemand d = round(3_000, cloud(2_900, 10, null), edge(2_950, 500, 5, EDGE_RTT));
        assertThat(handoffs.endedCount()).isEqualTo(1);
        assertThat(rate(d, CLOUD)).as("split again: the cloud's rate counts at the cloud").isEqualTo(11);
        assertThat(d.handoffs()).as("still explained as recent").hasSize(1);
        // and it leaves the cloud again: a departure whose last packet follows the edge visit's start is no handoff
        d = round(5_000, cloud(4_900, 10, lastSeen(4_900, 2_800)), edge(4_950, 500, 6, EDGE_RTT));
        assertThat(handoffs.handoffCount()).isEqualTo(1);
        assertThat(rate(d, CLOUD)).isEqualTo(11);
    }

    @Test
    void theHandoffEndsWhenTheNewEntrysReportIsGone() {
        round(1_300, cloud(1_200, 10, lastSeen(1_200, 300)), edge(1_000, 500, 1, EDGE_RTT));
        ReportedDemand d = round(70_000, cloud(69_000, 10, lastSeen(69_000, 300)));
        assertThat(handoffs.endedCount()).isEqualTo(1);
        assertThat(rate(d, CLOUD)).isEqualTo(11);
    }

    @Test
    void aClientAlternatingEntriesEveryRequestIsHandedOffAtMostOnce() {
        // requests every second, odd ones through the edge, even ones through the cloud, for two minutes
        long edgeVisitBegan = 1_000;
        for (long t = 1_000; t <= 120_000; t += 1_000) {
            boolean atEdge = (t / 1_000) % 2 == 1;
            long cloudLastSeen = atEdge ? t - 1_000 : t;
            round(t + 100, cloud(t + 50, 10, atEdge ? lastSeen(t + 50, cloudLastSeen) : null),
                    edge(t + 60, edgeVisitBegan, (int) (t / 2_000) + 1, EDGE_RTT));
        }
        assertThat(handoffs.handoffCount()).as("the visit at the edge began once; after the cloud saw it again it"
                + " is split").isLessThanOrEqualTo(1);
    }

    @Test
    void hostileEntriesAreIgnored() {
        OriginReportWatcher.ReceivedReport prefixArrival = report(EDGE, 1_000, 1, EDGE_RTT,
                List.of(new Arrival("198.51.100.0/24", 500, 5, EDGE_RTT), new Arrival("not an address", 500, 5, 1)),
                List.of());
        ReportedDemand d = round(1_300, cloud(1_200, 10, lastSeen(1_200, 300)), prefixArrival);
        assertThat(d.handoffs()).isEmpty();
        assertThat(rate(d, CLOUD)).isEqualTo(11);
    }

    @Test
    void offDecidesNothing() {
        handoffs = new ReportHandoffs(HandoffRule.off());
        ReportedDemand d = round(1_300, cloud(1_200, 10, lastSeen(1_200, 300)), edge(1_000, 500, 5, EDGE_RTT));
        assertThat(d.handoffs()).isEmpty();
        assertThat(rate(d, CLOUD)).isEqualTo(11);
        assertThat(handoffs.recent(T0.plusSeconds(2))).extracting(Handoff::client).isEmpty();
    }
}
