package io.edgesched.k8s.move;

import static io.edgesched.k8s.move.Fixtures.NS;
import static io.edgesched.k8s.move.Fixtures.await;
import static io.edgesched.k8s.move.Fixtures.deployment;
import static io.edgesched.k8s.move.Fixtures.node;
import static io.edgesched.k8s.move.Fixtures.request;
import static io.edgesched.k8s.move.Fixtures.stable;
import static org.assertj.core.api.Assertions.assertThat;

import io.edgesched.api.MoveResult;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Writes whose outcome the client cannot know (applied, then the answer lost) and an abort that lands
 * while a finished move cleans up. The CRUD mock sits behind a dispatcher that can rewrite answers.
 */
class UnclearWritesTest {
    static {
        Fixtures.quietMockServer();
    }

    private static final String DEPLOYMENT_PATH = "/apis/apps/v1/namespaces/" + NS + "/deployments/web";

    /** Passes every request to the CRUD store; {@code rewrite} may replace the answer afterwards. */
    static final class Rewriting extends Dispatcher {
        final Dispatcher store;
        volatile BiFunction<RecordedRequest, MockResponse, MockResponse> rewrite = (req, resp) -> resp;

        Rewriting(Dispatcher store) {
            this.store = store;
        }

        @Override
        public MockResponse dispatch(RecordedRequest request) {
            return rewrite.apply(request, store.dispatch(request));
        }
    }

    KubernetesMockServer server;
    Rewriting dispatcher;
    KubernetesClient client;
    ClusterEmulator emulator;

    @BeforeEach
    void cluster() {
        Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
        dispatcher = new Rewriting(new KubernetesMixedDispatcher(responses));
        server = new KubernetesMockServer(new Context(), new MockWebServer(), responses, dispatcher, false);
        server.init();
        client = Fixtures.noRetryClient(server.createClient().getConfiguration());
        for (String n : List.of("edge-a", "edge-b")) {
            client.nodes().resource(node(n)).create();
        }
        emulator = new ClusterEmulator(client, NS, Duration.ofMillis(40)).start();
    }

    @AfterEach
    void stop() {
        emulator.close();
        client.close();
        server.destroy();
    }

    private Deployment get() {
        return client.apps().deployments().inNamespace(NS).withName("web").get();
    }

    @Test
    void aPatchAppliedButAnsweredWithATimeoutStartsOneRolloutAndKeepsTheOriginalBefore() throws Exception {
        client.apps().deployments().inNamespace(NS).resource(deployment("web", 1, "edge-a").editSpec().withNewStrategy()
                .withType("RollingUpdate").withNewRollingUpdate().withMaxSurge(new IntOrString(1))
                .withMaxUnavailable(new IntOrString(0)).endRollingUpdate().endStrategy().endSpec().build()).create();
        await("web stable", Duration.ofSeconds(5), () -> stable(client, "web"));
        long generationBefore = get().getMetadata().getGeneration();
        AtomicBoolean lost = new AtomicBoolean();
        dispatcher.rewrite = (req, resp) -> "PATCH".equals(req.getMethod()) && req.getPath().startsWith(DEPLOYMENT_PATH)
                && resp.code() / 100 == 2 && lost.compareAndSet(false, true)
                ? new MockResponse().setResponseCode(504).setBody("{\"kind\":\"Status\",\"code\":504,"
                        + "\"reason\":\"Timeout\",\"message\":\"the write may have been applied\"}")
                : resp;
        try (KubernetesRescheduler r = Fixtures.rescheduler(client).build()) {
            MoveResult result = r.move(request("web", "edge-a", "edge-b")).toCompletableFuture().get(30, TimeUnit.SECONDS);
            assertThat(lost).as("the patch's answer was lost").isTrue();
            assertThat(result).isInstanceOf(MoveResult.Done.class);
        }
        assertThat(get().getMetadata().getGeneration()).as("one rollout: the move patch was applied once")
                .isEqualTo(generationBefore + 1);
        assertThat(Fixtures.pods(client, "web")).singleElement()
                .satisfies(p -> assertThat(p.getSpec().getNodeName()).isEqualTo("edge-b"));
    }

    @Test
    void anAbortWhileAFinishedMoveCleansUpStillReportsItDone() throws Exception {
        client.apps().deployments().inNamespace(NS).resource(deployment("web", 1, "edge-a").build()).create();
        await("web stable", Duration.ofSeconds(5), () -> stable(client, "web"));
        KubernetesRescheduler.InFlight flight = new KubernetesRescheduler.InFlight();
        AtomicBoolean patched = new AtomicBoolean();
        // the first read of the Deployment after the move's patch is the clean-up's: abort right then
        dispatcher.rewrite = (req, resp) -> {
            if (req.getPath().equals(DEPLOYMENT_PATH)) {
                if ("PATCH".equals(req.getMethod())) {
                    patched.set(true);
                } else if ("GET".equals(req.getMethod()) && patched.get()) {
                    flight.abort("leadership lost (injected by the test)");
                }
            }
            return resp;
        };
        KubernetesRescheduler.Settings settings = new KubernetesRescheduler.Settings(client, Set.of(NS),
                KubernetesRescheduler.DEFAULT_OPT_IN_KEY, "true", Duration.ofSeconds(10), Duration.ZERO,
                Clock.systemUTC(), new ApiCaller.RetryPolicy(3, Duration.ofMillis(10), Duration.ofMillis(40)), 5,
                (req, t) -> { }, "test");
        MoveResult result;
        try (RolloutWatch watch = new RolloutWatch(client)) {
            result = new MoveProcedure(settings, request("web", "edge-a", "edge-b"), flight,
                    new MoveEvents(client, Clock.systemUTC(), "test"), watch, System.nanoTime()).run();
        }
        assertThat(flight.isAborted()).isTrue();
        assertThat(result).as("the pods are on the target: the move is done").isInstanceOfSatisfying(MoveResult.Done.class,
                d -> assertThat(d.request().targetNodes()).extracting(n -> n.name()).containsExactly("edge-b"));
        assertThat(get().getMetadata().getAnnotations()).as("the clean-up was left to the next leader")
                .containsKey(KubernetesRescheduler.ANNOTATION_MOVE_GENERATION);
    }
}
