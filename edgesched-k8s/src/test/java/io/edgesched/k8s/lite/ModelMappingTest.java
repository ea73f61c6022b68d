package io.edgesched.k8s.lite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.NodeId;
import io.edgesched.api.WorkloadId;
import io.edgesched.k8s.move.KubernetesRescheduler;
import io.edgesched.k8s.topology.ClusterSnapshot;
import io.edgesched.k8s.topology.PortBinding;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Differential: every fixture goes through fabric8's own JSON (what the API server sends), is parsed to the plain
 * trees the lite parser produces, and mapped back; the snapshot built from the mapped objects must equal the one
 * built from the originals and from Jackson's objects, and each mapped object must equal what Jackson reads from
 * exactly the fields ModelMapping promises to map.
 */
class ModelMappingTest {
    static final KubernetesSerialization JSON = new KubernetesSerialization();
    static final String NS = "shop";
    static final String HASH = "7c9d5f";
    static final WorkloadId WEB = WorkloadId.of(NS, "web");
    static final WorkloadId API = WorkloadId.of(NS, "api");
    static final WorkloadId BATCH = WorkloadId.of(NS, "batch");

    // --- fixtures

    static final List<Node> NODES = List.of(
            new NodeBuilder().withNewMetadata().withName("edge-1").withUid("n1").withResourceVersion("11")
                    .addToLabels("topology.kubernetes.io/zone", "z1").addToAnnotations("node.alpha/ttl", "0").endMetadata()
                    .withNewSpec().withPodCIDR("10.244.1.0/24").addToAdditionalProperties("futureField", Map.of("x", 1)).endSpec()
                    .withNewStatus()
                    .addNewAddress().withType("InternalIP").withAddress("10.0.0.1").endAddress()
                    .addNewAddress().withType("ExternalIP").withAddress("203.0.113.1").endAddress()
                    .addNewAddress().withType("Hostname").withAddress("edge-1").endAddress()
                    .addNewCondition().withType("MemoryPressure").withStatus("False").endCondition()
                    .addNewCondition().withType("Ready").withStatus("True").withReason("KubeletReady").endCondition()
                    .endStatus().build(),
            // dual stack, a taint that does not block scheduling
            new NodeBuilder().withNewMetadata().withName("edge-2").endMetadata()
                    .withNewSpec().addNewTaint().withKey("edge/slow").withEffect("PreferNoSchedule").endTaint().endSpec()
                    .withNewStatus()
                    .addNewAddress().withType("InternalIP").withAddress("10.0.0.2").endAddress()
                    .addNewAddress().withType("InternalIP").withAddress("fd00::2").endAddress()
                    .addNewAddress().withType("ExternalIP").withAddress("2001:db8::2").endAddress()
                    .addNewCondition().withType("Ready").withStatus("True").endCondition()
                    .endStatus().build(),
            // cordoned, tainted, not ready
            new NodeBuilder().withNewMetadata().withName("edge-3").endMetadata()
                    .withNewSpec().withUnschedulable(true)
                    .addNewTaint().withKey("edge").withValue("busy").withEffect("NoSchedule").endTaint()
                    .addNewTaint().withKey("node.kubernetes.io/unreachable").withEffect("NoExecute").withTimeAdded("2025-01-01T00:00:00Z").endTaint()
                    .endSpec()
                    .withNewStatus().addNewAddress().withType("InternalIP").withAddress("10.0.0.3").endAddress()
                    .addNewCondition().withType("Ready").withStatus("Unknown").endCondition().endStatus().build(),
            // just registered: no status; and one whose InternalIP is a name (logged and skipped)
            new NodeBuilder().withNewMetadata().withName("edge-4").endMetadata().build(),
            new NodeBuilder().withNewMetadata().withName("edge-5").endMetadata().withNewSpec().withUnschedulable(false).endSpec()
                    .withNewStatus().addNewAddress().withType("InternalIP").withAddress("edge-5.local").endAddress()
                    .addNewAddress().withType("InternalIP").withAddress("10.0.0.5").endAddress().endStatus().build());

