package io.edgesched.k8s.move;

import static io.edgesched.k8s.move.Fixtures.NS;
import static io.edgesched.k8s.move.Fixtures.await;
import static io.edgesched.k8s.move.Fixtures.deployment;
import static io.edgesched.k8s.move.Fixtures.node;
import static io.edgesched.k8s.move.Fixtures.request;
import static io.edgesched.k8s.move.Fixtures.stable;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edgesched.api.MoveResult;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Conflicts, server errors and an absent API server: moves end as results, never as exceptions. */
@EnableKubernetesMockClient(crud = true)
class ApiFailuresTest {
    static {
        Fixtures.quietMockServer();
    }

    private static final String DEPLOYMENT_PATH = "/apis/apps/v1/namespaces/" + NS + "/deployments/web";

    KubernetesMockServer server;
    KubernetesClient client;
    KubernetesClient plain;
    ClusterEmulator emulator;
    final List<KubernetesRescheduler> used = new java.util.ArrayList<>();

    @BeforeEach
    void cluster() {
        for (String n : List.of("edge-a", "edge-b")) {
            client.nodes().resource(node(n)).create();
        }
        emulator = new ClusterEmulator(client, NS, Duration.ofMillis(40)).start();
        client.apps().deployments().inNamespace(NS).resource(deployment("web", 1, "edge-a").build()).create();
        await("web stable", Duration.ofSeconds(5), () -> stable(client, "web"));
        plain = Fixtures.noRetryClient(client.getConfiguration()); // no fabric8-level retries: ours are tested
    }

    @AfterEach
    void stop() {
        emulator.close(); // first, so no watch closes while the mock still sends to it
        used.forEach(KubernetesRescheduler::close);
        plain.close();
    }

    private static Status status(int code, String reason) {
        return new StatusBuilder().withCode(code).withStatus("Failure").withReason(reason)
                .withMessage(reason + " (injected by the test)").build();
    }

    /** Runs one move; the rescheduler is closed after the emulator (see stop()). */
    private MoveResult move(KubernetesRescheduler r) throws Exception {
        used.add(r);
        return r.move(request("web", "edge-a", "edge-b")).toCompletableFuture().get(20, TimeUnit.SECONDS);
    }

    @Test
    void conflictIsRetriedOnFreshState() throws Exception {
        server.expect().patch().withPath(DEPLOYMENT_PATH).andReturn(409, status(409, "Conflict")).times(2);
        MoveResult r = move(Fixtures.rescheduler(plain).build());
        assertThat(r).isInstanceOf(MoveResult.Done.class);
        assertThat(Fixtures.pods(client, "web")).singleElement()
                .satisfies(p -> assertThat(p.getSpec().getNodeName()).isEqualTo("edge-b"));
    }

    @Test
    void movePatchIsConditionalOnTheResourceVersionRead() {
        // The 409 that the retry above handles is real: a patch computed from a stale read is
        // rejected by the store, so a concurrent change is never overwritten.
        var stale = client.apps().deployments().inNamespace(NS).withName("web").get();
        client.apps().deployments().inNamespace(NS).withName("web")
                .edit(d -> { d.getMetadata().getLabels().put("touched", "yes"); return d; });
        String body = new TemplatePatches(client.getKubernetesSerialization()).move(stale,
                TemplatePatches.withTargets(null, new java.util.TreeSet<>(List.of("edge-b"))),
                Map.of(KubernetesRescheduler.ANNOTATION_MOVE_ID, "x"), Map.of(), null);
        assertThatThrownBy(() -> client.apps().deployments().inNamespace(NS).withName("web")
                .patch(PatchContext.of(PatchType.JSON), body))
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(409));
    }

    @Test
    void endlessConflictsEndAsFailed() throws Exception {
        server.expect().patch().withPath(DEPLOYMENT_PATH).andReturn(409, status(409, "Conflict")).always();
        MoveResult r = move(Fixtures.rescheduler(plain).maxConflictRetries(2).build());
        assertThat(r).isInstanceOfSatisfying(MoveResult.Failed.class, f -> {
            assertThat(f.reason()).contains("kept changing").contains("3 conflicts");
            assertThat(f.rolledBack()).isFalse();
        });
    }

    @Test
    void serverErrorsBackOffAndRecover() throws Exception {
        server.expect().get().withPath(DEPLOYMENT_PATH).andReturn(503, status(503, "ServiceUnavailable")).times(2);
        MoveResult r = move(Fixtures.rescheduler(plain).retry(3, Duration.ofMillis(10), Duration.ofMillis(40)).build());
        assertThat(r).isInstanceOf(MoveResult.Done.class);
    }

    @Test
    void persistentServerErrorsEndAsFailed() throws Exception {
        server.expect().get().withPath(DEPLOYMENT_PATH).andReturn(500, status(500, "InternalError")).always();
        MoveResult r = move(Fixtures.rescheduler(plain).retry(3, Duration.ofMillis(5), Duration.ofMillis(20)).build());
        assertThat(r).isInstanceOfSatisfying(MoveResult.Failed.class,
                f -> assertThat(f.reason()).contains("after 3 attempts (HTTP 500").contains("will retry"));
    }

    @Test
    void forbiddenSaysWhichPermissionIsMissing() throws Exception {
        server.expect().patch().withPath(DEPLOYMENT_PATH).andReturn(403, status(403, "Forbidden")).always();
        MoveResult r = move(Fixtures.rescheduler(plain).build());
        assertThat(r).isInstanceOfSatisfying(MoveResult.Failed.class,
                f -> assertThat(f.reason()).contains("forbidden to patch").contains("RBAC"));
    }

    @SuppressWarnings("try") // resources held open for their side effect
    @Test
    void apiServerDownFailsCleanlyAndWorkResumesWhenItReturns() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        String url = "http://127.0.0.1:" + port + "/";
        try (KubernetesClient down = Fixtures.noRetryClient(new ConfigBuilder().withMasterUrl(url)
                .withNamespace(NS).build());
             KubernetesRescheduler r = Fixtures.rescheduler(down).build()) {
            MoveResult failed = r.move(request("web", "edge-a", "edge-b")).toCompletableFuture().get(20, TimeUnit.SECONDS);
            assertThat(failed).isInstanceOfSatisfying(MoveResult.Failed.class, f -> {
                assertThat(f.reason()).startsWith("API server unreachable at " + url).contains("will retry");
                assertThat(f.rolledBack()).isFalse();
            });
            // the API server comes back on the same address: the same rescheduler works again
            Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
            KubernetesMockServer revived = new KubernetesMockServer(new Context(), new MockWebServer(), responses,
                    new KubernetesMixedDispatcher(responses), false);
            revived.init(InetAddress.getByName("127.0.0.1"), port);
            try (ClusterEmulator emu = new ClusterEmulator(down, NS, Duration.ofMillis(40)).start()) {
                for (String n : List.of("edge-a", "edge-b")) {
                    down.nodes().resource(node(n)).create();
                }
                down.apps().deployments().inNamespace(NS).resource(deployment("web", 1, "edge-a").build()).create();
                await("web stable on the revived server", Duration.ofSeconds(5), () -> stable(down, "web"));
                MoveResult done = r.move(request("web", "edge-a", "edge-b")).toCompletableFuture()
                        .get(20, TimeUnit.SECONDS);
                assertThat(done).isInstanceOf(MoveResult.Done.class);
            } finally {
                revived.destroy();
            }
        }
    }
}
