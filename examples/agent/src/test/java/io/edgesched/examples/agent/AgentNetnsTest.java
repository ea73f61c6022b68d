package io.edgesched.examples.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.NodeId;
import io.edgesched.ebpf.EbpfRequestOriginSource;
import io.edgesched.ebpf.RequiresBpf;
import io.edgesched.ebpf.netns.NetnsLab;
import io.edgesched.ebpf.netns.TcpLoadClient;
import io.edgesched.ebpf.netns.TcpSinkServer;
import io.edgesched.examples.k8s.SyntheticCluster;
import io.edgesched.k8s.report.OriginReport;
import io.edgesched.k8s.report.OriginReportPublisher;
import io.edgesched.k8s.report.OriginReportSpec.ClientDemand;
import io.edgesched.k8s.report.OriginReportSpec.WorkloadOrigins;
import io.edgesched.k8s.report.ReportLimits;
import io.edgesched.k8s.topology.ClusterSnapshot;
import io.edgesched.k8s.topology.KubernetesTopology;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The agent's pieces for real: topology from informers (mock API server) tells which port to watch, the eBPF
 * source counts real TCP from clients in a network namespace, and the publisher writes the OriginReport.
 */
@RequiresBpf
class AgentNetnsTest {
    static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");
    static final int NODE_PORT = 30080;

    NetnsLab lab;
    TcpSinkServer.Handle sink;
    KubernetesMockServer server;

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.destroy();
        }
        if (sink != null) {
            sink.close();
        }
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    void realTrafficBecomesAnOriginReportWithClientsAndNodeRtt() throws Exception {
        MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
        lab = NetnsLab.create(3, 1);
        sink = TcpSinkServer.Handle.start(lab, NODE_PORT);
        InetAddress relay = lab.clientV4().getLast(); // this client address is another node of the cluster

        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
        server.init();
        KubernetesClient client = server.createClient();
        client.nodes().resource(SyntheticCluster.node("lab-server", lab.serverV4().getHostAddress())).create();
        client.nodes().resource(SyntheticCluster.node("lab-peer", relay.getHostAddress())).create();
        client.apps().deployments().inNamespace("shop").resource(SyntheticCluster.deployment("shop", "web", 1)).create();
        client.pods().inNamespace("shop").resource(SyntheticCluster.pod("shop", "web", "a", "lab-server", "10.244.0.9")).create();
        client.services().inNamespace("shop").resource(SyntheticCluster.nodePortService("shop", "web", NODE_PORT)).create();

        NodeId self = NodeId.of("lab-server");
        KubernetesTopology topology = KubernetesTopology.start(client,
                new KubernetesTopology.Options(Set.of(), java.util.Optional.of(self)));
        topology.awaitSynced(Duration.ofSeconds(20));
        ClusterSnapshot cluster = topology.snapshot();
        List<ClientAddress> otherNodes = cluster.nodeByAddress().entrySet().stream()
                .filter(e -> !e.getValue().equals(self)).map(Map.Entry::getKey).toList();
        assertThat(otherNodes).containsExactly(ClientAddress.of(relay));

        Map<InetAddress, TcpLoadClient.SourceResult> sent = new HashMap<>();
        try (EbpfRequestOriginSource source = EbpfRequestOriginSource.builder().node(self)
                .interfaceName(lab.serverInterface()).networkNamespace(lab.serverNs()).clusterNodes(otherNodes).open()) {
            OriginReportPublisher publisher = new OriginReportPublisher(client, "edgesched", source, topology::snapshot,
                    ReportLimits.DEFAULT, Clock.systemUTC());
            assertThat(publisher.publishOnce()).isEmpty(); // watches the NodePort, takes the baseline
            assertThat(source.watched()).extracting(w -> w.port()).containsExactly(NODE_PORT);

            sent.putAll(TcpLoadClient.run(lab, lab.serverV4(), NODE_PORT, 4, 2000, lab.clientV4()));
            sent.putAll(TcpLoadClient.run(lab, lab.serverV6(), NODE_PORT, 2, 500, lab.clientV6()));
            Thread.sleep(200);
            OriginReport written = publisher.publishOnce().orElseThrow();
            assertThat(written.getStatus().forwardedPackets()).isPositive();
        }

        OriginReport stored = client.resources(OriginReport.class).inNamespace("edgesched").withName("lab-server").get();
        assertThat(stored.getSpec().node()).isEqualTo("lab-server");
        WorkloadOrigins web = stored.getSpec().workloads().stream().filter(w -> w.workload().equals("web")).findFirst()
                .orElseThrow();
        assertThat(web.namespace()).isEqualTo("shop");
        assertThat(web.port()).isEqualTo(NODE_PORT);
        Set<String> expectedClients = lab.clientV4().stream().filter(a -> !a.equals(relay))
                .map(a -> ClientAddress.of(a).toString()).collect(Collectors.toSet());
        lab.clientV6().forEach(a -> expectedClients.add(ClientAddress.of(a).toString()));
        assertThat(web.clients()).extracting(ClientDemand::prefix).containsExactlyInAnyOrderElementsOf(expectedClients);
        // the report carries the agent's one demand metric (packets by default), as its demand store counts it
        assertThat(stored.getSpec().metric()).isEqualTo("packets");
        for (ClientDemand c : web.clients()) {
            assertThat(c.ratePerSecond()).as("connection rate of %s (not the metric)", c.prefix()).isZero();
            assertThat(c.packetsPerSecond()).isPositive();
            assertThat(c.rttMicros()).as("kernel RTT of %s", c.prefix()).isPositive();
        }
        // the relaying node is not a client, but its handshake RTT is this node's RTT to it
        assertThat(stored.getSpec().nodeRtts()).singleElement().satisfies(r -> {
            assertThat(r.node()).isEqualTo("lab-peer");
            assertThat(r.rttMicros()).isPositive();
        });
        assertThat(sent).hasSize(lab.clientV4().size() + lab.clientV6().size());
    }
}