    static final List<Deployment> DEPLOYMENTS = List.of(
            new DeploymentBuilder().withNewMetadata().withNamespace(NS).withName("web").withUid("d-web").withGeneration(4L)
                    .addToLabels(ClusterSnapshot.MANAGED_LABEL, "true").addToLabels("team", "shop")
                    .addToAnnotations("kubectl.kubernetes.io/last-applied-configuration", "{\"huge\":true}").endMetadata()
                    .withNewSpec().withReplicas(3).withNewSelector().addToMatchLabels("app", "web").endSelector()
                    .withNewStrategy().withType("RollingUpdate").withNewRollingUpdate().withNewMaxSurge("25%").withNewMaxUnavailable(0)
                    .endRollingUpdate().endStrategy()
                    .withNewTemplate().withNewMetadata().addToLabels("app", "web").addToLabels("tier", "front")
                    .addToAnnotations(KubernetesRescheduler.ANNOTATION_MOVED_AT, "2025-03-04T05:06:07Z")
                    .addToAnnotations("prometheus.io/scrape", "true").endMetadata()
                    .withNewSpec().addToNodeSelector("topology.kubernetes.io/zone", "z1")
                    .addNewToleration().withKey("edge").withOperator("Exists").withEffect("NoSchedule").endToleration()
                    .addNewToleration().withKey("edge/slow").withOperator("Equal").withValue("yes").endToleration()
                    .addNewContainer().withName("web").withImage("nginx:1.27").addNewPort().withName("http").withContainerPort(8080).endPort()
                    .withNewResources().addToRequests("cpu", new io.fabric8.kubernetes.api.model.Quantity("250m")).endResources()
                    .endContainer()
                    .addNewContainer().withName("tls").withImage("envoy").addNewPort().withContainerPort(8443).withHostPort(9443).endPort()
                    .endContainer().endSpec().endTemplate().endSpec()
                    .withNewStatus().withReplicas(3).withReadyReplicas(2).endStatus().build(),
            // no replicas (defaults to 1), a selector with expressions, a tolerate-everything toleration, a bad moved-at
            new DeploymentBuilder().withNewMetadata().withNamespace(NS).withName("api")
                    .addToLabels(ClusterSnapshot.MANAGED_LABEL, "true").endMetadata()
                    .withNewSpec().withNewSelector().addNewMatchExpression().withKey("app").withOperator("In").withValues("api", "api-v2")
                    .endMatchExpression().addNewMatchExpression().withKey("canary").withOperator("DoesNotExist").endMatchExpression().endSelector()
                    .withNewTemplate().withNewMetadata().addToLabels("app", "api").addToLabels("tier", "front")
                    .addToAnnotations(KubernetesRescheduler.ANNOTATION_MOVED_AT, "yesterday").endMetadata()
                    .withNewSpec().addNewToleration().withOperator("Exists").endToleration()
                    .addNewContainer().withName("api").withImage("api").endContainer().endSpec().endTemplate().endSpec().build(),
            // managed but its template has no metadata: no labels, so no Service fronts it
            new DeploymentBuilder().withNewMetadata().withNamespace(NS).withName("batch")
                    .addToLabels(ClusterSnapshot.MANAGED_LABEL, "true").endMetadata()
                    .withNewSpec().withReplicas(0).withNewSelector().addToMatchLabels("job", "batch").endSelector()
                    .withNewTemplate().withNewSpec().addNewContainer().withName("b").withImage("b").endContainer().endSpec()
                    .endTemplate().endSpec().build(),
            new DeploymentBuilder().withNewMetadata().withNamespace(NS).withName("legacy").addToLabels("app", "legacy").endMetadata()
                    .withNewSpec().withReplicas(1).withNewSelector().addToMatchLabels("app", "legacy").endSelector()
                    .withNewTemplate().withNewMetadata().addToLabels("app", "legacy").endMetadata().endTemplate().endSpec().build(),
            new DeploymentBuilder().withNewMetadata().withNamespace("ops").withName("tool")
                    .addToLabels(ClusterSnapshot.MANAGED_LABEL, "false").endMetadata().withNewSpec().endSpec().build());

    static final List<Pod> PODS = List.of(
            webPod("a", "edge-1", "10.244.1.5", "Running", true).build(),
            webPod("b", "edge-2", "10.244.2.7", "Running", false).build(),
            // terminating: not counted, but its hostPort and endpoint still bind
            webPod("c", "edge-3", "10.244.3.2", "Running", true).editMetadata().withDeletionTimestamp("2025-03-04T05:06:07Z")
                    .withDeletionGracePeriodSeconds(30L).endMetadata().build(),
            webPod("d", null, null, "Pending", false).editStatus().withConditions().endStatus().build(),
            webPod("e", "edge-2", "10.244.2.8", "Succeeded", false).build(),
            // no owner: found through the Deployment's selector; no status at all
            new PodBuilder().withNewMetadata().withNamespace(NS).withName("api-manual").addToLabels("app", "api").endMetadata()
                    .withNewSpec().withNodeName("edge-1").addNewContainer().withName("api").addNewPort().withContainerPort(80)
                    .withHostPort(8081).endPort().addNewPort().withContainerPort(53).withHostPort(5353).withProtocol("UDP").endPort()
                    .endContainer().endSpec().build(),
            new PodBuilder().withNewMetadata().withNamespace(NS).withName("api-b7-x").addToLabels("app", "api")
                    .addToLabels("pod-template-hash", "b7").addNewOwnerReference().withApiVersion("apps/v1").withKind("ReplicaSet")
                    .withName("api-b7").withUid("rs-api").withController(true).withBlockOwnerDeletion(true).endOwnerReference().endMetadata()
                    .withNewSpec().withNodeName("edge-2").endSpec()
                    .withNewStatus().withPhase("Running").addNewCondition().withType("PodScheduled").withStatus("True").endCondition()
                    .addNewCondition().withType("Ready").withStatus("True").endCondition().endStatus().build(),
            // owned by something else, or by a ReplicaSet whose name does not carry the hash: not the Deployment's
            webPod("f", "edge-1", "10.244.1.6", "Running", true).editMetadata().withOwnerReferences()
                    .addNewOwnerReference().withKind("StatefulSet").withName("web").endOwnerReference().endMetadata().build(),
            webPod("g", "edge-1", "10.244.1.7", "Running", true).editMetadata().withOwnerReferences()
                    .addNewOwnerReference().withKind("ReplicaSet").withName("web-other").endOwnerReference().endMetadata().build(),
            new PodBuilder().withNewMetadata().withNamespace(NS).withName("legacy-1").addToLabels("app", "legacy").endMetadata()
                    .withNewSpec().withNodeName("edge-1").endSpec().withNewStatus().withPhase("Running").endStatus().build());

