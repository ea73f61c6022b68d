package io.edgesched.examples.k8s;

import io.edgesched.k8s.report.OriginReport;
import io.edgesched.k8s.report.OriginReportSpec;
import io.edgesched.k8s.report.OriginReportSpec.ClientDemand;
import io.edgesched.k8s.report.OriginReportSpec.NodeRtt;
import io.edgesched.k8s.report.OriginReportSpec.OtherClients;
import io.edgesched.k8s.report.OriginReportSpec.WorkloadOrigins;
import io.edgesched.k8s.topology.ClusterSnapshot;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import java.time.Instant;
import java.util.List;

/** API objects for benchmarks that run against the CRUD mock or on plain objects (no cluster here). */
public final class SyntheticCluster {
    private SyntheticCluster() {
    }

    public static Node node(String name, String internalIp) {
        return new NodeBuilder().withNewMetadata().withName(name).addToLabels("kubernetes.io/hostname", name).endMetadata()
                .withNewSpec().endSpec()
                .withNewStatus().addNewAddress().withType("InternalIP").withAddress(internalIp).endAddress()
                .addNewCondition().withType("Ready").withStatus("True").endCondition().endStatus().build();
    }

    /** An opted-in Deployment (RollingUpdate, maxUnavailable 0) with a status that says its rollout settled. */
    public static Deployment deployment(String ns, String name, int replicas) {
        return new DeploymentBuilder().withNewMetadata().withNamespace(ns).withName(name)
                .addToLabels(ClusterSnapshot.MANAGED_LABEL, "true").withGeneration(1L).endMetadata()
                .withNewSpec().withReplicas(replicas)
                .withNewSelector().addToMatchLabels("app", name).endSelector()
                .withNewStrategy().withType("RollingUpdate").withNewRollingUpdate()
                .withNewMaxSurge(1).withNewMaxUnavailable(0).endRollingUpdate().endStrategy()
                .withNewTemplate().withNewMetadata().addToLabels("app", name).endMetadata()
                .withNewSpec().addNewContainer().withName("web").withImage("nginx").addNewPort().withContainerPort(8080).endPort()
                .endContainer().endSpec().endTemplate().endSpec()
                .withNewStatus().withObservedGeneration(1L).withReplicas(replicas).withUpdatedReplicas(replicas)
                .withReadyReplicas(replicas).withAvailableReplicas(replicas).endStatus().build();
    }

    /** A running, ready pod of the deployment, owned through a ReplicaSet as the real controller does it. */
    public static Pod pod(String ns, String deployment, String suffix, String node, String podIp) {
        String hash = "6b7c9d";
        return new PodBuilder().withNewMetadata().withNamespace(ns).withName(deployment + "-" + hash + "-" + suffix)
                .addToLabels("app", deployment).addToLabels("pod-template-hash", hash)
                .addNewOwnerReference().withApiVersion("apps/v1").withKind("ReplicaSet").withName(deployment + "-" + hash)
                .withUid(deployment + "-rs").withController(true).endOwnerReference().endMetadata()
                .withNewSpec().withNodeName(node).addNewContainer().withName("web").withImage("nginx").endContainer().endSpec()
                .withNewStatus().withPhase("Running").withPodIP(podIp)
                .addNewCondition().withType("Ready").withStatus("True").endCondition().endStatus().build();
    }

    public static Service nodePortService(String ns, String name, int nodePort) {
        return new ServiceBuilder().withNewMetadata().withNamespace(ns).withName(name).endMetadata()
                .withNewSpec().withType("NodePort").addToSelector("app", name)
                .addNewPort().withProtocol("TCP").withPort(80).withNodePort(nodePort).endPort().endSpec().build();
    }

    /** A report of one node: the given workloads with {@code clientsPerWorkload} prefixes each. */
    public static OriginReport report(String namespace, String node, Instant at, List<WorkloadOrigins> workloads,
                                      List<NodeRtt> nodeRtts) {
        OriginReport r = new OriginReport();
        r.setMetadata(new ObjectMetaBuilder().withName(node).withNamespace(namespace).build());
        r.setSpec(new OriginReportSpec(node, at.toString(), 10, workloads, nodeRtts));
        return r;
    }

    public static WorkloadOrigins demand(String ns, String workload, int port, double packetsPerSecond, long rttMicros,
                                         int clients, int prefixSeed) {
        List<ClientDemand> list = new java.util.ArrayList<>(clients);
        for (int i = 0; i < clients; i++) {
            int x = prefixSeed * 7919 + i;
            list.add(new ClientDemand("10." + ((x >> 8) & 255) + "." + (x & 255) + ".0/24", 3, packetsPerSecond / 100,
                    packetsPerSecond / clients, packetsPerSecond * 120 / clients, rttMicros + i));
        }
        return new WorkloadOrigins(workload, ns, port, list, new OtherClients(clients, 0.1, 1, 100));
    }
}
