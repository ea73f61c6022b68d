package io.edgesched.k8s.report;

import io.edgesched.api.NodeId;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.RequestOriginSource;
import io.edgesched.api.demand.DemandConfig;
import io.edgesched.k8s.topology.ClusterSnapshot;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Agent side: keeps the source's watch list in step with the topology, feeds its cumulative snapshots to the
 * node's {@link AgentDemand} (the engine's {@code DemandStore} rules) and writes the store's bounded view as this
 * node's {@link OriginReport} (create, then replace). Call {@link #publishOnce()} at an interval from one thread
 * ({@link AgentLoop} does).
 */
public final class OriginReportPublisher {
    private static final Logger LOG = LoggerFactory.getLogger(OriginReportPublisher.class);

    private final OriginReportStore store;
    /** The last write succeeded: the report is there (a failed write makes the next turn write whatever changed). */
    private boolean reportExists;
    private final String namespace;
    private final RequestOriginSource source;
    private final Supplier<ClusterSnapshot> topology;
    private final OriginReportBuilder builder;
    private final Clock clock;
    private final WatchPlan plan = new WatchPlan();
    private final AgentDemand demand;
    /** The cluster snapshot the watch list was last brought to in full; reads skip the sync while it is current. */
    private ClusterSnapshot planSynced;
    private long published;
    private long skipped;
    private OriginReport lastWritten;
    private PublishRule.Movements lastMovements;
    /** When this publisher's first report was generated: the demand store's ramp-up counts from there. */
    private java.time.Instant firstGeneratedAt;
    private String lastReason = "";
    private volatile long eventWrites;
    private volatile long eventsDeferred;

    /** With the engine's default demand rules ({@link DemandConfig#defaults()}: packets, 60 s half-life). */
    public OriginReportPublisher(KubernetesClient client, String namespace, RequestOriginSource source,
                                 Supplier<ClusterSnapshot> topology, ReportLimits limits, Clock clock) {
        this(client, namespace, source, topology, limits, DemandConfig.defaults(), clock);
    }

    /** {@code demandConfig} says how counters become demand; its metric is the one rate the report carries. */
    public OriginReportPublisher(KubernetesClient client, String namespace, RequestOriginSource source,
                                 Supplier<ClusterSnapshot> topology, ReportLimits limits, DemandConfig demandConfig,
                                 Clock clock) {
        this(OriginReportStore.fabric8(client, namespace), namespace, source, topology, limits, demandConfig, clock);
    }

    /** Writing through {@code store} (the agent's light client: {@code io.edgesched.k8s.lite.LiteReportStore}). */
    public OriginReportPublisher(OriginReportStore store, String namespace, RequestOriginSource source,
                                 Supplier<ClusterSnapshot> topology, ReportLimits limits, DemandConfig demandConfig,
                                 Clock clock) {
        this.store = Objects.requireNonNull(store, "store");
        this.namespace = Objects.requireNonNull(namespace, "namespace");
        this.source = Objects.requireNonNull(source, "source");
        this.topology = Objects.requireNonNull(topology, "topology");
        this.builder = new OriginReportBuilder(limits);
        this.clock = Objects.requireNonNull(clock, "clock");
        this.demand = new AgentDemand(source.node(), plan::workloadFor, demandConfig);
    }

    public NodeId node() {
        return source.node();
    }

    public WatchPlan plan() {
        return plan;
    }

    /** The node's demand store (its stats say how many records were resets, baseline-only, folded). */
    public AgentDemand demand() {
        return demand;
    }

    /** Reports written so far. */
    public long published() {
        return published;
    }

    /** Reports built but not written because {@link PublishRule} found no material change. */
    public long skipped() {
        return skipped;
    }

    /** Why the last report was written ({@link PublishRule#reasonToWrite}), "" before the first. */
    public String lastReason() {
        return lastReason;
    }

    /** Updates the watch list from the topology (ports this node must watch). */
    public void syncWatches() {
        bringWatchesTo(topology.get());
    }

    private void bringWatchesTo(ClusterSnapshot cluster) {
        int failed = plan.apply(cluster.bindingsOn(source.node()), source);
        planSynced = failed == 0 ? cluster : null; // a failed watch is tried again at the next read
    }

    /**
     * Syncs watches, reads the source, and writes the report. Empty on the first read (no baseline, so no
     * rate yet): the next call publishes.
     */
    public Optional<OriginReport> publishOnce() {
        return publish(PublishRule.everyReport());
    }

