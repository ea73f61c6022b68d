package io.edgesched.examples.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgesched.examples.AppProcessSupport;
import io.edgesched.examples.k8s.SyntheticCluster;
import io.edgesched.k8s.move.KubernetesRescheduler;
import io.edgesched.k8s.report.OriginReport;
import io.edgesched.k8s.report.OriginReportSpec.NodeRtt;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The controller app as a process against a (mock) API server: it elects itself leader on a Lease, reads the
 * reports, patches the Deployment toward the demand, serves /metrics, and stops cleanly on SIGTERM.
 */
class ControllerAppTest {
    static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

    KubernetesMockServer server;
    Process app;

    @AfterEach
    void tearDown() throws Exception {
        if (app != null && app.isAlive()) {
            app.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        if (server != null) {
            server.destroy();
        }
    }

    @Test
    void movesTowardTheReportedDemandAndServesMetrics(@TempDir Path dir) throws Exception {
        MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
        server.init();
        KubernetesClient client = server.createClient();
        List<String> nodes = List.of("edge-1", "edge-2", "edge-3");
        for (int i = 0; i < nodes.size(); i++) {
            client.nodes().resource(SyntheticCluster.node(nodes.get(i), "10.0.0." + (i + 1))).create();
        }
        client.apps().deployments().inNamespace("shop").resource(SyntheticCluster.deployment("shop", "web", 1)).create();
        client.pods().inNamespace("shop").resource(SyntheticCluster.pod("shop", "web", "a", "edge-1", "10.244.0.5")).create();
        client.services().inNamespace("shop").resource(SyntheticCluster.nodePortService("shop", "web", 30080)).create();
        for (String n : nodes) {
            List<NodeRtt> rtts = new ArrayList<>();
            nodes.stream().filter(o -> !o.equals(n)).forEach(o -> rtts.add(new NodeRtt(o, 6000)));
            var demand = n.equals("edge-3") ? List.of(SyntheticCluster.demand("shop", "web", 30080, 900, 1200, 8, 1))
                    : List.<io.edgesched.k8s.report.OriginReportSpec.WorkloadOrigins>of();
            client.resources(OriginReport.class).inNamespace("edgesched")
                    .resource(SyntheticCluster.report("edgesched", n, Instant.now(), demand, rtts)).create();
        }

        Path kubeconfig = AppProcessSupport.writeKubeconfig(dir, client.getMasterUrl().toString());
        int metricsPort = AppProcessSupport.freeTcpPort();
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), ControllerMain.class.getName(),
                "--namespace=edgesched", "--interval=2s", "--report-delay=100ms", "--dwell=0",
                "--min-gain-percent=5", "--min-gain-micros=100", "--metrics-port=" + metricsPort)
                .redirectErrorStream(true).redirectOutput(dir.resolve("controller.log").toFile());
        pb.environment().put("KUBECONFIG", kubeconfig.toString());
        pb.environment().put("POD_NAME", "controller-test");
        app = pb.start();

        await(Duration.ofSeconds(60), () -> targets(client) != null, dir);
        assertThat(targets(client)).isEqualTo("edge-3");
        assertThat(client.leases().inNamespace("edgesched").withName("edgesched-controller").get().getSpec().getHolderIdentity())
                .startsWith("controller-test");

        HttpResponse<String> metrics = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.body()).contains("edgesched_moves_total{outcome=\"started\"} 1.0",
                "edgesched_decision_time_seconds_count", "edgesched_reports{state=\"fresh\"} 3.0");

        app.destroy(); // SIGTERM: the shutdown hook closes everything
        boolean exited = app.waitFor(30, TimeUnit.SECONDS);
        assertThat(exited).as("controller stops within 30 s of SIGTERM; log:%n%s", log(dir)).isTrue();
        assertThat(log(dir)).contains("controller started").doesNotContain("Exception in thread");
    }

    static String targets(KubernetesClient client) {
        Deployment d = client.apps().deployments().inNamespace("shop").withName("web").get();
        Map<String, String> a = d.getSpec().getTemplate().getMetadata().getAnnotations();
        return a == null ? null : a.get(KubernetesRescheduler.ANNOTATION_TARGETS);
    }

    static String log(Path dir) throws Exception {
        File f = dir.resolve("controller.log").toFile();
        return f.exists() ? Files.readString(f.toPath()) : "";
    }

    static void await(Duration timeout, BooleanSupplier condition, Path dir) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within " + timeout + "; controller log:\n" + log(dir));
            }
            Thread.sleep(100);
        }
    }
}
