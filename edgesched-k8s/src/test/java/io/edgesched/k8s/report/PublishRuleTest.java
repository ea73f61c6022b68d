package io.edgesched.k8s.report;

import static io.edgesched.k8s.topology.Fixtures.deployment;
import static io.edgesched.k8s.topology.Fixtures.node;
import static io.edgesched.k8s.topology.Fixtures.nodePortService;
import static io.edgesched.k8s.topology.Fixtures.pod;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.OriginRecord;
import io.edgesched.api.demand.DemandConfig;
import io.edgesched.k8s.report.OriginReportSpec.ClientDemand;
import io.edgesched.k8s.report.OriginReportSpec.NodeRtt;
import io.edgesched.k8s.report.OriginReportSpec.OtherClients;
import io.edgesched.k8s.report.OriginReportSpec.WorkloadOrigins;
import io.edgesched.k8s.topology.ClusterSnapshot;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Change-only publishing: what is material, the heartbeat, and the publisher skipping unchanged reports. */
@EnableKubernetesMockClient(crud = true)
class PublishRuleTest {
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    static final PublishRule RULE = PublishRule.defaults();

    KubernetesClient client;

    /** One workload: 100 listed clients of {@code each}/s, plus extra entries, plus 1000/s unlisted. */
    static OriginReport report(long secondsAfterT0, double each, List<ClientDemand> extra, String... nodes) {
        return report(secondsAfterT0, each, 1000, extra, nodes);
    }

