package io.edgesched.k8s.move;

import static io.edgesched.k8s.move.Fixtures.NS;
import static io.edgesched.k8s.move.Fixtures.await;
import static io.edgesched.k8s.move.Fixtures.deployment;
import static io.edgesched.k8s.move.Fixtures.node;
import static io.edgesched.k8s.move.Fixtures.pods;
import static io.edgesched.k8s.move.Fixtures.request;
import static io.edgesched.k8s.move.Fixtures.stable;
import static org.assertj.core.api.Assertions.assertThat;

import io.edgesched.api.MoveResult;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStrategy;
import io.fabric8.kubernetes.api.model.apps.DeploymentStrategyBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Moves keep what the user set: their node pin, a safe rollout under autoscaling, a strategy changed mid-move. */
@EnableKubernetesMockClient(crud = true)
class MoveRespectsUserTest {
    static {
        Fixtures.quietMockServer();
    }

    KubernetesMockServer server;
    KubernetesClient client;
    ClusterEmulator emulator;
    final List<KubernetesRescheduler> reschedulers = new CopyOnWriteArrayList<>();

    @BeforeEach
    void cluster() {
        for (String n : List.of("edge-a", "edge-b", "edge-c")) {
            client.nodes().resource(node(n)).create();
        }
        emulator = new ClusterEmulator(client, NS, Duration.ofMillis(60)).start();
    }

    @AfterEach
    void stop() {
        emulator.close(); // first: a watch closing while the mock still sends to it can stall the mock
        reschedulers.forEach(KubernetesRescheduler::close);
        assertThat(emulator.errors()).as("emulator errors").isEmpty();
    }

    private KubernetesRescheduler rescheduler(KubernetesRescheduler.Builder b) {
        KubernetesRescheduler r = b.build();
        reschedulers.add(r);
        return r;
    }

    private void deploy(Deployment d) {
        client.apps().deployments().inNamespace(NS).resource(d).create();
        await("deployment stable", Duration.ofSeconds(5), () -> stable(client, d.getMetadata().getName()));
    }

    private Deployment get(String name) {
        return client.apps().deployments().inNamespace(NS).withName(name).get();
    }