    static PodBuilder webPod(String suffix, String node, String podIp, String phase, boolean ready) {
        return new PodBuilder().withNewMetadata().withNamespace(NS).withName("web-" + HASH + "-" + suffix).withUid("p-" + suffix)
                .withResourceVersion("7" + suffix.charAt(0)).addToLabels("app", "web").addToLabels("tier", "front")
                .addToLabels("pod-template-hash", HASH)
                .addNewOwnerReference().withApiVersion("apps/v1").withKind("ReplicaSet").withName("web-" + HASH)
                .withUid("rs-web").withController(true).endOwnerReference().endMetadata()
                .withNewSpec().withNodeName(node)
                .addNewContainer().withName("web").withImage("nginx").addNewPort().withName("http").withContainerPort(8080).endPort()
                .endContainer()
                .addNewContainer().withName("tls").withImage("envoy").addNewPort().withContainerPort(8443).withHostPort(9443)
                .withProtocol("TCP").endPort().endContainer()
                .addNewToleration().withKey("node.kubernetes.io/not-ready").withOperator("Exists").withEffect("NoExecute")
                .withTolerationSeconds(300L).endToleration()
                .endSpec()
                .withNewStatus().withPhase(phase).withPodIP(podIp).addNewPodIP().withIp(podIp).endPodIP()
                .addNewCondition().withType("Ready").withStatus(ready ? "True" : "False").endCondition().endStatus();
    }

    static final List<Service> SERVICES = List.of(
            new ServiceBuilder().withNewMetadata().withNamespace(NS).withName("web").endMetadata()
                    .withNewSpec().withType("NodePort").withClusterIP("10.96.0.10").addToSelector("app", "web")
                    .addNewPort().withName("http").withProtocol("TCP").withPort(80).withNewTargetPort("http").withNodePort(30080).endPort()
                    .addNewPort().withName("dns").withProtocol("UDP").withPort(53).withNodePort(30053).endPort()
                    .addNewPort().withName("alt").withPort(81).withNewTargetPort(8080).withNodePort(30081).endPort()
                    .endSpec().build(),
            new ServiceBuilder().withNewMetadata().withNamespace(NS).withName("api").endMetadata()
                    .withNewSpec().withType("LoadBalancer").addToSelector("app", "api")
                    .addNewPort().withProtocol("TCP").withPort(443).withNodePort(31443).endPort().endSpec()
                    .withNewStatus().withNewLoadBalancer().addNewIngress().withIp("198.51.100.7").endIngress().endLoadBalancer().endStatus()
                    .build(),
            new ServiceBuilder().withNewMetadata().withNamespace(NS).withName("web-internal").endMetadata()
                    .withNewSpec().withType("ClusterIP").withClusterIPs("10.96.0.11", "fd00:96::11").addToSelector("app", "web")
                    .addToSelector("tier", "front").addNewPort().withPort(8080).endPort().endSpec().build(),
            // fronts web and api: its NodePort goes to the first
            new ServiceBuilder().withNewMetadata().withNamespace(NS).withName("front").endMetadata()
                    .withNewSpec().withType("NodePort").addToSelector("tier", "front")
                    .addNewPort().withPort(80).withNodePort(30090).endPort().endSpec().build(),
            new ServiceBuilder().withNewMetadata().withNamespace(NS).withName("legacy").endMetadata()
                    .withNewSpec().withType("NodePort").addToSelector("app", "legacy")
                    .addNewPort().withPort(80).withNodePort(30100).endPort().endSpec().build(),
            new ServiceBuilder().withNewMetadata().withNamespace(NS).withName("headless").endMetadata()
                    .withNewSpec().withClusterIP("None").addNewPort().withPort(9000).endPort().endSpec().build(),
            new ServiceBuilder().withNewMetadata().withNamespace(NS).withName("no-spec").endMetadata().build());

