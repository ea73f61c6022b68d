package io.edgesched.ebpf;

import io.edgesched.api.NodeId;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.OriginSourceException;
import io.edgesched.ebpf.libbpf.BpfMap;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Reads the snapshots of an {@link EbpfRequestOriginSource} that pinned its maps
 * ({@link EbpfRequestOriginSource.Builder#pinDirectory}), from another process, without attaching anything:
 *
 * <pre>{@code
 * try (var reader = PinnedOriginReader.open(Path.of("/sys/fs/bpf/edgesched/eth0"), NodeId.of("edge-1"))) {
 *     OriginSnapshot snapshot = reader.snapshot();
 * }
 * }</pre>
 * It reports every client entry present (the owning source deletes the entries of services it stops watching).
 * Clients the owner deleted itself are not known here, so {@code clientTableFull} may over-count after an
 * unwatch. Needs CAP_BPF (root). Thread-safe.
 */
public final class PinnedOriginReader implements AutoCloseable {
    private final NodeId node;
    private final Path directory;
    private final BpfMap clients;
    private final BpfMap stats;
    private final OriginMapReader reader;
    private boolean closed;

    private PinnedOriginReader(NodeId node, Path directory, BpfMap clients, BpfMap stats) {
        this.node = node;
        this.directory = directory;
        this.clients = clients;
        this.stats = stats;
        this.reader = new OriginMapReader(clients, stats);
    }

    /** Opens the pinned origin_clients and origin_stats maps under {@code directory}. */
    public static PinnedOriginReader open(Path directory, NodeId node) {
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(node, "node");
        BpfMap clients = null;
        BpfMap stats = null;
        try {
            clients = BpfMap.openPinned(directory.resolve(OriginMapLayouts.CLIENTS_MAP).toString());
            stats = BpfMap.openPinned(directory.resolve(OriginMapLayouts.STATS_MAP).toString());
            return new PinnedOriginReader(node, directory, clients, stats);
        } catch (BpfException | IllegalArgumentException e) {
            if (clients != null) {
                clients.close();
            }
            if (stats != null) {
                stats.close();
            }
            throw new OriginSourceException("open pinned request-origin maps in " + directory + ": " + e.getMessage()
                    + " (is an EbpfRequestOriginSource with this pinDirectory running?)", e);
        }
    }

    public NodeId node() {
        return node;
    }

    /** Reads the current cumulative counters from the pinned maps. */
    public synchronized OriginSnapshot snapshot() {
        if (closed) {
            throw new IllegalStateException("pinned reader of " + directory + " is closed");
        }
        try {
            long[] counters = reader.readStats();
            return OriginSnapshots.build(node, reader.generation(), reader.readClients(), counters, 0, id -> true);
        } catch (BpfException e) {
            throw new OriginSourceException("read pinned request origins in " + directory + ": " + e.getMessage(), e);
        }
    }

    /** Closes the map handles; the maps stay as long as their owner keeps them. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        reader.close();
        clients.close();
        stats.close();
    }
}