    private List<Event> events(String reason) {
        return client.v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> reason.equals(e.getReason())).toList();
    }

    private static MoveResult result(java.util.concurrent.CompletionStage<MoveResult> f) throws Exception {
        return f.toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    void theUsersOwnHostnamePinSurvivesAndBoundsTheTargets() throws Exception {
        Deployment d = deployment("gpu", 1, "edge-a").build();
        d.getMetadata().getAnnotations().remove(KubernetesRescheduler.ANNOTATION_USER_AFFINITY); // a user's Deployment
        d.getSpec().getTemplate().getSpec().getAffinity().getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution()
                .getNodeSelectorTerms().getFirst().getMatchExpressions().getFirst().setValues(List.of("edge-a", "edge-b"));
        deploy(d);
        KubernetesRescheduler r = rescheduler(Fixtures.rescheduler(client));
        assertThat(result(r.move(request("gpu", "edge-a", "edge-b")))).isInstanceOf(MoveResult.Done.class);
        NodeSelectorRequirement usersPin = new NodeSelectorRequirement("kubernetes.io/hostname", "In",
                List.of("edge-a", "edge-b"));
        assertThat(get("gpu").getSpec().getTemplate().getSpec().getAffinity().getNodeAffinity()
                .getRequiredDuringSchedulingIgnoredDuringExecution().getNodeSelectorTerms()).singleElement()
                .satisfies(t -> assertThat(t.getMatchExpressions()).contains(usersPin,
                        new NodeSelectorRequirement("kubernetes.io/hostname", "In", List.of("edge-b"))));
        assertThat(get("gpu").getMetadata().getAnnotations()).containsKey(KubernetesRescheduler.ANNOTATION_USER_AFFINITY);

        Deployment beforeRefusal = get("gpu");
        assertThat(result(r.move(request("gpu", "edge-b", "edge-c")))).isInstanceOfSatisfying(MoveResult.Refused.class,
                f -> assertThat(f.reason()).contains("edge-c is outside the nodes")
                        .contains(KubernetesRescheduler.ANNOTATION_USER_AFFINITY));
        assertThat(get("gpu").getSpec()).as("nothing patched").isEqualTo(beforeRefusal.getSpec());

        // a later move inside the set still works, and the user's pin is still there after it
        await("settled", Duration.ofSeconds(5), () -> stable(client, "gpu"));
        assertThat(result(r.move(request("gpu", "edge-b", "edge-a")))).isInstanceOf(MoveResult.Done.class);
        assertThat(get("gpu").getSpec().getTemplate().getSpec().getAffinity().getNodeAffinity()
                .getRequiredDuringSchedulingIgnoredDuringExecution().getNodeSelectorTerms().getFirst()
                .getMatchExpressions()).contains(usersPin);
        assertThat(pods(client, "gpu")).allSatisfy(p -> assertThat(p.getSpec().getNodeName()).isEqualTo("edge-a"));
    }

    @Test
    void anAutoscalerScalingUpMidMoveNeverDropsReadyBelowDesired() throws Exception {
        // maxUnavailable 10% rounds to 0 at 5 replicas, but not at 20
        Deployment d = deployment("web", 5, "edge-a").editSpec().withNewStrategy().withType("RollingUpdate")
                .withNewRollingUpdate().withMaxSurge(new IntOrString("25%")).withMaxUnavailable(new IntOrString("10%"))
                .endRollingUpdate().endStrategy().endSpec().build();
        deploy(d);
        KubernetesRescheduler r = rescheduler(Fixtures.rescheduler(client).rolloutTimeout(Duration.ofSeconds(20))
                .onPatched((req, t) -> {
                    for (int i = 0; i < 20; i++) { // the HPA: retry its scale-up on a conflict with the emulator
                        try {
                            client.apps().deployments().inNamespace(NS).withName("web")
                                    .edit(x -> { x.getSpec().setReplicas(20); return x; });
                            return;
                        } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
                            if (e.getCode() != 409) {
                                throw e;
                            }
                        }
                    }
                }));
        emulator.clearHistory();
        assertThat(result(r.move(request("web", "edge-a", "edge-b")))).isInstanceOf(MoveResult.Done.class);
        assertThat(get("web").getSpec().getReplicas()).isEqualTo(20);
        List<Integer> history = emulator.readyHistory("web");
        int first = history.indexOf(20);
        assertThat(first).as("reached 20 ready in %s", history).isNotNegative();
        assertThat(history.subList(first, history.size())).as("ready pods once 20 were ready: %s", history)
                .allMatch(n -> n >= 20);
        assertThat(get("web").getSpec().getStrategy().getRollingUpdate().getMaxUnavailable())
                .as("the user's strategy is back").isEqualTo(new IntOrString("10%"));
    }

    @Test
    void aStrategyTheUserSetDuringTheMoveIsNotOverwritten() throws Exception {
        deploy(deployment("svc", 2, "edge-a").editSpec().withNewStrategy().withType("RollingUpdate")
                .withNewRollingUpdate().withMaxSurge(new IntOrString(0)).withMaxUnavailable(new IntOrString(1))
                .endRollingUpdate().endStrategy().endSpec().build());
        DeploymentStrategy users = new DeploymentStrategyBuilder().withType("RollingUpdate").withNewRollingUpdate()
                .withMaxSurge(new IntOrString(3)).withMaxUnavailable(new IntOrString(0)).endRollingUpdate().build();
        KubernetesRescheduler r = rescheduler(Fixtures.rescheduler(client).onPatched((req, t) -> {
            for (int i = 0; i < 20; i++) {
                try {
                    client.apps().deployments().inNamespace(NS).withName("svc")
                            .edit(x -> { x.getSpec().setStrategy(users); return x; });
                    return;
                } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
                    if (e.getCode() != 409) {
                        throw e;
                    }
                }
            }
        }));
        assertThat(result(r.move(request("svc", "edge-a", "edge-c")))).isInstanceOf(MoveResult.Done.class);
        Deployment after = get("svc");
        assertThat(after.getSpec().getStrategy().getRollingUpdate().getMaxSurge()).isEqualTo(new IntOrString(3));
        assertThat(after.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable()).isEqualTo(new IntOrString(0));
        assertThat(after.getMetadata().getAnnotations()).doesNotContainKeys(KubernetesRescheduler.ANNOTATION_SAVED_STRATEGY,
                KubernetesRescheduler.ANNOTATION_MOVE_STRATEGY, KubernetesRescheduler.ANNOTATION_MOVE_GENERATION);
        assertThat(events("EdgeschedMoved")).singleElement()
                .satisfies(e -> assertThat(e.getMessage()).contains("kept the rollout strategy changed during the move"));
    }

    @Test
    void theRolloutTimeoutFollowsTheDeploymentsProgressDeadline() throws Exception {
        deploy(deployment("web", 1, "edge-a").editSpec().withProgressDeadlineSeconds(1).endSpec().build());
        emulator.pause(); // the rollout never progresses
        KubernetesRescheduler r = rescheduler(Fixtures.rescheduler(client).rolloutTimeout(Duration.ofMinutes(5)));
        try {
            assertThat(result(r.move(request("web", "edge-a", "edge-b")))).isInstanceOfSatisfying(MoveResult.Failed.class,
                    f -> {
                        assertThat(f.rolledBack()).isTrue();
                        assertThat(f.reason()).contains("did not finish within 1000 ms");
                    });
        } finally {
            emulator.resume();
        }
    }

    @Test
    void aControllerKilledMidMoveIsFinishedByTheNextOne() throws Exception {
        deploy(deployment("svc", 2, "edge-a").editSpec().withNewStrategy().withType("RollingUpdate")
                .withNewRollingUpdate().withMaxSurge(new IntOrString(0)).withMaxUnavailable(new IntOrString(1))
                .endRollingUpdate().endStrategy().endSpec().build());
        emulator.pause(); // the rollout stays unfinished while the first controller dies
        KubernetesRescheduler first = rescheduler(Fixtures.rescheduler(client));
        var killed = first.move(request("svc", "edge-a", "edge-c"));
        await("move patched", Duration.ofSeconds(10), () -> get("svc").getMetadata().getAnnotations()
                .containsKey(KubernetesRescheduler.ANNOTATION_MOVE_GENERATION));
        // the first controller dies: its move stops with no further patch (its watches stay open until the
        // end of the test: closing a watch while the mock sends to it can stall the mock)
        killed.toCompletableFuture().cancel(true);
        await("the first move stopped", Duration.ofSeconds(10), () -> first.movesInFlight().isEmpty());
        assertThat(get("svc").getSpec().getStrategy().getRollingUpdate().getMaxUnavailable())
                .as("left at the move's strategy").isEqualTo(new IntOrString(0));
        emulator.resume();

        KubernetesRescheduler next = rescheduler(Fixtures.rescheduler(client));
        List<MoveResult> resumed = next.resumeUnfinishedMoves().get(30, TimeUnit.SECONDS);
        assertThat(resumed).singleElement().isInstanceOf(MoveResult.Done.class);
        Deployment after = get("svc");
        assertThat(after.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable()).isEqualTo(new IntOrString(1));
        assertThat(after.getSpec().getStrategy().getRollingUpdate().getMaxSurge()).isEqualTo(new IntOrString(0));
        assertThat(after.getMetadata().getAnnotations()).doesNotContainKeys(KubernetesRescheduler.ANNOTATION_SAVED_STRATEGY,
                KubernetesRescheduler.ANNOTATION_MOVE_GENERATION);
        assertThat(pods(client, "svc")).allSatisfy(p -> assertThat(p.getSpec().getNodeName()).isEqualTo("edge-c"));
        assertThat(events("EdgeschedMoveResumed")).hasSize(1);
        assertThat(next.resumeUnfinishedMoves().get(10, TimeUnit.SECONDS)).as("nothing left to resume").isEmpty();
    }
}