    static OriginReport report(long secondsAfterT0, double each, double other, List<ClientDemand> extra, String... nodes) {
        List<ClientDemand> clients = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            clients.add(new ClientDemand("192.0.2." + i, 1, 0, each, 0, 900));
        }
        clients.addAll(extra);
        WorkloadOrigins web = new WorkloadOrigins("web", "shop", 30080, clients, new OtherClients(5000, 0, other, 0));
        OriginReport r = new OriginReport();
        r.setSpec(new OriginReportSpec("edge-1", T0.plusSeconds(secondsAfterT0).toString(), 10, List.of(web),
                java.util.Arrays.stream(nodes).map(n -> new NodeRtt(n, 300)).toList(), "packets"));
        return r;
    }

    static ClientDemand entry(String prefix, double packets) {
        return new ClientDemand(prefix, 1, 0, packets, 0, 800);
    }

    static OriginReport withArrival(long millisAfterT0, long arrivedMillisAgo, int reads) {
        OriginReport r = new OriginReport();
        WorkloadOrigins web = new WorkloadOrigins("web", "shop", 30080, List.of(entry("198.51.100.7", 10)),
                OtherClients.NONE, List.of(new OriginReportSpec.Arrival("198.51.100.7", arrivedMillisAgo, reads, 900)),
                List.of());
        r.setSpec(new OriginReportSpec("edge-1", T0.plusMillis(millisAfterT0).toString(), 10, List.of(web), List.of(),
                "packets"));
        return r;
    }

    @Test
    void aNewVisitIsAnArrivalEvenWhileTheLastVisitIsStillListed() {
        // the last report written still lists the visit that began at 1 s (arrivals stay listed for 60 s)
        OriginReport last = withArrival(8_000, 7_000, 26);
        assertThat(RULE.eventReason(last, withArrival(8_250, 7_250, 27), 2)).as("same visit, one more read").isEmpty();
        assertThat(RULE.eventReason(last, withArrival(8_250, 7_350, 27), 2))
                .as("the start counted back wobbles by a tick").isEmpty();
        assertThat(RULE.eventReason(last, withArrival(15_000, 200, 1), 2)).as("a visit that began at 14.8 s")
                .contains("arrival");
        assertThat(RULE.eventReason(withArrival(15_000, 200, 1), withArrival(15_250, 450, 2), 2))
                .contains("arrival evidence");
        assertThat(RULE.eventReason(null, withArrival(15_000, 200, 1), 2)).as("the first report is the periodic one's")
                .isEmpty();
    }

    @Test
    void steadyOrSlightlyMovedDemandIsSkippedUntilTheHeartbeat() {
        OriginReport last = report(0, 10, List.of());
        assertThat(RULE.reasonToWrite(null, last)).contains("first");
        assertThat(RULE.reasonToWrite(last, report(10, 10, List.of()))).isEmpty();
        // every client 5 % up, a new light client (0.25 % of 2000/s): noise
        assertThat(RULE.reasonToWrite(last, report(20, 10.5, List.of(entry("198.51.100.9", 5))))).isEmpty();
        assertThat(RULE.reasonToWrite(last, report(30, 10, List.of()))).contains("heartbeat");
    }

    @Test
    void aHeavyClientArrivingOrLeavingIsWrittenAtOnce() {
        OriginReport without = report(0, 10, List.of());
        // 60/s is ~3 % of the workload's ~2060/s: heavy, although the workload total moved only 3 %
        OriginReport with = report(10, 10, List.of(entry("198.51.100.7", 60)));
        assertThat(RULE.reasonToWrite(without, with)).contains("client");
        assertThat(RULE.reasonToWrite(with, without)).contains("client");
        // the same client halving (its decayed rate after a handoff)
        assertThat(RULE.reasonToWrite(with, report(20, 10, List.of(entry("198.51.100.7", 29))))).contains("client");
        assertThat(RULE.reasonToWrite(with, report(20, 10, List.of(entry("198.51.100.7", 50))))).isEmpty();
    }

    @Test
    void whileTheStoreRampsUpATotalClimbingIsNotMaterialButAClientArrivingIs() {
        OriginReport last = report(0, 10, 1000, List.of());
        OriginReport climbed = report(10, 16, 1600, List.of()); // every rate x1.6: the estimator converging
        assertThat(RULE.reasonToWrite(last, climbed, true)).isEmpty();
        assertThat(RULE.reasonToWrite(last, climbed, false)).contains("workload rate");
        // a share that moves is news even while ramping: the listed clients x1.6, the rest not
        assertThat(RULE.reasonToWrite(last, report(10, 16, 1000, List.of()), true)).contains("client");
        assertThat(RULE.reasonToWrite(last, report(10, 16, 1600, List.of(entry("198.51.100.7", 150))), true))
                .contains("client");
        assertThat(RULE.reasonToWrite(last, report(30, 16, List.of()), true)).contains("heartbeat");
        assertThat(RULE.reasonToWrite(null, last, true)).contains("first");
    }

    @Test
    void workloadTotalsWorkloadSetAndMeasuredNodesAreMaterial() {
        OriginReport last = report(0, 10, List.of());
        assertThat(RULE.reasonToWrite(last, report(10, 16, List.of()))).contains("workload rate");
        OriginReport none = new OriginReport();
        none.setSpec(new OriginReportSpec("edge-1", T0.plusSeconds(10).toString(), 10, List.of(), List.of(), "packets"));
        assertThat(RULE.reasonToWrite(last, none)).contains("workloads");
        assertThat(RULE.reasonToWrite(last, report(10, 10, List.of(), "edge-2"))).contains("node rtts");
        OriginReport bytes = report(10, 10, List.of());
        bytes.setSpec(new OriginReportSpec("edge-1", bytes.getSpec().generatedAt(), 10, bytes.getSpec().workloads(),
                List.of(), "bytes"));
        assertThat(RULE.reasonToWrite(last, bytes)).contains("metric");
        assertThat(PublishRule.everyReport().reasonToWrite(last, report(10, 10, List.of()))).contains("every report");
        assertThatThrownBy(() -> new PublishRule(Duration.ofSeconds(-1), 0, 0, 0, 0))
                .hasMessageContaining("heartbeat must not be negative");
    }

    @Test
    void publisherSkipsUnchangedReportsAndWritesANewHeavyClient() {
        ClusterSnapshot cluster = ClusterSnapshot.of(List.of(node("edge-1", "10.0.0.1", true)),
                List.of(deployment("shop", "web", true, 1)), List.of(pod("shop", "web", "a", "edge-1", "10.244.1.5")),
                List.of(nodePortService("shop", "web", Map.of("app", "web"), 80, 30080)), List.of());
        FakeOriginSource source = new FakeOriginSource("edge-1");
        // a half-life far below the interval: each report shows exactly its last window, no ramp-up
        OriginReportPublisher publisher = new OriginReportPublisher(client, "edgesched", source, () -> cluster,
                ReportLimits.DEFAULT, DemandConfig.defaults().withHalfLife(Duration.ofMillis(1)), Clock.systemUTC());
        publisher.syncWatches();
        int service = source.watched().iterator().next().serviceId();
        long[] packets = new long[50];
        for (int step = 0; step <= 6; step++) {
            source.records.clear();
            for (int i = 0; i < packets.length; i++) {
                packets[i] = 100L * step * 10;   // 100 packets/s each, steady
                source.records.add(new OriginRecord(service, 30080, ClientAddress.parse("192.0.2." + (i + 1)), 1,
                        packets[i], 1000, 900, 1, 0, 0, false));
            }
            if (step == 6) {   // a new client, first seen 5 s ago, as heavy as twenty of the others
                source.records.add(new OriginRecord(service, 30080, ClientAddress.parse("198.51.100.7"), 1, 10_000,
                        1000, 900, 1, source.monotonic - 5_000_000_000L, source.monotonic, false));
            }
            var written = publisher.publish(PublishRule.defaults().withHeartbeat(Duration.ofMinutes(10)));
            if (step == 1) {
                assertThat(written).as("first report").isPresent();
            }
            if (step == 6) {
                assertThat(written).as("the heavy client").isPresent();
                assertThat(publisher.lastReason()).isEqualTo("client");
                assertThat(written.get().getSpec().workloads().getFirst().clients())
                        .extracting(ClientDemand::prefix).contains("198.51.100.7");
            }
            source.advanceSeconds(10);
        }
        assertThat(publisher.skipped()).as("steady windows 2..5 skipped").isEqualTo(4);
        assertThat(publisher.published()).isEqualTo(2);
        assertThat(client.resources(OriginReport.class).inNamespace("edgesched").withName("edge-1").get()
                .getSpec().workloads().getFirst().clients()).extracting(ClientDemand::prefix).contains("198.51.100.7");
    }

    @Test
    void zeroRatesAreLeftOutOfTheJsonAndReadBackAsZero() {
        var serialization = new io.fabric8.kubernetes.client.utils.KubernetesSerialization();
        String json = serialization.asJson(new ClientDemand("192.0.2.1", 1, 0, 12.5, 0, 0));
        assertThat(json).contains("\"packetsPerSecond\":12.5").doesNotContain("ratePerSecond")
                .doesNotContain("bytesPerSecond").doesNotContain("rttMicros");
        ClientDemand back = serialization.unmarshal(json, ClientDemand.class);
        assertThat(back).isEqualTo(new ClientDemand("192.0.2.1", 1, 0, 12.5, 0, 0));
    }

    @Test
    void theAgentLoopCountsSkippedReports() throws Exception {
        FakeOriginSource source = new FakeOriginSource("edge-1");
        OriginReportPublisher publisher = new OriginReportPublisher(client, "edgesched", source,
                () -> AgentLoopTest.cluster(30080), ReportLimits.DEFAULT, Clock.systemUTC());
        var registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        try (AgentLoop loop = AgentLoop.start(publisher, change -> { }, new io.edgesched.k8s.metrics.EdgeschedMetrics(registry),
                new AgentLoop.Settings(Duration.ofMillis(20), Duration.ZERO, PublishRule.defaults().withHeartbeat(Duration.ofHours(1))))) {
            // the source's clock stands still and holds no records: after the first report nothing changes
            AgentLoopTest.await(() -> registry.counter("edgesched.reports.skipped").count() >= 2);
        }
        assertThat(publisher.published()).isEqualTo(1);
        assertThat(registry.counter("edgesched.reports.skipped").count()).isEqualTo(publisher.skipped());
    }
}
