package io.edgesched.k8s.topology;

import static io.edgesched.k8s.topology.Fixtures.deployment;
import static io.edgesched.k8s.topology.Fixtures.node;
import static io.edgesched.k8s.topology.Fixtures.nodePortService;
import static io.edgesched.k8s.topology.Fixtures.pod;
import static io.edgesched.k8s.topology.Fixtures.slice;
import static org.assertj.core.api.Assertions.assertThat;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.NodeId;
import io.edgesched.api.WorkloadId;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ClusterSnapshotTest {
    static final NodeId EDGE1 = NodeId.of("edge-1");
    static final NodeId EDGE2 = NodeId.of("edge-2");
    static final WorkloadId WEB = WorkloadId.of("shop", "web");

    static ClusterSnapshot sample() {
        Node cordonedTainted = new NodeBuilder(node("edge-3", "10.0.0.3", true)).editSpec().withUnschedulable(true)
                .addNewTaint().withKey("edge").withValue("busy").withEffect("NoSchedule").endTaint().endSpec().build();
        Pod web1 = pod("shop", "web", "a", "edge-1", "10.244.1.5");
        Pod hostPortPod = new PodBuilder(pod("shop", "web", "b", "edge-2", "10.244.2.7")).editSpec().editFirstContainer()
                .editFirstPort().withHostPort(9443).endPort().endContainer().endSpec().build();
        return ClusterSnapshot.of(
                List.of(node("edge-1", "10.0.0.1", true), node("edge-2", "10.0.0.2", true), cordonedTainted),
                List.of(deployment("shop", "web", true, 2), deployment("shop", "legacy", false, 1)),
                List.of(web1, hostPortPod, pod("shop", "legacy", "x", "edge-1", "10.244.1.9")),
                List.of(nodePortService("shop", "web", Map.of("app", "web"), 80, 30080),
                        nodePortService("shop", "legacy", Map.of("app", "legacy"), 80, 30090)),
                List.of(slice("shop", "web", web1.getMetadata().getName(), "edge-1", "10.244.1.5", 8080),
                        slice("shop", "legacy", "legacy-5d9f7c-x", "edge-1", "10.244.1.9", 8080)));
    }

    @Test
    void nodesCarryAddressesReadinessCordonAndTaints() {
        ClusterSnapshot s = sample();
        assertThat(s.nodes()).containsOnlyKeys(EDGE1, EDGE2, NodeId.of("edge-3"));
        ClusterNode n1 = s.nodes().get(EDGE1);
        assertThat(n1.internalAddresses()).containsExactly(ClientAddress.parse("10.0.0.1"));
        assertThat(n1.schedulable()).isTrue();
        ClusterNode n3 = s.nodes().get(NodeId.of("edge-3"));
        assertThat(n3.cordoned()).isTrue();
        assertThat(n3.taints()).containsExactly(new ClusterNode.Taint("edge", "busy", "NoSchedule"));
        assertThat(n3.schedulable()).isFalse();
        assertThat(s.nodeByAddress()).containsEntry(ClientAddress.parse("10.0.0.2"), EDGE2);
    }

    @Test
    void onlyOptedInDeploymentsAreWorkloadsAndTheirPodsArePlaced() {
        ClusterSnapshot s = sample();
        assertThat(s.workloads()).containsOnlyKeys(WEB);
        ClusterWorkload web = s.workloads().get(WEB);
        assertThat(web.desiredReplicas()).isEqualTo(2);
        assertThat(web.runningPerNode()).containsExactlyEntriesOf(new java.util.TreeMap<>(Map.of(EDGE1, 1, EDGE2, 1)));
        assertThat(web.readyPerNode()).isEqualTo(web.runningPerNode());
    }

    @Test
    void serviceIsLinkedToTheDeploymentWhosePodTemplateItSelects() {
        ClusterSnapshot s = sample();
        ClusterService web = s.services().stream().filter(x -> x.name().equals("web")).findFirst().orElseThrow();
        assertThat(web.workloads()).containsExactly(WEB);
        assertThat(web.nodePorts()).containsExactly(30080);
        ClusterService legacy = s.services().stream().filter(x -> x.name().equals("legacy")).findFirst().orElseThrow();
        assertThat(legacy.workloads()).isEmpty();
    }

    @Test
    void resolvesNodePortsHostPortsAndPodPortsPerNode() {
        ClusterSnapshot s = sample();
        assertThat(s.resolve(EDGE1, 30080)).contains(WEB);
        assertThat(s.resolve(EDGE2, 30080)).contains(WEB);   // a NodePort is open on every node
        assertThat(s.resolve(EDGE1, 30090)).isEmpty();       // not opted in
        assertThat(s.resolve(EDGE2, 9443)).contains(WEB);    // hostPort of the pod on edge-2
        assertThat(s.resolve(EDGE1, 9443)).isEmpty();
        assertThat(s.resolve(EDGE1, ClientAddress.parse("10.244.1.5"), 8080)).contains(WEB);
        assertThat(s.resolve(EDGE1, ClientAddress.parse("10.244.1.9"), 8080)).isEmpty();
        assertThat(s.resolve(EDGE2, ClientAddress.parse("10.244.1.5"), 8080)).isEmpty(); // that pod is not on edge-2

        assertThat(s.bindingsOn(EDGE1)).extracting(PortBinding::kind, PortBinding::localAddress, PortBinding::port)
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple(PortBinding.Kind.NODE_PORT, Optional.empty(), 30080),
                        org.assertj.core.groups.Tuple.tuple(PortBinding.Kind.POD_PORT, Optional.of(ClientAddress.parse("10.244.1.5")), 8080));
        assertThat(s.bindingsOn(EDGE2)).extracting(PortBinding::port).containsExactlyInAnyOrder(30080, 9443);
        assertThat(s.serviceCatalog().workloadFor(EDGE1, 7, 30080)).contains(WEB);
        assertThat(s.serviceCatalog().workloadFor(EDGE1, 7, 30090)).isEmpty();
    }
}
