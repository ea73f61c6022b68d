package io.edgesched.k8s.report;

import static io.edgesched.k8s.topology.Fixtures.deployment;
import static io.edgesched.k8s.topology.Fixtures.node;
import static io.edgesched.k8s.topology.Fixtures.nodePortService;
import static io.edgesched.k8s.topology.Fixtures.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.NodeId;
import io.edgesched.api.OriginRecord;
import io.edgesched.api.WatchedService;
import io.edgesched.api.WorkloadId;
import io.edgesched.api.demand.DemandConfig;
import io.edgesched.k8s.topology.ClusterSnapshot;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class OriginReportRoundTripTest {
    KubernetesClient client;

    static final ClusterSnapshot CLUSTER = ClusterSnapshot.of(
            List.of(node("edge-1", "10.0.0.1", true), node("edge-2", "10.0.0.2", true)),
            List.of(deployment("shop", "web", true, 1)),
            List.of(pod("shop", "web", "a", "edge-2", "10.244.2.5")),
            List.of(nodePortService("shop", "web", Map.of("app", "web"), 80, 30080)),
            List.of());

    static final class MutableClock extends Clock {
        final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now.get();
        }
    }

    @Test
    void agentPublishesAndControllerSeesFreshThenStaleReports() throws Exception {
        FakeOriginSource source = new FakeOriginSource("edge-1");
        // a half-life far below the interval and no RTT smoothing: each report shows exactly its last window
        DemandConfig lastWindowOnly = DemandConfig.defaults().withHalfLife(Duration.ofMillis(1)).withRttSmoothing(1);
        OriginReportPublisher publisher = new OriginReportPublisher(client, "edgesched", source, () -> CLUSTER,
                ReportLimits.DEFAULT, lastWindowOnly, Clock.systemUTC());
        publisher.syncWatches();
        assertThat(source.watched()).extracting(WatchedService::port).containsExactly(30080);
        int serviceId = source.watched().iterator().next().serviceId();

        ClientAddress client1 = ClientAddress.parse("198.51.100.7");
        ClientAddress peerNode = ClientAddress.parse("10.0.0.2");
        source.records.add(new OriginRecord(serviceId, 30080, client1, 10, 100, 10_000, 1500, 2, 0, 0, false));
        source.records.add(new OriginRecord(serviceId, 30080, peerNode, 1, 10, 500, 250, 1, 0, 0, true));
        assertThat(publisher.publishOnce()).isEmpty(); // baseline

        source.advanceSeconds(10);
        source.records.set(0, new OriginRecord(serviceId, 30080, client1, 20, 300, 30_000, 1400, 3, 0, 0, false));
        source.records.set(1, new OriginRecord(serviceId, 30080, peerNode, 2, 20, 1000, 240, 2, 0, 0, true));
        OriginReport written = publisher.publishOnce().orElseThrow();
        assertThat(written.getSpec().workloads()).hasSize(1);

        OriginReport stored = client.resources(OriginReport.class).inNamespace("edgesched").withName("edge-1").get();
        assertThat(stored.getSpec().node()).isEqualTo("edge-1");
        var w = stored.getSpec().workloads().getFirst();
        assertThat(w.workload()).isEqualTo("web");
        assertThat(w.clients()).singleElement().satisfies(c -> {
            assertThat(c.prefix()).isEqualTo("198.51.100.7");
            assertThat(c.packetsPerSecond()).isEqualTo(20);
            assertThat(c.ratePerSecond()).isZero(); // the report carries the agent's one demand metric
            assertThat(c.rttMicros()).isEqualTo(1400);
        });
        assertThat(stored.getSpec().metric()).isEqualTo("packets");
        assertThat(stored.getSpec().nodeRtts()).containsExactly(new OriginReportSpec.NodeRtt("edge-2", 240));

        // the second publish replaces the same object
        source.advanceSeconds(10);
        publisher.publishOnce().orElseThrow();
        assertThat(client.resources(OriginReport.class).inNamespace("edgesched").list().getItems()).hasSize(1);

        // someone deleted the report: the next publish writes it again
        client.resources(OriginReport.class).inNamespace("edgesched").withName("edge-1").delete();
        waitFor(() -> client.resources(OriginReport.class).inNamespace("edgesched").withName("edge-1").get() == null);
        source.advanceSeconds(10);
        source.records.set(0, new OriginRecord(serviceId, 30080, client1, 30, 500, 50_000, 1400, 4, 0, 0, false));
        publisher.publishOnce().orElseThrow();
        OriginReport recreated = client.resources(OriginReport.class).inNamespace("edgesched").withName("edge-1").get();
        assertThat(recreated.getSpec().workloads().getFirst().clients().getFirst().packetsPerSecond()).isEqualTo(20);
        assertThat(publisher.published()).isEqualTo(3);
        stored = recreated;

        MutableClock clock = new MutableClock();
        clock.now.set(Instant.parse(stored.getSpec().generatedAt()).plusSeconds(5));
        // Informers stay open until the mock server shuts down: closing a watch from the client side can
        // deadlock the 8.0.0 mock's WatchEventsListener (onClosed waits for its executor on the event loop).
        OriginReportWatcher watcher = OriginReportWatcher.start(client, "edgesched", Duration.ofSeconds(60), clock);
        {
            watcher.awaitSynced(Duration.ofSeconds(10));
            waitFor(() -> watcher.fresh().size() == 1);
            ReportedDemand demand = ReportedDemand.from(watcher.fresh(), ReportedDemand.Rate.PACKETS);
            // the third window had no new packets: the workload is absent, only the link remains
            assertThat(demand.links()).containsExactly(new ReportedDemand.Link(NodeId.of("edge-1"), NodeId.of("edge-2"), 240));

            // a report whose spec names another node than its object name is ignored and counted
            OriginReport forged = new OriginReport();
            forged.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName("edge-9").withNamespace("edgesched").build());
            forged.setSpec(new OriginReportSpec("edge-1", stored.getSpec().generatedAt(), 10, List.of(), List.of()));
            client.resources(OriginReport.class).inNamespace("edgesched").resource(forged).create();
            waitFor(() -> watcher.rejected() == 1);
            assertThat(watcher.all()).hasSize(1);

            clock.now.set(clock.now.get().plusSeconds(120));
            assertThat(watcher.fresh()).isEmpty();
            assertThat(watcher.all()).hasSize(1);
        }
    }

    @Test
    void reportedDemandSumsEntriesPerWorkloadAndNode() {
        OriginReport r = new OriginReport();
        r.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName("edge-1").build());
        r.setSpec(new OriginReportSpec("edge-1", "2026-01-01T00:00:00Z", 10, List.of(
                new OriginReportSpec.WorkloadOrigins("web", "shop", 30080, List.of(
                        new OriginReportSpec.ClientDemand("192.0.2.1", 1, 1, 30, 100, 1000),
                        new OriginReportSpec.ClientDemand("192.0.2.0/24", 5, 1, 10, 100, 3000)),
                        new OriginReportSpec.OtherClients(7, 1, 60, 100))), List.of()));
        var received = new OriginReportWatcher.ReceivedReport(r, Instant.EPOCH, Instant.EPOCH);
        ReportedDemand d = ReportedDemand.from(List.of(received), ReportedDemand.Rate.PACKETS);
        ReportedDemand.Entry e = d.workloads().get(WorkloadId.of("shop", "web")).get(NodeId.of("edge-1"));
        assertThat(e.ratePerSecond()).isEqualTo(100);
        assertThat(e.meanRttMicros()).isEqualTo(1500); // (1000*30 + 3000*10) / 40
        assertThat(e.clients()).isEqualTo(13);
    }

    static void waitFor(java.util.function.BooleanSupplier c) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 10 s");
            }
            Thread.sleep(10);
        }
    }
}