    static final List<EndpointSlice> SLICES = List.of(
            new EndpointSliceBuilder().withNewMetadata().withNamespace(NS).withName("web-abc")
                    .addToLabels("kubernetes.io/service-name", "web").addToLabels("endpointslice.kubernetes.io/managed-by", "x").endMetadata()
                    .withAddressType("IPv4")
                    .addNewEndpoint().withAddresses("10.244.1.5").withNodeName("edge-1").withNewConditions().withReady(true).endConditions()
                    .withNewTargetRef().withKind("Pod").withNamespace(NS).withName("web-" + HASH + "-a").withUid("p-a").endTargetRef()
                    .withZone("z1").endEndpoint()
                    .addNewEndpoint().withAddresses("10.244.2.7").withNodeName("edge-2").withNewConditions().withReady(false)
                    .withServing(false).endConditions()
                    .withNewTargetRef().withKind("Pod").withName("web-" + HASH + "-b").endTargetRef().endEndpoint()
                    .addNewEndpoint().withAddresses("10.244.9.9").withNewTargetRef().withKind("Pod").withName("nowhere").endTargetRef()
                    .endEndpoint()
                    .addNewEndpoint().withAddresses("10.244.3.2", "not-an-ip").withNodeName("edge-3")
                    .withNewTargetRef().withKind("Pod").withNamespace(NS).withName("web-" + HASH + "-c").endTargetRef().endEndpoint()
                    .addNewPort().withName("http").withProtocol("TCP").withPort(8080).withAppProtocol("http").endPort()
                    .addNewPort().withName("dns").withProtocol("UDP").withPort(53).endPort()
                    .addNewPort().withName("any").endPort()
                    .build(),
            new EndpointSliceBuilder().withNewMetadata().withNamespace(NS).withName("web-v6")
                    .addToLabels("kubernetes.io/service-name", "web").endMetadata().withAddressType("IPv6")
                    .addNewEndpoint().withAddresses("fd00:244::7").withNodeName("edge-2")
                    .withNewTargetRef().withKind("Pod").withName("web-" + HASH + "-b").endTargetRef().endEndpoint()
                    .addNewPort().withPort(8443).endPort().build(),
            // no targetRef: attributed to the service's first workload
            new EndpointSliceBuilder().withNewMetadata().withNamespace(NS).withName("api-xyz")
                    .addToLabels("kubernetes.io/service-name", "api").endMetadata().withAddressType("IPv4")
                    .addNewEndpoint().withAddresses("10.244.1.20").withNodeName("edge-1").endEndpoint()
                    .addNewEndpoint().withAddresses("10.244.2.21").withNodeName("edge-2")
                    .withNewTargetRef().withKind("Node").withName("edge-2").endTargetRef().endEndpoint()
                    .addNewPort().withProtocol("TCP").withPort(443).endPort().build(),
            new EndpointSliceBuilder().withNewMetadata().withNamespace(NS).withName("api-fqdn")
                    .addToLabels("kubernetes.io/service-name", "api").endMetadata().withAddressType("FQDN")
                    .addNewEndpoint().withAddresses("api.example.org").withNodeName("edge-1").endEndpoint()
                    .addNewPort().withPort(443).endPort().build(),
            new EndpointSliceBuilder().withNewMetadata().withNamespace(NS).withName("orphan").endMetadata().withAddressType("IPv4")
                    .addNewEndpoint().withAddresses("10.244.1.30").withNodeName("edge-1").endEndpoint()
                    .addNewPort().withPort(80).endPort().build(),
            new EndpointSliceBuilder().withNewMetadata().withNamespace(NS).withName("empty")
                    .addToLabels("kubernetes.io/service-name", "web").endMetadata().withAddressType("IPv4").build());

    // --- the fields ModelMapping promises to map, per kind ("[]" is every array element)

    static final List<String> METADATA = List.of("metadata.name", "metadata.namespace", "metadata.uid",
            "metadata.resourceVersion", "metadata.deletionTimestamp", "metadata.labels", "metadata.ownerReferences[].kind",
            "metadata.ownerReferences[].name", "metadata.ownerReferences[].uid", "metadata.ownerReferences[].controller");
    static final List<String> POD_SPEC = List.of("nodeName", "containers[].name", "containers[].ports[].containerPort",
            "containers[].ports[].hostPort", "containers[].ports[].protocol", "nodeSelector", "tolerations[].key",
            "tolerations[].operator", "tolerations[].value", "tolerations[].effect");

    record Kind<T extends HasMetadata>(String name, Class<T> type, Function<Map<String, Object>, T> mapping, Set<String> fields) {
        Kind(String name, Class<T> type, Function<Map<String, Object>, T> mapping, Stream<String> fields) {
            this(name, type, mapping, Stream.concat(METADATA.stream(), fields).collect(java.util.stream.Collectors.toSet()));
        }

