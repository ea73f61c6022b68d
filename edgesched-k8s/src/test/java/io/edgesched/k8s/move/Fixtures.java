package io.edgesched.k8s.move;

import io.edgesched.api.MoveRequest;
import io.edgesched.api.NodeId;
import io.edgesched.api.WorkloadId;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;

/** Objects and waits shared by the move and leader tests. */
public final class Fixtures {
    public static final String NS = "edge";
    /** Held so the level sticks (JUL keeps loggers weakly); the mock server logs every request at INFO. */
    private static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

    static {
        MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
    }

    /** Call from a test class's static initializer to quiet the mock server's request log. */
    public static void quietMockServer() {
        MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
    }

    private Fixtures() {
    }

    public static NodeBuilder nodeBuilder(String name) {
        return new NodeBuilder()
                .withNewMetadata().withName(name).addToLabels("kubernetes.io/hostname", name).endMetadata()
                .withNewSpec().endSpec()
                .withNewStatus().addNewCondition().withType("Ready").withStatus("True").endCondition().endStatus();
    }

    public static Node node(String name) {
        return nodeBuilder(name).build();
    }

    /** A node that passes every pre-check but has room for no pod. */
    public static Node fullNode(String name) {
        return nodeBuilder(name).editStatus().addToAllocatable("pods", new Quantity("0")).endStatus().build();
    }

    /**
     * An opted-in Deployment placed on {@code node} by an earlier edgesched move: its hostname expression
     * is edgesched's, the user allows every node (annotation {@code user-node-affinity: {}}).
     */
    public static DeploymentBuilder deployment(String name, int replicas, String node) {
        return new DeploymentBuilder()
                .withNewMetadata().withName(name).withNamespace(NS)
                .addToLabels("app", name).addToLabels(KubernetesRescheduler.DEFAULT_OPT_IN_KEY, "true")
                .addToAnnotations(KubernetesRescheduler.ANNOTATION_USER_AFFINITY, "{}").endMetadata()
                .withNewSpec().withReplicas(replicas)
                .withNewSelector().addToMatchLabels("app", name).endSelector()
                .withNewTemplate()
                .withNewMetadata().addToLabels("app", name).endMetadata()
                .withNewSpec()
                .addNewContainer().withName("app").withImage("nginx:1.27").endContainer()
                .withNewAffinity().withNewNodeAffinity().withNewRequiredDuringSchedulingIgnoredDuringExecution()
                .addNewNodeSelectorTerm().addNewMatchExpression().withKey("kubernetes.io/hostname").withOperator("In")
                .withValues(node).endMatchExpression().endNodeSelectorTerm()
                .endRequiredDuringSchedulingIgnoredDuringExecution().endNodeAffinity().endAffinity()
                .endSpec()
                .endTemplate()
                .endSpec();
    }

    public static MoveRequest request(String name, String from, String... to) {
        return MoveRequest.of(WorkloadId.of(NS, name), Set.of(NodeId.of(from)),
                Set.of(java.util.Arrays.stream(to).map(NodeId::of).toArray(NodeId[]::new)),
                "clients moved to " + String.join(",", to), 1234.0, Instant.parse("2026-01-01T00:00:00Z"));
    }

    public static KubernetesRescheduler.Builder rescheduler(KubernetesClient client) {
        return KubernetesRescheduler.builder(client)
                .allowedNamespaces(List.of(NS))
                .rolloutTimeout(Duration.ofSeconds(8))
                .stuckGrace(Duration.ZERO)
                .retry(3, Duration.ofMillis(10), Duration.ofMillis(40));
    }

    /** A client like {@code base} but without fabric8's own request retries (the rescheduler retries). */
    public static KubernetesClient noRetryClient(Config base) {
        Config c = new ConfigBuilder(base).withRequestRetryBackoffLimit(0).withConnectionTimeout(1000)
                .withRequestTimeout(2000).build();
        return new KubernetesClientBuilder().withConfig(c).build();
    }

    public static void await(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    public static boolean stable(KubernetesClient client, String name) {
        Deployment d = client.apps().deployments().inNamespace(NS).withName(name).get();
        if (d == null || d.getStatus() == null || d.getStatus().getObservedGeneration() == null) {
            return false;
        }
        int want = d.getSpec().getReplicas();
        return d.getStatus().getObservedGeneration() >= d.getMetadata().getGeneration()
                && n(d.getStatus().getUpdatedReplicas()) == want && n(d.getStatus().getReplicas()) == want
                && n(d.getStatus().getAvailableReplicas()) == want;
    }

    public static List<Pod> pods(KubernetesClient client, String name) {
        return client.pods().inNamespace(NS).withLabel("app", name).list().getItems();
    }

    private static int n(Integer v) {
        return v == null ? 0 : v;
    }
}
