package io.edgesched.examples.readme;

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
import io.edgesched.api.control.PlacementController;
import io.edgesched.api.control.SnapshotInbox;
import io.edgesched.api.demand.DemandConfig;
import io.edgesched.api.demand.DemandStore;
import io.edgesched.api.demand.ServiceCatalog;
import io.edgesched.api.policy.LatencyAwarePolicy;
import io.edgesched.api.policy.PlacementInput;
import io.edgesched.api.policy.PlacementPlan;
import io.edgesched.api.policy.PlacementPolicy;
import io.edgesched.api.policy.PolicyConfig;
import io.edgesched.api.policy.StabilityConfig;
import io.edgesched.api.policy.StabilityGate;
import io.edgesched.api.policy.WorkloadDecision;
import io.edgesched.api.policy.WorkloadSpec;
import io.edgesched.api.topology.LatencyMatrix;
import io.edgesched.api.topology.MissingLatency;
import io.edgesched.api.topology.NodeInfo;
import io.edgesched.api.topology.Placement;
import io.edgesched.api.topology.Topology;
import io.edgesched.ebpf.EbpfRequestOriginSource;
import io.edgesched.ebpf.OriginClientCopier;
import io.edgesched.ebpf.OriginMapLayouts;
import io.edgesched.ebpf.PinnedOriginReader;
import io.edgesched.ebpf.TcpFrames;
import io.edgesched.ebpf.libbpf.BpfMap;
import io.edgesched.ebpf.libbpf.BpfObject;
import io.edgesched.ebpf.libbpf.BpfProgram;
import io.edgesched.ebpf.libbpf.MapSnapshotReader;
import io.edgesched.ebpf.libbpf.NetworkNamespaces;
import io.edgesched.ebpf.libbpf.TcAttachment;
import io.edgesched.ebpf.libbpf.TcDirection;
import io.edgesched.ebpf.libbpf.UpdateFlag;
import io.edgesched.k8s.controller.ReportDrivenController;
import io.edgesched.k8s.leader.Leadership;
import io.edgesched.k8s.metrics.EdgeschedMetrics;
import io.edgesched.k8s.move.KubernetesRescheduler;
import io.edgesched.k8s.report.OriginReportWatcher;
import io.edgesched.k8s.topology.KubernetesTopology;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Java snippets of docs/*.md, nearly verbatim (marked "..." parts filled in), so that the docs cannot drift
 * from the API: this compiles with the test sources; {@link DocsExamplesTest} runs the cheap ones.
 */
final class DocsSnippets {
    private static final Logger log = LoggerFactory.getLogger(DocsSnippets.class);

    private DocsSnippets() {
    }

    /** docs/binding.md, first snippet. */
    static void bindingSnapshot(byte[] configBytes) {
        class MyAgent {
        }
        try (BpfObject obj = BpfObject.openResource(MyAgent.class, "/io/edgesched/ebpf/bpf/origin.bpf.o")) {
            obj.map("origin_clients").setMaxEntries(131072);       // before load
            obj.map(".rodata").setInitialValue(configBytes);        // const volatile globals
            obj.load();                                             // VerifierException carries the verifier log

            BpfMap clients = obj.map("origin_clients");
            try (MapSnapshotReader reader = clients.snapshotReader()) {   // buffers for max_entries, reused
                int n = reader.read();                                     // one BPF_MAP_LOOKUP_BATCH call
                for (int i = 0; i < n; i++) {
                    MemorySegment key = reader.key(i), value = reader.value(i);
                }
            }
        }
    }

    /** docs/binding.md, pinning. */
    static void bindingPin(BpfObject obj) {
        obj.map("origin_clients").pin("/sys/fs/bpf/edgesched/origin_clients");   // or setPinPath(...) before load
        try (BpfMap clients = BpfMap.openPinned("/sys/fs/bpf/edgesched/origin_clients")) {
            clients.name();
        }
    }

