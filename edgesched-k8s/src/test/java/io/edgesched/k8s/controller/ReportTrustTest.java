package io.edgesched.k8s.controller;

import static io.edgesched.k8s.controller.ReportDrivenControllerTest.createStableDeployment;
import static io.edgesched.k8s.controller.ReportDrivenControllerTest.report;
import static io.edgesched.k8s.topology.Fixtures.node;
import static io.edgesched.k8s.topology.Fixtures.nodePortService;
import static io.edgesched.k8s.topology.Fixtures.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.edgesched.api.control.RoundReport;
import io.edgesched.api.policy.PolicyConfig;
import io.edgesched.api.policy.StabilityConfig;
import io.edgesched.k8s.metrics.EdgeschedMetrics;
import io.edgesched.k8s.report.OriginReport;
import io.edgesched.k8s.report.OriginReportSpec;
import io.edgesched.k8s.report.OriginReportSpec.ClientDemand;
import io.edgesched.k8s.report.OriginReportSpec.NodeRtt;
import io.edgesched.k8s.report.OriginReportSpec.OtherClients;
import io.edgesched.k8s.report.OriginReportSpec.WorkloadOrigins;
import io.edgesched.k8s.report.OriginReportWatcher;
import io.edgesched.k8s.report.ReportedDemand;
import io.edgesched.k8s.topology.Fixtures;
import io.edgesched.k8s.topology.KubernetesTopology;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the controller believes of a report: hostile numbers are dropped per entry, a slow node clock is not stale. */
@EnableKubernetesMockClient(crud = true)
class ReportTrustTest {
    static {
        Fixtures.quietMockServer();
    }

    KubernetesClient client;

    @Test
    void negativeAndHugeRatesAreDroppedPerEntryAndTheRoundStillDecides() throws Exception {
        for (String n : List.of("edge-1", "edge-2", "edge-3")) {
            client.nodes().resource(node(n, "10.0.0." + n.charAt(5), true)).create();
        }
        createStableDeployment(client);
        client.pods().inNamespace("shop").resource(pod("shop", "web", "a", "edge-1", "10.244.1.5")).create();
        client.services().inNamespace("shop").resource(nodePortService("shop", "web", Map.of("app", "web"), 80, 30080)).create();
        KubernetesTopology topology = KubernetesTopology.start(client, KubernetesTopology.Options.allNamespaces());
        topology.awaitSynced(Duration.ofSeconds(10));
        OriginReportWatcher watcher = OriginReportWatcher.start(client, "edgesched", Duration.ofMinutes(5), Clock.systemUTC());
        watcher.awaitSynced(Duration.ofSeconds(10));
        Instant now = Instant.now();
        var reports = client.resources(OriginReport.class).inNamespace("edgesched");
        reports.resource(report("edge-1", now, 1, 2000, Map.of("edge-2", 8000L, "edge-3", 9000L))).create();
        reports.resource(report("edge-2", now, 500, 2000, Map.of("edge-1", 8000L, "edge-3", 9000L))).create();
        // a forged report: a negative rate to cancel edge-2's demand, two rates that add to Infinity, a negative RTT
        OriginReport forged = new OriginReport();
        forged.setMetadata(new ObjectMetaBuilder().withName("edge-3").withNamespace("edgesched").build());
        forged.setSpec(new OriginReportSpec("edge-3", now.toString(), 10, List.of(new WorkloadOrigins("web", "shop", 30080,
                List.of(new ClientDemand("203.0.113.1", 1, 1, -1e9, 1, 100),
                        new ClientDemand("203.0.113.2", 1, 1, 1.7e308, 1, 100),
                        new ClientDemand("203.0.113.3", 1, 1, 1.7e308, 1, 100),
                        new ClientDemand("203.0.113.4", 1, 1, 3, 300, 2000)),
                new OtherClients(1, 1, -5, 1))),
                List.of(new NodeRtt("edge-1", -7), new NodeRtt("edge-2", 9000))));
        reports.resource(forged).create();
        ReportDrivenControllerTest.await(() -> watcher.fresh().size() == 3);

        ReportDrivenController.Settings settings = new ReportDrivenController.Settings(Duration.ofHours(1), Duration.ofHours(1),
                ReportedDemand.Rate.PACKETS, PolicyConfig.defaults(),
                StabilityConfig.defaults().withMinDwell(Duration.ZERO).withThresholds(0.05, 100), true);
        ReportDrivenController controller = ReportDrivenController.start(topology, watcher, null,
                new EdgeschedMetrics(new SimpleMeterRegistry()), settings, Clock.systemUTC());
        RoundReport round = controller.runOnce();
        assertThat(round.inputError()).as("one bad report does not stop the round").isEmpty();
        assertThat(round.decisions()).anySatisfy(d -> assertThat(d.workload().name()).isEqualTo("web"));
        assertThat(watcher.droppedEntries()).as("3 client entries, the tail, one node RTT").isEqualTo(5);
        ReportedDemand demand = ReportedDemand.from(watcher.fresh(), ReportedDemand.Rate.PACKETS);
        assertThat(demand.workloads().values()).allSatisfy(perNode -> perNode.values().forEach(e ->
                assertThat(e.ratePerSecond()).isFinite().isNotNegative()));
        assertThat(demand.workloads().values().iterator().next().get(io.edgesched.api.NodeId.of("edge-3")).ratePerSecond())
                .as("only the believable entry of edge-3 counts").isEqualTo(3);
    }