        T jackson(Map<String, Object> tree) {
            return JSON.unmarshal(JSON.asJson(tree), type);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static final Kind<Node> NODE = new Kind<>("node", Node.class, ModelMapping::node, Stream.of("spec.unschedulable",
            "spec.taints[].key", "spec.taints[].value", "spec.taints[].effect", "status.addresses[].type",
            "status.addresses[].address", "status.conditions[].type", "status.conditions[].status"));
    static final Kind<Deployment> DEPLOYMENT = new Kind<>("deployment", Deployment.class, ModelMapping::deployment,
            Stream.concat(Stream.of("spec.replicas", "spec.selector.matchLabels", "spec.selector.matchExpressions[].key",
                    "spec.selector.matchExpressions[].operator", "spec.selector.matchExpressions[].values",
                    "spec.template.metadata.labels", "spec.template.metadata.annotations"),
                    POD_SPEC.stream().map(f -> "spec.template.spec." + f)));
    static final Kind<Pod> POD = new Kind<>("pod", Pod.class, ModelMapping::pod, Stream.concat(
            Stream.of("status.phase", "status.conditions[].type", "status.conditions[].status"),
            POD_SPEC.stream().map(f -> "spec." + f)));
    static final Kind<Service> SERVICE = new Kind<>("service", Service.class, ModelMapping::service, Stream.of(
            "spec.selector", "spec.ports[].port", "spec.ports[].nodePort", "spec.ports[].protocol"));
    static final Kind<EndpointSlice> SLICE = new Kind<>("endpointslice", EndpointSlice.class, ModelMapping::endpointSlice,
            Stream.of("addressType", "endpoints[].addresses", "endpoints[].nodeName", "endpoints[].targetRef.kind",
                    "endpoints[].targetRef.namespace", "endpoints[].targetRef.name", "ports[].port", "ports[].protocol"));

    // --- differential tests

    @Test
    void snapshotOfMappedObjectsEqualsSnapshotOfOriginalsAndOfJacksonObjects() {
        ClusterSnapshot original = ClusterSnapshot.of(NODES, DEPLOYMENTS, PODS, SERVICES, SLICES);
        ClusterSnapshot mapped = ClusterSnapshot.of(mapAll(NODES, NODE), mapAll(DEPLOYMENTS, DEPLOYMENT), mapAll(PODS, POD),
                mapAll(SERVICES, SERVICE), mapAll(SLICES, SLICE));
        ClusterSnapshot jackson = ClusterSnapshot.of(jacksonAll(NODES, NODE), jacksonAll(DEPLOYMENTS, DEPLOYMENT),
                jacksonAll(PODS, POD), jacksonAll(SERVICES, SERVICE), jacksonAll(SLICES, SLICE));

        assertFixturesExerciseTheSnapshot(original);
        assertSameSnapshot(mapped, original);
        assertSameSnapshot(mapped, jackson);
    }

    /** Guards against a vacuous comparison: the fixtures reach the branches worth comparing. */
    static void assertFixturesExerciseTheSnapshot(ClusterSnapshot s) {
        assertThat(s.nodes().get(NodeId.of("edge-2")).internalAddresses()).hasSize(2);
        assertThat(s.nodes().get(NodeId.of("edge-3")).taints()).hasSize(2);
        assertThat(s.nodes().get(NodeId.of("edge-3")).cordoned()).isTrue();
        assertThat(s.workloads()).containsOnlyKeys(WEB, API, BATCH);
        assertThat(s.workloads().get(WEB).runningPerNode()).containsOnlyKeys(NodeId.of("edge-1"), NodeId.of("edge-2"));
        assertThat(s.workloads().get(WEB).readyPerNode()).containsOnlyKeys(NodeId.of("edge-1"));
        assertThat(s.workloads().get(WEB).lastMovedAt()).isPresent();
        assertThat(s.workloads().get(WEB).toleratedTaintKeys()).containsExactlyInAnyOrder("edge", "edge/slow");
        assertThat(s.workloads().get(API).toleratesAllTaints()).isTrue();
        assertThat(s.workloads().get(API).desiredReplicas()).isEqualTo(1);
        assertThat(s.workloads().get(API).readyPerNode()).containsOnlyKeys(NodeId.of("edge-2"));
        assertThat(s.services()).filteredOn(x -> x.name().equals("front")).singleElement()
                .satisfies(x -> assertThat(x.workloads()).containsExactly(API, WEB));
        assertThat(s.bindingsOn(NodeId.of("edge-1"))).extracting(PortBinding::kind)
                .contains(PortBinding.Kind.NODE_PORT, PortBinding.Kind.HOST_PORT, PortBinding.Kind.POD_PORT);
        assertThat(s.bindingsOn(NodeId.of("edge-2"))).extracting(PortBinding::localAddress)
                .contains(Optional.of(ClientAddress.parse("fd00:244::7")));
        assertThat(s.resolve(NodeId.of("edge-1"), ClientAddress.parse("10.244.1.20"), 443)).contains(API);
    }

    static void assertSameSnapshot(ClusterSnapshot actual, ClusterSnapshot expected) {
        assertThat(actual.nodes()).isEqualTo(expected.nodes());
        assertThat(actual.workloads()).isEqualTo(expected.workloads());
        assertThat(actual.services()).isEqualTo(expected.services());
        assertThat(actual.nodeByAddress()).isEqualTo(expected.nodeByAddress());
        Set<NodeId> nodes = new TreeSet<>(expected.nodes().keySet());
        nodes.add(NodeId.of("not-a-node"));
        Set<Integer> ports = new TreeSet<>(List.of(1, 53, 80, 8080, 30053));
        for (NodeId node : nodes) {
            List<PortBinding> bindings = expected.bindingsOn(node);
            assertThat(actual.bindingsOn(node)).as("bindings on %s", node).isEqualTo(bindings);
            bindings.forEach(b -> ports.add(b.port()));
        }
        for (NodeId node : nodes) {
            for (int port : ports) {
                assertThat(actual.resolve(node, port)).as("%s:%s", node, port).isEqualTo(expected.resolve(node, port));
                assertThat(actual.serviceCatalog().workloadFor(node, 7, port)).isEqualTo(expected.serviceCatalog().workloadFor(node, 7, port));
                for (PortBinding b : expected.bindingsOn(node)) {
                    ClientAddress local = b.localAddress().orElse(ClientAddress.parse("192.0.2.1"));
                    assertThat(actual.resolve(node, local, port)).as("%s %s:%s", node, local, port)
                            .isEqualTo(expected.resolve(node, local, port));
                }
            }
        }
    }

    @Test
    void eachMappedObjectEqualsWhatJacksonReadsFromTheMappedFields() {
        assertMapsLikeJackson(NODE, NODES);
        assertMapsLikeJackson(DEPLOYMENT, DEPLOYMENTS);
        assertMapsLikeJackson(POD, PODS);
        assertMapsLikeJackson(SERVICE, SERVICES);
        assertMapsLikeJackson(SLICE, SLICES);
    }

    static <T extends HasMetadata> void assertMapsLikeJackson(Kind<T> kind, List<T> objects) {
        for (T object : objects) {
            Map<String, Object> tree = tree(object);
            T expected = kind.jackson(prune(tree, "", kind.fields()));
            assertThat(kind.mapping().apply(tree)).as("%s %s", kind.name(), object.getMetadata().getName()).isEqualTo(expected);
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void unknownAndUnmappedFieldsAreIgnored() {
        Map<String, Object> tree = tree(NODES.getFirst());
        assertThat(tree).containsKey("apiVersion"); // the fixture carries fields the pruned Jackson copy has not
        assertThat((Map<String, Object>) tree.get("spec")).containsKeys("podCIDR", "futureField");
        Node mapped = ModelMapping.node(tree);
        assertThat(mapped.getSpec().getPodCIDR()).isNull();
        assertThat(mapped.getSpec().getAdditionalProperties()).isEmpty();
        assertThat(mapped.getMetadata().getAnnotations()).isEmpty(); // top-level annotations deliberately dropped
        assertThat(ModelMapping.deployment(tree(DEPLOYMENTS.getFirst())).getSpec().getTemplate().getMetadata().getAnnotations())
                .containsKey(KubernetesRescheduler.ANNOTATION_MOVED_AT);
    }

    /** Absent keys keep the POJO defaults and explicit nulls set null, exactly as Jackson does. */
    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("sparseObjects")
    void absentAndNullFieldsAreLeftAsJacksonLeavesThem(Kind<?> kind, String json) {
        Map<String, Object> tree = normalize(JSON.unmarshal(json, Map.class));
        assertThat(kind.mapping().apply(tree)).isEqualTo(kind.jackson(tree));
    }

    static Stream<Arguments> sparseObjects() {
        return Stream.of(
                Arguments.of(NODE, "{\"metadata\":{\"name\":\"n\"}}"),
                Arguments.of(NODE, "{\"metadata\":{\"name\":\"n\",\"labels\":null,\"ownerReferences\":null,\"namespace\":null},"
                        + "\"spec\":null,\"status\":{\"addresses\":null,\"conditions\":[{\"type\":\"Ready\",\"status\":null}]}}"),
                Arguments.of(NODE, "{\"metadata\":{\"name\":\"n\",\"labels\":{}},\"spec\":{\"taints\":[{}],\"unschedulable\":null},"
                        + "\"status\":{\"addresses\":[]}}"),
                Arguments.of(DEPLOYMENT, "{\"metadata\":{\"name\":\"d\"}}"),
                Arguments.of(DEPLOYMENT, "{\"metadata\":{\"name\":\"d\"},\"spec\":{\"replicas\":null,\"selector\":{\"matchLabels\":null,"
                        + "\"matchExpressions\":[{\"key\":\"k\",\"operator\":\"Exists\",\"values\":null}]},"
                        + "\"template\":{\"metadata\":null,\"spec\":{\"tolerations\":null,\"nodeSelector\":null,\"containers\":[]}}}}"),
                Arguments.of(DEPLOYMENT, "{\"metadata\":{\"name\":\"d\"},\"spec\":{\"selector\":null,\"template\":{\"metadata\":{},"
                        + "\"spec\":{\"tolerations\":[{}]}}}}"),
                Arguments.of(POD, "{\"metadata\":{\"name\":\"p\",\"deletionTimestamp\":null,\"ownerReferences\":[{\"kind\":\"ReplicaSet\","
                        + "\"name\":\"r\",\"controller\":null}]},\"spec\":{\"nodeName\":null,\"containers\":[{\"name\":\"c\",\"ports\":null},"
                        + "{\"ports\":[{\"hostPort\":null}]}]},\"status\":null}"),
                Arguments.of(POD, "{\"metadata\":{\"name\":\"p\"},\"spec\":{},\"status\":{\"conditions\":[]}}"),
                Arguments.of(SERVICE, "{\"metadata\":{\"name\":\"s\"},\"spec\":{\"selector\":null,\"ports\":[{\"port\":80,"
                        + "\"nodePort\":null,\"protocol\":null}]}}"),
                Arguments.of(SERVICE, "{\"metadata\":{\"name\":\"s\"},\"spec\":{\"ports\":null}}"),
                Arguments.of(SLICE, "{\"metadata\":{\"name\":\"e\"},\"addressType\":null,\"endpoints\":[{\"addresses\":null,"
                        + "\"targetRef\":null,\"nodeName\":null},{\"targetRef\":{}}],\"ports\":null}"),
                Arguments.of(SLICE, "{\"metadata\":{\"name\":\"e\"},\"endpoints\":[],\"ports\":[{}]}"));
    }

    // --- hostile input

    static final Object REMOVE = new Object();

    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("hostileInputs")
    void hostileInputIsRefusedWithItsPath(Kind<?> kind, HasMetadata fixture, String path, Object value, String message) {
        Map<String, Object> tree = tree(fixture);
        kind.mapping().apply(tree); // the fixture itself maps
        mutate(tree, path, value);
        assertThatThrownBy(() -> kind.mapping().apply(tree)).isExactlyInstanceOf(IllegalArgumentException.class).hasMessage(message);
    }

    static Stream<Arguments> hostileInputs() {
        Service web = SERVICES.getFirst();
        Deployment webDeployment = DEPLOYMENTS.getFirst();
        Deployment api = DEPLOYMENTS.get(1);
        Pod pod = PODS.getFirst();
        Node node = NODES.getFirst();
        EndpointSlice slice = SLICES.getFirst();
        return Stream.of(
                Arguments.of(SERVICE, web, "spec.ports[0].port", "80", "spec.ports[0].port: expected an integer, got a string"),
                Arguments.of(SERVICE, web, "spec.ports[2].nodePort", 2_147_483_648L, "spec.ports[2].nodePort: 2147483648 is out of int range"),
                Arguments.of(SERVICE, web, "spec.ports[1].port", REMOVE, "spec.ports[1].port: missing"),
                Arguments.of(SERVICE, web, "spec", List.of(), "spec: expected an object, got an array"),
                Arguments.of(SERVICE, web, "spec.selector.app", true, "spec.selector.app: expected a string, got a boolean"),
                Arguments.of(DEPLOYMENT, webDeployment, "metadata.labels", List.of("a"), "metadata.labels: expected an object, got an array"),
                Arguments.of(DEPLOYMENT, webDeployment, "spec.replicas", 1e12, "spec.replicas: 1.0E12 is out of int range"),
                Arguments.of(DEPLOYMENT, webDeployment, "spec.replicas", 1_000_000_000_000L, "spec.replicas: 1000000000000 is out of int range"),
                Arguments.of(DEPLOYMENT, webDeployment, "spec.replicas", 2.5, "spec.replicas: expected an integer, got a number"),
                Arguments.of(DEPLOYMENT, webDeployment, "spec.template.spec.containers[1].ports[0].hostPort", -1e10,
                        "spec.template.spec.containers[1].ports[0].hostPort: -1.0E10 is out of int range"),
                Arguments.of(DEPLOYMENT, webDeployment, "spec.template.spec.tolerations[1]", "edge",
                        "spec.template.spec.tolerations[1]: expected an object, got a string"),
                Arguments.of(DEPLOYMENT, webDeployment, "spec.template.metadata.annotations", "x",
                        "spec.template.metadata.annotations: expected an object, got a string"),
                Arguments.of(DEPLOYMENT, api, "spec.selector.matchExpressions[0].values[1]", 2L,
                        "spec.selector.matchExpressions[0].values[1]: expected a string, got an integer"),
                Arguments.of(DEPLOYMENT, api, "spec.selector.matchExpressions[1].operator", REMOVE,
                        "spec.selector.matchExpressions[1].operator: missing"),
                Arguments.of(POD, pod, "metadata", REMOVE, "metadata: missing"),
                Arguments.of(POD, pod, "metadata", "web", "metadata: expected an object, got a string"),
                Arguments.of(POD, pod, "metadata.name", null, "metadata.name: missing"),
                Arguments.of(POD, pod, "metadata.labels.app", 7L, "metadata.labels.app: expected a string, got an integer"),
                Arguments.of(POD, pod, "metadata.labels.app", null, "metadata.labels.app: expected a string, got null"),
                Arguments.of(POD, pod, "metadata.ownerReferences[0].name", REMOVE, "metadata.ownerReferences[0].name: missing"),
                Arguments.of(POD, pod, "metadata.ownerReferences[0].controller", "yes",
                        "metadata.ownerReferences[0].controller: expected a boolean, got a string"),
                Arguments.of(POD, pod, "spec.containers[0]", null, "spec.containers[0]: expected an object, got null"),
                Arguments.of(POD, pod, "spec.containers[1].ports[0].hostPort", "9443",
                        "spec.containers[1].ports[0].hostPort: expected an integer, got a string"),
                Arguments.of(POD, pod, "status.conditions", Map.of(), "status.conditions: expected an array, got an object"),
                Arguments.of(POD, pod, "status.phase", 1.5, "status.phase: expected a string, got a number"),
                Arguments.of(NODE, node, "metadata.name", REMOVE, "metadata.name: missing"),
                Arguments.of(NODE, node, "spec.unschedulable", "true", "spec.unschedulable: expected a boolean, got a string"),
                Arguments.of(NODE, node, "status.addresses[1].type", REMOVE, "status.addresses[1].type: missing"),
                Arguments.of(NODE, node, "status.addresses[2].address", null, "status.addresses[2].address: missing"),
                Arguments.of(NODE, NODES.get(2), "spec.taints[1].effect", List.of(), "spec.taints[1].effect: expected a string, got an array"),
                Arguments.of(SLICE, slice, "endpoints", "x", "endpoints: expected an array, got a string"),
                Arguments.of(SLICE, slice, "endpoints[3].addresses[1]", null, "endpoints[3].addresses[1]: expected a string, got null"),
                Arguments.of(SLICE, slice, "endpoints[0].targetRef.name", Map.of(), "endpoints[0].targetRef.name: expected a string, got an object"),
                Arguments.of(SLICE, slice, "ports[0].port", new java.math.BigInteger("99999999999999999999"),
                        "ports[0].port: 99999999999999999999 is out of int range"),
                Arguments.of(SLICE, slice, "addressType", 4L, "addressType: expected a string, got an integer"));
    }

    @Test
    void aNullTreeIsAProgrammingErrorNotARefusal() {
        assertThatThrownBy(() -> ModelMapping.pod(null)).isInstanceOf(NullPointerException.class);
    }

    // --- trees

    /** fabric8's JSON for the object, parsed to the types the lite parser produces (integers as Long). */
    static Map<String, Object> tree(Object object) {
        return normalize(JSON.unmarshal(JSON.asJson(object), Map.class));
    }

    @SuppressWarnings("unchecked")
    static <T> T normalize(Object json) {
        Object out = switch (json) {
            case Map<?, ?> m -> {
                Map<String, Object> copy = new LinkedHashMap<>();
                m.forEach((k, v) -> copy.put((String) k, normalize(v)));
                yield copy;
            }
            case List<?> l -> new ArrayList<>(l.stream().map(ModelMappingTest::normalize).toList());
            case Integer i -> i.longValue();
            case null, default -> json;
        };
        return (T) out;
    }

    /** Keeps only the whitelisted paths (a whitelisted path keeps its whole value, an explicit null included). */
    @SuppressWarnings("unchecked")
    static Map<String, Object> prune(Map<String, Object> json, String path, Set<String> fields) {
        Map<String, Object> out = new LinkedHashMap<>();
        json.forEach((key, value) -> {
            String child = path.isEmpty() ? key : path + "." + key;
            if (fields.contains(child)) {
                out.put(key, value);
            } else if (value instanceof Map<?, ?> m && fields.stream().anyMatch(f -> f.startsWith(child + "."))) {
                out.put(key, prune((Map<String, Object>) m, child, fields));
            } else if (value instanceof List<?> l && fields.stream().anyMatch(f -> f.startsWith(child + "[]."))) {
                out.put(key, l.stream().map(e -> e instanceof Map<?, ?> em ? prune((Map<String, Object>) em, child + "[]", fields) : e).toList());
            } else if (value == null && fields.stream().anyMatch(f -> f.startsWith(child + ".") || f.startsWith(child + "[]."))) {
                out.put(key, null);
            }
        });
        return out;
    }

    /** Sets (or with REMOVE, removes) the value at a path such as "spec.ports[0].port". */
    @SuppressWarnings("unchecked")
    static void mutate(Map<String, Object> tree, String path, Object value) {
        List<Object> steps = new ArrayList<>();
        for (String part : path.split("\\.")) {
            int bracket = part.indexOf('[');
            steps.add(bracket < 0 ? part : part.substring(0, bracket));
            for (String index : bracket < 0 ? new String[0] : part.substring(bracket + 1, part.length() - 1).split("\\]\\[")) {
                steps.add(Integer.parseInt(index));
            }
        }
        Object container = tree;
        for (Object step : steps.subList(0, steps.size() - 1)) {
            container = step instanceof Integer i ? ((List<Object>) container).get(i) : ((Map<String, Object>) container).get(step);
        }
        Object last = steps.getLast();
        if (last instanceof Integer i) {
            ((List<Object>) container).set(i, value);
        } else if (value == REMOVE) {
            assertThat(((Map<String, Object>) container).remove(last)).as("%s exists", path).isNotNull();
        } else {
            ((Map<String, Object>) container).put((String) last, value);
        }
    }

    static <T extends HasMetadata> List<T> mapAll(Collection<T> objects, Kind<T> kind) {
        return objects.stream().map(o -> kind.mapping().apply(tree(o))).toList();
    }

    static <T extends HasMetadata> List<T> jacksonAll(Collection<T> objects, Kind<T> kind) {
        return objects.stream().map(o -> kind.jackson(tree(o))).toList();
    }
}
