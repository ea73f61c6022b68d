package io.edgesched.k8s.leader;

import static io.edgesched.k8s.move.Fixtures.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The leader's loops run on exactly one instance; losing the Lease stops them and reports the loss; stepping
 * down releases the Lease at once. (What a stopped loop does with a move under way: DeposedLeaderTest.)
 */
@EnableKubernetesMockClient(crud = true)
class LeadershipTest {
    static {
        io.edgesched.k8s.move.Fixtures.quietMockServer();
    }

    static final String NS = "edgesched";
    static final String LEASE = "edgesched-controller";

    KubernetesMockServer server;
    KubernetesClient client;

    /** A stand-in for the controller's loops: counts how many run at once, and the moves each term makes. */
    static final class Loops {
        final AtomicInteger running = new AtomicInteger();
        final AtomicInteger started = new AtomicInteger();
        final AtomicInteger moves = new AtomicInteger();
        final AtomicInteger lost = new AtomicInteger();
        final List<String> transitions = new CopyOnWriteArrayList<>();

        AutoCloseable start() {
            running.incrementAndGet();
            started.incrementAndGet();
            moves.incrementAndGet(); // a term's first round moves something
            transitions.add("start");
            return () -> {
                running.decrementAndGet();
                transitions.add("stop");
            };
        }
    }

    private static Leadership leadership(KubernetesClient c, String identity, Loops loops, Duration leaseDuration) {
        return Leadership.builder(c).lease(NS, LEASE).identity(identity)
                .timing(leaseDuration, Duration.ofMillis(1500), Duration.ofMillis(100))
                .whileLeading(loops::start).onLost(loops.lost::incrementAndGet).build();
    }

    private static Leadership leadership(KubernetesClient c, String identity, Loops loops) {
        return leadership(c, identity, loops, Duration.ofMillis(2000));
    }

    private Lease lease() {
        return client.leases().inNamespace(NS).withName(LEASE).get();
    }

    private String holder() {
        Lease lease = lease();
        return lease == null ? null : lease.getSpec().getHolderIdentity();
    }

    @Test
    void onlyTheLeaderRunsTheLoopsAndAStandbyTakesOverAtOnceWhenItStops() {
        Loops a = new Loops();
        Loops b = new Loops();
        // a 60 s lease: a standby that leads within seconds does so because the Lease was released, not expired
        Duration longLease = Duration.ofSeconds(60);
        try (KubernetesClient c1 = server.createClient(); KubernetesClient c2 = server.createClient();
             Leadership la = leadership(c1, "ctl-a", a, longLease).start();
             Leadership lb = leadership(c2, "ctl-b", b, longLease).start()) {
            await("one instance runs the loops, holding the lease", Duration.ofSeconds(10),
                    () -> a.running.get() + b.running.get() == 1 && (la.leading() ? la : lb).identity().equals(holder()));
            Leadership leader = la.leading() ? la : lb;
            Leadership standby = leader == la ? lb : la;
            Loops leaderLoops = leader == la ? a : b;
            Loops standbyLoops = leader == la ? b : a;
            await("the standby saw the leader", Duration.ofSeconds(5), () -> standby.currentLeader().isPresent());
            assertThat(standby.currentLeader()).contains(leader.identity());
            assertThat(standby.leading()).isFalse();
            assertThat(leaderLoops.moves).as("only the leader moves").hasValue(1);
            assertThat(standbyLoops.moves).hasValue(0);

            leader.close(); // a clean shutdown: loops stopped, Lease released, not a "loss"
            assertThat(leader.leading()).isFalse();
            assertThat(leaderLoops.running).hasValue(0);
            assertThat(leaderLoops.lost).hasValue(0);
            assertThat(lease().getSpec().getLeaseDurationSeconds()).as("released: expires at once").isEqualTo(1);
            await("the standby runs them well within the 60 s lease", Duration.ofSeconds(10),
                    () -> standbyLoops.running.get() == 1);
            assertThat(a.running.get() + b.running.get()).isEqualTo(1);
            assertThat(standbyLoops.moves).hasValue(1);
            assertThat(leaderLoops.moves).as("the old leader moves no more").hasValue(1);
            await("the standby holds the lease", Duration.ofSeconds(5), () -> standby.identity().equals(holder()));
        }
    }

    @Test
    void losingTheLeaseStopsTheLoopsReportsTheLossAndRunsAgain() throws Exception {
        Loops a = new Loops();
        try (Leadership la = leadership(client, "ctl-a", a).start()) {
            await("leading", Duration.ofSeconds(10), () -> a.running.get() == 1);
            // another holder takes the lease (as after a network partition); it never renews it
            for (int attempt = 0; ; attempt++) { // we renew every 100 ms: retry our write on conflict
                try {
                    client.leases().inNamespace(NS).withName(LEASE).edit(l -> {
                        l.getSpec().setHolderIdentity("intruder");
                        l.getSpec().setRenewTime(ZonedDateTime.now(ZoneOffset.UTC));
                        l.getSpec().setLeaseDurationSeconds(1);
                        return l;
                    });
                    break;
                } catch (KubernetesClientException e) {
                    if (e.getCode() != 409 || attempt > 20) {
                        throw e;
                    }
                }
            }
            await("loops stopped", Duration.ofSeconds(5), () -> a.running.get() == 0);
            await("loss reported", Duration.ofSeconds(5), () -> a.lost.get() == 1);
            assertThat(la.currentLeader()).contains("intruder");
            await("leads again once the stolen lease expired", Duration.ofSeconds(10), la::leading);
            assertThat(a.transitions).containsExactly("start", "stop", "start");
            assertThat(a.lost).hasValue(1);
        }
    }
}