    /** docs/binding.md, tc attach and namespaces. */
    static void bindingAttach(BpfObject obj, BpfProgram prog) {
        try (TcAttachment in = TcAttachment.attach(obj.program("origin_ingress"), "eth0", TcDirection.INGRESS);
             TcAttachment out = TcAttachment.attach(obj.program("origin_egress"), "eth0", TcDirection.EGRESS)) {
            in.toString();
        }

        TcAttachment edge = NetworkNamespaces.runIn("edge1",
                () -> TcAttachment.attach(prog, "veth-edge1", TcDirection.INGRESS));
        edge.close();   // detaches inside "edge1", from any thread
    }

    /** docs/bpf.md: load, watch a port, BPF_PROG_TEST_RUN one SYN. */
    static void bpfTestRun() {
        try (BpfObject obj = BpfObject.openResource(OriginMapLayouts.class, OriginMapLayouts.OBJECT_RESOURCE)) {
            obj.map(OriginMapLayouts.CLIENTS_MAP).setMaxEntries(131072);          // optional, before load
            obj.load();
            // watch port 8080 on every address, service id 7, both families
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment port = arena.allocate(OriginMapLayouts.PORT_KEY);
                port.set(OriginMapLayouts.PORT_KEY, 0, 8080);
                MemorySegment watch = arena.allocate(OriginMapLayouts.PORT_VALUE);
                OriginMapLayouts.PORT_FLAGS.set(watch, 0L, OriginMapLayouts.PORT_ANY_IPV4 | OriginMapLayouts.PORT_ANY_IPV6);
                OriginMapLayouts.PORT_WILDCARD_SERVICE_ID_IPV4.set(watch, 0L, 7);
                OriginMapLayouts.PORT_WILDCARD_SERVICE_ID_IPV6.set(watch, 0L, 7);
                obj.map(OriginMapLayouts.PORTS_MAP).update(port, watch, UpdateFlag.ANY);
            }
            // try a frame without any network: BPF_PROG_TEST_RUN
            byte[] syn = TcpFrames.tcp("198.51.100.7", 40000, "192.0.2.10", 8080).flags(TcpFrames.SYN).build();
            obj.program(OriginMapLayouts.INGRESS_PROGRAM).testRun(syn, 1);
        }
    }

    /** A settable clock, as docs/controller.md assumes ("MutableClock clock = ...;"). */
    static final class MutableClock implements InstantSource {
        private Instant now = Instant.parse("2026-01-01T00:00:00Z");

        @Override
        public synchronized Instant instant() {
            return now;
        }

        synchronized void advance(Duration by) {
            now = now.plus(by);
        }
    }

    /** docs/controller.md: the controller with an inbox and a fake rescheduler; returns the last decision. */
    static Decision controllerExample(List<String> printed) {
        NodeId edgeA = NodeId.of("edge-a");
        NodeId edgeB = NodeId.of("edge-b");
        WorkloadId web = WorkloadId.of("default", "web");
        MutableClock clock = new MutableClock();   // any java.time.InstantSource; InstantSource.system() in production

        // The cluster: two nodes 8 ms apart, web runs on edge-a.
        LatencyMatrix latency = LatencyMatrix.builder(List.of(edgeA, edgeB))
                .measureBoth(edgeA, edgeB, 8_000).build(MissingLatency.SYMMETRIC);
        AtomicReference<Topology> cluster = new AtomicReference<>(new Topology(
                List.of(NodeInfo.ready(edgeA), NodeInfo.ready(edgeB)), latency, List.of(Placement.of(web, edgeA))));

        // A fake rescheduler: "moves" by updating the topology at once.
        Rescheduler rescheduler = request -> {
            cluster.updateAndGet(t -> t.withPlacement(Placement.of(request.workload(), request.targetNodes())));
            return CompletableFuture.completedFuture(new MoveResult.Done(request, Duration.ZERO));
        };

        // Node reports arrive in an inbox; service id 8080 is web on every node.
        SnapshotInbox inbox = new SnapshotInbox();
        PlacementController controller = PlacementController.builder()
                .demand(inbox, ServiceCatalog.byServiceId(Map.of(8080, web)))
                .topology(cluster::get)
                .workloads(List.of(WorkloadSpec.of(web, 1)))
                .policy(new LatencyAwarePolicy())
                .gate(new StabilityGate(StabilityConfig.defaults(), clock))
                .rescheduler(rescheduler)
                .clock(clock)
                .listener(decision -> printed.add(String.valueOf(decision)))
                .build();
        // In a service: inbox.onChange(controller::trigger); controller.start(); ... controller.close();

        // edge-b sees a client 3 ms away, twice, 10 s apart (rates need two readings).
        ClientAddress client = ClientAddress.parse("198.51.100.7");
        for (int i = 1; i <= 2; i++) {
            OriginRecord record = new OriginRecord(8080, 8080, client, 100L * i, 1000L * i, 100_000L * i,
                    3_000, 10, 1, i * 10_000_000_000L, false);
            inbox.offer(new OriginSnapshot(edgeB, clock.instant(), i * 10_000_000_000L, 1, List.of(record),
                    OriginStats.EMPTY));
            controller.reconcileOnce();
            clock.advance(Duration.ofSeconds(10));
        }
        Decision decision = controller.lastDecision(web).orElseThrow();
        controller.close();
        printed.add("placement now " + cluster.get());
        return decision;
    }

    /** docs/engine.md: the engine pieces without the controller. */
    static PlacementPlan engineExample(Collection<RequestOriginSource> sources, InstantSource clock,
                                      Collection<NodeId> nodeIds, Collection<NodeInfo> nodeInfos, Rescheduler rescheduler) {
        ServiceCatalog catalog = ServiceCatalog.byPort(Map.of(30080, WorkloadId.of("shop", "web")));
        DemandStore demand = new DemandStore(catalog, DemandConfig.defaults().withPrefixes(24, 56));
        for (RequestOriginSource source : sources) {
            demand.ingest(source.snapshot());
        }
        Instant now = clock.instant();
        demand.maintain(now);

        LatencyMatrix latency = LatencyMatrix.builder(nodeIds)
                .measureBoth(NodeId.of("edge-a"), NodeId.of("edge-b"), 1800)   // µs round trip
                .build(MissingLatency.SYMMETRIC_THEN_TRIANGLE);
        Topology topology = new Topology(nodeInfos, latency,
                List.of(Placement.of(WorkloadId.of("shop", "web"), NodeId.of("edge-a"))));

        StabilityGate gate = new StabilityGate(StabilityConfig.defaults(), clock);   // keep across rounds
        PlacementPolicy policy = new LatencyAwarePolicy(PolicyConfig.defaults());
        PlacementPlan plan = policy.plan(PlacementInput.of(now, topology, demand.view(now),
                List.of(WorkloadSpec.of(WorkloadId.of("shop", "web"), 2).withSpread("topology.kubernetes.io/zone", 1)),
                gate));
        for (WorkloadDecision d : plan.decisions()) {
            log.debug("{}", d);   // reason, current -> target, costs, cheapest candidates
        }
        gate.record(plan);                           // commit the moves you execute
        plan.moveRequests().forEach(rescheduler::move);
        return plan;
    }

    /** docs/k8s-move.md. */
    static void k8sMove() {
        KubernetesClient client = new KubernetesClientBuilder().build();
        KubernetesRescheduler mover = KubernetesRescheduler.builder(client)
                .allowedNamespaces(List.of("edge"))          // default: none, every move is refused
                .optIn("edgesched.io/managed", "true")       // the default; label or annotation
                .rolloutTimeout(Duration.ofMinutes(5))       // default
                .stuckGrace(Duration.ofSeconds(10))          // default: how long a new pod may stay Unschedulable
                .build();

        MoveResult r = mover.move(MoveRequest.of(WorkloadId.of("edge", "web"),
                Set.of(NodeId.of("edge-a")), Set.of(NodeId.of("edge-b")),
                "73% of requests now arrive at edge-b", 1850.0, Instant.now())).toCompletableFuture().join();
        switch (r) {
            case MoveResult.Done d -> log.info("moved in {}", d.took());
            case MoveResult.Refused x -> log.info("not moved: {}", x.reason());
            case MoveResult.Failed f -> log.warn("move failed (rolled back: {}): {}", f.rolledBack(), f.reason());
        }
    }

    /** docs/k8s-move.md, "Leader election". */
    static Leadership k8sLeadership(KubernetesClient client, KubernetesRescheduler mover, KubernetesTopology topology,
                                    OriginReportWatcher reports, EdgeschedMetrics metrics,
                                    ReportDrivenController.Settings settings) {
        Leadership leadership = Leadership.builder(client)
                .lease("edgesched", "edgesched-controller")
                // .identity("ctl-1")                        // default: POD_NAME or HOSTNAME + random suffix
                .timing(Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(2)) // defaults
                .whileLeading(() -> {                        // on becoming leader: start the loops, return what stops them
                    mover.resumeUnfinishedMoves();           // finish what an earlier leader left (see above)
                    return ReportDrivenController.start(topology, reports, mover, metrics, settings, Clock.systemUTC());
                })
                .onLost(() -> System.exit(1))                // the loops are already stopped; restart as a clean standby
                .build()
                .start();
        // shutdown: leadership.close() stops the loops, then releases the Lease
        return leadership;
    }

    /** docs/perf.md. */
    static int perfCopier(BpfMap clientsMap) {
        try (OriginClientCopier copier = OriginClientCopier.open(clientsMap)) {   // any origin_clients map
            int n = copier.copy();                                                // one system call
            MemorySegment rows = copier.entries();   // n x OriginMapLayouts.CLIENT_ENTRY (key 24 B + value 80 B)
            return n;
        }
    }

    /** docs/source.md, the source. */
    static void sourceExample() {
        try (EbpfRequestOriginSource source = EbpfRequestOriginSource.builder()
                .node(NodeId.of("edge-1"))
                .interfaceName("eth0")                       // the node's uplink
                .clientTableSize(65536)                      // kernel LRU entries; beyond it the oldest client is evicted
                .clusterNodes(List.of(ClientAddress.parse("192.0.2.11")))  // their traffic is marked forwarded
                .pinDirectory(Path.of("/sys/fs/bpf/edgesched/eth0"))       // optional: other processes may read
                .open()) {                                   // loads origin.bpf.o from the jar, attaches ingress+egress
            source.watch(WatchedService.port(80));           // any local address, IPv4 and IPv6
            source.watch(new WatchedService(7, "api", Optional.of(ClientAddress.parse("10.0.0.5")), 8443));
            OriginSnapshot snapshot = source.snapshot();     // cumulative counters
            for (OriginRecord r : snapshot.records()) {
                long ageNanos = snapshot.monotonicNanos() - r.lastSeenNanos();
                System.out.println(r.client() + " -> :" + r.localPort() + " " + r.connections() + " conns, rtt "
                        + r.rtt().orElse(-1) + " us");
            }
        }   // close(): detaches both filters (and the clsact qdisc if it created it), removes the pins
    }

    /** docs/source.md, the pinned reader. */
    static OriginSnapshot pinnedReader() {
        try (PinnedOriginReader reader = PinnedOriginReader.open(Path.of("/sys/fs/bpf/edgesched/eth0"), NodeId.of("edge-1"))) {
            OriginSnapshot snapshot = reader.snapshot();
            return snapshot;
        }
    }
}
