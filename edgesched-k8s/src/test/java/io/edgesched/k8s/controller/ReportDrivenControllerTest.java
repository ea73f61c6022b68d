package io.edgesched.k8s.controller;

import static io.edgesched.k8s.topology.Fixtures.deployment;
import static io.edgesched.k8s.topology.Fixtures.node;
import static io.edgesched.k8s.topology.Fixtures.nodePortService;
import static io.edgesched.k8s.topology.Fixtures.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.edgesched.api.control.RoundReport;
import io.edgesched.api.policy.DecisionReason;
import io.edgesched.api.policy.PolicyConfig;
import io.edgesched.api.policy.StabilityConfig;
import io.edgesched.k8s.metrics.EdgeschedMetrics;
import io.edgesched.k8s.move.KubernetesRescheduler;
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
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Reports in, patch out: the whole controller path on the CRUD mock with the real policy and rescheduler. */
@EnableKubernetesMockClient(crud = true)
class ReportDrivenControllerTest {
    static {
        Fixtures.quietMockServer();
    }

    KubernetesClient client;

    static OriginReport report(String node, Instant at, double packetsPerSecond, long clientRtt, Map<String, Long> nodeRtts) {
        OriginReport r = new OriginReport();
        r.setMetadata(new ObjectMetaBuilder().withName(node).withNamespace("edgesched").build());
        r.setSpec(new OriginReportSpec(node, at.toString(), 10, List.of(new WorkloadOrigins("web", "shop", 30080,
                List.of(new ClientDemand("198.51.100.0/24", 40, 1, packetsPerSecond, packetsPerSecond * 100, clientRtt)),
                OtherClients.NONE)),
                nodeRtts.entrySet().stream().map(e -> new NodeRtt(e.getKey(), e.getValue())).toList()));
        return r;
    }

    @Test
    void demandAtAnotherNodeMovesTheDeploymentThere() throws Exception {
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
        KubernetesRescheduler rescheduler = KubernetesRescheduler.builder(client).allowAllNamespaces()
                .rolloutTimeout(Duration.ofMinutes(5)).build();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ReportDrivenController.Settings settings = new ReportDrivenController.Settings(Duration.ofHours(1), Duration.ofMillis(10),
                ReportedDemand.Rate.PACKETS, PolicyConfig.defaults(),
                StabilityConfig.defaults().withMinDwell(Duration.ZERO).withThresholds(0.05, 100), false);
        // Informers stay open until the mock shuts down (closing a watch can deadlock the 8.0.0 mock).
        ReportDrivenController controller = ReportDrivenController.start(topology, watcher, rescheduler,
                new EdgeschedMetrics(registry), settings, Clock.systemUTC());

        // Nearly all demand enters at edge-2; the pod runs on edge-1, 8 ms away.
        Instant now = Instant.now();
        var reports = client.resources(OriginReport.class).inNamespace("edgesched");
        reports.resource(report("edge-1", now, 1, 2000, Map.of("edge-2", 8000L, "edge-3", 9000L))).create();
        reports.resource(report("edge-2", now, 500, 2000, Map.of("edge-1", 8000L, "edge-3", 9000L))).create();

        await(() -> targets(client).isPresent());
        assertThat(targets(client).orElseThrow()).contains("edge-2").doesNotContain("edge-1");
        RoundReport round = controller.lastRound().orElseThrow();
        assertThat(round.decisions()).anySatisfy(d -> {
            assertThat(d.workload().name()).isEqualTo("web");
            assertThat(d.reason()).isEqualTo(DecisionReason.MOVE_STARTED);
        });
        assertThat(registry.get("edgesched.moves").tag("outcome", "started").counter().count()).isEqualTo(1);
        assertThat(registry.get("edgesched.decision.time").timer().count()).isGreaterThanOrEqualTo(1);
        assertThat(registry.get("edgesched.decisions").tag("outcome", "move-started").counter().count()).isEqualTo(1);
        assertThat(registry.get("edgesched.policy.verdicts").tag("reason", "move").counter().count()).isEqualTo(1);
        assertThat(registry.get("edgesched.reports").tag("state", "fresh").gauge().value()).isEqualTo(2);
    }

