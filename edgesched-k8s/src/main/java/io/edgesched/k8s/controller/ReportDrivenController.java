package io.edgesched.k8s.controller;

import io.edgesched.api.MoveRequest;
import io.edgesched.api.Rescheduler;
import io.edgesched.api.control.Decision;
import io.edgesched.api.control.DecisionListener;
import io.edgesched.api.control.PlacementController;
import io.edgesched.api.control.RoundInput;
import io.edgesched.api.control.RoundReport;
import io.edgesched.api.control.RoundScheduler;
import io.edgesched.api.MoveResult;
import io.edgesched.api.policy.LatencyAwarePolicy;
import io.edgesched.api.policy.PolicyConfig;
import io.edgesched.api.policy.StabilityConfig;
import io.edgesched.api.policy.StabilityGate;
import io.edgesched.k8s.metrics.EdgeschedMetrics;
import io.edgesched.k8s.report.OriginReportWatcher;
import io.edgesched.api.demand.HandoffRule;
import io.edgesched.k8s.report.ReportDemandView;
import io.edgesched.k8s.report.ReportHandoffs;
import io.edgesched.k8s.report.ReportedDemand;
import io.edgesched.k8s.topology.ClusterSnapshot;
import io.edgesched.k8s.topology.EngineTopology;
import io.edgesched.k8s.topology.KubernetesTopology;
import io.edgesched.k8s.topology.LatencyMatrixCache;
import io.edgesched.api.topology.MissingLatency;
import io.edgesched.api.topology.Topology;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kubernetes controller: fresh OriginReports become the demand, the informer topology (plus the node RTTs
 * the agents measured) the topology, opted-in Deployments the workloads; the engine's {@link PlacementController}
 * decides with the latency-aware policy behind a {@link StabilityGate}, and moves go to the given rescheduler.
 * Rounds run every interval and shortly after a new report arrives.
 *
 * <p>It decides whenever it runs: on a cluster with several replicas, run it only while leading (start it from
 * {@link io.edgesched.k8s.leader.Leadership}'s {@code whileLeading}, which closes it when the Lease is lost).
 * {@link #close()} makes it start no further move: new moves are refused and the moves under way are cancelled
 * ({@code KubernetesRescheduler} stops them without a further patch or a rollback; the next leader decides again).
 */
public final class ReportDrivenController implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReportDrivenController.class);

    /**
     * @param interval      time between scheduled rounds
     * @param reportDelay   a round runs this long after a new report (reports of one period arrive together)
     * @param rate          which reported rate counts as demand
     * @param latencyRefresh the node latency matrix is rebuilt at most this often (at once when nodes change)
     * @param handoff       when a client listed at one node and arriving at another counts at the new one
     *                      (docs/k8s-reports.md, "Handoff across nodes"); {@link HandoffRule#off()} never
     */
    public record Settings(Duration interval, Duration reportDelay, ReportedDemand.Rate rate, PolicyConfig policy,
                           StabilityConfig stability, boolean dryRun, Duration latencyRefresh, HandoffRule handoff) {
        public Settings {
            Objects.requireNonNull(latencyRefresh, "latencyRefresh");
            Objects.requireNonNull(handoff, "handoff");
            Objects.requireNonNull(interval, "interval");
            Objects.requireNonNull(reportDelay, "reportDelay");
            Objects.requireNonNull(rate, "rate");
            Objects.requireNonNull(policy, "policy");
            Objects.requireNonNull(stability, "stability");
        }

        /** With the default handoff rule. */
        public Settings(Duration interval, Duration reportDelay, ReportedDemand.Rate rate, PolicyConfig policy,
                        StabilityConfig stability, boolean dryRun, Duration latencyRefresh) {
            this(interval, reportDelay, rate, policy, stability, dryRun, latencyRefresh, HandoffRule.defaults());
        }

        public Settings withHandoff(HandoffRule rule) {
            return new Settings(interval, reportDelay, rate, policy, stability, dryRun, latencyRefresh, rule);
        }

        /** With the latency matrix refreshed every 60 s. */
        public Settings(Duration interval, Duration reportDelay, ReportedDemand.Rate rate, PolicyConfig policy,
                        StabilityConfig stability, boolean dryRun) {
            this(interval, reportDelay, rate, policy, stability, dryRun, Duration.ofSeconds(60));
        }

        public static Settings defaults() {
            return new Settings(Duration.ofSeconds(15), Duration.ofSeconds(1), ReportedDemand.Rate.PACKETS,
                    PolicyConfig.defaults(), StabilityConfig.defaults(), false);
        }
    }

    /**
     * A report listing a client's arrival or departure may complete a handoff: the round runs this soon after it,
     * not after {@code reportDelay} (which waits for the rest of a period's reports).
     */
    static final Duration MOVEMENT_DELAY = Duration.ofMillis(50);

    private final KubernetesTopology topology;
    private final OriginReportWatcher reports;
    private final OwnMoves moves;
    private final EdgeschedMetrics metrics;
    private final Settings settings;
    private final PlacementController controller;
    private final RoundScheduler rounds;
    private volatile RoundReport lastRound;
    private final Clock clock;
    private final java.util.function.Consumer<Throwable> onFatal;
    private final Instant startedAt;
    /** When the loop last completed a round. */
    private volatile Instant lastTick;
    private volatile Throwable fatal;
    private volatile boolean closed;
    /** Triggers a round after a report; removed from the watcher on close (the watcher outlives leadership terms). */
    private final java.util.function.Consumer<OriginReportWatcher.ReceivedReport> reportArrived;

    private ReportDrivenController(KubernetesTopology topology, OriginReportWatcher reports, Rescheduler rescheduler,
                                   EdgeschedMetrics metrics, Settings settings, Clock clock,
                                   java.util.function.Consumer<Throwable> onFatal) {
        this.clock = clock;
        this.onFatal = onFatal;
        this.startedAt = clock.instant();
        this.topology = topology;
        this.reports = reports;
        this.moves = rescheduler == null ? null : new OwnMoves(rescheduler);
        this.metrics = metrics;
        this.settings = settings;
        this.controller = placementController(topology::snapshot, reports::fresh, moves, metrics, settings, clock);
        this.rounds = RoundScheduler.ownThread("edgesched-controller", this::roundSafely, Duration.ZERO);
        this.reportArrived = r -> rounds.trigger(carriesMovement(r) ? min(settings.reportDelay(), MOVEMENT_DELAY)
                : settings.reportDelay());
        metrics.droppedReportEntries(reports::droppedEntries);
        metrics.reportAges(() -> {
            Instant now = clock.instant();
            return reports.all().stream().map(r -> r.age(now)).toList();
        }, reports.ttl());
    }

    /**
     * The engine's controller wired to Kubernetes inputs: demand from the fresh reports, topology from the cluster
     * snapshot plus the RTTs the reports carry, one workload spec per opted-in Deployment. Exposed so that
     * benchmarks and simulators can drive it with inputs that do not come from informers.
     */
    public static PlacementController placementController(Supplier<ClusterSnapshot> cluster,
                                                          Supplier<List<OriginReportWatcher.ReceivedReport>> freshReports,
                                                          Rescheduler rescheduler, EdgeschedMetrics metrics,
                                                          Settings settings, Clock clock) {
        LatencyMatrixCache latency = new LatencyMatrixCache(settings.latencyRefresh(), MissingLatency.SYMMETRIC_THEN_TRIANGLE);
        StabilityGate gate = new StabilityGate(settings.stability(), clock);
        ReportHandoffs handoffs = new ReportHandoffs(settings.handoff()); // only the round thread writes it
        metrics.handoffs(handoffs::handoffCount, handoffs::endedCount);
        PlacementController.Builder b = PlacementController.builder()
                .clock(clock)
                // one cluster snapshot and one read of the reports per round: demand, the latencies the reports
                // carry, placements and workload specs all describe the same instant
                .roundInput(now -> {
                    ClusterSnapshot snapshot = cluster.get();
                    ReportedDemand demand = ReportedDemand.from(freshReports.get(), settings.rate(), handoffs, now);
                    rememberEarlierMoves(gate, snapshot, settings.stability().minDwell(), now);
                    Topology topology = EngineTopology.topology(snapshot,
                            latency.get(snapshot.nodes().keySet(), ReportDemandView.latencies(demand), now));
                    return new RoundInput(ReportDemandView.demandView(demand, now), topology,
                            EngineTopology.workloadSpecs(snapshot));
                })
                .policy(new LatencyAwarePolicy(settings.policy()))
                .gate(gate)
                .interval(settings.interval())
                .dryRun(settings.dryRun())
                .listener(new DecisionListener() {
                    @Override
                    public void onDecision(Decision d) {
                        metrics.decision(d);
                        if (d.reason().isMove()) {
                            LOG.info("{}", d);
                        } else {
                            LOG.debug("{}", d);
                        }
                    }

                    @Override
                    public void onMoveResult(MoveResult result) {
                        LOG.info("move of {} ended: {}", result.request().workload(), result);
                    }
                });
        if (!settings.dryRun()) {
            Objects.requireNonNull(rescheduler, "a rescheduler is required unless dry-run");
            b.rescheduler(request -> metrics.track(rescheduler.move(request)));
        }
        return b.build();
    }

    /**
     * Moves made before this controller led (a previous leader, or before a restart) still count for the dwell:
     * the mover writes {@code edgesched.io/moved-at} on the pod template, and a workload this gate has no move
     * for gets that one, oldest first, if it is younger than the dwell.
     */
    static void rememberEarlierMoves(StabilityGate gate, ClusterSnapshot snapshot, Duration dwell, Instant now) {
        snapshot.workloads().values().stream()
                .filter(w -> w.lastMovedAt().isPresent() && gate.lastMove(w.id()).isEmpty())
                .filter(w -> w.lastMovedAt().get().isAfter(now.minus(dwell)) && !w.lastMovedAt().get().isAfter(now))
                .sorted(java.util.Comparator.comparing(w -> w.lastMovedAt().get()))
                .forEach(w -> {
                    gate.recordMove(w.id(), w.lastMovedAt().get());
                    LOG.info("{} was moved at {} (before this controller led): dwell counts from then", w.id(),
                            w.lastMovedAt().get());
                });
    }

    private static boolean carriesMovement(OriginReportWatcher.ReceivedReport r) {
        return r.report().getSpec().workloads().stream()
                .anyMatch(w -> !w.arrivals().isEmpty() || !w.departures().isEmpty());
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** Builds the controller and starts its schedule; reports arriving trigger a round after {@code reportDelay}. */
    public static ReportDrivenController start(KubernetesTopology topology, OriginReportWatcher reports,
                                               Rescheduler rescheduler, EdgeschedMetrics metrics, Settings settings,
                                               Clock clock) {
        return start(topology, reports, rescheduler, metrics, settings, clock, t -> { });
    }

    /**
     * As above; {@code onFatal} is called once, on the loop's thread, when a round ends with an Error (e.g.
     * OutOfMemoryError): the loop has stopped, {@link #unhealthy()} says so, and the caller should give up
     * leadership ({@link io.edgesched.k8s.leader.Leadership#stepDown()}) and exit non-zero so another instance
     * takes over.
     */
    public static ReportDrivenController start(KubernetesTopology topology, OriginReportWatcher reports,
                                               Rescheduler rescheduler, EdgeschedMetrics metrics, Settings settings,
                                               Clock clock, java.util.function.Consumer<Throwable> onFatal) {
        ReportDrivenController c = new ReportDrivenController(topology, reports, rescheduler, metrics, settings,
                clock, Objects.requireNonNull(onFatal, "onFatal"));
        // reports of one period arrive together: one round reportDelay after the first of them
        reports.addListener(c.reportArrived);
        c.rounds.start(Duration.ZERO, settings.interval());
        return c;
    }

    /** Runs one round now in the caller's thread. After {@link #close()} it throws IllegalStateException. */
    public RoundReport runOnce() {
        if (closed) {
            throw new IllegalStateException("the controller is closed (its leadership ended, or it shut down)");
        }
        RoundReport report = controller.reconcileOnce();
        metrics.decisionTime().record(report.took());
        report.inputError().ifPresent(e -> LOG.warn("round {} decided nothing: {}", report.round(), e));
        lastRound = report;
        return report;
    }

    public Optional<RoundReport> lastRound() {
        return Optional.ofNullable(lastRound);
    }

    public PlacementController placementController() {
        return controller;
    }

    /** The cluster as this controller sees it now. */
    public ClusterSnapshot cluster() {
        return topology.snapshot();
    }

    private void roundSafely() {
        if (fatal != null || closed) {
            return;
        }
        try {
            runOnce();
            lastTick = clock.instant();
            controller.housekeep(); // in the idle time before the next round, not in this round's latency
        } catch (RuntimeException e) {
            LOG.error("placement round failed; the next one runs in {}", settings.interval(), e);
        } catch (Throwable t) { // an Error would otherwise cancel the schedule silently
            fatal = t;
            // later scheduled runs return at once (closing the scheduler from its own thread would wait on itself)
            LOG.error("placement loop stopped by {}; reporting unhealthy and giving up", t.toString(), t);
            try {
                onFatal.accept(t);
            } catch (RuntimeException e) {
                LOG.error("fatal-error handler failed", e);
            }
        }
    }

    /**
     * Why this controller should not be considered alive, or empty: the loop died, an informer is not
     * synced (or stopped), or no round has completed for three intervals plus 30 s. Serve it on /healthz.
     */
    public Optional<String> unhealthy() {
        Throwable f = fatal;
        if (f != null) {
            return Optional.of("placement loop stopped by " + f);
        }
        List<String> topo = topology.notSynced();
        if (!topo.isEmpty()) {
            return Optional.of("topology informers not synced: " + topo);
        }
        if (!reports.synced()) {
            return Optional.of("OriginReport informer not synced");
        }
        Instant last = lastTick != null ? lastTick : startedAt;
        Duration limit = settings.interval().multipliedBy(3).plusSeconds(30);
        Duration age = Duration.between(last, clock.instant());
        if (age.compareTo(limit) > 0) {
            return Optional.of("no placement round completed for " + age.toSeconds() + " s (limit " + limit.toSeconds()
                    + " s)");
        }
        return Optional.empty();
    }

    /** Refuses new moves and cancels those under way (no further patch), then stops the rounds. Idempotent. */
    @Override
    public void close() {
        closed = true;
        reports.removeListener(reportArrived);
        if (moves != null) {
            moves.close();
        }
        rounds.close();
        controller.close();
    }

    /**
     * The moves this controller started: once it is closed (e.g. its leadership ended) it starts none, and the
     * ones under way end at once as {@code Failed} (not rolled back) while the rescheduler's own move is cancelled.
     */
    private static final class OwnMoves implements Rescheduler {
        private record UnderWay(MoveRequest request, CompletableFuture<MoveResult> inner) {
        }

        private final Rescheduler delegate;
        /** Keyed by the future handed to the controller. */
        private final Map<CompletableFuture<MoveResult>, UnderWay> underWay = new ConcurrentHashMap<>();
        private volatile boolean closed;

        OwnMoves(Rescheduler delegate) {
            this.delegate = delegate;
        }

        @Override
        public CompletionStage<MoveResult> move(MoveRequest request) {
            if (closed) {
                return CompletableFuture.completedFuture(new MoveResult.Refused(request,
                        "the controller is closed; it starts no further moves"));
            }
            CompletableFuture<MoveResult> outer = new CompletableFuture<>();
            CompletableFuture<MoveResult> inner = delegate.move(request).toCompletableFuture();
            UnderWay move = new UnderWay(request, inner);
            underWay.put(outer, move);
            inner.whenComplete((r, t) -> {
                underWay.remove(outer);
                outer.complete(t != null ? new MoveResult.Failed(request, "move failed: " + t, false, t) : r);
            });
            if (closed) { // closed between the check and the registration
                abandon(outer, move);
            }
            return outer;
        }

        void close() {
            closed = true;
            underWay.forEach(this::abandon);
        }

        private void abandon(CompletableFuture<MoveResult> outer, UnderWay move) {
            if (outer.complete(new MoveResult.Failed(move.request(), "the controller stopped during the move (its"
                    + " leadership ended, or it is shutting down); stopped without further changes, the next leader"
                    + " decides again", false, null))) {
                LOG.info("controller stopped: abandoning the move of {}", move.request().workload());
            }
            move.inner().cancel(true);
            underWay.remove(outer);
        }
    }
}
