package io.edgesched.k8s.report;

import static io.edgesched.k8s.topology.Fixtures.deployment;
import static io.edgesched.k8s.topology.Fixtures.node;
import static io.edgesched.k8s.topology.Fixtures.nodePortService;
import static io.edgesched.k8s.topology.Fixtures.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.OriginRecord;
import io.edgesched.api.WatchedService;
import io.edgesched.k8s.metrics.EdgeschedMetrics;
import io.edgesched.k8s.topology.ClusterSnapshot;
import io.edgesched.k8s.topology.Fixtures;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** The agent's loop as a library class: publishes at its interval, follows cluster changes within the sync delay. */
@EnableKubernetesMockClient(crud = true)
class AgentLoopTest {
    static {
        Fixtures.quietMockServer();
    }

    KubernetesClient client;

    static ClusterSnapshot cluster(int... nodePorts) {
        return ClusterSnapshot.of(List.of(node("edge-1", "10.0.0.1", true)),
                List.of(deployment("shop", "web", true, 1)),
                List.of(pod("shop", "web", "a", "edge-1", "10.244.1.5")),
                Arrays.stream(nodePorts).mapToObj(p -> nodePortService("shop", "web-" + p, Map.of("app", "web"), 80, p))
                        .toList(),
                List.of());
    }

    @Test
    void publishesEveryIntervalAndUpdatesWatchesAfterAClusterChange() throws Exception {
        FakeOriginSource source = new FakeOriginSource("edge-1");
        AtomicReference<ClusterSnapshot> cluster = new AtomicReference<>(cluster(30080));
        OriginReportPublisher publisher = new OriginReportPublisher(client, "edgesched", source, cluster::get,
                ReportLimits.DEFAULT, Clock.systemUTC());
        source.records.add(new OriginRecord(1, 30080, ClientAddress.parse("198.51.100.7"), 1, 10, 100, 900, 1, 0, 0, false));
        AtomicReference<Runnable> onChange = new AtomicReference<>();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();

        try (AgentLoop loop = AgentLoop.start(publisher, onChange::set, new EdgeschedMetrics(registry),
                new AgentLoop.Settings(Duration.ofMillis(20), Duration.ofMillis(10)))) {
            assertThat(onChange.get()).as("registered for cluster changes").isNotNull();
            await(() -> publisher.published() >= 2);
            assertThat(client.resources(OriginReport.class).inNamespace("edgesched").withName("edge-1").get())
                    .isNotNull();
            assertThat(source.watched()).extracting(WatchedService::port).containsExactly(30080);

            cluster.set(cluster(30080, 30443));
            onChange.get().run();
            onChange.get().run(); // a burst of changes shares one update
            await(() -> source.watched().size() == 2);
            assertThat(source.watched()).extracting(WatchedService::port).containsExactlyInAnyOrder(30080, 30443);
        }
        long published = publisher.published();
        Thread.sleep(100);
        assertThat(publisher.published()).as("nothing published after close").isEqualTo(published);
        assertThat(registry.get("edgesched.reports.published").counter().count()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void fastReadsKeepToTheirCpuShareWithoutPunishingOneSlowRead() {
        AgentLoop.Events events = new AgentLoop.Events(Duration.ofMillis(250), 0.01, 1024, 64 * 1024, 2); // 100 ms of credit over 10 s
        long ms = 1_000_000L;
        AgentLoop.ReadPacer pacer = new AgentLoop.ReadPacer(events, Duration.ofSeconds(10), 0);
        long now = 0;
        assertThat(pacer.nextDelayNanos(40 * ms, now += 40 * ms)).as("one cold 40 ms read").isEqualTo(250 * ms);
        // reads of 5 ms every 250 ms cost 2 %: the credit runs out, then reads wait until it is paid back
        long cpu = 40 * ms;
        long waited = 0;
        for (int i = 0; i < 400; i++) {
            long delay = pacer.nextDelayNanos(5 * ms, now += 5 * ms);
            assertThat(delay).isBetween(250 * ms, 10_000 * ms);
            now += delay;
            waited += delay;
            cpu += 5 * ms;
        }
        // 1 % of the elapsed time, plus the credit it started with (1 % of 10 s) and the read that overdrew it
        assertThat(cpu).as("CPU spent by reads").isLessThanOrEqualTo((long) (0.01 * now) + 100 * ms + 5 * ms);
        assertThat((double) cpu / now).as("long-run share").isLessThan(0.011);
        assertThat(waited).isGreaterThan(400 * 250 * ms);
        // cheap reads again: back to the interval once the credit is positive
        long delay = 0;
        for (int i = 0; i < 100 && delay != 250 * ms; i++) {
            delay = pacer.nextDelayNanos(100_000, now += 100_000);
            now += delay;
        }
        assertThat(delay).isEqualTo(250 * ms);
    }

    static void await(BooleanSupplier c) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 15 s");
            }
            Thread.sleep(10);
        }
    }
}
