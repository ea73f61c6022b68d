package io.edgesched.k8s.leader;

import static io.edgesched.k8s.move.Fixtures.NS;
import static io.edgesched.k8s.move.Fixtures.await;
import static io.edgesched.k8s.move.Fixtures.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.edgesched.api.MoveRequest;
import io.edgesched.api.MoveResult;
import io.edgesched.api.Rescheduler;
import io.edgesched.k8s.move.ClusterEmulator;
import io.edgesched.k8s.move.Fixtures;
import io.edgesched.k8s.move.KubernetesRescheduler;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class LeaderGateTest {
    static {
        Fixtures.quietMockServer();
    }

    KubernetesMockServer server;
    KubernetesClient client;

    /** Counts the moves that got past the gate. */
    static final class CountingRescheduler implements Rescheduler {
        final AtomicInteger moves = new AtomicInteger();

        @Override
        public CompletableFuture<MoveResult> move(MoveRequest request) {
            moves.incrementAndGet();
            return CompletableFuture.completedFuture(new MoveResult.Done(request, Duration.ZERO));
        }
    }

    private LeaderGate gate(KubernetesClient c, String identity) {
        return LeaderGate.builder(c).lease(NS, "edgesched-controller").identity(identity)
                .timing(Duration.ofMillis(2000), Duration.ofMillis(1500), Duration.ofMillis(100)).build();
    }

    private String holder() {
        Lease lease = client.leases().inNamespace(NS).withName("edgesched-controller").get();
        return lease == null ? null : lease.getSpec().getHolderIdentity();
    }

    private static MoveResult move(Rescheduler r) throws Exception {
        return r.move(request("web", "edge-a", "edge-b")).toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    @Test
    void onlyTheLeaderMovesAndTheOtherTakesOverWhenItStops() throws Exception {
        try (KubernetesClient c1 = server.createClient(); KubernetesClient c2 = server.createClient();
             LeaderGate g1 = gate(c1, "ctl-1"); LeaderGate g2 = gate(c2, "ctl-2")) {
            CountingRescheduler d1 = new CountingRescheduler();
            CountingRescheduler d2 = new CountingRescheduler();
            LeaderOnlyRescheduler r1 = new LeaderOnlyRescheduler(g1, d1);
            LeaderOnlyRescheduler r2 = new LeaderOnlyRescheduler(g2, d2);
            g1.start();
            g2.start();
            await("one leader, holding the lease", Duration.ofSeconds(5),
                    () -> g1.isLeader() != g2.isLeader() && (g1.isLeader() ? g1 : g2).identity().equals(holder()));
            LeaderGate leader = g1.isLeader() ? g1 : g2;
            LeaderGate follower = leader == g1 ? g2 : g1;
            LeaderOnlyRescheduler leaderR = leader == g1 ? r1 : r2;
            LeaderOnlyRescheduler followerR = leader == g1 ? r2 : r1;
            CountingRescheduler leaderD = leader == g1 ? d1 : d2;
            CountingRescheduler followerD = leader == g1 ? d2 : d1;
            await("follower saw the leader", Duration.ofSeconds(5), () -> follower.currentLeader().isPresent());

            assertThat(move(leaderR)).isInstanceOf(MoveResult.Done.class);
            assertThat(move(followerR)).isInstanceOfSatisfying(MoveResult.Refused.class, f -> assertThat(f.reason())
                    .contains("is not the leader").contains("the leader is " + leader.identity()));
            assertThat(leaderD.moves).hasValue(1);
            assertThat(followerD.moves).hasValue(0);

            leader.stop();
            assertThat(leader.isLeader()).isFalse();
            await("the other instance takes over", Duration.ofSeconds(5), follower::isLeader);
            assertThat(move(followerR)).isInstanceOf(MoveResult.Done.class);
            assertThat(move(leaderR)).isInstanceOf(MoveResult.Refused.class);
            assertThat(followerD.moves).hasValue(1);
            assertThat(leaderD.moves).hasValue(1);
            assertThat(holder()).isEqualTo(follower.identity());
        }
    }

    @Test
    void losingTheLeaseAbortsAMoveUnderWayWithoutFurtherPatches() throws Exception {
        for (String n : List.of("edge-a", "edge-b", "edge-c")) {
            client.nodes().resource(Fixtures.node(n)).create();
        }
        client.apps().deployments().inNamespace(NS).resource(Fixtures.deployment("web", 1, "edge-a").build()).create();
        CountDownLatch patched = new CountDownLatch(1);
        // closed in reverse order: the emulator first, so no events are in flight when watches close
        try (LeaderGate gate = gate(client, "ctl-1");
             KubernetesRescheduler rescheduler = Fixtures.rescheduler(client).rolloutTimeout(Duration.ofSeconds(30))
                     .onPatched((r, t) -> patched.countDown()).build();
             ClusterEmulator emulator = new ClusterEmulator(client, NS, Duration.ofMillis(40)).start()) {
            await("web stable", Duration.ofSeconds(5), () -> Fixtures.stable(client, "web"));
            emulator.pause(); // the rollout will hang: the move waits
            gate.start();
            await("leader", Duration.ofSeconds(5), gate::isLeader);
            LeaderOnlyRescheduler guarded = new LeaderOnlyRescheduler(gate, rescheduler);
            CompletableFuture<MoveResult> f = guarded.move(request("web", "edge-a", "edge-b"));
            assertThat(patched.await(5, TimeUnit.SECONDS)).as("move patched the template").isTrue();

            gate.stop();
            MoveResult r = f.get(2, TimeUnit.SECONDS);
            assertThat(r).isInstanceOfSatisfying(MoveResult.Failed.class, x -> {
                assertThat(x.reason()).contains("leadership lost");
                assertThat(x.rolledBack()).isFalse();
            });
            await("rescheduler thread gone", Duration.ofSeconds(2), () -> rescheduler.movesInFlight().isEmpty());
            Deployment d = client.apps().deployments().inNamespace(NS).withName("web").get();
            Thread.sleep(300); // time in which a rollback patch would have landed
            Deployment later = client.apps().deployments().inNamespace(NS).withName("web").get();
            assertThat(later.getMetadata().getResourceVersion()).as("no patch after losing the lease")
                    .isEqualTo(d.getMetadata().getResourceVersion());
            assertThat(later.getSpec().getTemplate().getMetadata().getAnnotations())
                    .containsKey(KubernetesRescheduler.ANNOTATION_MOVE_ID);
            // after losing the lease, new moves are refused
            assertThat(guarded.move(request("web", "edge-a", "edge-b")).get(2, TimeUnit.SECONDS))
                    .isInstanceOf(MoveResult.Refused.class);
            // the abandoned rollout is marked as ours, so the next leader may supersede it while it is unfinished
            assertThat(later.getMetadata().getAnnotations()).containsEntry(
                    KubernetesRescheduler.ANNOTATION_MOVE_GENERATION, String.valueOf(later.getMetadata().getGeneration()));
            CompletableFuture<MoveResult> next = rescheduler.move(request("web", "edge-b", "edge-c"));
            await("second move patched", Duration.ofSeconds(5), () -> "edge-c".equals(client.apps().deployments()
                    .inNamespace(NS).withName("web").get().getSpec().getTemplate().getMetadata().getAnnotations()
                    .get(KubernetesRescheduler.ANNOTATION_TARGETS)));
            emulator.resume();
            assertThat(next.get(10, TimeUnit.SECONDS)).isInstanceOf(MoveResult.Done.class);
            assertThat(Fixtures.pods(client, "web")).singleElement()
                    .satisfies(p -> assertThat(p.getSpec().getNodeName()).isEqualTo("edge-c"));
            assertThat(client.apps().deployments().inNamespace(NS).withName("web").get().getMetadata()
                    .getAnnotations()).doesNotContainKey(KubernetesRescheduler.ANNOTATION_MOVE_GENERATION);
        }
    }

    @Test
    void aGateThatLosesItsLeaseStopsLeadingAndRunsAgain() throws Exception {
        List<String> transitions = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (LeaderGate gate = LeaderGate.builder(client).lease(NS, "edgesched-controller").identity("ctl-1")
                .timing(Duration.ofMillis(2000), Duration.ofMillis(1500), Duration.ofMillis(100))
                .listener(new LeaderGate.Listener() {
                    @Override
                    public void startedLeading() {
                        transitions.add("start");
                    }

                    @Override
                    public void stoppedLeading() {
                        transitions.add("stop");
                    }
                }).build()) {
            gate.start();
            await("leader", Duration.ofSeconds(5), gate::isLeader);
            // another holder takes the lease (as after a network partition); it never renews it
            for (int attempt = 0; ; attempt++) { // the gate renews every 100 ms: retry our write on conflict
                try {
                    client.leases().inNamespace(NS).withName("edgesched-controller").edit(l -> {
                        l.getSpec().setHolderIdentity("intruder");
                        l.getSpec().setRenewTime(java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC));
                        l.getSpec().setLeaseDurationSeconds(1);
                        return l;
                    });
                    break;
                } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
                    if (e.getCode() != 409 || attempt > 20) {
                        throw e;
                    }
                }
            }
            await("gate notices it lost the lease", Duration.ofSeconds(3), () -> !gate.isLeader());
            assertThat(gate.currentLeader()).contains("intruder");
            await("gate leads again once the stolen lease expired", Duration.ofSeconds(5), gate::isLeader);
            assertThat(transitions).containsExactly("start", "stop", "start");
        }
    }
}