    @Test
    void aMoveByAPreviousLeaderStillCountsForTheDwell() throws Exception {
        for (String n : List.of("edge-1", "edge-2")) {
            client.nodes().resource(node(n, "10.0.0." + n.charAt(5), true)).create();
        }
        createStableDeployment(client);
        Deployment d = client.apps().deployments().inNamespace("shop").withName("web").get();
        d.getSpec().getTemplate().getMetadata().setAnnotations(Map.of(KubernetesRescheduler.ANNOTATION_MOVED_AT,
                Instant.now().minusSeconds(60).toString()));
        client.apps().deployments().inNamespace("shop").resource(d).update();
        client.pods().inNamespace("shop").resource(pod("shop", "web", "a", "edge-1", "10.244.1.5")).create();
        KubernetesTopology topology = KubernetesTopology.start(client, KubernetesTopology.Options.allNamespaces());
        topology.awaitSynced(Duration.ofSeconds(10));
        OriginReportWatcher watcher = OriginReportWatcher.start(client, "edgesched", Duration.ofMinutes(5), Clock.systemUTC());
        watcher.awaitSynced(Duration.ofSeconds(10));
        var reports = client.resources(OriginReport.class).inNamespace("edgesched");
        reports.resource(report("edge-1", Instant.now(), 1, 2000, Map.of("edge-2", 8000L))).create();
        reports.resource(report("edge-2", Instant.now(), 500, 2000, Map.of("edge-1", 8000L))).create();
        await(() -> watcher.fresh().size() == 2);

        ReportDrivenController.Settings settings = new ReportDrivenController.Settings(Duration.ofHours(1), Duration.ofHours(1),
                ReportedDemand.Rate.PACKETS, PolicyConfig.defaults(),
                StabilityConfig.defaults().withMinDwell(Duration.ofMinutes(5)).withThresholds(0.05, 100), true);
        ReportDrivenController controller = ReportDrivenController.start(topology, watcher, null,
                new EdgeschedMetrics(new SimpleMeterRegistry()), settings, Clock.systemUTC());
        RoundReport round = controller.runOnce();
        assertThat(round.decisions()).singleElement().satisfies(dec -> {
            assertThat(dec.reason()).isEqualTo(DecisionReason.HOLD_DWELL);
            assertThat(dec.policy().orElseThrow().reason()).isEqualTo(io.edgesched.api.policy.DecisionReason.HOLD_DWELL);
        });
    }

    @Test
    void staleReportsDecideNothing() throws Exception {
        client.nodes().resource(node("edge-1", "10.0.0.1", true)).create();
        client.apps().deployments().inNamespace("shop").resource(deployment("shop", "web", true, 1)).create();
        KubernetesTopology topology = KubernetesTopology.start(client, KubernetesTopology.Options.allNamespaces());
        topology.awaitSynced(Duration.ofSeconds(10));
        OriginReportWatcher watcher = OriginReportWatcher.start(client, "edgesched", Duration.ofSeconds(30), Clock.systemUTC());
        watcher.awaitSynced(Duration.ofSeconds(10));
        client.resources(OriginReport.class).inNamespace("edgesched")
                .resource(report("edge-1", Instant.now().minusSeconds(3600), 100, 1000, Map.of())).create();
        await(() -> watcher.all().size() == 1);
        assertThat(watcher.fresh()).isEmpty();

        ReportDrivenController.Settings settings = new ReportDrivenController.Settings(Duration.ofHours(1), Duration.ofHours(1),
                ReportedDemand.Rate.PACKETS, PolicyConfig.defaults(), StabilityConfig.defaults(), true);
        // (a standby runs no controller at all: Leadership starts it only while leading, see LeadershipTest)
        ReportDrivenController controller = ReportDrivenController.start(topology, watcher, null,
                new EdgeschedMetrics(new SimpleMeterRegistry()), settings, Clock.systemUTC());
        RoundReport round = controller.runOnce();
        assertThat(round.decisions()).allSatisfy(d -> assertThat(d.reason())
                .matches(r -> r.isPolicyVerdict() && !r.isMove(), "a hold of the policy or the gate"));
        assertThat(round.movesStarted()).isZero();
        assertThat(targets(client)).isEmpty();
    }

    /** The mock runs no Deployment controller: write the status a settled rollout of one replica would have. */
    static void createStableDeployment(KubernetesClient client) {
        Deployment created = client.apps().deployments().inNamespace("shop").resource(deployment("shop", "web", true, 1)).create();
        long generation = created.getMetadata().getGeneration() == null ? 1 : created.getMetadata().getGeneration();
        created.setStatus(new io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder().withObservedGeneration(generation)
                .withReplicas(1).withUpdatedReplicas(1).withReadyReplicas(1).withAvailableReplicas(1).build());
        client.apps().deployments().inNamespace("shop").resource(created).updateStatus();
    }

    static Optional<String> targets(KubernetesClient client) {
        Deployment d = client.apps().deployments().inNamespace("shop").withName("web").get();
        Map<String, String> a = d.getSpec().getTemplate().getMetadata().getAnnotations();
        return Optional.ofNullable(a == null ? null : a.get(KubernetesRescheduler.ANNOTATION_TARGETS));
    }

    static void await(java.util.function.BooleanSupplier c) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 15 s");
            }
            Thread.sleep(20);
        }
    }

}
