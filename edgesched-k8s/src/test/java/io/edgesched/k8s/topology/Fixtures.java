package io.edgesched.k8s.topology;

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
import java.util.Map;

/** Small builders for the API objects topology tests need (the mock server runs no controllers). */
public final class Fixtures {
    private Fixtures() {
    }

    /** Held so the level sticks (JUL keeps loggers weakly); the mock server logs every request at INFO. */
    private static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

    /** Call from a test class's static initializer to quiet the mock server's request log. */
    public static void quietMockServer() {
        MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
    }

    public static Node node(String name, String internalIp, boolean ready) {
        return new NodeBuilder().withNewMetadata().withName(name).addToLabels("topology.kubernetes.io/zone", "z-" + name)
                .addToLabels("kubernetes.io/hostname", name).endMetadata()
                .withNewSpec().endSpec()
                .withNewStatus()
                .addNewAddress().withType("InternalIP").withAddress(internalIp).endAddress()
                .addNewAddress().withType("Hostname").withAddress(name).endAddress()
                .addNewCondition().withType("Ready").withStatus(ready ? "True" : "False").endCondition()
                .endStatus().build();
    }

    public static Deployment deployment(String ns, String name, boolean managed, int replicas) {
        DeploymentBuilder b = new DeploymentBuilder().withNewMetadata().withNamespace(ns).withName(name).endMetadata();
        if (managed) {
            b.editMetadata().addToLabels(ClusterSnapshot.MANAGED_LABEL, "true").endMetadata();
        }
        return b.withNewSpec().withReplicas(replicas)
                .withNewSelector().addToMatchLabels("app", name).endSelector()
                .withNewTemplate().withNewMetadata().addToLabels("app", name).addToLabels("tier", "web").endMetadata()
                .withNewSpec().addNewContainer().withName("c").withImage("nginx").addNewPort().withContainerPort(8080).endPort()
                .endContainer().endSpec().endTemplate().endSpec().build();
    }

    /** A running, ready pod of the deployment on the node, owned through a ReplicaSet like the real controller does. */
    public static Pod pod(String ns, String deployment, String suffix, String node, String podIp) {
        String hash = "5d9f7c";
        return new PodBuilder().withNewMetadata().withNamespace(ns).withName(deployment + "-" + hash + "-" + suffix)
                .addToLabels("app", deployment).addToLabels("tier", "web").addToLabels("pod-template-hash", hash)
                .addNewOwnerReference().withApiVersion("apps/v1").withKind("ReplicaSet").withName(deployment + "-" + hash)
                .withUid("rs-uid").withController(true).endOwnerReference()
                .endMetadata()
                .withNewSpec().withNodeName(node).addNewContainer().withName("c").withImage("nginx")
                .addNewPort().withContainerPort(8080).endPort().endContainer().endSpec()
                .withNewStatus().withPhase("Running").withPodIP(podIp)
                .addNewCondition().withType("Ready").withStatus("True").endCondition().endStatus().build();
    }

    public static Service nodePortService(String ns, String name, Map<String, String> selector, int port, int nodePort) {
        return new ServiceBuilder().withNewMetadata().withNamespace(ns).withName(name).endMetadata()
                .withNewSpec().withType("NodePort").withSelector(selector)
                .addNewPort().withProtocol("TCP").withPort(port).withNodePort(nodePort).endPort().endSpec().build();
    }

    public static EndpointSlice slice(String ns, String service, String podName, String node, String podIp, int port) {
        return new EndpointSliceBuilder().withNewMetadata().withNamespace(ns).withName(service + "-abc")
                .addToLabels("kubernetes.io/service-name", service).endMetadata()
                .withAddressType("IPv4")
                .addNewEndpoint().withAddresses(podIp).withNodeName(node)
                .withNewTargetRef().withKind("Pod").withNamespace(ns).withName(podName).endTargetRef().endEndpoint()
                .addNewPort().withName("http").withProtocol("TCP").withPort(port).endPort().build();
    }
}
