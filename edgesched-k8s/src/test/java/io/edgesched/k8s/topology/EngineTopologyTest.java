package io.edgesched.k8s.topology;

import static io.edgesched.k8s.topology.Fixtures.deployment;
import static io.edgesched.k8s.topology.Fixtures.node;
import static io.edgesched.k8s.topology.Fixtures.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.edgesched.api.NodeId;
import io.edgesched.api.WorkloadId;
import io.edgesched.api.policy.WorkloadSpec;
import io.edgesched.api.topology.LatencyMatrix;
import io.edgesched.api.topology.MissingLatency;
import io.edgesched.api.topology.Topology;
import io.edgesched.k8s.topology.EngineTopology.NodeLatency;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EngineTopologyTest {
    static final NodeId A = NodeId.of("edge-1");
    static final NodeId B = NodeId.of("edge-2");
    static final NodeId C = NodeId.of("edge-3");

    static ClusterSnapshot cluster() {
        Node tainted = new NodeBuilder(node("edge-3", "10.0.0.3", true)).editSpec()
                .addNewTaint().withKey("gpu").withEffect("NoSchedule").endTaint()
                .addNewTaint().withKey("soft").withEffect("PreferNoSchedule").endTaint().endSpec().build();
        Deployment tolerant = new DeploymentBuilder(deployment("shop", "web", true, 2)).editSpec().editTemplate().editSpec()
                .addNewToleration().withKey("gpu").withOperator("Exists").endToleration()
                .addToNodeSelector("disk", "ssd").endSpec().endTemplate().endSpec().build();
        return ClusterSnapshot.of(List.of(node("edge-1", "10.0.0.1", true), node("edge-2", "10.0.0.2", false), tainted),
                List.of(tolerant, deployment("shop", "zero", true, 0)),
                List.of(pod("shop", "web", "a", "edge-1", "10.244.1.5"), pod("shop", "web", "b", "edge-1", "10.244.1.6")),
                List.of(), List.of());
    }

    @Test
    void nodesPlacementsAndLatenciesReachTheEngine() {
        Topology t = EngineTopology.topology(cluster(), List.of(new NodeLatency(A, B, 4000), new NodeLatency(B, C, 1000),
                new NodeLatency(A, NodeId.of("gone"), 5)));
        assertThat(t.nodeIds()).containsExactly(A, B, C);
        assertThat(t.node(B).orElseThrow().ready()).isFalse();
        assertThat(t.node(C).orElseThrow().taints()).containsExactly("gpu"); // PreferNoSchedule does not block
        assertThat(t.placement(WorkloadId.of("shop", "web")).replicasPerNode()).containsEntry(A, 2);
        assertThat(t.latency().latencyMicros(A, B)).hasValue(4000);
        assertThat(t.latency().latencyMicros(B, A)).hasValue(4000);        // symmetric fill
        assertThat(t.latency().latencyMicros(A, C)).hasValue(5000);        // triangle through edge-2
    }

    @Test
    void workloadSpecsCarryReplicasSelectorAndTolerations() {
        List<WorkloadSpec> specs = EngineTopology.workloadSpecs(cluster());
        assertThat(specs).singleElement().satisfies(s -> {   // the Deployment scaled to 0 has nothing to place
            assertThat(s.workload()).isEqualTo(WorkloadId.of("shop", "web"));
            assertThat(s.replicas()).isEqualTo(2);
            assertThat(s.tolerations()).containsExactly("gpu");
            assertThat(s.nodeSelector().matchLabels()).containsEntry("disk", "ssd");
        });
    }

    @Test
    void latencyCacheRebuildsOnNodeChangesAndAfterTheRefresh() {
        LatencyMatrixCache cache = new LatencyMatrixCache(Duration.ofSeconds(60), MissingLatency.SYMMETRIC);
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        LatencyMatrix first = cache.get(Set.of(A, B), List.of(new NodeLatency(A, B, 100)), t0);
        assertThat(cache.get(Set.of(A, B), List.of(new NodeLatency(A, B, 999)), t0.plusSeconds(30))).isSameAs(first);
        LatencyMatrix grown = cache.get(Set.of(A, B, C), List.of(new NodeLatency(A, B, 999)), t0.plusSeconds(31));
        assertThat(grown).isNotSameAs(first);
        assertThat(grown.latencyMicros(A, B)).hasValue(999);
        LatencyMatrix refreshed = cache.get(Set.of(A, B, C), List.of(new NodeLatency(A, B, 50)), t0.plusSeconds(92));
        assertThat(refreshed.latencyMicros(B, A)).hasValue(50);
        assertThat(cache.builds()).isEqualTo(3);
    }
}
