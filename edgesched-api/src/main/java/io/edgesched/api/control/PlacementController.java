package io.edgesched.api.control;

import io.edgesched.api.MoveRequest;
import io.edgesched.api.MoveResult;
import io.edgesched.api.NodeId;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.Rescheduler;
import io.edgesched.api.WorkloadId;
import io.edgesched.api.demand.DemandConfig;
import io.edgesched.api.demand.DemandStore;
import io.edgesched.api.demand.DemandView;
import io.edgesched.api.demand.ServiceCatalog;
import io.edgesched.api.demand.WorkloadDemand;
import io.edgesched.api.policy.LatencyAwarePolicy;
import io.edgesched.api.policy.MoveGate;
import io.edgesched.api.policy.PlacementInput;
import io.edgesched.api.policy.PlacementPlan;
import io.edgesched.api.policy.PlacementPolicy;
import io.edgesched.api.policy.StabilityConfig;
import io.edgesched.api.policy.StabilityGate;
import io.edgesched.api.policy.WorkloadDecision;
import io.edgesched.api.policy.WorkloadSpec;
import io.edgesched.api.topology.Placement;
import io.edgesched.api.topology.Topology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The control loop: reads demand and topology, asks the {@link PlacementPolicy} for a plan (moves pass the
 * stability gate), and hands the moves to a {@link Rescheduler}.
 * <ul>
 *   <li>Runs every {@code interval} after {@link #start()}, and soon after {@link #trigger()};
 *       {@link #reconcileOnce()} runs one round in the caller's thread (tests, simulators).</li>
 *   <li>At most one move per workload runs at a time; moves run asynchronously.</li>
 *   <li>A failed move is retried after an exponential backoff with jitter; a refused one is not asked again,
 *       unchanged, before a cool-down. Either way the other workloads carry on.</li>
 *   <li>In dry-run mode it decides and explains but never calls the rescheduler.</li>
 *   <li>Every decision is explained ({@link Decision}), logged at debug level and passed to listeners.</li>
 * </ul>
 * Rounds never overlap. Time comes from the injected clock, so tests and simulators drive it.
 */
public final class PlacementController implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PlacementController.class);

    private final Function<Instant, DemandView> demand;
    private final Supplier<Topology> topology;
    private final Supplier<? extends Collection<WorkloadSpec>> workloads;
    private final PlacementPolicy policy;
    private final MoveGate gate;
    private final Rescheduler rescheduler;
    private final InstantSource clock;
    private final Duration interval;
    private final boolean dryRun;
    private final MoveTracker tracker;
    private final ReplanFilter replan;
    private final StatsRecorder stats = new StatsRecorder();
    private final List<DecisionListener> listeners = new CopyOnWriteArrayList<>();
    private final ReentrantLock roundLock = new ReentrantLock();
    private final AtomicBoolean triggerPending = new AtomicBoolean();
    private final AtomicBoolean drainPending = new AtomicBoolean();
    private final ScheduledExecutorService providedExecutor;

    private volatile Map<WorkloadId, Decision> lastDecisions = Map.of();
    private volatile RoundReport lastRound;
    private long rounds;
    private ScheduledExecutorService executor;
    private ScheduledFuture<?> schedule;
    private boolean ownsExecutor;
    private volatile boolean closed;
    private volatile long lastRoundStartNanos;
    private final Duration minRoundSpacing;

    private PlacementController(Builder b) {
        this.clock = b.clock;
        this.demand = b.demandFunction();
        this.topology = Objects.requireNonNull(b.topology, "topology supplier is required: builder.topology(...)");
        this.workloads = Objects.requireNonNull(b.workloads, "workload specs are required: builder.workloads(...)");
        this.policy = b.policy != null ? b.policy : new LatencyAwarePolicy();
        this.gate = b.gate != null ? b.gate : new StabilityGate(StabilityConfig.defaults(), clock);
        this.dryRun = b.dryRun;
        if (!dryRun && b.rescheduler == null) {
            throw new IllegalStateException("a rescheduler is required unless the controller is a dry run: "
                    + "builder.rescheduler(...) or builder.dryRun(true)");
        }
        this.rescheduler = b.rescheduler;
        this.interval = b.interval;
        this.minRoundSpacing = b.minRoundSpacing;
        this.tracker = new MoveTracker(b.retry, b.settleTimeout, b.random);
        this.replan = new ReplanFilter(b.replanTolerance, b.replanMaxAge);
        this.providedExecutor = b.executor;
        this.listeners.addAll(b.listeners);
    }

    public static Builder builder() {
        return new Builder();
    }

    public boolean isDryRun() {
        return dryRun;
    }

    public void addListener(DecisionListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    public void removeListener(DecisionListener listener) {
        listeners.remove(listener);
    }

    /** Starts reconciling every {@code interval} (the first round at once). Idempotent. */
    public synchronized void start() {
        if (closed) {
            throw new IllegalStateException("the controller is closed");
        }
        if (schedule != null) {
            return;
        }
        if (providedExecutor != null) {
            executor = providedExecutor;
        } else {
            executor = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "edgesched-controller");
                t.setDaemon(true);
                return t;
            });
            ownsExecutor = true;
        }
        schedule = executor.scheduleWithFixedDelay(this::safeRound, 0, interval.toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * Asks for a round soon (new demand reports, topology change). Triggers that arrive while one is pending
     * are merged into it, and a triggered round starts no sooner than {@code minRoundSpacing} after the
     * previous round started, so a storm of reports cannot keep a core busy. Needs {@link #start()}.
     */
    public void trigger() {
        ScheduledExecutorService ex;
        synchronized (this) {
            if (executor == null || closed) {
                throw new IllegalStateException("trigger() needs a started controller: call start() first, "
                        + "or reconcileOnce() to run a round in this thread");
            }
            ex = executor;
        }
        if (triggerPending.compareAndSet(false, true)) {
            long wait = lastRoundStartNanos == 0 ? 0
                    : Math.max(0, lastRoundStartNanos + minRoundSpacing.toNanos() - System.nanoTime());
            ex.schedule(() -> {
                triggerPending.set(false);
                safeRound();
            }, wait, TimeUnit.NANOSECONDS);
        }
    }

    private void safeRound() {
        if (closed) {
            return;
        }
        try {
            reconcileOnce();
        } catch (RuntimeException e) {
            // a bug in a policy, supplier or listener must not kill the schedule; it is logged every time
            log.error("decision round failed; the controller keeps running and tries again next round", e);
        }
    }

    /**
     * Pushes one node's snapshot in as it arrives, instead of (or besides) the {@link DemandInput} pulled at
     * each round: the snapshot is ingested into the demand store now (on the controller's thread once started,
     * else in the caller's thread), so the next round only reads demand. Spreads the ingest cost over the
     * interval when reports trickle in. Needs snapshot demand ({@code builder.demand(input, ...)}).
     */
    public void ingest(OriginSnapshot snapshot) {
        Objects.requireNonNull(snapshot, "snapshot");
        if (!(demand instanceof SnapshotDemand snapshots)) {
            throw new IllegalStateException("ingest() needs a controller built with snapshot demand: "
                    + "builder.demand(input, catalog) or builder.demand(input, store), not demandView(...)");
        }
        snapshots.pushed.add(snapshot);
        ScheduledExecutorService ex;
        synchronized (this) {
            ex = executor;
        }
        if (ex != null && !closed) {
            if (drainPending.compareAndSet(false, true)) {
                ex.execute(() -> {
                    drainPending.set(false);
                    drainLocked(snapshots);
                });
            }
        } else {
            drainLocked(snapshots);
        }
    }

    private void drainLocked(SnapshotDemand snapshots) {
        roundLock.lock();
        try {
            snapshots.drainPushed();
        } catch (RuntimeException e) {
            log.error("ingesting pushed snapshots failed; they are dropped, the next reports count again", e);
        } finally {
            roundLock.unlock();
        }
    }

    /** Runs one decision round in the calling thread; waits if another round is running. */
    public RoundReport reconcileOnce() {
        roundLock.lock();
        try {
            return round();
        } finally {
            roundLock.unlock();
        }
    }

    private RoundReport round() {
        long started = System.nanoTime();
        lastRoundStartNanos = started;
        long round = ++rounds;
        Instant now = clock.instant();

        DemandView view;
        Topology topo;
        List<WorkloadSpec> specs;
        Map<WorkloadId, WorkloadSpec> specOf;
        try {
            view = Objects.requireNonNull(demand.apply(now), "demand view is null");
            topo = Objects.requireNonNull(topology.get(), "topology supplier returned null");
            specs = List.copyOf(workloads.get());
            specOf = new HashMap<>(specs.size() * 2);
            for (WorkloadSpec spec : specs) {
                if (specOf.putIfAbsent(spec.workload(), spec) != null) {
                    throw new IllegalArgumentException("workload " + spec.workload()
                            + " has two specs; give each workload exactly one");
                }
            }
        } catch (RuntimeException e) {
            stats.inputErrors.increment();
            long took = System.nanoTime() - started;
            stats.roundTook(took);
            String why = "reading inputs failed, nothing decided this round: " + e;
            log.warn("round {}: {}", round, why);
            RoundReport report = new RoundReport(round, now, List.of(), 0, 0, 0, Duration.ofNanos(took),
                    Duration.ofNanos(took), Duration.ZERO, Optional.of(why));
            lastRound = report;
            return report;
        }

        long inputsDone = System.nanoTime();
        List<Decision> decisions = new ArrayList<>(specs.size());
        List<WorkloadSpec> planned = new ArrayList<>(specs.size());
        replan.beginRound(topo);
        for (WorkloadSpec spec : specs) {
            WorkloadId w = spec.workload();
            Placement current = topo.placement(w);
            WorkloadDemand demandOfW = view.demand(w);
            MoveTracker.Admission admission = tracker.admit(w, current.nodes(), now);
            if (!admission.allowed()) {
                replan.forget(w);
                decisions.add(new Decision(round, now, w, blockedOutcome(admission.block()), current,
                        demandOfW, Optional.empty(), admission.why()));
                continue;
            }
            String unchanged = replan.skipReason(spec, current, demandOfW, now);
            if (unchanged != null) {
                decisions.add(new Decision(round, now, w, Decision.Outcome.HOLD, current, demandOfW,
                        Optional.of(replan.remembered(w)), unchanged));
            } else {
                planned.add(spec);
            }
        }
        tracker.retainOnly(specOf.keySet());
        replan.retainOnly(specOf.keySet());

        long planStart = System.nanoTime();
        PlacementPlan plan = planned.isEmpty() ? new PlacementPlan(now, List.of())
                : policy.plan(PlacementInput.of(now, topo, view, planned, gate));
        long planEnd = System.nanoTime();
        List<MoveRequest> toStart = new ArrayList<>();
        int wouldMove = 0;
        for (WorkloadDecision d : plan.decisions()) {
            WorkloadId w = d.workload();
            WorkloadSpec spec = specOf.get(w);
            WorkloadDemand demandOfW = view.demand(w);
            if (spec != null) {
                replan.planned(spec, d, demandOfW, round, now);
            }
            if (!d.isMove()) {
                decisions.add(new Decision(round, now, w, Decision.Outcome.HOLD, d.current(), demandOfW,
                        Optional.of(d), d.explanation().detail()));
                continue;
            }
            MoveTracker.Admission refusal = tracker.admitProposal(w, d.current().nodes(), d.target().nodes(), now);
            if (!refusal.allowed()) {
                decisions.add(new Decision(round, now, w, Decision.Outcome.HOLD_REFUSED, d.current(), demandOfW,
                        Optional.of(d), refusal.why()));
            } else if (dryRun) {
                wouldMove++;
                decisions.add(new Decision(round, now, w, Decision.Outcome.WOULD_MOVE, d.current(), demandOfW,
                        Optional.of(d), "dry run, not moved: " + d.explanation().detail()));
            } else {
                MoveRequest request = d.toMoveRequest(now);
                if (tracker.tryStart(request)) { // marks it in flight before the rescheduler can answer
                    toStart.add(request);
                    decisions.add(new Decision(round, now, w, Decision.Outcome.MOVE_STARTED, d.current(),
                            demandOfW, Optional.of(d), d.explanation().detail()));
                } else {
                    decisions.add(new Decision(round, now, w, Decision.Outcome.HOLD_IN_FLIGHT, d.current(),
                            demandOfW, Optional.of(d), "a move of this workload is already running"));
                }
            }
        }
        decisions.sort((a, b) -> a.workload().compareTo(b.workload()));

        for (MoveRequest request : toStart) {
            startMove(request, now);
        }
        int startedMoves = toStart.size();
        long took = System.nanoTime() - started;
        stats.roundTook(took);
        stats.decisions.add(decisions.size());
        stats.wouldMove.add(wouldMove);

        Map<WorkloadId, Decision> byWorkload = new HashMap<>(decisions.size() * 2);
        for (Decision d : decisions) {
            byWorkload.put(d.workload(), d);
        }
        lastDecisions = Collections.unmodifiableMap(byWorkload);
        RoundReport report = new RoundReport(round, now, decisions, planned.size(), startedMoves, wouldMove, Duration.ofNanos(took),
                Duration.ofNanos(inputsDone - started), Duration.ofNanos(planEnd - planStart), Optional.empty());
        lastRound = report;

        if (log.isDebugEnabled()) {
            for (Decision d : decisions) {
                log.debug("{}", d);
            }
        }
        if (log.isInfoEnabled() && (startedMoves > 0 || wouldMove > 0)) {
            log.info("round {}: {} workloads, {} moves started, {} dry-run moves, {} ms", round, decisions.size(),
                    startedMoves, wouldMove, took / 1_000_000);
        }
        if (!listeners.isEmpty()) {
            for (Decision d : decisions) {
                notifyDecision(d);
            }
        }
        return report;
    }

    private void startMove(MoveRequest request, Instant now) {
        if (gate instanceof StabilityGate stability) {
            stability.recordMove(request.workload(), now);
        }
        stats.movesStarted.increment();
        log.info("moving {} from {} to {}: {}", request.workload(), request.currentNodes(), request.targetNodes(),
                request.reason());
        CompletionStage<MoveResult> stage;
        try {
            stage = Objects.requireNonNull(rescheduler.move(request), "rescheduler returned no stage");
        } catch (RuntimeException e) {
            onMoveEnded(new MoveResult.Failed(request, "rescheduler threw " + e, false, e));
            return;
        }
        stage.whenComplete((result, error) -> {
            if (error != null) {
                onMoveEnded(new MoveResult.Failed(request, "rescheduler stage failed: " + error, false, error));
            } else if (result == null) {
                onMoveEnded(new MoveResult.Failed(request, "rescheduler completed with no result", false, null));
            } else {
                onMoveEnded(result);
            }
        });
    }

    private void onMoveEnded(MoveResult result) {
        Instant now = clock.instant();
        Duration backoff = tracker.completed(result, now);
        if (!result.isDone() && gate instanceof StabilityGate stability) {
            // nothing moved: the dwell time must not hold back the retry or a different move
            stability.forget(result.request().workload());
        }
        switch (result) {
            case MoveResult.Done done -> {
                stats.movesDone.increment();
                log.info("moved {} to {} in {}", done.request().workload(), done.request().targetNodes(), done.took());
            }
            case MoveResult.Refused refused -> {
                stats.movesRefused.increment();
                log.warn("move of {} to {} refused: {}; not asking again before the inputs change or the cool-down passes",
                        refused.request().workload(), refused.request().targetNodes(), refused.reason());
            }
            case MoveResult.Failed failed -> {
                stats.movesFailed.increment();
                log.warn("move of {} to {} failed ({}{}); retrying after {}", failed.request().workload(),
                        failed.request().targetNodes(), failed.reason(),
                        failed.rolledBack() ? ", rolled back" : "", backoff, failed.cause());
            }
        }
        for (DecisionListener l : listeners) {
            try {
                l.onMoveResult(result);
            } catch (RuntimeException e) {
                log.warn("decision listener {} threw on a move result; ignored", l, e);
            }
        }
    }

    private void notifyDecision(Decision d) {
        for (DecisionListener l : listeners) {
            try {
                l.onDecision(d);
            } catch (RuntimeException e) {
                log.warn("decision listener {} threw; ignored", l, e);
            }
        }
    }

    private static Decision.Outcome blockedOutcome(MoveTracker.Block block) {
        return switch (block) {
            case IN_FLIGHT -> Decision.Outcome.HOLD_IN_FLIGHT;
            case BACKOFF -> Decision.Outcome.HOLD_BACKOFF;
            case SETTLING -> Decision.Outcome.HOLD_SETTLING;
            case REFUSED -> Decision.Outcome.HOLD_REFUSED;
            case NONE -> throw new IllegalArgumentException("not blocked");
        };
    }

    /** The latest decision per workload (from the last round that read its inputs). */
    public Map<WorkloadId, Decision> lastDecisions() {
        return lastDecisions;
    }

    public Optional<Decision> lastDecision(WorkloadId workload) {
        return Optional.ofNullable(lastDecisions.get(workload));
    }

    public Optional<RoundReport> lastRound() {
        return Optional.ofNullable(lastRound);
    }

    /** Whether a move of the workload is running now. */
    public boolean moveInFlight(WorkloadId workload) {
        return tracker.inFlight(workload);
    }

    public ControllerStats stats() {
        return stats.snapshot();
    }

    /** Stops scheduling rounds; moves already handed to the rescheduler keep running. Idempotent. */
    @Override
    public synchronized void close() {
        closed = true;
        if (schedule != null) {
            schedule.cancel(false);
        }
        if (ownsExecutor && executor != null) {
            executor.shutdown();
            try {
                if (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
                    log.warn("a decision round is still running 10 s after close(); interrupting it");
                    executor.shutdownNow();
                }
            } catch (InterruptedException e) {
                executor.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Builds a {@link PlacementController}. Required: demand, topology, workloads, and a rescheduler unless dry run. */
    public static final class Builder {
        private DemandInput demandInput;
        private ServiceCatalog catalog;
        private DemandConfig demandConfig = DemandConfig.defaults();
        private DemandStore demandStore;
        private Function<Instant, DemandView> demandView;
        private Supplier<Topology> topology;
        private Supplier<? extends Collection<WorkloadSpec>> workloads;
        private PlacementPolicy policy;
        private MoveGate gate;
        private Rescheduler rescheduler;
        private InstantSource clock = InstantSource.system();
        private Duration interval = Duration.ofSeconds(30);
        private Duration minRoundSpacing = Duration.ofSeconds(2);
        private double replanTolerance = 0.05;
        private Duration replanMaxAge = Duration.ofMinutes(5);
        private boolean dryRun;
        private RetryPolicy retry = RetryPolicy.DEFAULT;
        private Duration settleTimeout = Duration.ofMinutes(2);
        private Random random = new Random();
        private ScheduledExecutorService executor;
        private final List<DecisionListener> listeners = new ArrayList<>();

        private Builder() {
        }

        /**
         * Demand from cumulative snapshots; {@code catalog} says which workload a (node, service, port) is.
         * The controller keeps a {@link DemandStore} (configured by {@link #demandConfig}).
         */
        public Builder demand(DemandInput input, ServiceCatalog catalog) {
            this.demandInput = Objects.requireNonNull(input, "input");
            this.catalog = Objects.requireNonNull(catalog, "catalog");
            this.demandView = null;
            return this;
        }

        /** Demand from snapshots into a store the caller made (and may query, e.g. for top clients). */
        public Builder demand(DemandInput input, DemandStore store) {
            this.demandInput = Objects.requireNonNull(input, "input");
            this.demandStore = Objects.requireNonNull(store, "store");
            this.demandView = null;
            return this;
        }

        /** Demand already computed elsewhere (rates per entry node): called once per round with its instant. */
        public Builder demandView(Function<Instant, DemandView> view) {
            this.demandView = Objects.requireNonNull(view, "view");
            this.demandInput = null;
            return this;
        }

        public Builder demandConfig(DemandConfig config) {
            this.demandConfig = Objects.requireNonNull(config, "config");
            return this;
        }

        /** The cluster now: nodes, latencies, current placements. Called once per round. */
        public Builder topology(Supplier<Topology> topology) {
            this.topology = Objects.requireNonNull(topology, "topology");
            return this;
        }

        public Builder workloads(Collection<WorkloadSpec> specs) {
            List<WorkloadSpec> copy = List.copyOf(specs);
            this.workloads = () -> copy;
            return this;
        }

        /** Workload specs that may change between rounds (workloads come and go). */
        public Builder workloads(Supplier<? extends Collection<WorkloadSpec>> specs) {
            this.workloads = Objects.requireNonNull(specs, "specs");
            return this;
        }

        /** Default: {@link LatencyAwarePolicy} with default settings. */
        public Builder policy(PlacementPolicy policy) {
            this.policy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * Default: a {@link StabilityGate} with {@link StabilityConfig#defaults()} on the controller's clock.
         * When the gate is a {@link StabilityGate}, the controller records every move it starts in it.
         */
        public Builder gate(MoveGate gate) {
            this.gate = Objects.requireNonNull(gate, "gate");
            return this;
        }

        public Builder rescheduler(Rescheduler rescheduler) {
            this.rescheduler = Objects.requireNonNull(rescheduler, "rescheduler");
            return this;
        }

        public Builder clock(InstantSource clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Time between scheduled rounds after {@link #start()}; default 30 s. */
        public Builder interval(Duration interval) {
            if (interval.isNegative() || interval.isZero()) {
                throw new IllegalArgumentException("interval must be positive, got " + interval);
            }
            this.interval = interval;
            return this;
        }

        /** A triggered round starts at least this long after the previous round started; default 2 s. */
        public Builder minRoundSpacing(Duration spacing) {
            if (spacing.isNegative()) {
                throw new IllegalArgumentException("minRoundSpacing must not be negative");
            }
            this.minRoundSpacing = spacing;
            return this;
        }

        /**
         * Incremental planning: a workload the policy last held (at its optimum, below the thresholds, without
         * demand) is not planned again while its spec, placement, the nodes and the latency matrix (same
         * instance) are unchanged, no node has a capacity limit, and its demand's shape (rate shares per entry
         * node) moved by at most {@code demandTolerance} (L1 distance, 0..2) since; it is re-planned at least
         * every {@code maxAge} (spread over [maxAge/2, maxAge]). Its decision then repeats the last explanation.
         * Default 0.05 and 5 minutes. {@code demandTolerance} 0 skips only unchanged inputs (no decision can
         * differ); {@link #replanEveryRound()} turns it off.
         */
        public Builder incrementalPlanning(double demandTolerance, Duration maxAge) {
            if (!(demandTolerance >= 0 && demandTolerance <= 2)) {
                throw new IllegalArgumentException("demandTolerance must be in [0, 2], got " + demandTolerance);
            }
            if (maxAge.isNegative()) {
                throw new IllegalArgumentException("maxAge must not be negative");
            }
            this.replanTolerance = demandTolerance;
            this.replanMaxAge = maxAge;
            return this;
        }

        /** Plans every workload every round (no incremental planning). */
        public Builder replanEveryRound() {
            this.replanTolerance = -1;
            this.replanMaxAge = Duration.ZERO;
            return this;
        }

        /** Decide and explain only; the rescheduler is never called. */
        public Builder dryRun(boolean dryRun) {
            this.dryRun = dryRun;
            return this;
        }

        public Builder retryPolicy(RetryPolicy retry) {
            this.retry = Objects.requireNonNull(retry, "retry");
            return this;
        }

        /**
         * After a successful move, how long the controller waits for the topology to show the new placement
         * before deciding about the workload again; default 2 minutes.
         */
        public Builder settleTimeout(Duration timeout) {
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("settleTimeout must not be negative");
            }
            this.settleTimeout = timeout;
            return this;
        }

        /** Seeds the backoff jitter, for reproducible runs. */
        public Builder seed(long seed) {
            this.random = new Random(seed);
            return this;
        }

        /** Runs scheduled rounds on this executor instead of an own daemon thread (not shut down by close). */
        public Builder executor(ScheduledExecutorService executor) {
            this.executor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        public Builder listener(DecisionListener listener) {
            listeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        public PlacementController build() {
            return new PlacementController(this);
        }

        private Function<Instant, DemandView> demandFunction() {
            if (demandView != null) {
                return demandView;
            }
            if (demandInput == null) {
                throw new IllegalStateException("demand is required: builder.demand(input, catalog) or builder.demandView(...)");
            }
            DemandStore store = demandStore != null ? demandStore : new DemandStore(catalog, demandConfig);
            return new SnapshotDemand(demandInput, store);
        }
    }

    /** Feeds each new snapshot into the store once, then reads the decayed view. Round thread (or round lock) only. */
    private static final class SnapshotDemand implements Function<Instant, DemandView> {
        private record Seen(long generation, Instant takenAt) {
        }

        private final DemandInput input;
        private final DemandStore store;
        private final Map<NodeId, Seen> seen = new HashMap<>();
        final java.util.Queue<OriginSnapshot> pushed = new java.util.concurrent.ConcurrentLinkedQueue<>();

        SnapshotDemand(DemandInput input, DemandStore store) {
            this.input = input;
            this.store = store;
        }

        void ingestOnce(OriginSnapshot s) {
            Seen key = new Seen(s.generation(), s.takenAt());
            if (!key.equals(seen.get(s.node()))) {
                seen.put(s.node(), key);
                store.ingest(s);
            }
        }

        void drainPushed() {
            OriginSnapshot s;
            while ((s = pushed.poll()) != null) {
                ingestOnce(s);
            }
        }

        @Override
        public DemandView apply(Instant now) {
            drainPushed();
            List<OriginSnapshot> snapshots = Objects.requireNonNull(input.latest(), "demand input returned null");
            for (OriginSnapshot s : snapshots) {
                ingestOnce(s);
            }
            store.maintain(now);
            return store.view(now);
        }
    }
}
