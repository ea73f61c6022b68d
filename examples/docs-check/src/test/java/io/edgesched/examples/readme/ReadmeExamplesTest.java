package io.edgesched.examples.readme;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.MoveRequest;
import io.edgesched.api.MoveResult;
import io.edgesched.api.NodeId;
import io.edgesched.api.OriginRecord;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.OriginStats;
import io.edgesched.api.RequestOriginSource;
import io.edgesched.api.Rescheduler;
import io.edgesched.api.WatchedService;
import io.edgesched.api.WorkloadId;
import io.edgesched.api.control.Decision;
import io.edgesched.api.control.DemandInput;
import io.edgesched.api.control.PlacementController;
import io.edgesched.api.control.WarmUp;
import io.edgesched.api.demand.ServiceCatalog;
import io.edgesched.api.policy.LatencyAwarePolicy;
import io.edgesched.api.policy.StabilityConfig;
import io.edgesched.api.policy.StabilityGate;
import io.edgesched.api.policy.WorkloadSpec;
import io.edgesched.api.topology.LatencyMatrix;
import io.edgesched.api.topology.MissingLatency;
import io.edgesched.api.topology.NodeInfo;
import io.edgesched.api.topology.Placement;
import io.edgesched.api.topology.Topology;
import io.edgesched.ebpf.EbpfRequestOriginSource;
import io.edgesched.ebpf.netns.NetnsLab;
import io.edgesched.ebpf.netns.RootRequirement;
import io.edgesched.ebpf.netns.TcpLoadClient;
import io.edgesched.ebpf.netns.TcpSinkServer;
import io.edgesched.k8s.move.KubernetesRescheduler;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** The Java snippets of README.md, nearly verbatim, so the README cannot drift from the API. */
class ReadmeExamplesTest {

