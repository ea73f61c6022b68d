package io.edgesched.k8s.leader;

import static io.edgesched.k8s.move.Fixtures.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The leader's loops run on exactly one instance; losing the Lease stops them and reports the loss. */
@EnableKubernetesMockClient(crud = true)
class LeadershipTest {
    static {
        io.edgesched.k8s.move.Fixtures.quietMockServer();
    }

    KubernetesMockServer server;

    /** A stand-in for the controller's loops: counts how many run at once. */
    static final class Loops {
        final AtomicInteger running = new AtomicInteger();
        final AtomicInteger started = new AtomicInteger();
        final AtomicInteger lost = new AtomicInteger();

        AutoCloseable start() {
            running.incrementAndGet();
            started.incrementAndGet();
            return running::decrementAndGet;
        }
    }

    private static Leadership leadership(KubernetesClient c, String identity, Loops loops) {
        LeaderGate gate = LeaderGate.builder(c).lease("edgesched", "edgesched-controller").identity(identity)
                .timing(Duration.ofMillis(2000), Duration.ofMillis(1500), Duration.ofMillis(100)).build();
        return new Leadership(gate, loops::start, loops.lost::incrementAndGet);
    }

    @Test
    void onlyTheLeaderRunsTheLoopsAndAStandbyTakesOverWhenItStops() {
        Loops a = new Loops();
        Loops b = new Loops();
        try (KubernetesClient c1 = server.createClient(); KubernetesClient c2 = server.createClient();
             Leadership la = leadership(c1, "ctl-a", a).start(); Leadership lb = leadership(c2, "ctl-b", b).start()) {
            await("one instance runs the loops", Duration.ofSeconds(10), () -> a.running.get() + b.running.get() == 1);
            Leadership leader = la.leading() ? la : lb;
            Loops leaderLoops = leader == la ? a : b;
            Loops standbyLoops = leader == la ? b : a;
            leader.close(); // a clean shutdown: loops stopped, Lease released, not a "loss"
            assertThat(leaderLoops.running).hasValue(0);
            assertThat(leaderLoops.lost).hasValue(0);
            await("the standby runs them", Duration.ofSeconds(10), () -> standbyLoops.running.get() == 1);
            assertThat(a.running.get() + b.running.get()).isEqualTo(1);
        }
    }

    @Test
    void losingTheLeaseStopsTheLoopsAndReportsTheLoss() {
        Loops a = new Loops();
        try (KubernetesClient c1 = server.createClient(); Leadership la = leadership(c1, "ctl-a", a).start()) {
            await("leading", Duration.ofSeconds(10), () -> a.running.get() == 1);
            la.gate().stop(); // what a lost renewal does: the gate stops leading
            await("loops stopped", Duration.ofSeconds(10), () -> a.running.get() == 0);
            await("loss reported", Duration.ofSeconds(10), () -> a.lost.get() == 1);
            assertThat(la.leading()).isFalse();
        }
    }
}
