package io.edgesched.api.demand;

import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.WorkloadId;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * Turns cumulative {@link OriginSnapshot}s from many nodes into decayed demand rates per
 * (workload, entry node, client aggregate), with smoothed client RTT. Not thread-safe: one controller
 * thread ingests and reads.
 */
public final class DemandStore {
    private final ServiceCatalog catalog;
    private final DemandConfig config;

    public DemandStore(ServiceCatalog catalog, DemandConfig config) {
        this.catalog = Objects.requireNonNull(catalog, "catalog");
        this.config = Objects.requireNonNull(config, "config");
    }

    public DemandConfig config() {
        return config;
    }

    /** Adds one node's snapshot. Snapshots of one node must come in time order; older ones are ignored and counted. */
    public void ingest(OriginSnapshot snapshot) {
        throw new UnsupportedOperationException("TODO");
    }

    public void ingestAll(Collection<OriginSnapshot> snapshots) {
        for (OriginSnapshot s : snapshots) {
            ingest(s);
        }
    }

    /**
     * Drops idle aggregates and enforces top-N per workload, folding what it removes into "other clients".
     * Call once per decision round (the view does not call it).
     */
    public void maintain(Instant now) {
        throw new UnsupportedOperationException("TODO");
    }

    /** Entry-node demand of every workload, rates decayed to {@code now}. */
    public DemandView view(Instant now) {
        throw new UnsupportedOperationException("TODO");
    }

    /** The workload's largest client aggregates, highest rate first. */
    public List<ClientDemand> topClients(WorkloadId workload, int limit, Instant now) {
        throw new UnsupportedOperationException("TODO");
    }

    public DemandStats stats() {
        throw new UnsupportedOperationException("TODO");
    }

    /** Client aggregates held now. */
    public int aggregateCount() {
        throw new UnsupportedOperationException("TODO");
    }

    /** Bytes held by the store's arrays (aggregates plus per-node counter baselines), excluding small maps. */
    public long estimatedMemoryBytes() {
        throw new UnsupportedOperationException("TODO");
    }
}
