package io.edgesched.k8s.controller;

import static io.edgesched.k8s.controller.ReportDrivenControllerTest.await;
import static io.edgesched.k8s.controller.ReportDrivenControllerTest.createStableDeployment;
import static io.edgesched.k8s.controller.ReportDrivenControllerTest.targets;
import static io.edgesched.k8s.topology.Fixtures.node;
import static io.edgesched.k8s.topology.Fixtures.nodePortService;
import static io.edgesched.k8s.topology.Fixtures.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.edgesched.api.demand.HandoffRule;
import io.edgesched.api.policy.DecisionReason;
import io.edgesched.api.policy.PolicyConfig;
import io.edgesched.api.policy.StabilityConfig;
import io.edgesched.k8s.metrics.EdgeschedMetrics;
import io.edgesched.k8s.move.KubernetesRescheduler;
import io.edgesched.k8s.report.OriginReport;
import io.edgesched.k8s.report.OriginReportSpec;
import io.edgesched.k8s.report.OriginReportSpec.Arrival;
import io.edgesched.k8s.report.OriginReportSpec.ClientDemand;
import io.edgesched.k8s.report.OriginReportSpec.Departure;
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

/**
 * The reported path end to end on the CRUD mock: one node's arrival and the other's departure of the same client
 * move the Deployment at once (a round 50 ms after such a report, though the report delay and interval are an
 * hour), and the decision names the handoff; with handoff off the same reports move nothing.
 */
@EnableKubernetesMockClient(crud = true)
class HandoffAcrossNodesTest {
    static {
        Fixtures.quietMockServer();
    }

    private static final String CLIENT = "198.51.100.7";

    KubernetesClient client;
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    static OriginReport report(String node, Instant at, double packetsPerSecond, long rtt, List<Arrival> arrivals,
                               List<Departure> departures, String otherNode) {
        OriginReport r = new OriginReport();
        r.setMetadata(new ObjectMetaBuilder().withName(node).withNamespace("edgesched").build());
        r.setSpec(new OriginReportSpec(node, at.toString(), 10, List.of(new WorkloadOrigins("web", "shop", 30080,
                List.of(new ClientDemand(CLIENT, 1, 0, packetsPerSecond, 0, rtt)), OtherClients.NONE, arrivals,
                departures)), List.of(new NodeRtt(otherNode, 8_000)), "packets"));
        return r;
    }

    private ReportDrivenController start(HandoffRule rule) throws Exception {
        for (String n : List.of("edge-1", "edge-2")) {
            client.nodes().resource(node(n, "10.0.0." + n.charAt(5), true)).create();
        }
        createStableDeployment(client);
        client.pods().inNamespace("shop").resource(pod("shop", "web", "a", "edge-1", "10.244.1.5")).create();
        client.services().inNamespace("shop").resource(nodePortService("shop", "web", Map.of("app", "web"), 80, 30080))
                .create();
        KubernetesTopology topology = KubernetesTopology.start(client, KubernetesTopology.Options.allNamespaces());
        topology.awaitSynced(Duration.ofSeconds(10));
        OriginReportWatcher watcher = OriginReportWatcher.start(client, "edgesched", Duration.ofMinutes(5), Clock.systemUTC());
        watcher.awaitSynced(Duration.ofSeconds(10));
        // the client has been at edge-1 for a while: the workload is where it should be
        client.resources(OriginReport.class).inNamespace("edgesched")
                .resource(report("edge-1", Instant.now(), 10, 2_000, List.of(), List.of(), "edge-2")).create();
        await(() -> watcher.fresh().size() == 1);
        KubernetesRescheduler rescheduler = KubernetesRescheduler.builder(client).allowAllNamespaces()
                .rolloutTimeout(Duration.ofMinutes(5)).build();
        ReportDrivenController.Settings settings = new ReportDrivenController.Settings(Duration.ofHours(1),
                Duration.ofHours(1), ReportedDemand.Rate.PACKETS, PolicyConfig.defaults(),
                StabilityConfig.defaults().withMinDwell(Duration.ZERO).withThresholds(0.05, 100), false)
                .withHandoff(rule);
        ReportDrivenController controller = ReportDrivenController.start(topology, watcher, rescheduler,
                new EdgeschedMetrics(registry), settings, Clock.systemUTC());
        await(() -> controller.lastRound().isPresent()); // the first round: nothing to do
        assertThat(targets(client)).isEmpty();
        return controller;
    }

    /** The client's first packet at edge-2 was 600 ms ago, its last at edge-1 900 ms ago. */
    private void handOff() {
        Instant now = Instant.now();
        var reports = client.resources(OriginReport.class).inNamespace("edgesched");
        reports.resource(report("edge-2", now, 1, 1_000, List.of(new Arrival(CLIENT, 600, 2, 1_000)), List.of(),
                "edge-1")).create();
        reports.resource(report("edge-1", now.plusMillis(50), 10, 2_000, List.of(),
                List.of(new Departure(CLIENT, 950)), "edge-2")).update();
    }

    @Test
    void anArrivalAndADepartureMoveTheDeploymentAtOnceAndTheDecisionSaysWhy() throws Exception {
        ReportDrivenController controller = start(HandoffRule.defaults());
        handOff();
        await(() -> targets(client).isPresent()); // no report delay, no interval: only the movement trigger
        assertThat(targets(client).orElseThrow()).contains("edge-2").doesNotContain("edge-1");
        assertThat(controller.lastRound().orElseThrow().decisions()).anySatisfy(d -> {
            assertThat(d.reason()).isEqualTo(DecisionReason.MOVE_STARTED);
            assertThat(d.toString()).contains("client 198.51.100.7 handed off edge-1 -> edge-2");
        });
        assertThat(registry.get("edgesched.handoffs").tag("state", "decided").functionCounter().count()).isEqualTo(1);
        assertThat(registry.get("edgesched.handoffs").tag("state", "ended").functionCounter().count()).isZero();
        controller.close();
    }

    @Test
    void withHandoffOffTheSameReportsMoveNothing() throws Exception {
        ReportDrivenController controller = start(HandoffRule.off());
        handOff();
        Thread.sleep(1_000); // movement reports trigger a round in 50 ms either way
        assertThat(controller.runOnce().decisions()).allSatisfy(d ->
                assertThat(d.reason().isMove()).as("edge-1's 10/s still outweighs edge-2's 1/s").isFalse());
        assertThat(targets(client)).isEmpty();
        assertThat(registry.get("edgesched.handoffs").tag("state", "decided").functionCounter().count()).isZero();
        controller.close();
    }
}
