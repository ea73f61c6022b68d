package io.edgesched.ebpf;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.NodeId;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.OriginSourceException;
import io.edgesched.api.RequestOriginSource;
import io.edgesched.api.WatchedService;
import io.edgesched.ebpf.OriginMapLayouts.Stat;
import io.edgesched.ebpf.libbpf.TcxLink;
import java.nio.file.Path;
import java.util.Collection;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernel observer: tc programs on one interface's ingress and egress count, per watched service and client
 * address, connections, packets, bytes and the handshake RTT, in bounded LRU maps that {@link #snapshot()}
 * reads in batches. Nothing sits in the request path; the programs only read packets.
 *
 * <pre>{@code
 * try (var source = EbpfRequestOriginSource.builder()
 *         .node(NodeId.of("edge-1")).interfaceName("eth0").open()) {
 *     source.watch(WatchedService.port(80));
 *     OriginSnapshot snapshot = source.snapshot();
 * }
 * }</pre>
 * Needs CAP_BPF and CAP_NET_ADMIN (root). Thread-safe. Failures are {@link OriginSourceException}s whose
 * message says what failed where and what to do; the cause is the binding's typed {@link BpfException}
 * (e.g. {@link PermissionDeniedException}, {@link NoSuchInterfaceException}).
 */
public final class EbpfRequestOriginSource implements RequestOriginSource {
    private static final Logger LOG = LoggerFactory.getLogger(EbpfRequestOriginSource.class);

    private final NodeId node;
    private final OriginKernel kernel;
    private final ServiceTable services;
    private long clientsDeletedByUs;
    private long reattachments;
    private boolean closed;

    /** @param checkNodes cluster nodes were configured: new clients of every watched port are checked against them */
    EbpfRequestOriginSource(NodeId node, OriginKernel kernel, boolean checkNodes) {
        this.node = Objects.requireNonNull(node, "node");
        this.kernel = Objects.requireNonNull(kernel, "kernel");
        this.services = new ServiceTable(checkNodes);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** How the programs are attached to the interface. */
    public enum AttachMode {
        /** tcx links where the kernel has them (6.6+), else tc filters. The default. */
        AUTO,
        /** tcx links only; fails on kernels without them. */
        TCX,
        /** tc filters on the clsact qdisc (handle 0xed5c, priority 1), even where tcx exists. */
        TC
    }

    /** Configures and opens a source; {@link #open()} loads the programs and attaches them. */
    public static final class Builder {
        private NodeId node;
        private String interfaceName;
        private String networkNamespace;
        private int clientTableSize = OriginMapLayouts.CLIENTS_MAX_ENTRIES;
        private int handshakeTableSize = OriginMapLayouts.HANDSHAKES_MAX_ENTRIES;
        private final Set<ClientAddress> clusterNodes = new LinkedHashSet<>();
        private Path pinDirectory;
        private boolean perCpuClientLru;
        private AttachMode attachMode = AttachMode.AUTO;
        private boolean first = true;
        private boolean handOver;

        private Builder() {
        }

        /**
         * tcx links (default where the kernel has them: they go away with the process, even on kill -9) or tc
         * filters (the fallback: a fixed handle and priority; a restart replaces what a crashed run left). docs/source.md.
         */
        public Builder attachMode(AttachMode mode) {
            this.attachMode = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /**
         * Continuity across agent upgrades (tcx, needs {@link #pinDirectory}): the links are pinned there next to
         * the maps and stay attached after close or exit; the next source opened with the same directory and
         * hand-over reuses the pinned maps (counters continue, same generation) and swaps the programs in place
         * (BPF_LINK_UPDATE), so nothing goes uncounted. A source opened there without hand-over removes the
         * pinned links first. Default off: a closed source leaves nothing behind.
         */
        public Builder handOver(boolean handOver) {
            this.handOver = handOver;
            return this;
        }

        /**
         * tcx only: attach before every program already on the hook (default true), so a later program that drops
         * or redirects (a firewall, a CNI's NodePort path) cannot hide packets from us; false appends after them.
         */
        public Builder attachFirst(boolean first) {
            this.first = first;
            return this;
        }

        /** The node this source reports as (required). */
        public Builder node(NodeId node) {
            this.node = Objects.requireNonNull(node, "node");
            return this;
        }

        /** The interface whose traffic to observe, e.g. the node's uplink "eth0" (required). */
        public Builder interfaceName(String interfaceName) {
            this.interfaceName = Objects.requireNonNull(interfaceName, "interfaceName");
            return this;
        }

        /** A named network namespace ({@code ip netns}) the interface lives in; null = this process's. */
        public Builder networkNamespace(String networkNamespace) {
            this.networkNamespace = networkNamespace;
            return this;
        }

        /**
         * How many (service, client) entries the kernel keeps; beyond it the least recently seen client is
         * evicted and counted in {@link io.edgesched.api.OriginStats#clientTableFull()}. Default 65536.
         */
        public Builder clientTableSize(int entries) {
            if (entries < 1) {
                throw new IllegalArgumentException("client table size must be at least 1, got " + entries);
            }
            this.clientTableSize = entries;
            return this;
        }

        /**
         * Per-CPU LRU lists for the client table (BPF_F_NO_COMMON_LRU): a new client costs ~10-25 % less in the
         * kernel once the table is full (docs/bench/bpf.md), but each CPU keeps only
         * {@code clientTableSize / possible CPUs} of the entries and evicts its own. Only for uplinks whose
         * NIC spreads flows over all CPUs (RSS/RPS); with traffic on one CPU the table shrinks accordingly.
         * Default off.
         */
        public Builder perCpuClientLru(boolean enabled) {
            this.perCpuClientLru = enabled;
            return this;
        }

        /**
         * Slots for handshakes in flight (rounded up to a power of two). A client enters the table only when its
         * handshake completes; under a SYN flood a pending handshake whose slot another SYN takes is lost
         * (counted HANDSHAKES_EXPIRED), so size it above SYN rate x round-trip time. Default 16384.
         */
        public Builder handshakeTableSize(int entries) {
            if (entries < 1) {
                throw new IllegalArgumentException("handshake table size must be at least 1, got " + entries);
            }
            this.handshakeTableSize = entries;
            return this;
        }

        /** Addresses of cluster nodes: traffic from them is relayed, marked {@code forwarded}. */
        public Builder clusterNodes(Collection<ClientAddress> addresses) {
            for (ClientAddress a : addresses) {
                if (a.isPrefix()) {
                    throw new IllegalArgumentException("cluster node address must be a full address, not " + a);
                }
                clusterNodes.add(a);
            }
            return this;
        }

        /**
         * Pins the maps under this directory (on a bpffs, e.g. /sys/fs/bpf/edgesched/eth0) so that another
         * process can read them with {@link PinnedOriginReader}. The pins are removed on close.
         */
        public Builder pinDirectory(Path directory) {
            this.pinDirectory = directory;
            return this;
        }

        /** Loads the programs, fills the cluster nodes, attaches to ingress and egress. */
        public EbpfRequestOriginSource open() {
            Objects.requireNonNull(node, "node is required");
            if (handOver && (pinDirectory == null || attachMode == AttachMode.TC)) {
                throw new IllegalArgumentException("handOver needs a pinDirectory and tcx links (not AttachMode.TC)");
            }
            if (interfaceName == null || interfaceName.isBlank()) {
                throw new IllegalArgumentException("interfaceName is required");
            }
            LibbpfOriginKernel.Config config = new LibbpfOriginKernel.Config(interfaceName,
                    Optional.ofNullable(networkNamespace), clientTableSize, handshakeTableSize,
                    List.copyOf(clusterNodes), Optional.ofNullable(pinDirectory), perCpuClientLru, attachMode,
                    first ? TcxLink.Position.FIRST : TcxLink.Position.LAST, handOver);
            OriginKernel kernel;
            try {
                kernel = LibbpfOriginKernel.open(config);
            } catch (NoSuchInterfaceException e) {
                // The binding's hint speaks to binding users; this one to whoever configured the source.
                String check = networkNamespace == null ? "ip link" : "ip -n " + networkNamespace + " link";
                throw new OriginSourceException("attach request-origin observer: no such interface '" + interfaceName
                        + "'" + (networkNamespace == null ? "" : " in network namespace " + networkNamespace)
                        + " (check `" + check + "`)", e);
            } catch (BpfException e) {
                throw new OriginSourceException("attach request-origin observer to " + config.description() + ": "
                        + e.getMessage(), e);
            }
            LOG.info("observing request origins on {} as node {} (client table {})", kernel.description(), node,
                    clientTableSize);
            return new EbpfRequestOriginSource(node, kernel, !clusterNodes.isEmpty());
        }
    }

    @Override
    public NodeId node() {
        return node;
    }

    /** What the source is attached to, e.g. "eth0" or "srv0 in netns lab". */
    public String attachedTo() {
        return kernel.description();
    }

    @Override
    public synchronized void watch(WatchedService service) {
        ensureOpen();
        ServiceTable.State next = services.withWatched(service);
        try {
            apply(ServiceTable.diff(services.current(), next));
        } catch (BpfException e) {
            throw new OriginSourceException("watch " + ServiceTable.describe(service) + " on " + kernel.description()
                    + ": " + e.getMessage(), e);
        }
        services.commitWatched(service);
    }

    @Override
    public synchronized void unwatch(int serviceId) {
        ensureOpen();
        WatchedService service = services.services().get(serviceId);
        if (service == null) {
            return;
        }
        try {
            apply(ServiceTable.diff(services.current(), services.withoutWatched(serviceId)));
            services.commitUnwatched(serviceId);
            for (OriginKernel.RawClient client : kernel.readClients()) {
                if (client.serviceId() == serviceId && kernel.deleteClient(client)) {
                    clientsDeletedByUs++;
                }
            }
        } catch (BpfException e) {
            throw new OriginSourceException("unwatch " + ServiceTable.describe(service) + " on "
                    + kernel.description() + ": " + e.getMessage(), e);
        }
    }

    /** Adds before it enables a port, disables a port before it removes: no packet meets a half state. */
    private void apply(ServiceTable.Diff diff) {
        diff.putServices().forEach(kernel::putService);
        diff.putPorts().forEach(kernel::setPort);
        diff.clearPorts().forEach(port -> kernel.setPort(port, ServiceTable.PortEntry.NONE));
        diff.deleteServices().forEach(kernel::deleteService);
    }

    @Override
    public synchronized Set<WatchedService> watched() {
        return Set.copyOf(services.services().values());
    }

    @Override
    public synchronized OriginSnapshot snapshot() {
        ensureOpen();
        try {
            reattachments += kernel.ensureAttached();
        } catch (BpfException e) {
            LOG.debug("checking the attachments on {}: {}", kernel.description(), e.getMessage());
        }
        try {
            long[] stats = kernel.readStats(); // before the clients: see OriginSnapshots.toStats
            List<OriginKernel.RawClient> clients = kernel.readClients();
            Set<Integer> watchedIds = services.services().keySet();
            return OriginSnapshots.build(node, kernel.generation(), clients, stats, clientsDeletedByUs,
                    watchedIds::contains);
        } catch (BpfException e) {
            throw new OriginSourceException("read request origins on " + kernel.description() + ": " + e.getMessage(),
                    e);
        }
    }

    /**
     * How often a program had to be attached again because its attachment had vanished (interface deleted and
     * re-created, link or filter removed by someone else). Checked at every {@link #snapshot()}; logged once.
     */
    public synchronized long reattachments() {
        return reattachments;
    }

    /** Every kernel counter (origin_stats summed over CPUs), for diagnostics beyond {@link io.edgesched.api.OriginStats}. */
    public synchronized Map<Stat, Long> counters() {
        ensureOpen();
        long[] stats;
        try {
            stats = kernel.readStats();
        } catch (BpfException e) {
            throw new OriginSourceException("read counters on " + kernel.description() + ": " + e.getMessage(), e);
        }
        Map<Stat, Long> counters = new EnumMap<>(Stat.class);
        for (Stat s : Stat.values()) {
            counters.put(s, OriginSnapshots.stat(stats, s));
        }
        return counters;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            kernel.close();
        } catch (BpfException e) {
            throw new OriginSourceException("detach from " + kernel.description() + ": " + e.getMessage(), e);
        }
        LOG.info("detached request-origin observer from {}", kernel.description());
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("request-origin source on " + kernel.description() + " is closed");
        }
    }
}
