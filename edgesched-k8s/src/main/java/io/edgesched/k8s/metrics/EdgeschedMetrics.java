package io.edgesched.k8s.metrics;

import io.edgesched.api.MoveResult;
import io.edgesched.api.policy.DecisionReason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Collection;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The controller's and agent's meters. Label cardinality is bounded by design: outcomes and refusal
 * reasons are enums, report ages are summarised (max/min gauges, counts), and no label ever carries
 * a client address, a node or a workload name.
 */
public final class EdgeschedMetrics {
    /** What happened to a move. */
    public enum MoveOutcome { STARTED, DONE, REFUSED, FAILED }

    private final MeterRegistry registry;
    private final Map<MoveOutcome, Counter> moves = new EnumMap<>(MoveOutcome.class);
    private final Map<RefusalReason, Counter> refusals = new EnumMap<>(RefusalReason.class);
    private final Timer decisionTime;
    private final Timer moveDuration;
    private final Counter reportsPublished;
    private final DistributionSummary reportBytes;
    private final Counter reportPublishFailures;
    private final Counter reportsSkipped;
    private final Map<DecisionReason, Counter> decisions = new EnumMap<>(DecisionReason.class);
    private final Map<DecisionReason, Counter> policyReasons = new EnumMap<>(DecisionReason.class);
    private final AtomicReference<LongSupplier> handoffsDecided = new AtomicReference<>(() -> 0);
    private final AtomicReference<LongSupplier> handoffsEnded = new AtomicReference<>(() -> 0);
    private final AtomicReference<LongSupplier> droppedEntries = new AtomicReference<>(() -> 0);
    private final AtomicReference<LongSupplier> eventsWritten = new AtomicReference<>(() -> 0);
    private final AtomicReference<LongSupplier> eventsDeferred = new AtomicReference<>(() -> 0);
    private final AtomicReference<LongSupplier> refusedClusterObjects = new AtomicReference<>(() -> 0);

