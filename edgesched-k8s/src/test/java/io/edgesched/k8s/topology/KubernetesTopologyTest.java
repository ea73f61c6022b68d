package io.edgesched.k8s.topology;

import static io.edgesched.k8s.topology.Fixtures.deployment;
import static io.edgesched.k8s.topology.Fixtures.node;
import static io.edgesched.k8s.topology.Fixtures.nodePortService;
import static io.edgesched.k8s.topology.Fixtures.pod;
import static io.edgesched.k8s.topology.Fixtures.slice;
import static org.assertj.core.api.Assertions.assertThat;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.NodeId;
import io.edgesched.api.WorkloadId;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class KubernetesTopologyTest {
    KubernetesClient client;

    @Test
    void followsTheClusterThroughInformers() throws Exception {
        client.nodes().resource(node("edge-1", "10.0.0.1", true)).create();
        client.apps().deployments().inNamespace("shop").resource(deployment("shop", "web", true, 1)).create();
        Pod web = pod("shop", "web", "a", "edge-1", "10.244.1.5");
        client.pods().inNamespace("shop").resource(web).create();
        client.services().inNamespace("shop").resource(nodePortService("shop", "web", Map.of("app", "web"), 80, 30080)).create();

        AtomicInteger changes = new AtomicInteger();
        // Informers stay open until the mock server shuts down: closing a watch from the client side can
        // deadlock the 8.0.0 mock's WatchEventsListener (onClosed waits for its executor on the event loop).
        KubernetesTopology topology = KubernetesTopology.start(client,
                new KubernetesTopology.Options(Set.of("shop"), java.util.Optional.empty()));
        {
            topology.addListener(changes::incrementAndGet);
            topology.awaitSynced(Duration.ofSeconds(10));
            ClusterSnapshot first = topology.snapshot();
            assertThat(first.nodes()).containsOnlyKeys(NodeId.of("edge-1"));
            assertThat(first.workloads().get(WorkloadId.of("shop", "web")).runningPerNode()).containsEntry(NodeId.of("edge-1"), 1);
            assertThat(first.resolve(NodeId.of("edge-1"), 30080)).contains(WorkloadId.of("shop", "web"));
            assertThat(topology.snapshot()).isSameAs(first); // nothing changed: no rebuild

            // a second node joins and the endpoint slice appears: the informers deliver both
            long before = topology.version();
            client.nodes().resource(node("edge-2", "10.0.0.2", true)).create();
            client.discovery().v1().endpointSlices().inNamespace("shop")
                    .resource(slice("shop", "web", web.getMetadata().getName(), "edge-1", "10.244.1.5", 8080)).create();
            waitFor(() -> topology.version() >= before + 2);
            ClusterSnapshot second = topology.snapshot();
            assertThat(second).isNotSameAs(first);
            assertThat(second.nodes()).containsKey(NodeId.of("edge-2"));
            assertThat(second.resolve(NodeId.of("edge-1"), ClientAddress.parse("10.244.1.5"), 8080))
                    .contains(WorkloadId.of("shop", "web"));
            assertThat(changes.get()).isGreaterThanOrEqualTo(2);

            // cordon edge-2
            client.nodes().withName("edge-2").edit(n -> { n.getSpec().setUnschedulable(true); return n; });
            waitFor(() -> topology.snapshot().nodes().get(NodeId.of("edge-2")).cordoned());
            assertThat(topology.snapshot().nodes().get(NodeId.of("edge-2")).schedulable()).isFalse();
        }
    }

    static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 10 s");
            }
            Thread.sleep(10);
        }
    }
}
