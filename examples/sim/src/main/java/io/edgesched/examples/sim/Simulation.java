package io.edgesched.examples.sim;

import io.edgesched.api.NodeId;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.WorkloadId;
import io.edgesched.api.control.ControllerStats;
import io.edgesched.api.control.DemandInput;
import io.edgesched.api.control.PlacementController;
import io.edgesched.api.control.RetryPolicy;
import io.edgesched.api.control.WarmUp;
import io.edgesched.api.control.RoundReport;
import io.edgesched.api.demand.DemandConfig;
import io.edgesched.api.demand.HandoffRule;
import io.edgesched.api.demand.DemandMetric;
import io.edgesched.api.demand.DemandView;
import io.edgesched.api.demand.EntryDemand;
import io.edgesched.api.demand.ServiceCatalog;
import io.edgesched.api.demand.WorkloadDemand;
import io.edgesched.api.policy.LatencyAwarePolicy;
import io.edgesched.api.policy.MoveGate;
import io.edgesched.api.policy.PlacementInput;
import io.edgesched.api.policy.PlacementPlan;
import io.edgesched.api.policy.PolicyConfig;
import io.edgesched.api.policy.StabilityConfig;
import io.edgesched.api.policy.StabilityGate;
import io.edgesched.api.policy.WorkloadDecision;
import io.edgesched.api.policy.WorkloadSpec;
import io.edgesched.api.topology.LatencyMatrix;
import io.edgesched.api.topology.MissingLatency;
import io.edgesched.api.topology.NodeInfo;
import io.edgesched.api.topology.Placement;
import io.edgesched.api.topology.Topology;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Drives the real {@link PlacementController} (with the real policy, gate and demand store) against a
 * {@link SimWorld} on simulated time. One {@link #step()} = clients move, time passes, moves complete,
 * nodes report, the controller decides.
 */
final class Simulation {
    static final Instant START = Instant.parse("2026-01-01T00:00:00Z");
    /** Enumerating every node set stays below this many (set, entry) evaluations per step. */
    static final long EXACT_BUDGET = 20_000_000L;

    private final SimConfig config;
    private final SimWorld world;
    private final SimClock clock = new SimClock(START);
    private final SimRescheduler rescheduler;
    private final PlacementController controller;
    private final List<NodeInfo> nodeInfos;
    private final LatencyMatrix latency;
    private final List<WorkloadSpec> specs;
    private final LatencyAwarePolicy policy;
    private final SimConfig.Optimal optimal;
    private List<OriginSnapshot> latestSnapshots = List.of();
    private Topology topology;
    private int step;
    private RoundReport lastReport;
    private long lastRoundCpuNanos;
    private static final com.sun.management.OperatingSystemMXBean PROCESS =
            (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();

    private final MobilityTracker mobility;

    Simulation(SimConfig config) {
        this(config, HandoffRule.defaults());
    }

    /** With the demand store's handoff rule ({@link HandoffRule#off()} to compare with decay alone). */
    Simulation(SimConfig config, HandoffRule handoff) {
        this.config = config;
        this.world = new SimWorld(config.nodes(), config.workloads(), config.clients(), config.seed(),
                config.jumpRate(), config.driftKm(), config.maxReplicas());
        this.rescheduler = new SimRescheduler(world, clock, config.seed() + 1, config.failRate(), config.refuseRate(),
                config.minMoveDelay(), config.maxMoveDelay());

        nodeInfos = new ArrayList<>(world.nodeCount);
        for (NodeId id : world.nodeIds) {
            nodeInfos.add(NodeInfo.ready(id));
        }
        LatencyMatrix.Builder matrix = LatencyMatrix.builder(List.of(world.nodeIds));
        for (int i = 0; i < world.nodeCount; i++) {
            for (int j = 0; j < world.nodeCount; j++) {
                if (i != j) {
                    matrix.measure(world.nodeIds[i], world.nodeIds[j], world.rtt(i, j));
                }
            }
        }
        latency = matrix.build(MissingLatency.UNKNOWN);
        specs = new ArrayList<>(world.workloadCount);
        for (int w = 0; w < world.workloadCount; w++) {
            specs.add(WorkloadSpec.of(world.workloadIds[w], world.replicas[w]));
        }
        WorkloadId[] ids = world.workloadIds;
        // one answer object per service, made once: the catalog is asked ~600k times per step at full size
        List<Optional<WorkloadId>> answers = new ArrayList<>(ids.length);
        for (WorkloadId id : ids) {
            answers.add(Optional.of(id));
        }
        ServiceCatalog catalog = (node, serviceId, port) ->
                serviceId >= 0 && serviceId < ids.length ? answers.get(serviceId) : Optional.empty();
        policy = new LatencyAwarePolicy(PolicyConfig.defaults().withParallel(config.parallel()));
        StabilityGate gate = new StabilityGate(new StabilityConfig(config.relativeGain(), config.absoluteGainMicros(),
                config.minDwell(), config.movesPerMinute(), config.burst()), clock);
        // every client of the simulator sends one connection per request
        DemandConfig demandConfig = DemandConfig.defaults().withMetric(DemandMetric.CONNECTIONS)
                .withMaxAggregates(Math.max(2_000_000, config.clients() * 2)).withHandoff(handoff);
        refreshTopology();
        PlacementController.Builder builder = PlacementController.builder()
                .clock(clock)
                .demand(config.pushSnapshots() ? DemandInput.PUSH_ONLY : DemandInput.of(() -> latestSnapshots), catalog)
                .demandConfig(demandConfig)
                .topology(() -> topology)
                .workloads(specs)
                .policy(policy)
                .gate(gate)
                .rescheduler(rescheduler)
                .dryRun(config.dryRun())
                .retryPolicy(new RetryPolicy(config.step(), config.step().multipliedBy(32), 2, 0.2,
                        config.step().multipliedBy(30)))
                .seed(config.seed() + 2);
        if (config.replanTolerance() < 0) {
            builder.replanEveryRound();
        } else {
            builder.incrementalPlanning(config.replanTolerance(), Duration.ofMinutes(5));
        }
        controller = builder.build();
        optimal = resolveOptimal(config);
        mobility = new MobilityTracker(world);
    }

    /** Handoffs of tracked clients and the steps until their workload's move was issued. */
    String mobilitySummary() {
        return mobility.summary();
    }

    private SimConfig.Optimal resolveOptimal(SimConfig c) {
        if (c.optimal() == SimConfig.Optimal.AUTO) {
            return exactFeasible() ? SimConfig.Optimal.EXACT : SimConfig.Optimal.POLICY;
        }
        return c.optimal();
    }

    private boolean exactFeasible() {
        long total = 0;
        for (int w = 0; w < world.workloadCount; w++) {
            total += combinations(world.nodeCount, world.replicas[w]) * Math.min(world.nodeCount, Math.max(1, world.clientCount));
            if (total > EXACT_BUDGET) {
                return false;
            }
        }
        return true;
    }

    /** Worst case over replica counts up to {@code maxReplicas}: whether enumeration stays within budget. */
    static boolean exactFeasible(int nodes, int workloads, int clients, int maxReplicas) {
        long perWorkload = combinations(nodes, maxReplicas) * Math.min(nodes, Math.max(1, clients));
        return perWorkload <= EXACT_BUDGET / workloads;
    }

    private static long combinations(int n, int k) {
        long c = 1;
        for (int i = 0; i < k; i++) {
            c = c * (n - i) / (i + 1);
        }
        return c;
    }

    /**
     * Puts every workload where the policy, knowing the true demand and ignoring the gate, would: a converged
     * cluster, for measuring steady-state rounds.
     */
    void placeAtPolicyOptimum() {
        int[][] best = unconstrainedPolicyOptimum();
        for (int w = 0; w < world.workloadCount; w++) {
            world.place(w, best[w]);
        }
        refreshTopology();
    }

    /**
     * The controller's start-up warm-up ({@link PlacementController#warmUp}); run before the first step. A simulated
     * cluster smaller than the default shape warms up on one of its own size.
     */
    WarmUp.Report warmUp() {
        WarmUp.Shape d = WarmUp.Shape.defaults();
        return controller.warmUp(new WarmUp.Shape(Math.max(4, Math.min(d.nodes(), config.nodes())),
                Math.min(d.workloads(), config.workloads()), Math.max(1, Math.min(d.clients(), config.clients())),
                d.rounds()));
    }

    double initialMeanLatencyMs() {
        return world.meanLatencyMicros() / 1000;
    }

    StepResult step() {
        step++;
        clock.advance(config.step());
        world.advance(config.step().toNanos());
        rescheduler.completeDue(clock.instant());
        mobility.beforeMove();
        world.moveClients();
        latestSnapshots = world.snapshots(clock.instant());
        refreshTopology();

        long settledMillis = config.settleCompilerMillis() > 0 ? CompilerSettle.await(config.settleCompilerMillis()) : 0;
        long ingestNanos = 0;
        long gcBefore = gcMillis();
        long compileBefore = CompilerSettle.compilationMillis();
        long cycleCpuBefore = PROCESS.getProcessCpuTime();
        if (config.pushSnapshots()) {
            long t0 = System.nanoTime();
            controller.ingestAll(latestSnapshots); // every node's report of this step, prepared in parallel
            ingestNanos = System.nanoTime() - t0;
            latestSnapshots = List.of(); // ingested: the records may go (the pull mode reads them in the round)
        }
        long cpuBefore = PROCESS.getProcessCpuTime();
        RoundReport report = controller.reconcileOnce();
        long cpuAfter = PROCESS.getProcessCpuTime();
        lastRoundCpuNanos = cpuAfter - cpuBefore;
        double cycleCpuMillis = (cpuAfter - cycleCpuBefore) / 1e6;
        long gcDuring = gcMillis() - gcBefore;
        long compileDuring = CompilerSettle.compilationMillis() - compileBefore;
        // what the controller's own schedule does after each round, in the idle time before the next
        long housekeepStart = System.nanoTime();
        controller.housekeep();
        double housekeepMillis = (System.nanoTime() - housekeepStart) / 1e6;
        lastReport = report;
        mobility.afterRound(step, controller.lastDecisions());
        int moves = report.movesStarted() + report.wouldMove();
        double meanMs = world.meanLatencyMicros() / 1000;
        Double optimalMs = null;
        String kind = null;
        switch (optimal) {
            case EXACT -> {
                optimalMs = world.meanLatencyMicros(exactOptimum()) / 1000;
                kind = "exact";
            }
            case POLICY -> {
                optimalMs = world.meanLatencyMicros(unconstrainedPolicyOptimum()) / 1000;
                kind = "policy";
            }
            default -> {
            }
        }
        ControllerStats stats = controller.stats();
        return new StepResult(step, report.took().toNanos() / 1e6, moves, meanMs, optimalMs, kind,
                stats.movesDone(), stats.movesFailed(), stats.movesRefused(), stats.movesInFlight(), report.planned(), ingestNanos / 1e6,
                report.inputsTook().toNanos() / 1e6, report.planTook().toNanos() / 1e6, gcDuring,
                cycleCpuMillis, housekeepMillis, compileDuring, settledMillis);
    }

    /** Collection time of every collector so far (pauses and, for concurrent collectors, their cycles). */
    private static long gcMillis() {
        long total = 0;
        for (java.lang.management.GarbageCollectorMXBean gc : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
            total += Math.max(0, gc.getCollectionTime());
        }
        return total;
    }

    /** The controller's report of the last step's round (timings per phase, decisions). */
    RoundReport lastReport() {
        return lastReport;
    }

    /** CPU time the whole process used during the last round (all threads: planning workers, GC, JIT). */
    long lastRoundCpuNanos() {
        return lastRoundCpuNanos;
    }

    ControllerStats stats() {
        return controller.stats();
    }

    SimConfig.Optimal optimalMode() {
        return optimal;
    }

    private void refreshTopology() {
        List<Placement> placements = new ArrayList<>(world.workloadCount);
        for (int w = 0; w < world.workloadCount; w++) {
            List<NodeId> nodes = new ArrayList<>(world.placement[w].length);
            for (int n : world.placement[w]) {
                nodes.add(world.nodeIds[n]);
            }
            placements.add(Placement.of(world.workloadIds[w], nodes));
        }
        topology = new Topology(nodeInfos, latency, placements);
    }

    /** Per workload, the node set with the least true demand-weighted latency, by enumeration. */
    private int[][] exactOptimum() {
        double[][] demand = world.entryDemand();
        int n = world.nodeCount;
        int[][] best = new int[world.workloadCount][];
        for (int w = 0; w < world.workloadCount; w++) {
            if (demand[w] == null) {
                best[w] = world.placement[w];
                continue;
            }
            int[] entries = nonZero(demand[w]);
            int k = world.replicas[w];
            int[] combo = new int[k];
            for (int i = 0; i < k; i++) {
                combo[i] = i;
            }
            double bestCost = Double.MAX_VALUE;
            int[] bestSet = null;
            while (true) {
                double cost = 0;
                for (int e : entries) {
                    float nearest = Float.MAX_VALUE;
                    for (int r : combo) {
                        nearest = Math.min(nearest, world.rtt(e, r));
                    }
                    cost += demand[w][e] * nearest;
                }
                if (cost < bestCost) {
                    bestCost = cost;
                    bestSet = combo.clone();
                }
                int i = k - 1;
                while (i >= 0 && combo[i] == n - k + i) {
                    i--;
                }
                if (i < 0) {
                    break;
                }
                combo[i]++;
                for (int j = i + 1; j < k; j++) {
                    combo[j] = combo[j - 1] + 1;
                }
            }
            best[w] = bestSet;
        }
        return best;
    }

    /** The real policy on the true demand with no stability gate: perfect knowledge, no damping. */
    private int[][] unconstrainedPolicyOptimum() {
        double[][] demand = world.entryDemand();
        List<WorkloadDemand> demands = new ArrayList<>();
        // true mean client RTT per (workload, entry)
        double[][] rttSum = world.entryRttSum();
        for (int w = 0; w < world.workloadCount; w++) {
            if (demand[w] == null) {
                continue;
            }
            List<EntryDemand> entries = new ArrayList<>();
            for (int e : nonZero(demand[w])) {
                entries.add(new EntryDemand(world.nodeIds[e], demand[w][e], rttSum[w][e] / demand[w][e], 1));
            }
            demands.add(new WorkloadDemand(world.workloadIds[w], entries));
        }
        DemandView view = DemandView.of(clock.instant(), demands);
        PlacementPlan plan = policy.plan(PlacementInput.of(clock.instant(), topology, view, specs, MoveGate.ANY_IMPROVEMENT));
        int[][] placements = world.placement.clone();
        for (WorkloadDecision d : plan.decisions()) {
            int w = world.workloadIndex(d.workload());
            int[] nodes = new int[d.target().nodes().size()];
            int i = 0;
            for (NodeId id : d.target().nodes()) {
                nodes[i++] = world.nodeIndex(id);
            }
            placements[w] = nodes;
        }
        return placements;
    }

    private static int[] nonZero(double[] row) {
        int count = 0;
        for (double v : row) {
            if (v > 0) {
                count++;
            }
        }
        int[] out = new int[count];
        int j = 0;
        for (int i = 0; i < row.length; i++) {
            if (row[i] > 0) {
                out[j++] = i;
            }
        }
        return out;
    }
}
