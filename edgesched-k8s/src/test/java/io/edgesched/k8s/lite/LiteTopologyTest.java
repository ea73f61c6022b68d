package io.edgesched.k8s.lite;

import static io.edgesched.k8s.topology.Fixtures.deployment;
import static io.edgesched.k8s.topology.Fixtures.node;
import static io.edgesched.k8s.topology.Fixtures.nodePortService;
import static io.edgesched.k8s.topology.Fixtures.pod;
import static io.edgesched.k8s.topology.Fixtures.slice;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.NodeId;
import io.edgesched.api.WorkloadId;
import io.edgesched.k8s.topology.ClusterSnapshot;
import io.edgesched.k8s.topology.Fixtures;
import io.edgesched.k8s.topology.KubernetesTopology;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** The light client's cluster view against fabric8's informers on the same (mock) API server. */
@EnableKubernetesMockClient(crud = true, https = false)
class LiteTopologyTest {
    static {
        Fixtures.quietMockServer();
    }

    KubernetesClient client;

    @Test
    void seesWhatTheInformersSeeAndFollowsChanges() throws Exception {
        client.nodes().resource(node("edge-1", "10.0.0.1", true)).create();
        client.apps().deployments().inNamespace("shop").resource(deployment("shop", "web", true, 1)).create();
        client.apps().deployments().inNamespace("shop").resource(deployment("shop", "legacy", false, 1)).create();
        Pod web = pod("shop", "web", "a", "edge-1", "10.244.1.5");
        client.pods().inNamespace("shop").resource(web).create();
        client.services().inNamespace("shop").resource(nodePortService("shop", "web", Map.of("app", "web"), 80, 30080)).create();
        client.discovery().v1().endpointSlices().inNamespace("shop")
                .resource(slice("shop", "web", web.getMetadata().getName(), "edge-1", "10.244.1.5", 8080)).create();

        KubernetesTopology.Options options = new KubernetesTopology.Options(Set.of(), Optional.empty());
        KubernetesTopology informers = KubernetesTopology.start(client, options);
        ApiAccess api = ApiAccess.plain(URI.create(client.getMasterUrl().toString()));
        try (LiteTopology lite = LiteTopology.start(api, options)) {
            AtomicInteger changes = new AtomicInteger();
            lite.addListener(changes::incrementAndGet);
            informers.awaitSynced(Duration.ofSeconds(10));
            lite.awaitSynced(Duration.ofSeconds(10));
            assertThat(lite.notSynced()).isEmpty();
            assertSameView(lite.snapshot(), informers.snapshot());
            ClusterSnapshot first = lite.snapshot();
            assertThat(first.resolve(NodeId.of("edge-1"), 30080)).contains(WorkloadId.of("shop", "web"));
            assertThat(first.workloads()).containsOnlyKeys(WorkloadId.of("shop", "web")); // "legacy" is not managed
            assertThat(lite.snapshot()).isSameAs(first);

            int before = changes.get();
            client.nodes().resource(node("edge-2", "10.0.0.2", true)).create();
            client.nodes().withName("edge-2").edit(n -> {
                n.getSpec().setUnschedulable(true);
                return n;
            });
            waitFor(() -> lite.snapshot().nodes().containsKey(NodeId.of("edge-2"))
                    && lite.snapshot().nodes().get(NodeId.of("edge-2")).cordoned());
            waitFor(() -> informers.snapshot().nodes().containsKey(NodeId.of("edge-2"))
                    && informers.snapshot().nodes().get(NodeId.of("edge-2")).cordoned());
            assertThat(changes.get()).isGreaterThan(before);
            assertSameView(lite.snapshot(), informers.snapshot());

            client.services().inNamespace("shop").withName("web").delete();
            waitFor(() -> lite.snapshot().resolve(NodeId.of("edge-1"), 30080).isEmpty());
            assertThat(lite.unmappedObjects()).isZero();
        }
    }

    @Test
    void anObjectThatDoesNotMapIsLeftOutAndCounted() throws Exception {
        client.nodes().resource(node("edge-1", "10.0.0.1", true)).create();
        client.services().inNamespace("shop").resource(nodePortService("shop", "web", Map.of("app", "web"), 80, 30080)).create();
        // a user's hand-written object the typed clients would refuse: a port that is not a number
        HttpResponse<String> created = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(client.getMasterUrl() + "api/v1/namespaces/shop/services"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":"
                        + "{\"name\":\"bad\",\"namespace\":\"shop\"},\"spec\":{\"type\":\"NodePort\",\"ports\":"
                        + "[{\"port\":\"eighty\",\"nodePort\":30081}]}}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(created.statusCode()).as(created.body()).isBetween(200, 299);

        ApiAccess api = ApiAccess.plain(URI.create(client.getMasterUrl().toString()));
        try (LiteTopology lite = LiteTopology.start(api, KubernetesTopology.Options.allNamespaces())) {
            lite.awaitSynced(Duration.ofSeconds(10));
            ClusterSnapshot view = lite.snapshot();
            assertThat(view.services()).extracting(s -> s.name()).containsExactly("web");
            assertThat(lite.unmappedObjects()).isEqualTo(1);
            lite.snapshot();
            client.nodes().resource(node("edge-2", "10.0.0.2", true)).create();
            waitFor(() -> lite.snapshot().nodes().size() == 2);
            assertThat(lite.unmappedObjects()).as("counted once per object version, not per snapshot").isEqualTo(1);
            assertThat(lite.refusedObjects()).isEqualTo(1);
        }
    }

    @Test
    void aServerThatRefusesConnectionsEndsTheWaitAtOnce() throws Exception {
        int closedPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        ApiAccess api = ApiAccess.plain(URI.create("http://127.0.0.1:" + closedPort));
        try (LiteTopology lite = LiteTopology.start(api, KubernetesTopology.Options.allNamespaces())) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> lite.awaitSynced(Duration.ofSeconds(30))).isInstanceOf(LiteApiException.class)
                    .hasMessageContaining("/api/v1/nodes").hasStackTraceContaining("java.net.ConnectException");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        }
    }

    private static void assertSameView(ClusterSnapshot lite, ClusterSnapshot informers) {
        assertThat(lite.nodes()).isEqualTo(informers.nodes());
        assertThat(lite.workloads()).isEqualTo(informers.workloads());
        assertThat(lite.services()).isEqualTo(informers.services());
        assertThat(lite.nodeByAddress()).isEqualTo(informers.nodeByAddress());
        for (NodeId n : informers.nodes().keySet()) {
            assertThat(lite.bindingsOn(n)).isEqualTo(informers.bindingsOn(n));
        }
        assertThat(lite.resolve(NodeId.of("edge-1"), ClientAddress.parse("10.244.1.5"), 8080))
                .isEqualTo(informers.resolve(NodeId.of("edge-1"), ClientAddress.parse("10.244.1.5"), 8080));
    }

    private static void waitFor(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 10 s");
            }
            Thread.sleep(10);
        }
    }
}