    @Test
    void forgedArrivalsAndDeparturesAreDroppedPerEntryAndCapped() throws Exception {
        OriginReportWatcher watcher = OriginReportWatcher.start(client, "edgesched", Duration.ofMinutes(5), Clock.systemUTC());
        watcher.awaitSynced(Duration.ofSeconds(10));
        Instant now = Instant.now();
        List<OriginReportSpec.Arrival> arrivals = new java.util.ArrayList<>();
        arrivals.add(new OriginReportSpec.Arrival("198.51.100.0/24", 10, 5, 100));  // a prefix hides who moved
        arrivals.add(new OriginReportSpec.Arrival("198.51.100.1", -5, 5, 100));     // arrived in the future
        arrivals.add(new OriginReportSpec.Arrival("198.51.100.2", 10, 0, 100));     // no evidence at all
        arrivals.add(new OriginReportSpec.Arrival("198.51.100.3", 10, 5, -1));      // negative RTT
        for (int i = 0; i < 40; i++) {                                              // a flood: 32 kept
            arrivals.add(new OriginReportSpec.Arrival("192.0.2." + i, 10, 2, 100));
        }
        List<OriginReportSpec.Departure> departures = List.of(
                new OriginReportSpec.Departure("not-an-address", 10),
                new OriginReportSpec.Departure("192.0.2.1", Long.MAX_VALUE),
                new OriginReportSpec.Departure("192.0.2.2", 700));
        OriginReport forged = new OriginReport();
        forged.setMetadata(new ObjectMetaBuilder().withName("edge-3").withNamespace("edgesched").build());
        forged.setSpec(new OriginReportSpec("edge-3", now.toString(), 10, List.of(new WorkloadOrigins("web", "shop",
                30080, List.of(new ClientDemand("192.0.2.2", 1, 1, 3, 300, 2000)), OtherClients.NONE, arrivals,
                departures)), List.of()));
        client.resources(OriginReport.class).inNamespace("edgesched").resource(forged).create();
        ReportDrivenControllerTest.await(() -> watcher.fresh().size() == 1);
        WorkloadOrigins kept = watcher.fresh().getFirst().report().getSpec().workloads().getFirst();
        assertThat(kept.arrivals()).hasSize(OriginReportWatcher.MAX_MOVEMENTS)
                .allSatisfy(a -> assertThat(a.client()).startsWith("192.0.2."));
        assertThat(kept.departures()).extracting(OriginReportSpec.Departure::client).containsExactly("192.0.2.2");
        assertThat(watcher.droppedEntries()).as("4 bad arrivals, 8 over the cap, 2 bad departures").isEqualTo(14);
        assertThat(kept.clients()).as("the demand itself is untouched").hasSize(1);
        watcher.close();
    }

    @Test
    void aNodeWhoseClockIsBehindIsNotStale() throws Exception {
        OriginReportWatcher watcher = OriginReportWatcher.start(client, "edgesched", Duration.ofSeconds(30), Clock.systemUTC());
        watcher.awaitSynced(Duration.ofSeconds(10));
        client.resources(OriginReport.class).inNamespace("edgesched")
                .resource(report("edge-1", Instant.now().minusSeconds(60), 100, 1000, Map.of())).create();
        ReportDrivenControllerTest.await(() -> watcher.all().size() == 1);
        assertThat(watcher.fresh()).as("judged by when it arrived, not by the node's clock").hasSize(1);
    }
}