    public EdgeschedMetrics(MeterRegistry registry) {
        this.registry = Objects.requireNonNull(registry, "registry");
        for (MoveOutcome o : MoveOutcome.values()) {
            moves.put(o, Counter.builder("edgesched.moves").description("Moves by outcome")
                    .tag("outcome", o.name().toLowerCase(java.util.Locale.ROOT)).register(registry));
        }
        for (RefusalReason r : RefusalReason.values()) {
            refusals.put(r, Counter.builder("edgesched.move.refusals").description("Refused moves by reason")
                    .tag("reason", r.label()).register(registry));
        }
        decisionTime = Timer.builder("edgesched.decision.time")
                .description("Time of one placement decision round (demand + policy + gate)")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(30)).register(registry);
        moveDuration = Timer.builder("edgesched.move.duration").description("Time from a move's start to its result")
                .register(registry);
        reportsPublished = Counter.builder("edgesched.reports.published").description("OriginReports written by this agent")
                .register(registry);
        reportPublishFailures = Counter.builder("edgesched.reports.publish.failures")
                .description("OriginReport writes that failed").register(registry);
        reportsSkipped = Counter.builder("edgesched.reports.skipped")
                .description("OriginReports built but not written: no material change since the last one written")
                .register(registry);
        for (DecisionReason r : DecisionReason.values()) {
            if (r != DecisionReason.MOVE) { // the controller reports MOVE as move-started or would-move
                decisions.put(r, Counter.builder("edgesched.decisions").description("Per-workload decisions by outcome")
                        .tag("outcome", outcomeTag(r)).register(registry));
            }
            if (r.isPolicyVerdict()) {
                policyReasons.put(r, Counter.builder("edgesched.policy.verdicts")
                        .description("Policy and stability-gate verdicts by reason (why a workload moved or held)")
                        .tag("reason", tag(r)).register(registry));
            }
        }
        reportBytes = DistributionSummary.builder("edgesched.report.size").baseUnit("bytes")
                .description("Serialized size of published OriginReports").register(registry);
        countFrom("edgesched.handoffs", "Clients handed off from one entry node to another", "decided", handoffsDecided);
        countFrom("edgesched.handoffs", "Handoffs ended (the client seen at its old entry again, or gone)", "ended",
                handoffsEnded);
        countFrom("edgesched.report.entries.dropped", "OriginReport entries refused as unbelievable", null,
                droppedEntries);
        countFrom("edgesched.topology.objects.refused", "Cluster objects and watch events the cluster view refused"
                + " (malformed, wrong types, missing fields)", null, refusedClusterObjects);
        countFrom("edgesched.reports.events", "Reports written at once for a client's arrival or departure", "written",
                eventsWritten);
        countFrom("edgesched.reports.events", "Events that waited for the event write budget", "deferred",
                eventsDeferred);
    }

    /**
     * The {@code outcome} tag of a decision: the controller's own reasons by name, every hold of the policy or the
     * gate as {@code hold} (their split is the {@code reason} tag of {@code edgesched.policy.verdicts}).
     */
    static String outcomeTag(DecisionReason reason) {
        return reason.isPolicyVerdict() && !reason.isMove() ? "hold" : tag(reason);
    }

    private static String tag(DecisionReason reason) {
        return reason.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    public MeterRegistry registry() {
        return registry;
    }

    public void moveStarted() {
        moves.get(MoveOutcome.STARTED).increment();
    }

    /** Counts a finished move by outcome and, for a refusal, by reason. */
    public void moveFinished(MoveResult result, Duration took) {
        switch (result) {
            case MoveResult.Done d -> moves.get(MoveOutcome.DONE).increment();
            case MoveResult.Refused r -> {
                moves.get(MoveOutcome.REFUSED).increment();
                refusals.get(RefusalReason.classify(r.reason())).increment();
            }
            case MoveResult.Failed f -> moves.get(MoveOutcome.FAILED).increment();
        }
        moveDuration.record(took);
    }

    /** Counts a move as started now and its outcome when the stage completes. */
    public CompletionStage<MoveResult> track(CompletionStage<MoveResult> move) {
        long start = System.nanoTime();
        moveStarted();
        return move.whenComplete((r, e) -> {
            if (r != null) {
                moveFinished(r, Duration.ofNanos(System.nanoTime() - start));
            } else {
                moves.get(MoveOutcome.FAILED).increment();
            }
        });
    }

    /** Counts one per-workload decision by outcome and, when the policy ran, by its reason. */
    public void decision(io.edgesched.api.control.Decision d) {
        decisions.get(d.reason()).increment();
        d.policy().ifPresent(p -> policyReasons.get(p.reason()).increment());
    }

    public Timer decisionTime() {
        return decisionTime;
    }

    public void reportPublished(long bytes) {
        reportsPublished.increment();
        reportBytes.record(bytes);
    }

    public void reportPublishFailed() {
        reportPublishFailures.increment();
    }

    /** A report was built but not written (no material change, heartbeat not due). */
    public void reportSkipped() {
        reportsSkipped.increment();
    }

    /**
     * Report-age gauges: oldest and youngest report age in seconds, and counts of fresh and stale reports.
     * {@code ages} is read at scrape time; {@code ttl} splits fresh from stale.
     */
    public void reportAges(Supplier<? extends Collection<Duration>> ages, Duration ttl) {
        Gauge.builder("edgesched.report.age.max", () -> ages.get().stream().mapToDouble(EdgeschedMetrics::seconds).max().orElse(0))
                .baseUnit("seconds").description("Age of the oldest OriginReport held").register(registry);
        Gauge.builder("edgesched.report.age.min", () -> ages.get().stream().mapToDouble(EdgeschedMetrics::seconds).min().orElse(0))
                .baseUnit("seconds").description("Age of the youngest OriginReport held").register(registry);
        Gauge.builder("edgesched.reports", () -> ages.get().stream().filter(a -> a.compareTo(ttl) <= 0).count())
                .tag("state", "fresh").description("OriginReports held, by freshness").register(registry);
        Gauge.builder("edgesched.reports", () -> ages.get().stream().filter(a -> a.compareTo(ttl) > 0).count())
                .tag("state", "stale").description("OriginReports held, by freshness").register(registry);
    }

    /**
     * Handoffs across nodes the controller decided and ended ({@code edgesched.handoffs}, tag {@code state}), read at
     * scrape time from the counts given; a new leadership term's controller replaces the last one's (a counter reset).
     */
    public void handoffs(LongSupplier decided, LongSupplier ended) {
        handoffsDecided.set(Objects.requireNonNull(decided, "decided"));
        handoffsEnded.set(Objects.requireNonNull(ended, "ended"));
    }

    /**
     * Report entries the controller's watcher refused as unbelievable ({@code edgesched.report.entries.dropped}:
     * negative or huge rates, bad RTTs, forged arrivals or departures), read at scrape time.
     */
    public void droppedReportEntries(LongSupplier dropped) {
        droppedEntries.set(Objects.requireNonNull(dropped, "dropped"));
    }

    /**
     * The agent's event path: reports written at once for a client's arrival or departure, and events that waited
     * for the event budget ({@code edgesched.reports.events}, tag {@code state}).
     */
    public void reportEvents(LongSupplier written, LongSupplier deferred) {
        eventsWritten.set(Objects.requireNonNull(written, "written"));
        eventsDeferred.set(Objects.requireNonNull(deferred, "deferred"));
    }

    /** Cluster objects and watch events the agent's cluster view refused ({@code edgesched.topology.objects.refused}). */
    public void refusedClusterObjects(LongSupplier refused) {
        refusedClusterObjects.set(Objects.requireNonNull(refused, "refused"));
    }

    private void countFrom(String name, String description, String state, AtomicReference<LongSupplier> source) {
        FunctionCounter.Builder<AtomicReference<LongSupplier>> b = FunctionCounter.builder(name, source,
                s -> s.get().getAsLong()).description(description);
        (state == null ? b : b.tag("state", state)).register(registry);
    }

    private static double seconds(Duration d) {
        return d.toNanos() / 1e9;
    }
}
