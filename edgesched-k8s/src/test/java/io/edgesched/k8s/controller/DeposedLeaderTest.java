package io.edgesched.k8s.controller;

import static io.edgesched.k8s.controller.ReportDrivenControllerTest.await;
import static io.edgesched.k8s.controller.ReportDrivenControllerTest.createStableDeployment;
import static io.edgesched.k8s.controller.ReportDrivenControllerTest.report;
import static io.edgesched.k8s.controller.ReportDrivenControllerTest.targets;
import static io.edgesched.k8s.topology.Fixtures.node;
import static io.edgesched.k8s.topology.Fixtures.nodePortService;
import static io.edgesched.k8s.topology.Fixtures.pod;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edgesched.api.MoveResult;
import io.edgesched.api.Rescheduler;
import io.edgesched.api.policy.PolicyConfig;
import io.edgesched.api.policy.StabilityConfig;
import io.edgesched.k8s.leader.Leadership;
import io.edgesched.k8s.metrics.EdgeschedMetrics;
import io.edgesched.k8s.move.KubernetesRescheduler;
import io.edgesched.k8s.report.OriginReport;
import io.edgesched.k8s.report.OriginReportWatcher;
import io.edgesched.k8s.report.ReportedDemand;
import io.edgesched.k8s.topology.Fixtures;
import io.edgesched.k8s.topology.KubernetesTopology;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A leader that loses its Lease in the middle of a move issues no further change: {@link Leadership} closes the
 * controller it started, which ends the move as Failed (not rolled back), cancels the rescheduler's own move (no
 * further patch) and starts no other. The CRUD mock runs no Deployment controller, so the move's rollout hangs
 * after its patch, as a slow rollout would.
 */
@EnableKubernetesMockClient(crud = true)
class DeposedLeaderTest {
    static {
        Fixtures.quietMockServer();
    }

    KubernetesClient client;

    @Test
    void aLeaderThatLosesTheLeaseMidMoveIssuesNoFurtherChange() throws Exception {
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

        CountDownLatch patched = new CountDownLatch(1);
        KubernetesRescheduler mover = KubernetesRescheduler.builder(client).allowAllNamespaces()
                .rolloutTimeout(Duration.ofMinutes(5)).onPatched((r, t) -> patched.countDown()).build();
        AtomicInteger movesHandedToMover = new AtomicInteger();
        List<MoveResult> results = new CopyOnWriteArrayList<>();
        Rescheduler counted = request -> { // the test's window on what reaches the mover
            movesHandedToMover.incrementAndGet();
            return mover.move(request);
        };
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ReportDrivenController.Settings settings = new ReportDrivenController.Settings(Duration.ofMillis(200),
                Duration.ofMillis(10), ReportedDemand.Rate.PACKETS, PolicyConfig.defaults(),
                StabilityConfig.defaults().withMinDwell(Duration.ZERO).withThresholds(0.05, 100), false);
        AtomicReference<ReportDrivenController> running = new AtomicReference<>();
        AtomicInteger lost = new AtomicInteger();
        try (Leadership leadership = Leadership.builder(client).lease("edgesched", "edgesched-controller")
                .identity("ctl-1").timing(Duration.ofMillis(2000), Duration.ofMillis(1500), Duration.ofMillis(100))
                .whileLeading(() -> {
                    ReportDrivenController c = ReportDrivenController.start(topology, watcher, counted,
                            new EdgeschedMetrics(registry), settings, Clock.systemUTC());
                    c.placementController().addListener(new io.edgesched.api.control.DecisionListener() {
                        @Override
                        public void onDecision(io.edgesched.api.control.Decision d) {
                        }

                        @Override
                        public void onMoveResult(MoveResult result) {
                            results.add(result);
                        }
                    });
                    running.set(c);
                    return c;
                }).onLost(lost::incrementAndGet).build().start()) {
            await(leadership::leading);

            // nearly all demand enters at edge-2; the pod runs on edge-1, 8 ms away: the leader moves web
            Instant now = Instant.now();
            var reports = client.resources(OriginReport.class).inNamespace("edgesched");
            reports.resource(report("edge-1", now, 1, 2000, Map.of("edge-2", 8000L, "edge-3", 9000L))).create();
            reports.resource(report("edge-2", now, 500, 2000, Map.of("edge-1", 8000L, "edge-3", 9000L))).create();
            assertThat(patched.await(15, TimeUnit.SECONDS)).as("the move patched the template").isTrue();
            assertThat(movesHandedToMover).hasValue(1);

            // another holder takes the lease (as after a network partition)
            stealLease();
            await(() -> lost.get() == 1);
            assertThat(leadership.leading()).isFalse();
            assertThat(results).singleElement().isInstanceOfSatisfying(MoveResult.Failed.class, f -> {
                assertThat(f.reason()).contains("the controller stopped during the move");
                assertThat(f.rolledBack()).isFalse();
            });
            await(() -> mover.movesInFlight().isEmpty()); // the mover's thread stopped
            Deployment d = client.apps().deployments().inNamespace("shop").withName("web").get();
            Thread.sleep(300); // time in which a rollback patch would have landed
            Deployment later = client.apps().deployments().inNamespace("shop").withName("web").get();
            assertThat(later.getMetadata().getResourceVersion()).as("no patch after losing the lease")
                    .isEqualTo(d.getMetadata().getResourceVersion());
            assertThat(later.getSpec().getTemplate().getMetadata().getAnnotations())
                    .containsKey(KubernetesRescheduler.ANNOTATION_MOVE_ID);
            assertThat(targets(client)).as("not rolled back").contains("edge-2");
            // the abandoned rollout is marked as ours, so the next leader may supersede it while it is unfinished
            assertThat(later.getMetadata().getAnnotations()).containsEntry(
                    KubernetesRescheduler.ANNOTATION_MOVE_GENERATION, String.valueOf(later.getMetadata().getGeneration()));

            // the deposed controller decides no more: a new report triggers nothing, a direct round is refused
            reports.resource(report("edge-3", Instant.now(), 900, 2000, Map.of("edge-1", 9000L, "edge-2", 9000L))).create();
            await(() -> watcher.fresh().size() == 3);
            assertThatThrownBy(() -> running.get().runOnce()).isInstanceOf(IllegalStateException.class);
            assertThat(movesHandedToMover).as("no move after losing the lease").hasValue(1);
            assertThat(registry.get("edgesched.moves").tag("outcome", "failed").counter().count()).isEqualTo(1);
        } finally {
            mover.close();
        }
    }

    private void stealLease() {
        for (int attempt = 0; ; attempt++) { // the leader renews every 100 ms: retry our write on conflict
            try {
                client.leases().inNamespace("edgesched").withName("edgesched-controller").edit(l -> {
                    l.getSpec().setHolderIdentity("intruder");
                    l.getSpec().setRenewTime(ZonedDateTime.now(ZoneOffset.UTC));
                    l.getSpec().setLeaseDurationSeconds(60);
                    return l;
                });
                return;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt > 20) {
                    throw e;
                }
            }
        }
    }
}
