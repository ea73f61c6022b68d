package io.edgesched.examples.embedded;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.NodeId;
import io.edgesched.api.OriginRecord;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.Rescheduler;
import io.edgesched.api.WatchedService;
import io.edgesched.api.WorkloadId;
import io.edgesched.api.control.Decision;
import io.edgesched.api.control.PlacementController;
import io.edgesched.api.control.RoundReport;
import io.edgesched.api.control.SnapshotInbox;
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
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Latency-aware placement inside an app's own process: the kernel tells it who its clients are (an
 * {@link EbpfRequestOriginSource} on the node's uplink), a {@link PlacementController} decides whether the app
 * should run elsewhere, and a {@link Rescheduler} moves it (or, in dry run, the decision only says it would).
 */
public final class EmbeddedPlacement implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPlacement.class);

    /** A node this app may move to: its address (its relayed traffic comes from there) and RTT from us. */
    public record Peer(NodeId node, ClientAddress address, Duration rtt) {
        public Peer {
            Objects.requireNonNull(node, "node");
            Objects.requireNonNull(address, "address");
            if (rtt.isNegative()) {
                throw new IllegalArgumentException("peer " + node + ": rtt must be >= 0, got " + rtt);
            }
        }
    }

    /** One client of this app as the kernel counted it, and where it entered the cluster. */
    public record ClientView(ClientAddress client, int port, NodeId entryNode, long connections, long packets,
                             long bytes, Optional<Long> rttMicros) {
    }

    private final NodeId self;
    private final WorkloadId workload;
    private final int port;
    private final EbpfRequestOriginSource source;
    private final EntryNodes entries;
    private final SnapshotInbox inbox = new SnapshotInbox();
    private final PlacementController controller;
    private final AtomicReference<Topology> topology;
    private final AtomicReference<OriginSnapshot> lastSnapshot = new AtomicReference<>();
    private final ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name("embedded-placement").unstarted(r));

    private EmbeddedPlacement(Builder b) {
        this.self = b.self;
        this.workload = b.workload;
        this.port = b.port;
        Map<ClientAddress, NodeId> peersByAddress = new LinkedHashMap<>();
        List<NodeInfo> nodes = new ArrayList<>(List.of(NodeInfo.ready(self)));
        List<NodeId> ids = new ArrayList<>(List.of(self));
        for (Peer p : b.peers) {
            peersByAddress.put(p.address(), p.node());
            nodes.add(NodeInfo.ready(p.node()));
            ids.add(p.node());
        }
        LatencyMatrix.Builder latency = LatencyMatrix.builder(ids);
        for (Peer p : b.peers) {
            latency.measureBoth(self, p.node(), p.rtt().toNanos() / 1000.0);
        }
        this.topology = new AtomicReference<>(new Topology(nodes,
                latency.build(MissingLatency.SYMMETRIC_THEN_TRIANGLE), List.of(Placement.of(workload, self))));
        this.entries = new EntryNodes(self, peersByAddress);
        EbpfRequestOriginSource.Builder sb = EbpfRequestOriginSource.builder().node(self).interfaceName(b.uplink)
                .clusterNodes(peersByAddress.keySet());
        if (b.networkNamespace != null) {
            sb.networkNamespace(b.networkNamespace);
        }
        this.source = sb.open();
        EbpfRequestOriginSource opened = source;
        try {
            opened.watch(WatchedService.of(port, workload.toString(), port));
            Rescheduler mover = b.rescheduler != null ? b.rescheduler : request -> CompletableFuture.failedFuture(
                    new IllegalStateException("no rescheduler configured; run in dry-run mode"));
            Rescheduler tracked = request -> mover.move(request).whenComplete((result, error) -> {
                if (result != null && result.isDone()) {
                    topology.updateAndGet(t -> t.withPlacement(Placement.of(request.workload(), request.targetNodes())));
                }
            });
            this.controller = PlacementController.builder()
                    .demand(inbox, ServiceCatalog.byServiceId(Map.of(port, workload)))
                    .topology(topology::get)
                    .workloads(List.of(WorkloadSpec.of(workload, 1)))
                    .policy(new LatencyAwarePolicy())
                    .gate(new StabilityGate(b.stability, b.clock))
                    .rescheduler(tracked)
                    .dryRun(b.dryRun)
                    .clock(b.clock)
                    .listener(d -> LOG.info("{}", d))
                    .build();
        } catch (RuntimeException e) {
            opened.close();
            throw e;
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Reads the kernel counters once, hands them to the controller, and runs one decision round. */
    public synchronized RoundReport refresh() {
        OriginSnapshot snapshot = source.snapshot();
        lastSnapshot.set(snapshot);
        for (OriginSnapshot perEntry : entries.split(snapshot)) {
            inbox.offer(perEntry);
        }
        return controller.reconcileOnce();
    }

    /** {@link #refresh()} every {@code interval} until {@link #close()}; a failed round is logged and retried. */
    public EmbeddedPlacement start(Duration interval) {
        poller.scheduleWithFixedDelay(() -> {
            try {
                refresh();
            } catch (RuntimeException e) {
                LOG.warn("placement refresh failed (retrying in {}): {}", interval, e.toString());
            }
        }, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    /** This app's clients from the last refresh, most connections first. */
    public List<ClientView> clients() {
        OriginSnapshot snapshot = lastSnapshot.get();
        if (snapshot == null) {
            return List.of();
        }
        List<ClientView> out = new ArrayList<>();
        for (OriginRecord r : snapshot.records()) {
            if (r.localPort() != port) {
                continue;
            }
            entries.entryOf(r).ifPresent(entry -> out.add(new ClientView(r.client(), r.localPort(), entry,
                    r.connections(), r.packets(), r.bytes(),
                    r.rtt().isPresent() ? Optional.of(r.rtt().getAsLong()) : Optional.empty())));
        }
        out.sort((a, b) -> Long.compare(b.connections(), a.connections()));
        return out;
    }

    /** Relayed records left out of the demand because their source is no configured peer (cumulative). */
    public long relayedFromUnknownNodes() {
        return entries.relayedFromUnknownNodes();
    }

    public Optional<Decision> lastDecision() {
        return controller.lastDecision(workload);
    }

    public Placement placement() {
        return topology.get().placement(workload);
    }

    public NodeId node() {
        return self;
    }

    public WorkloadId workload() {
        return workload;
    }

    public boolean isDryRun() {
        return controller.isDryRun();
    }

    @Override
    public void close() {
        poller.shutdownNow();
        try {
            controller.close();
        } finally {
            source.close();
        }
    }

    public static final class Builder {
        private NodeId self;
        private String uplink;
        private String networkNamespace;
        private WorkloadId workload;
        private int port;
        private final List<Peer> peers = new ArrayList<>();
        private Rescheduler rescheduler;
        private boolean dryRun = true;
        private StabilityConfig stability = StabilityConfig.defaults();
        private InstantSource clock = InstantSource.system();

        private Builder() {
        }

        /** The node this app runs on now. */
        public Builder node(NodeId node) {
            this.self = node;
            return this;
        }

        /** The node's uplink, where clients' packets arrive. */
        public Builder uplink(String interfaceName) {
            this.uplink = interfaceName;
            return this;
        }

        /** Attach inside this network namespace ({@code ip netns} name) instead of the caller's. */
        public Builder networkNamespace(String name) {
            this.networkNamespace = name;
            return this;
        }

        /** The workload this app is, and the TCP port it serves. */
        public Builder serving(WorkloadId workload, int port) {
            this.workload = workload;
            this.port = port;
            return this;
        }

        public Builder peer(Peer peer) {
            peers.add(peer);
            return this;
        }

        /** Who moves the app; only called when {@link #dryRun(boolean)} is false. */
        public Builder rescheduler(Rescheduler rescheduler) {
            this.rescheduler = rescheduler;
            return this;
        }

        /** True (the default): decisions say WOULD_MOVE and nothing is moved. */
        public Builder dryRun(boolean dryRun) {
            this.dryRun = dryRun;
            return this;
        }

        public Builder stability(StabilityConfig stability) {
            this.stability = stability;
            return this;
        }

        public Builder clock(InstantSource clock) {
            this.clock = clock;
            return this;
        }

        /** Loads and attaches the eBPF programs; the caller closes the result. */
        public EmbeddedPlacement open() {
            Objects.requireNonNull(self, "node");
            Objects.requireNonNull(uplink, "uplink");
            Objects.requireNonNull(workload, "serving(workload, port)");
            if (port <= 0 || port > 65535) {
                throw new IllegalArgumentException("port must be 1..65535, got " + port);
            }
            if (!dryRun && rescheduler == null) {
                throw new IllegalStateException("moves are on (dryRun false) but no rescheduler is configured");
            }
            return new EmbeddedPlacement(this);
        }
    }
}