    /** README "Who reaches this node, from the kernel", against a veth in a namespace of our own. */
    @Test
    void originSourceSnippetPrintsRealClients() throws Exception {
        RootRequirement.assumeRoot();
        try (NetnsLab lab = NetnsLab.create(1, 0);
             TcpSinkServer.Handle _ = TcpSinkServer.Handle.start(lab, 80)) {
            ByteArrayOutputStream buffer = new ByteArrayOutputStream();
            PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8);
            // --- README (the namespace line is the only addition; System.out -> out) ---
            try (EbpfRequestOriginSource source = EbpfRequestOriginSource.builder()
                    .node(NodeId.of("edge-1"))
                    .interfaceName(lab.serverInterface())       // the node's uplink
                    .networkNamespace(lab.serverNs())
                    .clientTableSize(65536)                     // bounded LRU table; evictions are counted
                    .clusterNodes(List.of(ClientAddress.parse("192.0.2.11")))   // traffic relayed by other nodes
                    .open()) {                                  // loads origin.bpf.o from the jar, attaches tc ingress + egress
                source.watch(WatchedService.port(80));
                TcpLoadClient.run(lab, lab.serverV4(), 80, 3, 100, lab.clientV4());
                OriginSnapshot snapshot = source.snapshot();    // cumulative counters, one batch map read
                for (OriginRecord r : snapshot.records()) {
                    out.printf("%s -> :%d %d conns, rtt %s us%n",
                            r.client(), r.localPort(), r.connections(), r.rtt().isPresent() ? r.rtt().getAsLong() : "?");
                }
                out.println("overflow: " + snapshot.stats().clientTableFull());
            }   // close() detaches both filters (and the clsact qdisc only if it created it)
            // --- end README ---
            String client = ClientAddress.of(lab.clientV4().getFirst()).toString();
            assertThat(buffer.toString(StandardCharsets.UTF_8))
                    .contains(client + " -> :80 3 conns, rtt ")
                    .contains("overflow: 0");
            assertThat(lab.execIn(lab.serverNs(), "tc", "filter", "show", "dev", lab.serverInterface(), "ingress"))
                    .doesNotContain("origin");
        }
    }

    /** README "Deciding and moving": builds and runs with an in-memory source and topology. */
    @Test
    void controllerSnippetDecidesAndExplains() throws Exception {
        WorkloadId web = WorkloadId.of("shop", "web");
        NodeId edge = NodeId.of("edge-1");
        NodeId cloud = NodeId.of("cloud-1");
        RequestOriginSource source = new FixedSource(edge, List.of(new OriginRecord(80, 80,
                ClientAddress.parse("198.51.100.7"), 500, 5000, 500_000, 2_000, 50, 1, 2, false)));
        AtomicReference<Topology> cluster = new AtomicReference<>(new Topology(
                List.of(NodeInfo.ready(edge), NodeInfo.ready(cloud)),
                LatencyMatrix.builder(List.of(edge, cloud)).measureBoth(edge, cloud, 60_000).build(MissingLatency.UNKNOWN),
                List.of(Placement.of(web, cloud))));
        ConcurrentLinkedQueue<MoveRequest> moves = new ConcurrentLinkedQueue<>();
        Rescheduler rescheduler = request -> {
            moves.add(request);
            return CompletableFuture.completedFuture(new MoveResult.Done(request, Duration.ZERO));
        };
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8);

        // --- README (System.out -> out) ---
        PlacementController controller = PlacementController.builder()
                .demand(DemandInput.fromSources(List.of(source)), ServiceCatalog.byServiceId(Map.of(80, web)))
                .topology(cluster::get)                              // nodes, health, latency matrix, placements
                .workloads(List.of(WorkloadSpec.of(web, 1)))
                .policy(new LatencyAwarePolicy())                    // demand x (client RTT + forwarding hop)
                .gate(new StabilityGate(StabilityConfig.defaults(), InstantSource.system()))
                .rescheduler(rescheduler)                            // e.g. KubernetesRescheduler, or dryRun(true)
                .build();
        controller.warmUp(WarmUp.Shape.defaults());                  // optional: compile the round's code first
        controller.start();                                          // every interval, and on trigger()
        // --- end README ---
        try (controller) {
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (controller.lastDecision(web).isEmpty()) {
                assertThat(System.nanoTime()).as("no decision").isLessThan(deadline);
                controller.trigger();
                Thread.sleep(20);
            }
            controller.lastDecision(web).ifPresent(out::println); // every decision explains itself
        }
        Decision decision = controller.lastDecision(web).orElseThrow();
        assertThat(decision.workload()).isEqualTo(web);
        assertThat(buffer.toString(StandardCharsets.UTF_8)).contains("shop/web");
    }

    /** README's KubernetesRescheduler snippet against the CRUD mock: a Deployment that does not exist is refused. */
    @Test
    void kubernetesSnippetCompilesAndRefusesWhatItDoesNotManage() throws Exception {
        java.util.logging.Logger.getLogger("io.fabric8.mockwebserver").setLevel(java.util.logging.Level.WARNING);
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        server.init();
        try {
            Supplier<KubernetesClient> clientBuilder = server::createClient;  // README: new KubernetesClientBuilder().build()
            // --- README ---
            try (KubernetesClient client = clientBuilder.get();
                 KubernetesRescheduler mover = KubernetesRescheduler.builder(client)
                         .allowedNamespaces(Set.of("shop")).rolloutTimeout(Duration.ofMinutes(5)).build()) {
                MoveResult result = mover.move(MoveRequest.of(WorkloadId.of("shop", "web"), Set.of(NodeId.of("cloud-1")),
                        Set.of(NodeId.of("edge-1")), "clients moved to edge-1", 40_000, Instant.now())).join();
                // --- end README ---
                assertThat(result).isInstanceOf(MoveResult.Refused.class);
            }
        } finally {
            server.destroy();
        }
    }

    private record FixedSource(NodeId node, List<OriginRecord> records) implements RequestOriginSource {
        @Override
        public void watch(WatchedService service) {
        }

        @Override
        public void unwatch(int serviceId) {
        }

        @Override
        public Set<WatchedService> watched() {
            return Set.of(WatchedService.port(80));
        }

        @Override
        public OriginSnapshot snapshot() {
            return new OriginSnapshot(node, Instant.now(), System.nanoTime(), 1, records, OriginStats.EMPTY);
        }

        @Override
        public void close() {
        }
    }
}