    /**
     * Like {@link #publishOnce()}, but writes the report only when {@code rule} finds it differs materially from
     * the last one written (or the heartbeat is due); the demand store ingests every snapshot either way.
     *
     * @return the report written, or empty (first read, or skipped: see {@link #skipped()})
     */
    public Optional<OriginReport> publish(PublishRule rule) {
        Objects.requireNonNull(rule, "rule");
        Optional<AgentDemand.Window> window = read();
        if (window.isEmpty()) {
            return Optional.empty();
        }
        OriginReport report = build(window.get());
        Instant generatedAt = Instant.parse(report.getSpec().generatedAt());
        if (firstGeneratedAt == null) {
            firstGeneratedAt = generatedAt;
        }
        boolean rampingUp = generatedAt.isBefore(firstGeneratedAt.plus(rampUp()));
        Optional<String> reason = rule.reasonToWrite(reportExists ? lastWritten : null, report, rampingUp);
        if (reason.isEmpty()) {
            skipped++;
            return Optional.empty();
        }
        return Optional.of(written(report, reason.get()));
    }

    /**
     * A fast read between periodic reports: ingests the source like {@link #publish} and writes the report only
     * for an event ({@link PublishRule#eventReason}: a heavy client arrived, gathered evidence, left or returned)
     * that {@code budget} can pay for; otherwise writes nothing (an unpaid event is still news at the next read).
     * Before the first periodic report is written it only reads.
     *
     * @param evidenceReads reads at a new entry that make an arrival's evidence (the controller's handoff rule)
     */
    public Optional<OriginReport> publishEvents(PublishRule rule, EventBudget budget, int evidenceReads) {
        return readEvents(rule, budget, evidenceReads).map(EventWrite::write);
    }

    /**
     * The read half of {@link #publishEvents}: ingests the source and decides whether an event is to be written and
     * paid for; the write itself (sizing, serialising, the API call) is left to the returned {@link EventWrite}, so
     * that a caller can pace the reads by their own cost alone.
     */
    public Optional<EventWrite> readEvents(PublishRule rule, EventBudget budget, int evidenceReads) {
        Objects.requireNonNull(rule, "rule");
        Objects.requireNonNull(budget, "budget");
        Optional<AgentDemand.Window> window = read();
        if (window.isEmpty() || !reportExists || lastWritten == null) {
            return Optional.empty();
        }
        // movements only, listed as the last written report listed its clients: no report is built for a read
        PublishRule.Movements next = builder.movements(window.get().snapshot().takenAt(), window.get().demand(),
                lastWritten.getStatus().clientsPerWorkload());
        Optional<String> reason = rule.eventReason(lastMovements, next, evidenceReads);
        if (reason.isEmpty()) {
            return Optional.empty();
        }
        // the size of the last report written stands for this one's: no serialising before the budget says yes
        if (!budget.tryTake(clock.instant(), Math.max(1, lastWritten.getStatus().serializedBytes()))) {
            eventsDeferred++;
            return Optional.empty();
        }
        return Optional.of(new EventWrite(window.get(), reason.get()));
    }

    /** An event report that {@link #readEvents} found and paid for; {@link #write()} it before the next read. */
    public final class EventWrite {
        private final AgentDemand.Window window;
        private final String reason;

        private EventWrite(AgentDemand.Window window, String reason) {
            this.window = window;
            this.reason = reason;
        }

        /** Why it is written: arrival, arrival evidence, departure or return. */
        public String reason() {
            return reason;
        }

        /** Builds the report (measured and cut to the byte budget, as every written one) and writes it. */
        public OriginReport write() {
            OriginReport report = written(build(window), reason);
            eventWrites++;
            return report;
        }
    }

    /** Event writes made by {@link #publishEvents}. */
    public long eventWrites() {
        return eventWrites;
    }

    /** Events {@link #publishEvents} found but could not pay for at that read (each is retried at the next). */
    public long eventsDeferred() {
        return eventsDeferred;
    }

    /** Syncs the watch list and feeds the source's snapshot to the demand store; empty on the first read. */
    private Optional<AgentDemand.Window> read() {
        ClusterSnapshot cluster = topology.get();
        if (cluster != planSynced) { // the topology hands out one snapshot until the cluster changes
            bringWatchesTo(cluster);
        }
        OriginSnapshot snapshot = source.snapshot();
        return demand.next(snapshot, cluster.nodeByAddress());
    }

    private OriginReport written(OriginReport report, String reason) {
        write(report);
        lastWritten = report;
        lastMovements = PublishRule.Movements.of(report);
        lastReason = reason;
        published++;
        return report;
    }

    /** Five half-lives of the demand store: a rate that started from zero is then within 97 % of its value. */
    Duration rampUp() {
        return demand.config().halfLife().multipliedBy(5);
    }

    OriginReport build(AgentDemand.Window window) {
        return builder.build(source.node(), namespace, window.snapshot().takenAt(), window.seconds(), window.demand(),
                window.nodeRtts(), window.unmappedRecords(), window.stats(), demand.config().metric());
    }

    private void write(OriginReport report) {
        try {
            store.write(report);
            reportExists = true;
        } catch (RuntimeException e) {
            reportExists = false;
            throw e;
        }
    }
}
