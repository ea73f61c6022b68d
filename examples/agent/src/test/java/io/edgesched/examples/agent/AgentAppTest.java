package io.edgesched.examples.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgesched.api.ClientAddress;
import io.edgesched.ebpf.RequiresBpf;
import io.edgesched.ebpf.netns.NetnsLab;
import io.edgesched.ebpf.netns.TcpLoadClient;
import io.edgesched.ebpf.netns.TcpSinkServer;
import io.edgesched.examples.AppProcessSupport;
import io.edgesched.examples.k8s.SyntheticCluster;
import io.edgesched.k8s.report.OriginReport;
import io.edgesched.k8s.report.OriginReportSpec.ClientDemand;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent app as a process: it finds the NodePort to watch through the (mock) API server, attaches to the
 * lab's server interface, publishes reports with the clients that really connected, and detaches on SIGTERM.
 */
@RequiresBpf
class AgentAppTest {
    static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");
    static final int NODE_PORT = 30081;

    NetnsLab lab;
    TcpSinkServer.Handle sink;
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
        if (sink != null) {
            sink.close();
        }
        if (lab != null) {
            lab.close();
        }
    }

    @ParameterizedTest
    @EnumSource(ClusterAccess.Kind.class)
    void publishesReportsOfRealTrafficAndDetachesOnSigterm(ClusterAccess.Kind apiClient, @TempDir Path dir) throws Exception {
        MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
        lab = NetnsLab.create(2, 1);
        sink = TcpSinkServer.Handle.start(lab, NODE_PORT);
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
        server.init();
        KubernetesClient client = server.createClient();
        client.nodes().resource(SyntheticCluster.node("lab-server", lab.serverV4().getHostAddress())).create();
        client.apps().deployments().inNamespace("shop").resource(SyntheticCluster.deployment("shop", "web", 1)).create();
        client.pods().inNamespace("shop").resource(SyntheticCluster.pod("shop", "web", "a", "lab-server", "10.244.0.9")).create();
        client.services().inNamespace("shop").resource(SyntheticCluster.nodePortService("shop", "web", NODE_PORT)).create();

        Path kubeconfig = AppProcessSupport.writeKubeconfig(dir, client.getMasterUrl().toString());
        int metricsPort = AppProcessSupport.freeTcpPort();
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Xlog:class+load=info:file=" + dir.resolve("classes.log"),
                "-cp", agentRuntimeClasspath(), AgentMain.class.getName(),
                "--interface=" + lab.serverInterface(), "--netns=" + lab.serverNs(), "--interval=1s", "--api-client=" + apiClient,
                "--metrics-port=" + metricsPort)
                .redirectErrorStream(true).redirectOutput(dir.resolve("agent.log").toFile());
        pb.environment().put("KUBECONFIG", kubeconfig.toString());
        pb.environment().put("NODE_NAME", "lab-server");
        app = pb.start();

        // the first report (baseline window) appears once the agent is attached and watching
        await(Duration.ofSeconds(60), () -> report(client) != null, dir);
        TcpLoadClient.run(lab, lab.serverV4(), NODE_PORT, 3, 1000, lab.clientV4());
        TcpLoadClient.run(lab, lab.serverV6(), NODE_PORT, 3, 1000, lab.clientV6());
        Set<String> expected = lab.clientV4().stream().map(a -> ClientAddress.of(a).toString()).collect(Collectors.toSet());
        lab.clientV6().forEach(a -> expected.add(ClientAddress.of(a).toString()));
        // a client shows up in the report window its traffic fell in: collect windows until every client was seen
        Set<String> seen = new java.util.HashSet<>();
        OriginReport[] withClients = new OriginReport[1];
        await(Duration.ofSeconds(60), () -> {
            OriginReport r = report(client);
            if (r != null && !r.getSpec().workloads().isEmpty()) {
                withClients[0] = r;
                r.getSpec().workloads().getFirst().clients().forEach(c -> seen.add(c.prefix()));
            }
            return seen.containsAll(expected);
        }, dir);
        assertThat(seen).isEqualTo(expected);
        OriginReport r = withClients[0];
        assertThat(r.getSpec().workloads().getFirst().workload()).isEqualTo("web");
        assertThat(r.getSpec().workloads().getFirst().port()).isEqualTo(NODE_PORT);
        assertThat(r.getStatus().packetsSeen()).isPositive();

        HttpResponse<String> metrics = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.body()).contains("edgesched_reports_published_total").doesNotContain("publish_failures_total 1")
                .contains("edgesched_topology_objects_refused_total 0.0");

        // tcx where the kernel has it: a tc filter appears only after the logged fallback
        boolean tcFallback = log(dir).contains("attaching tc filters");
        assertThat(lab.execIn(lab.serverNs(), "tc", "filter", "show", "dev", lab.serverInterface(), "ingress").contains("origin"))
                .as("tc filter present while running = the agent logged the tc fallback (%s)", tcFallback)
                .isEqualTo(tcFallback);

        app.destroy();
        assertThat(app.waitFor(30, TimeUnit.SECONDS)).as("agent stops within 30 s of SIGTERM; log:%n%s", log(dir)).isTrue();
        assertThat(lab.execIn(lab.serverNs(), "tc", "filter", "show", "dev", lab.serverInterface(), "ingress"))
                .doesNotContain("origin");
        assertThat(log(dir)).contains("observing").doesNotContain("Exception in thread");
        if (apiClient == ClusterAccess.Kind.LITE) {
            // the light client's point: neither fabric8's client nor Jackson's mapper and parser are loaded, only a few
            // model classes and annotations (docs/bench/k8s-reports.md, "Node agent footprint")
            assertThat(Files.readString(dir.resolve("classes.log"))).contains("io.edgesched.k8s.lite.ListWatch")
                    .doesNotContain("tools.jackson.databind.ObjectMapper").doesNotContain("tools.jackson.core.json")
                    .doesNotContain("io.fabric8.kubernetes.client.impl").doesNotContain("KubernetesDeserializer");
        }
    }

    /** The agent's classes and its runtime dependencies only, as examples/bin/agent starts it (pom.xml trims them). */
    static String agentRuntimeClasspath() throws Exception {
        String dependencies = Files.readString(Path.of("target", "runtime-classpath.txt")).strip();
        Path classes = Path.of(AgentMain.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        return classes + java.io.File.pathSeparator + dependencies;
    }

    static OriginReport report(KubernetesClient client) {
        return client.resources(OriginReport.class).inNamespace("edgesched").withName("lab-server").get();
    }

    static String log(Path dir) throws Exception {
        Path f = dir.resolve("agent.log");
        return Files.exists(f) ? Files.readString(f) : "";
    }

    static void await(Duration timeout, BooleanSupplier condition, Path dir) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within " + timeout + "; agent log:\n" + log(dir));
            }
            Thread.sleep(100);
        }
    }
}
