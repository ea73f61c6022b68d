package io.edgesched.k8s.controller;

import static io.edgesched.k8s.controller.ReportDrivenControllerTest.await;
import static io.edgesched.k8s.controller.ReportDrivenControllerTest.createStableDeployment;
import static io.edgesched.k8s.controller.ReportDrivenControllerTest.report;
import static io.edgesched.k8s.topology.Fixtures.node;
import static io.edgesched.k8s.topology.Fixtures.nodePortService;
import static io.edgesched.k8s.topology.Fixtures.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.edgesched.api.MoveRequest;
import io.edgesched.api.MoveResult;
import io.edgesched.api.Rescheduler;
import io.edgesched.api.policy.PolicyConfig;
import io.edgesched.api.policy.StabilityConfig;
import io.edgesched.k8s.leader.Leadership;
import io.edgesched.k8s.metrics.EdgeschedMetrics;
import io.edgesched.k8s.metrics.MetricsEndpoint;
import io.edgesched.k8s.report.OriginReport;
import io.edgesched.k8s.report.OriginReportWatcher;
import io.edgesched.k8s.report.ReportedDemand;
import io.edgesched.k8s.topology.Fixtures;
import io.edgesched.k8s.topology.KubernetesTopology;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * An Error inside a round stops the loop loudly: /healthz turns 503 and the Lease is given up. Wired as the app
 * does: {@link Leadership} runs the controller while leading, and the fatal handler steps down.
 */
@EnableKubernetesMockClient(crud = true)
class ControllerFailsLoudlyTest {
    static {
        Fixtures.quietMockServer();
    }

    KubernetesClient client;

    @Test
    void anErrorInARoundFlipsHealthAndGivesUpTheLease() throws Exception {
        for (String n : List.of("edge-1", "edge-2")) {
            client.nodes().resource(node(n, "10.0.0." + n.charAt(5), true)).create();
        }
        createStableDeployment(client);
        client.pods().inNamespace("shop").resource(pod("shop", "web", "a", "edge-1", "10.244.1.5")).create();
        client.services().inNamespace("shop").resource(nodePortService("shop", "web", Map.of("app", "web"), 80, 30080)).create();
        KubernetesTopology topology = KubernetesTopology.start(client, KubernetesTopology.Options.allNamespaces());
        topology.awaitSynced(Duration.ofSeconds(10));
        OriginReportWatcher watcher = OriginReportWatcher.start(client, "edgesched", Duration.ofMinutes(5), Clock.systemUTC());
        watcher.awaitSynced(Duration.ofSeconds(10));

        AtomicInteger moves = new AtomicInteger();
        Rescheduler outOfMemory = new Rescheduler() {
            @Override
            public CompletableFuture<MoveResult> move(MoveRequest request) {
                moves.incrementAndGet();
                throw new OutOfMemoryError("injected by the test");
            }
        };
        AtomicReference<Throwable> fatal = new AtomicReference<>();
        AtomicReference<ReportDrivenController> running = new AtomicReference<>();
        AtomicReference<Leadership> leadershipRef = new AtomicReference<>();
        ReportDrivenController.Settings settings = new ReportDrivenController.Settings(Duration.ofMillis(200),
                Duration.ofMillis(10), ReportedDemand.Rate.PACKETS, PolicyConfig.defaults(),
                StabilityConfig.defaults().withMinDwell(Duration.ZERO).withThresholds(0.05, 100), false);
        Leadership leadership = Leadership.builder(client).lease("edgesched", "edgesched-controller").identity("ctl-1")
                .timing(Duration.ofMillis(2000), Duration.ofMillis(1500), Duration.ofMillis(100))
                .whileLeading(() -> {
                    ReportDrivenController c = ReportDrivenController.start(topology, watcher, outOfMemory,
                            new EdgeschedMetrics(new SimpleRegistry()), settings, Clock.systemUTC(), t -> {
                                leadershipRef.get().stepDown(); // the app also exits non-zero; the test keeps the JVM
                                fatal.set(t);
                            });
                    running.set(c);
                    return c;
                }).build();
        leadershipRef.set(leadership);
        leadership.start();
        await(leadership::leading);
        ReportDrivenController controller = running.get();
        try (MetricsEndpoint endpoint = MetricsEndpoint.start(MetricsEndpoint.newRegistry(),
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), controller::unhealthy)) {
            HttpClient http = HttpClient.newHttpClient();
            HttpRequest healthz = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + endpoint.port() + "/healthz")).build();
            assertThat(http.send(healthz, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);

            Instant now = Instant.now();
            var reports = client.resources(OriginReport.class).inNamespace("edgesched");
            reports.resource(report("edge-1", now, 1, 2000, Map.of("edge-2", 8000L))).create();
            reports.resource(report("edge-2", now, 500, 2000, Map.of("edge-1", 8000L))).create();

            await(() -> fatal.get() != null);
            assertThat(fatal.get()).isInstanceOf(OutOfMemoryError.class);
            HttpResponse<String> after = http.send(healthz, HttpResponse.BodyHandlers.ofString());
            assertThat(after.statusCode()).isEqualTo(503);
            assertThat(after.body()).contains("placement loop stopped").contains("OutOfMemoryError");
            leadership.stepDown().get(10, TimeUnit.SECONDS); // the handler's: loops stopped, then the Lease released
            assertThat(leadership.leading()).isFalse();
            Lease lease = client.leases().inNamespace("edgesched").withName("edgesched-controller").get();
            assertThat(lease.getSpec().getLeaseDurationSeconds()).as("released: expires at once").isEqualTo(1);
            AtomicInteger standbyTerms = new AtomicInteger();
            try (Leadership standby = Leadership.builder(client).lease("edgesched", "edgesched-controller")
                    .identity("ctl-2").timing(Duration.ofMillis(2000), Duration.ofMillis(1500), Duration.ofMillis(100))
                    .whileLeading(() -> {
                        standbyTerms.incrementAndGet();
                        return () -> { };
                    }).build()) {
                standby.start();
                await(standby::leading); // the standby takes over
                assertThat(standbyTerms).hasValue(1);
            }
            int movesAtFailure = moves.get();
            Thread.sleep(600); // three intervals: the dead loop runs no further round
            assertThat(moves.get()).as("no round after the Error").isEqualTo(movesAtFailure);
        } finally {
            leadership.close();
        }
    }

    /** A registry without Prometheus (EdgeschedMetrics needs only a MeterRegistry). */
    static final class SimpleRegistry extends io.micrometer.core.instrument.simple.SimpleMeterRegistry {
    }
}
