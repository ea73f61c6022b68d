package io.edgesched.k8s.report;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgesched.api.WatchedService;
import io.edgesched.k8s.topology.ClusterSnapshot;
import io.edgesched.k8s.topology.Fixtures;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The agent's reads bring the watch list to the cluster only when the topology hands out a new snapshot (the fast
 * reads come four times a second), and keep trying a watch the kernel refused until it takes.
 */
@EnableKubernetesMockClient(crud = true)
class WatchSyncTest {
    static {
        Fixtures.quietMockServer();
    }

    KubernetesClient client;

    @Test
    void readsSyncTheWatchListOncePerClusterSnapshotAndRetryARefusedWatch() {
        int[] watchCalls = {0};
        boolean[] tableFull = {true};
        FakeOriginSource source = new FakeOriginSource("edge-1") {
            @Override
            public void watch(WatchedService service) {
                watchCalls[0]++;
                if (tableFull[0] && service.port() == 30090) {
                    throw new IllegalStateException("service table full (injected)");
                }
                super.watch(service);
            }
        };
        AtomicReference<ClusterSnapshot> cluster = new AtomicReference<>(AgentLoopTest.cluster(30080));
        OriginReportPublisher publisher = new OriginReportPublisher(client, "edgesched", source, cluster::get,
                ReportLimits.DEFAULT, Clock.systemUTC());
        EventBudget budget = new EventBudget(1024, 64 * 1024);

        publisher.publishOnce();
        for (int i = 0; i < 5; i++) {
            source.advanceMillis(250);
            publisher.publishEvents(PublishRule.defaults(), budget, 2);
        }
        assertThat(watchCalls[0]).as("one snapshot, one watch").isEqualTo(1);
        assertThat(source.watched()).extracting(WatchedService::port).containsExactly(30080);

        cluster.set(AgentLoopTest.cluster(30080, 30090)); // a new NodePort, refused by a full table
        publisher.publishEvents(PublishRule.defaults(), budget, 2);
        publisher.publishEvents(PublishRule.defaults(), budget, 2);
        assertThat(watchCalls[0]).as("the refused watch is tried again at the next read").isEqualTo(3);
        assertThat(source.watched()).extracting(WatchedService::port).containsExactly(30080);

        tableFull[0] = false;
        publisher.publishEvents(PublishRule.defaults(), budget, 2);
        publisher.publishEvents(PublishRule.defaults(), budget, 2);
        assertThat(watchCalls[0]).as("taken at the third try, then left alone").isEqualTo(4);
        assertThat(source.watched()).extracting(WatchedService::port).containsExactlyInAnyOrder(30080, 30090);

        cluster.set(AgentLoopTest.cluster(30090)); // the first port goes
        publisher.publishEvents(PublishRule.defaults(), budget, 2);
        assertThat(source.watched()).extracting(WatchedService::port).containsExactly(30090);
    }
}
