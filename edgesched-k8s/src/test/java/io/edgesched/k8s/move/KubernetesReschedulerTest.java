package io.edgesched.k8s.move;

import static io.edgesched.k8s.move.Fixtures.NS;
import static io.edgesched.k8s.move.Fixtures.await;
import static io.edgesched.k8s.move.Fixtures.deployment;
import static io.edgesched.k8s.move.Fixtures.node;
import static io.edgesched.k8s.move.Fixtures.nodeBuilder;
import static io.edgesched.k8s.move.Fixtures.pods;
import static io.edgesched.k8s.move.Fixtures.request;
import static io.edgesched.k8s.move.Fixtures.stable;
import static org.assertj.core.api.Assertions.assertThat;

import io.edgesched.api.MoveResult;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class KubernetesReschedulerTest {
    static {
        Fixtures.quietMockServer();
    }

    KubernetesMockServer server;
    KubernetesClient client;
    ClusterEmulator emulator;
    KubernetesRescheduler rescheduler;
    /** Reschedulers with special settings; closed after the emulator (see stop()). */
    final List<KubernetesRescheduler> extras = new CopyOnWriteArrayList<>();

    private KubernetesRescheduler extra(KubernetesRescheduler r) {
        extras.add(r);
        return r;
    }

    @BeforeEach
    void cluster() {
        for (String n : List.of("edge-a", "edge-b", "edge-c")) {
            client.nodes().resource(node(n)).create();
        }
        emulator = new ClusterEmulator(client, NS, Duration.ofMillis(60)).start();
        rescheduler = Fixtures.rescheduler(client).build();
    }

    @AfterEach
    void stop() {
        // The emulator first, reschedulers (and their watches) after: the CRUD mock can stall its event
        // loop for 30 s when a watch closes while it is still sending to it.
        emulator.close();
        rescheduler.close();
        extras.forEach(KubernetesRescheduler::close);
        assertThat(emulator.errors()).as("emulator errors").isEmpty();
    }

    private void deploy(Deployment d) {
        client.apps().deployments().inNamespace(NS).resource(d).create();
        await("deployment " + d.getMetadata().getName() + " stable", Duration.ofSeconds(5),
                () -> stable(client, d.getMetadata().getName()));
    }

    private MoveResult move(String name, String from, String... to) throws Exception {
        return rescheduler.move(request(name, from, to)).toCompletableFuture().get(20, TimeUnit.SECONDS);
    }

    private Deployment get(String name) {
        return client.apps().deployments().inNamespace(NS).withName(name).get();
    }

    private static List<String> hostnames(Deployment d) {
        return d.getSpec().getTemplate().getSpec().getAffinity().getNodeAffinity()
                .getRequiredDuringSchedulingIgnoredDuringExecution().getNodeSelectorTerms().getFirst()
                .getMatchExpressions().stream().filter(e -> e.getKey().equals("kubernetes.io/hostname"))
                .flatMap(e -> e.getValues().stream()).toList();
    }

    /** Ready counts from the moment the deployment first had all replicas ready. */
    private static List<Integer> afterStable(List<Integer> history, int desired) {
        int first = history.indexOf(desired);
        assertThat(first).as("deployment reached %d ready replicas in %s", desired, history).isNotNegative();
        return history.subList(first, history.size());
    }

    private List<Event> events(String reason) {
        return client.v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> reason.equals(e.getReason())).toList();
    }

    @SuppressWarnings("try") // resources held open for their side effect
    @Test
    void moveLandsOnTargetWithoutDroppingReadyReplicas() throws Exception {
        deploy(deployment("web", 3, "edge-a").build());
        // independent witness: count ready pods on every pod watch event
        Map<String, Boolean> ready = new ConcurrentHashMap<>();
        List<Integer> watched = new CopyOnWriteArrayList<>();
        try (Watch w = client.pods().inNamespace(NS).withLabel("app", "web").watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, Pod pod) {
                if (action == Action.DELETED) {
                    ready.remove(pod.getMetadata().getName());
                } else {
                    ready.put(pod.getMetadata().getName(), ClusterEmulator.isReady(pod));
                }
                watched.add((int) ready.values().stream().filter(b -> b).count());
            }

            @Override
            public void onClose(WatcherException cause) {
            }
        })) {
            MoveResult r = move("web", "edge-a", "edge-b");
            assertThat(r).isInstanceOf(MoveResult.Done.class);
            Thread.sleep(100); // let the last watch events arrive
        }
        List<Pod> pods = pods(client, "web");
        assertThat(pods).hasSize(3).allSatisfy(p -> {
            assertThat(p.getSpec().getNodeName()).isEqualTo("edge-b");
            assertThat(ClusterEmulator.isReady(p)).isTrue();
        });
        assertThat(afterStable(emulator.readyHistory("web"), 3)).as("emulator ready history").allMatch(n -> n >= 3);
        assertThat(watched).as("ready pods at every watch event").isNotEmpty();
        assertThat(afterStable(watched, 3)).allMatch(n -> n >= 3);
        Deployment d = get("web");
        assertThat(hostnames(d)).containsExactly("edge-b");
        Map<String, String> ann = d.getSpec().getTemplate().getMetadata().getAnnotations();
        assertThat(ann).containsEntry(KubernetesRescheduler.ANNOTATION_TARGETS, "edge-b")
                .containsEntry(KubernetesRescheduler.ANNOTATION_FROM, "edge-a")
                .containsEntry(KubernetesRescheduler.ANNOTATION_REASON, "clients moved to edge-b")
                .containsKeys(KubernetesRescheduler.ANNOTATION_MOVED_AT, KubernetesRescheduler.ANNOTATION_MOVE_ID);
        assertThat(events("EdgeschedMove")).singleElement().satisfies(e -> {
            assertThat(e.getMessage()).contains("[edge-a] -> [edge-b]").contains("1234 us");
            assertThat(e.getInvolvedObject().getKind()).isEqualTo("Deployment");
            assertThat(e.getInvolvedObject().getName()).isEqualTo("web");
        });
        assertThat(events("EdgeschedMoved")).hasSize(1);
        assertThat(d.getMetadata().getAnnotations()).as("in-progress marker dropped when done")
                .doesNotContainKey(KubernetesRescheduler.ANNOTATION_MOVE_GENERATION);
    }

    @Test
    void aRolloutSomeoneElseStartedIsNotInterrupted() throws Exception {
        deploy(deployment("web", 1, "edge-a").build());
        assertThat(move("web", "edge-a", "edge-b")).isInstanceOf(MoveResult.Done.class);
        emulator.pause(); // the user's image update below stays in progress
        client.apps().deployments().inNamespace(NS).withName("web").edit(x -> {
            x.getSpec().getTemplate().getSpec().getContainers().getFirst().setImage("nginx:1.28");
            return x;
        });
        assertThat(move("web", "edge-b", "edge-c")).isInstanceOfSatisfying(MoveResult.Refused.class,
                f -> assertThat(f.reason()).contains("still rolling out"));
        emulator.resume();
    }

    @Test
    void moveToTwoTargetsKeepsUserAffinityTerms() throws Exception {
        Deployment d = deployment("api", 2, "edge-a").build();
        d.getSpec().getTemplate().getSpec().getAffinity().getNodeAffinity()
                .getRequiredDuringSchedulingIgnoredDuringExecution().getNodeSelectorTerms().getFirst()
                .getMatchExpressions().add(new io.fabric8.kubernetes.api.model.NodeSelectorRequirement(
                        "kubernetes.io/hostname", "NotIn", List.of("nowhere")));
        deploy(d);
        assertThat(move("api", "edge-a", "edge-b", "edge-c")).isInstanceOf(MoveResult.Done.class);
        assertThat(pods(client, "api")).extracting(p -> p.getSpec().getNodeName())
                .containsExactlyInAnyOrder("edge-b", "edge-c");
        assertThat(hostnames(get("api"))).containsExactly("edge-b", "edge-c");
        // moving again to the same targets changes nothing
        Deployment before = get("api");
        assertThat(move("api", "edge-b", "edge-b", "edge-c")).isInstanceOf(MoveResult.Done.class);
        assertThat(get("api").getMetadata().getGeneration()).isEqualTo(before.getMetadata().getGeneration());
        assertThat(get("api").getSpec().getTemplate()).isEqualTo(before.getSpec().getTemplate());
        assertThat(events("EdgeschedMove")).hasSize(1);
    }

    @Test
    void unsafeStrategyIsTightenedForTheMoveAndRestoredAfter() throws Exception {
        Deployment d = deployment("svc", 2, "edge-a").editSpec().withNewStrategy().withType("RollingUpdate")
                .withNewRollingUpdate().withMaxSurge(new IntOrString(0)).withMaxUnavailable(new IntOrString(1))
                .endRollingUpdate().endStrategy().endSpec().build();
        deploy(d);
        emulator.clearHistory();
        assertThat(move("svc", "edge-a", "edge-c")).isInstanceOf(MoveResult.Done.class);
        assertThat(emulator.readyHistory("svc")).isNotEmpty().allMatch(n -> n >= 2);
        Deployment after = get("svc");
        assertThat(after.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable()).isEqualTo(new IntOrString(1));
        assertThat(after.getSpec().getStrategy().getRollingUpdate().getMaxSurge()).isEqualTo(new IntOrString(0));
        assertThat(after.getMetadata().getAnnotations()).doesNotContainKey(KubernetesRescheduler.ANNOTATION_SAVED_STRATEGY);
        assertThat(pods(client, "svc")).allSatisfy(p -> assertThat(p.getSpec().getNodeName()).isEqualTo("edge-c"));
    }

    @Test
    void unschedulableTargetIsRolledBack() throws Exception {
        client.nodes().resource(Fixtures.fullNode("edge-full")).create();
        deploy(deployment("web", 2, "edge-a").build());
        Deployment before = get("web");
        MoveResult r = move("web", "edge-a", "edge-full");
        assertThat(r).isInstanceOfSatisfying(MoveResult.Failed.class, f -> {
            assertThat(f.rolledBack()).isTrue();
            assertThat(f.reason()).contains("cannot be scheduled").contains("rolled back");
        });
        Deployment after = get("web");
        assertThat(hostnames(after)).containsExactly("edge-a");
        assertThat(after.getSpec().getTemplate().getSpec().getAffinity())
                .isEqualTo(before.getSpec().getTemplate().getSpec().getAffinity());
        Map<String, String> ann = after.getSpec().getTemplate().getMetadata().getAnnotations();
        assertThat(ann == null ? Map.of() : ann).doesNotContainKey(KubernetesRescheduler.ANNOTATION_MOVE_ID)
                .allSatisfy((k, v) -> assertThat(v).as(k).isNull());
        await("rollback settled", Duration.ofSeconds(5), () -> stable(client, "web"));
        assertThat(pods(client, "web")).hasSize(2)
                .allSatisfy(p -> assertThat(p.getSpec().getNodeName()).isEqualTo("edge-a"));
        assertThat(afterStable(emulator.readyHistory("web"), 2)).allMatch(n -> n >= 2);
        assertThat(events("EdgeschedMoveFailed")).singleElement()
                .satisfies(e -> assertThat(e.getType()).isEqualTo("Warning"));
    }

    @Test
    void imageThatNeverGetsReadyIsRolledBack() throws Exception {
        client.nodes().resource(nodeBuilder("edge-broken").editMetadata()
                .addToLabels(ClusterEmulator.BROKEN_IMAGE_LABEL, "true").endMetadata().build()).create();
        deploy(deployment("web", 2, "edge-a").build());
        MoveResult r = move("web", "edge-a", "edge-broken");
        assertThat(r).isInstanceOfSatisfying(MoveResult.Failed.class, f -> {
            assertThat(f.rolledBack()).isTrue();
            assertThat(f.reason()).contains("ImagePullBackOff");
        });
        assertThat(hostnames(get("web"))).containsExactly("edge-a");
        assertThat(afterStable(emulator.readyHistory("web"), 2)).allMatch(n -> n >= 2);
    }

    @Test
    void targetDeletedAfterTheChecksIsRolledBack() throws Exception {
        client.nodes().resource(node("edge-gone")).create();
        deploy(deployment("web", 1, "edge-a").build());
        KubernetesRescheduler r2 = extra(Fixtures.rescheduler(client)
                .onPatched((req, t) -> client.nodes().withName("edge-gone").delete()).build());
        MoveResult r = r2.move(request("web", "edge-a", "edge-gone")).toCompletableFuture().get(20, TimeUnit.SECONDS);
        assertThat(r).isInstanceOfSatisfying(MoveResult.Failed.class, f -> assertThat(f.rolledBack()).isTrue());
        assertThat(hostnames(get("web"))).containsExactly("edge-a");
    }

    @Test
    void templateChangedBySomeoneElseDuringTheMoveIsLeftAlone() throws Exception {
        deploy(deployment("web", 1, "edge-a").build());
        emulator.pause(); // keep our rollout unfinished while the user edits the image
        KubernetesRescheduler r2 = extra(Fixtures.rescheduler(client).onPatched((req, t) -> client.apps().deployments()
                .inNamespace(NS).withName("web").edit(x -> {
                    x.getSpec().getTemplate().getSpec().getContainers().getFirst().setImage("nginx:1.28");
                    return x;
                })).build());
        try {
            MoveResult r = r2.move(request("web", "edge-a", "edge-b")).toCompletableFuture().get(20, TimeUnit.SECONDS);
            assertThat(r).isInstanceOfSatisfying(MoveResult.Failed.class, f -> {
                assertThat(f.reason()).contains("changed by someone else");
                assertThat(f.rolledBack()).isFalse();
            });
        } finally {
            emulator.resume();
        }
        Deployment d = get("web");
        assertThat(d.getSpec().getTemplate().getSpec().getContainers().getFirst().getImage()).isEqualTo("nginx:1.28");
        assertThat(hostnames(d)).as("our affinity was not touched again").containsExactly("edge-b");
    }

    @Test
    void rolloutTimeoutRollsBack() throws Exception {
        deploy(deployment("web", 1, "edge-a").build());
        emulator.pause();
        KubernetesRescheduler quick = extra(Fixtures.rescheduler(client).rolloutTimeout(Duration.ofMillis(300)).build());
        try {
            MoveResult r = quick.move(request("web", "edge-a", "edge-b")).toCompletableFuture().get(20, TimeUnit.SECONDS);
            assertThat(r).isInstanceOfSatisfying(MoveResult.Failed.class, f -> {
                assertThat(f.rolledBack()).isTrue();
                assertThat(f.reason()).contains("did not finish within 300 ms");
            });
        } finally {
            emulator.resume();
        }
        assertThat(hostnames(get("web"))).containsExactly("edge-a");
    }

    @Test
    void pdbWithoutAllowedDisruptionsRefuses() throws Exception {
        deploy(deployment("web", 2, "edge-a").build());
        client.policy().v1().podDisruptionBudget().inNamespace(NS).resource(new PodDisruptionBudgetBuilder()
                .withNewMetadata().withName("web-pdb").withNamespace(NS).endMetadata()
                .withNewSpec().withMinAvailable(new IntOrString(2)).withNewSelector().addToMatchLabels("app", "web")
                .endSelector().endSpec()
                .withNewStatus().withDisruptionsAllowed(0).withCurrentHealthy(2).withDesiredHealthy(2)
                .withExpectedPods(2).endStatus().build()).create();
        String rv = get("web").getMetadata().getResourceVersion();
        MoveResult r = move("web", "edge-a", "edge-b");
        assertThat(r).isInstanceOfSatisfying(MoveResult.Refused.class,
                f -> assertThat(f.reason()).contains("PodDisruptionBudget edge/web-pdb allows 0 disruptions"));
        assertThat(get("web").getMetadata().getResourceVersion()).as("nothing patched").isEqualTo(rv);
        assertThat(events("EdgeschedMoveRefused")).hasSize(1);
    }

    @Test
    void pdbThatAllowsADisruptionDoesNotBlock() throws Exception {
        deploy(deployment("web", 2, "edge-a").build());
        client.policy().v1().podDisruptionBudget().inNamespace(NS).resource(new PodDisruptionBudgetBuilder()
                .withNewMetadata().withName("web-pdb").withNamespace(NS).endMetadata()
                .withNewSpec().withMinAvailable(new IntOrString(1)).withNewSelector().addToMatchLabels("app", "web")
                .endSelector().endSpec()
                .withNewStatus().withDisruptionsAllowed(1).withCurrentHealthy(2).withDesiredHealthy(1)
                .withExpectedPods(2).endStatus().build()).create();
        assertThat(move("web", "edge-a", "edge-b")).isInstanceOf(MoveResult.Done.class);
    }

    @Test
    void cordonedTargetRefused() throws Exception {
        client.nodes().resource(nodeBuilder("edge-cordoned").editSpec().withUnschedulable(true).endSpec().build())
                .create();
        deploy(deployment("web", 1, "edge-a").build());
        assertThat(move("web", "edge-a", "edge-cordoned")).isInstanceOfSatisfying(MoveResult.Refused.class,
                f -> assertThat(f.reason()).contains("edge-cordoned is cordoned"));
    }

    @Test
    void notReadyTargetRefused() throws Exception {
        Node n = nodeBuilder("edge-down").build();
        n.getStatus().getConditions().getFirst().setStatus("Unknown");
        n.getStatus().getConditions().getFirst().setReason("NodeStatusUnknown");
        client.nodes().resource(n).create();
        deploy(deployment("web", 1, "edge-a").build());
        assertThat(move("web", "edge-a", "edge-down")).isInstanceOfSatisfying(MoveResult.Refused.class,
                f -> assertThat(f.reason()).contains("edge-down is NotReady").contains("NodeStatusUnknown"));
    }

    @Test
    void taintedTargetRefusedUnlessTolerated() throws Exception {
        client.nodes().resource(nodeBuilder("edge-gpu").editSpec().addNewTaint().withKey("gpu").withValue("yes")
                .withEffect("NoSchedule").endTaint().endSpec().build()).create();
        deploy(deployment("web", 1, "edge-a").build());
        assertThat(move("web", "edge-a", "edge-gpu")).isInstanceOfSatisfying(MoveResult.Refused.class,
                f -> assertThat(f.reason()).contains("taint gpu=yes:NoSchedule"));
        deploy(deployment("gpu-app", 1, "edge-a").editSpec().editTemplate().editSpec().addNewToleration()
                .withKey("gpu").withOperator("Exists").withEffect("NoSchedule").endToleration().endSpec().endTemplate()
                .endSpec().build());
        assertThat(move("gpu-app", "edge-a", "edge-gpu")).isInstanceOf(MoveResult.Done.class);
    }

    @Test
    void workloadsThatDidNotOptInAreRefused() throws Exception {
        Deployment d = deployment("plain", 1, "edge-a").build();
        d.getMetadata().getLabels().remove(KubernetesRescheduler.DEFAULT_OPT_IN_KEY);
        deploy(d);
        assertThat(move("plain", "edge-a", "edge-b")).isInstanceOfSatisfying(MoveResult.Refused.class,
                f -> assertThat(f.reason()).contains("has not opted in").contains("edgesched.io/managed=true"));
        assertThat(events("EdgeschedMoveRefused")).as("no events on workloads that did not opt in").isEmpty();
        // an annotation opts in too
        client.apps().deployments().inNamespace(NS).withName("plain")
                .edit(x -> { x.getMetadata().getAnnotations().put("edgesched.io/managed", "true"); return x; });
        assertThat(move("plain", "edge-a", "edge-b")).isInstanceOf(MoveResult.Done.class);
    }

    @Test
    void namespaceOutsideTheAllowedSetIsRefused() throws Exception {
        var r = rescheduler.move(io.edgesched.api.MoveRequest.of(io.edgesched.api.WorkloadId.of("kube-system", "dns"),
                java.util.Set.of(), java.util.Set.of(io.edgesched.api.NodeId.of("edge-b")), "x", 1,
                java.time.Instant.EPOCH)).toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(r).isInstanceOfSatisfying(MoveResult.Refused.class,
                f -> assertThat(f.reason()).contains("namespace kube-system is not in the allowed set [edge]"));
    }

    @Test
    void recreateStrategyIsRefused() throws Exception {
        deploy(deployment("batch", 1, "edge-a").editSpec().withNewStrategy().withType("Recreate").endStrategy()
                .endSpec().build());
        assertThat(move("batch", "edge-a", "edge-b")).isInstanceOfSatisfying(MoveResult.Refused.class,
                f -> assertThat(f.reason()).contains("Recreate"));
    }

    @Test
    void missingTargetAndMissingDeploymentAreRefused() throws Exception {
        deploy(deployment("web", 1, "edge-a").build());
        assertThat(move("web", "edge-a", "edge-zz")).isInstanceOfSatisfying(MoveResult.Refused.class,
                f -> assertThat(f.reason()).contains("edge-zz does not exist"));
        assertThat(move("nope", "edge-a", "edge-b")).isInstanceOfSatisfying(MoveResult.Refused.class,
                f -> assertThat(f.reason()).contains("not found"));
    }

    @Test
    void secondMoveOfTheSameWorkloadWhileOneRunsIsRefused() throws Exception {
        deploy(deployment("web", 1, "edge-a").build());
        var first = rescheduler.move(request("web", "edge-a", "edge-b"));
        var second = rescheduler.move(request("web", "edge-a", "edge-c")).toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(second).isInstanceOfSatisfying(MoveResult.Refused.class,
                f -> assertThat(f.reason()).contains("already in progress"));
        assertThat(first.toCompletableFuture().get(20, TimeUnit.SECONDS)).isInstanceOf(MoveResult.Done.class);
    }

    /**
     * What a controller does with its moves when its leadership ends (formerly LeaderGateTest, via the removed
     * LeaderOnlyRescheduler): cancelling a move under way stops it without a further patch or a rollback, and the
     * abandoned rollout, marked as ours, may be superseded by the next leader's move.
     */
    @Test
    void aCancelledMoveStopsWithoutFurtherPatchesAndTheNextMoveSupersedesIt() throws Exception {
        deploy(deployment("web", 1, "edge-a").build());
        java.util.concurrent.CountDownLatch patched = new java.util.concurrent.CountDownLatch(1);
        KubernetesRescheduler mover = extra(Fixtures.rescheduler(client).rolloutTimeout(Duration.ofSeconds(30))
                .onPatched((r, t) -> patched.countDown()).build());
        emulator.pause(); // the rollout will hang: the move waits
        java.util.concurrent.CompletableFuture<MoveResult> f = mover.move(request("web", "edge-a", "edge-b"));
        assertThat(patched.await(5, TimeUnit.SECONDS)).as("move patched the template").isTrue();

        f.cancel(true); // what a controller closed at the end of its leadership does
        await("rescheduler thread gone", Duration.ofSeconds(2), () -> mover.movesInFlight().isEmpty());
        Deployment d = get("web");
        Thread.sleep(300); // time in which a rollback patch would have landed
        Deployment later = get("web");
        assertThat(later.getMetadata().getResourceVersion()).as("no patch after the cancellation")
                .isEqualTo(d.getMetadata().getResourceVersion());
        assertThat(later.getSpec().getTemplate().getMetadata().getAnnotations())
                .containsKey(KubernetesRescheduler.ANNOTATION_MOVE_ID);
        // the abandoned rollout is marked as ours, so the next leader may supersede it while it is unfinished
        assertThat(later.getMetadata().getAnnotations()).containsEntry(
                KubernetesRescheduler.ANNOTATION_MOVE_GENERATION, String.valueOf(later.getMetadata().getGeneration()));
        java.util.concurrent.CompletableFuture<MoveResult> next = mover.move(request("web", "edge-b", "edge-c"));
        await("second move patched", Duration.ofSeconds(5), () -> "edge-c".equals(get("web").getSpec().getTemplate()
                .getMetadata().getAnnotations().get(KubernetesRescheduler.ANNOTATION_TARGETS)));
        emulator.resume();
        assertThat(next.get(10, TimeUnit.SECONDS)).isInstanceOf(MoveResult.Done.class);
        assertThat(pods(client, "web")).singleElement()
                .satisfies(p -> assertThat(p.getSpec().getNodeName()).isEqualTo("edge-c"));
        assertThat(get("web").getMetadata().getAnnotations())
                .doesNotContainKey(KubernetesRescheduler.ANNOTATION_MOVE_GENERATION);
    }
}
