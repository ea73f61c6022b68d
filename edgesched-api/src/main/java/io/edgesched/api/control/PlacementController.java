package io.edgesched.api.control;

import io.edgesched.api.MoveRequest;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.Rescheduler;
import io.edgesched.api.WorkloadId;
import io.edgesched.api.demand.DemandConfig;
import io.edgesched.api.demand.DemandStore;
import io.edgesched.api.demand.DemandView;
import io.edgesched.api.demand.ServiceCatalog;
import io.edgesched.api.policy.LatencyAwarePolicy;
import io.edgesched.api.policy.MoveGate;
import io.edgesched.api.policy.PlacementPolicy;
import io.edgesched.api.policy.StabilityConfig;
import io.edgesched.api.policy.StabilityGate;
import io.edgesched.api.policy.WorkloadSpec;
import io.edgesched.api.topology.Topology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The control loop: reads one {@link RoundInput} per round (demand and topology of the same instant), asks the
 * {@link PlacementPolicy} for a plan (moves pass the {@link MoveGate}), and hands the moves to a {@link Rescheduler}.
 * <ul>
 *   <li>Runs every {@code interval} after {@link #start()}, and soon after {@link #trigger()} ({@link RoundScheduler});
 *       {@link #reconcileOnce()} runs one round in the caller's thread (tests, simulators).</li>
 *   <li>At most one move per workload runs at a time; moves run asynchronously ({@link MoveDispatcher}).</li>
 *   <li>A failed move is retried after an exponential backoff with jitter; a refused one is not asked again,
 *       unchanged, before a cool-down. Either way the other workloads carry on.</li>
 *   <li>In dry-run mode it decides and explains but never calls the rescheduler.</li>
 *   <li>Every decision is explained ({@link Decision}), logged at debug level and passed to listeners.</li>
 * </ul>
 * Rounds never overlap. Time comes from the injected clock, so tests and simulators drive it.
 */
public final class PlacementController implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PlacementController.class);

    private final RoundInput.Source input;
    private final SnapshotDemand snapshots;
    private final InstantSource clock;
    private final Duration interval;
    private final boolean dryRun;
    private final StatsRecorder stats = new StatsRecorder();
    private final List<DecisionListener> listeners = new CopyOnWriteArrayList<>();
    private final ReentrantLock roundLock = new ReentrantLock();
    private final AtomicBoolean drainPending = new AtomicBoolean();
    private final DecisionRound decide;
    private final MoveDispatcher moves;
    private final RoundScheduler scheduler;

    private volatile Map<WorkloadId, Decision> lastDecisions = Map.of();
    private volatile RoundReport lastRound;
    private long rounds;
    private volatile boolean closed;
    private final Level roundLevel;
    private final PlacementPolicy policy;
    private final DemandConfig demandConfig;
    private final double replanTolerance;

    private PlacementController(Builder b) {
        this.clock = b.clock;
        this.snapshots = b.snapshotDemand();
        this.input = b.roundInput(snapshots);
        PlacementPolicy policy = b.policy != null ? b.policy : new LatencyAwarePolicy();
        MoveGate gate = b.gate != null ? b.gate : new StabilityGate(StabilityConfig.defaults(), clock);
        this.dryRun = b.dryRun;
        if (!dryRun && b.rescheduler == null) {
            throw new IllegalStateException("a rescheduler is required unless the controller is a dry run: "
                    + "builder.rescheduler(...) or builder.dryRun(true)");
        }
        this.interval = b.interval;
        MoveTracker tracker = new MoveTracker(b.retry, b.settleTimeout, b.random);
        this.listeners.addAll(b.listeners);
        this.moves = new MoveDispatcher(b.rescheduler, gate, tracker, clock, stats, listeners, b.quiet);
        this.roundLevel = b.quiet ? Level.DEBUG : Level.INFO;
        this.policy = policy;
        this.demandConfig = b.demandStore != null ? b.demandStore.config() : b.demandConfig;
        this.replanTolerance = b.replanTolerance;
        this.decide = new DecisionRound(policy, gate, tracker, new ReplanFilter(b.replanTolerance, b.replanMaxAge), dryRun);
        this.scheduler = b.executor != null
                ? RoundScheduler.on(b.executor, "decision round", this::roundThenHousekeep, b.minRoundSpacing)
                : RoundScheduler.ownThread("edgesched-controller", this::roundThenHousekeep, b.minRoundSpacing);
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
        scheduler.start(Duration.ZERO, interval);
    }

    /**
     * Asks for a round soon (new demand reports, topology change). Triggers that arrive while one is pending
     * are merged into it, and a triggered round starts no sooner than {@code minRoundSpacing} after the
     * previous round started, so a storm of reports cannot keep a core busy. Needs {@link #start()}.
     */
    public void trigger() {
        synchronized (this) {
            if (!scheduler.isStarted() || closed) {
                throw new IllegalStateException("trigger() needs a started controller: call start() first, "
                        + "or reconcileOnce() to run a round in this thread");
            }
        }
        scheduler.trigger();
    }

    /**
     * Pushes one node's snapshot in as it arrives, instead of (or besides) the {@link DemandInput} pulled at
     * each round: the snapshot is ingested into the demand store now (on the controller's thread once started,
     * else in the caller's thread), so the next round only reads demand. Spreads the ingest cost over the
     * interval when reports trickle in. Needs snapshot demand ({@code builder.demand(input, ...)}).
     */
    public void ingest(OriginSnapshot snapshot) {
        ingestAll(List.of(Objects.requireNonNull(snapshot, "snapshot")));
    }

    /**
     * {@link #ingest} for a batch (e.g. every node's latest report at once): the store prepares different nodes'
     * snapshots in parallel ({@link io.edgesched.api.demand.DemandStore#ingestAll}).
     */
    public void ingestAll(Collection<OriginSnapshot> batch) {
        if (snapshots == null) {
            throw new IllegalStateException("ingest() needs a controller built with snapshot demand: "
                    + "builder.demand(input, catalog) or builder.demand(input, store), not demandView(...)");
        }
        for (OriginSnapshot s : batch) {
            snapshots.pushed.add(Objects.requireNonNull(s, "snapshot"));
        }
        boolean started;
        synchronized (this) {
            started = scheduler.isStarted() && !closed;
        }
        if (started) {
            if (drainPending.compareAndSet(false, true)) {
                scheduler.execute(() -> {
                    drainPending.set(false);
                    drainLocked();
                });
            }
        } else {
            drainLocked();
        }
    }

    private void drainLocked() {
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

    /**
     * Does the work that can wait for the time between rounds, so that the next round does not: today the demand
     * store's growth ahead of need ({@link io.edgesched.api.demand.DemandStore#growAhead}). The controller's own
     * schedule runs it after each round; callers of {@link #reconcileOnce()} may call it when they are idle.
     * Waits if a round is running. Returns whether there was anything to do.
     */
    public boolean housekeep() {
        if (snapshots == null) {
            return false;
        }
        roundLock.lock();
        try {
            return snapshots.housekeep();
        } catch (RuntimeException e) {
            log.warn("housekeeping between rounds failed; the next ingest does the same work if it must", e);
            return false;
        } finally {
            roundLock.unlock();
        }
    }

    private void roundThenHousekeep() {
        reconcileOnce();
        housekeep();
    }

    private RoundReport round() {
        long started = System.nanoTime();
        long round = ++rounds;
        Instant now = clock.instant();

        RoundInput in;
        Map<WorkloadId, WorkloadSpec> specOf;
        try {
            in = Objects.requireNonNull(input.read(now), "round input is null");
            specOf = DecisionRound.specsByWorkload(in.workloads());
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
        DecisionRound.Result out = decide.decide(round, now, in, specOf);
        List<Decision> decisions = out.decisions();
        for (MoveRequest request : out.toStart()) {
            moves.start(request, now);
        }
        int startedMoves = out.toStart().size();
        int wouldMove = out.wouldMove();
        long took = System.nanoTime() - started;
        stats.roundTook(took);
        stats.decisions.add(decisions.size());
        stats.wouldMove.add(wouldMove);

        Map<WorkloadId, Decision> byWorkload = new HashMap<>(decisions.size() * 2);
        for (Decision d : decisions) {
            byWorkload.put(d.workload(), d);
        }
        lastDecisions = Collections.unmodifiableMap(byWorkload);
        RoundReport report = new RoundReport(round, now, decisions, out.planned(), startedMoves, wouldMove,
                Duration.ofNanos(took), Duration.ofNanos(inputsDone - started), Duration.ofNanos(out.planNanos()),
                Optional.empty());
        lastRound = report;

        if (log.isDebugEnabled()) {
            for (Decision d : decisions) {
                log.debug("{}", d);
            }
        }
        if (log.isEnabledForLevel(roundLevel) && (startedMoves > 0 || wouldMove > 0)) {
            log.atLevel(roundLevel).log("round {}: {} workloads, {} moves started, {} dry-run moves, {} ms", round, decisions.size(),
                    startedMoves, wouldMove, took / 1_000_000);
        }
        if (!listeners.isEmpty()) {
            for (Decision d : decisions) {
                notifyDecision(d);
            }
        }
        return report;
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
        return moves.tracker().inFlight(workload);
    }

    public ControllerStats stats() {
        return stats.snapshot();
    }

    /**
     * Runs this controller's round code on a synthetic cluster of {@code shape} before the first real round, so
     * the JIT has compiled it ({@link WarmUp}): the same policy type and settings (a fresh instance of the
     * built-in policy, so its per-topology cache stays this controller's), demand configuration and incremental
     * planning. Touches nothing of this controller's state; call it before {@link #start()}, e.g. while waiting
     * for leadership.
     */
    public WarmUp.Report warmUp(WarmUp.Shape shape) {
        PlacementPolicy shadowPolicy = policy instanceof LatencyAwarePolicy p ? new LatencyAwarePolicy(p.config()) : policy;
        return WarmUp.run(shape, shadowPolicy, demandConfig, replanTolerance);
    }

    /** Stops scheduling rounds; moves already handed to the rescheduler keep running. Idempotent. */
    @Override
    public synchronized void close() {
        closed = true;
        scheduler.close();
    }

    /** Builds a {@link PlacementController}. Required: demand, topology, workloads, and a rescheduler unless dry run. */
    public static final class Builder {
        private DemandInput demandInput;
        private ServiceCatalog catalog;
        private DemandConfig demandConfig = DemandConfig.defaults();
        private DemandStore demandStore;
        private Function<Instant, DemandView> demandView;
        private RoundInput.Source roundInput;
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
        private boolean quiet;

        private Builder() {
        }

        /** Round and move lines at debug level (a warm-up's throw-away controller). */
        Builder quiet() {
            this.quiet = true;
            return this;
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

        /**
         * Demand, topology and workloads together, read once per round at the round's instant: for inputs that
         * must agree (both from the same reports and cluster snapshot). Replaces demand, topology and workloads.
         */
        public Builder roundInput(RoundInput.Source input) {
            this.roundInput = Objects.requireNonNull(input, "input");
            this.demandInput = null;
            this.demandView = null;
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
         * The controller tells the gate of every move it starts and how it ended ({@link MoveGate#moveStarted},
         * {@link MoveGate#moveEnded}).
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

        private SnapshotDemand snapshotDemand() {
            if (roundInput != null || demandView != null || demandInput == null) {
                return null;
            }
            DemandStore store = demandStore != null ? demandStore : new DemandStore(catalog, demandConfig);
            return new SnapshotDemand(demandInput, store);
        }

        /** One source for the round: the given one, or demand, topology and workloads read in that order. */
        private RoundInput.Source roundInput(SnapshotDemand snapshots) {
            if (roundInput != null) {
                return roundInput;
            }
            Function<Instant, DemandView> demand = snapshots != null ? snapshots : demandView;
            if (demand == null) {
                throw new IllegalStateException("demand is required: builder.demand(input, catalog), "
                        + "builder.demandView(...) or builder.roundInput(...)");
            }
            Supplier<Topology> topo = Objects.requireNonNull(topology, "topology supplier is required: builder.topology(...)");
            Supplier<? extends Collection<WorkloadSpec>> specs =
                    Objects.requireNonNull(workloads, "workload specs are required: builder.workloads(...)");
            return now -> new RoundInput(Objects.requireNonNull(demand.apply(now), "demand view is null"),
                    Objects.requireNonNull(topo.get(), "topology supplier returned null"), List.copyOf(specs.get()));
        }
    }
}
