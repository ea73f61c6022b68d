package io.edgesched.k8s.report;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.NodeId;
import io.edgesched.api.OriginRecord;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.OriginStats;
import io.edgesched.api.WorkloadId;
import io.edgesched.api.demand.ClientDemand;
import io.edgesched.api.demand.DemandConfig;
import io.edgesched.api.demand.DemandMetric;
import io.edgesched.api.demand.DemandStats;
import io.edgesched.api.demand.DemandStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.IntFunction;

/**
 * The agent's end of the one demand pipeline: this node's cumulative snapshots go into the engine's own
 * {@link DemandStore} (the rules the lab and the simulator run: decay, counter resets, a record new since the
 * last read counting only from its first-seen time, top-N folding, prefix aggregation), and the store's bounded
 * view comes out as per-workload client rates for the report. Traffic from other cluster nodes is never demand;
 * its handshake RTT is this node's RTT to that node. Not thread-safe: the publishing thread owns it.
 */
public final class AgentDemand {
    private final NodeId node;
    private final IntFunction<Optional<WorkloadPort>> workloadOfService;
    private final Map<WorkloadId, Integer> portOf = new HashMap<>();
    private final DemandConfig config;
    private final DemandStore store;
    private OriginSnapshot previous;

    /**
     * What one snapshot adds up to.
     *
     * @param seconds         since the previous snapshot of this node
     * @param demand          per workload (at the lowest port it was reached on), every client aggregate with a rate
     * @param nodeRtts        this node's RTT to other nodes, where the kernel timed a handshake
     * @param unmappedRecords records of this snapshot whose service id maps to no workload
     */
    public record Window(OriginSnapshot snapshot, double seconds, Map<WorkloadPort, List<ClientRate>> demand,
                         Map<NodeId, Long> nodeRtts, long unmappedRecords) {
        public Window {
            demand = Map.copyOf(demand);
            nodeRtts = Map.copyOf(nodeRtts);
        }

        public OriginStats stats() {
            return snapshot.stats();
        }
    }

    /** @param workloadOfService which workload (and port) a kernel service id counts for, e.g. {@link WatchPlan#workloadFor} */
    public AgentDemand(NodeId node, IntFunction<Optional<WorkloadPort>> workloadOfService, DemandConfig config) {
        this.node = Objects.requireNonNull(node, "node");
        this.workloadOfService = Objects.requireNonNull(workloadOfService, "workloadOfService");
        this.config = Objects.requireNonNull(config, "config");
        this.store = new DemandStore((n, serviceId, port) -> workloadOfService.apply(serviceId).map(WorkloadPort::workload),
                config, true); // each client's visit goes into the report: handoffs across nodes need it
    }

    public DemandConfig config() {
        return config;
    }

    /** The store's counters (resets, baseline-only records, folds): the agent's demand health. */
    public DemandStats stats() {
        return store.stats();
    }

    /**
     * Ingests the node's next snapshot. Empty for the first one: the store has no baseline yet, so no rate.
     *
     * @param nodeAddresses addresses of cluster nodes: their traffic is relayed, not client demand
     */
    public Optional<Window> next(OriginSnapshot snapshot, Map<ClientAddress, NodeId> nodeAddresses) {
        Objects.requireNonNull(snapshot, "snapshot");
        List<OriginRecord> clients = new ArrayList<>(snapshot.records().size());
        Map<NodeId, Long> nodeRtts = new HashMap<>();
        for (OriginRecord r : snapshot.records()) {
            NodeId peer = nodeAddresses.get(r.client());
            if (peer != null || r.forwarded()) {
                if (peer != null && !peer.equals(node) && r.rttSamples() > 0 && r.rttMicros() > 0) {
                    nodeRtts.merge(peer, r.rttMicros(), Math::min);
                }
                continue;
            }
            clients.add(r);
        }
        Map<Integer, Boolean> seenService = new HashMap<>();
        for (OriginRecord r : clients) {
            if (seenService.putIfAbsent(r.serviceId(), Boolean.TRUE) == null) {
                workloadOfService.apply(r.serviceId()).ifPresent(wp -> portOf.merge(wp.workload(), wp.port(), Math::min));
            }
        }
        long unresolvedBefore = store.stats().unresolvedRecords();
        store.ingest(clients.size() == snapshot.records().size() ? snapshot // nothing relayed: no copy
                : new OriginSnapshot(snapshot.node(), snapshot.takenAt(), snapshot.monotonicNanos(),
                        snapshot.generation(), clients, snapshot.stats()));
        long unmapped = store.stats().unresolvedRecords() - unresolvedBefore;
        OriginSnapshot before = previous;
        previous = snapshot;
        if (before == null) {
            return Optional.empty();
        }
        Instant at = snapshot.takenAt();
        store.maintain(at);
        Map<WorkloadPort, List<ClientRate>> demand = new HashMap<>();
        store.clientsByWorkload(at).forEach((workload, aggregates) -> {
            int port = portOf.getOrDefault(workload, 0);
            List<ClientRate> rates = new ArrayList<>(aggregates.size());
            for (ClientDemand c : aggregates) {
                rates.add(rateOf(c));
            }
            demand.put(new WorkloadPort(workload, port), rates);
        });
        return Optional.of(new Window(snapshot, secondsBetween(before, snapshot), demand, nodeRtts, unmapped));
    }

    private ClientRate rateOf(ClientDemand c) {
        double r = c.ratePerSecond();
        long rtt = Double.isNaN(c.rttMicros()) ? 0 : Math.max(0, Math.round(c.rttMicros()));
        DemandMetric metric = config.metric();
        return new ClientRate(c.client(), metric == DemandMetric.CONNECTIONS ? r : 0,
                metric == DemandMetric.PACKETS ? r : 0, metric == DemandMetric.BYTES ? r : 0, rtt, c.activity());
    }

    private static double secondsBetween(OriginSnapshot before, OriginSnapshot now) {
        if (before.monotonicNanos() > 0 && now.monotonicNanos() > before.monotonicNanos()) {
            return (now.monotonicNanos() - before.monotonicNanos()) / 1e9;
        }
        return Math.max(0, Duration.between(before.takenAt(), now.takenAt()).toNanos() / 1e9);
    }
}
