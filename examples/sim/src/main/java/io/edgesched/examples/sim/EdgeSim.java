package io.edgesched.examples.sim;

import io.edgesched.api.control.ControllerStats;
import io.edgesched.api.demand.HandoffRule;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * edgesched-sim: runs the real placement controller against a simulated edge cloud whose clients move,
 * on a simulated clock, and prints per step the decision time, the moves and the mean latency next to
 * a reference optimum.
 */
@Command(name = "edgesched-sim", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
                "Drives the real edgesched policy, stability gate and controller against a simulated edge cloud.",
                "Nodes sit in regions on a plane; clients drift and jump between regions; workloads have 1-3 replicas.",
                "A simulated rescheduler finishes moves after a delay and sometimes fails or refuses them (seeded).",
                "Per step: step, decideMillis, moves, meanLatencyMs (demand-weighted, after the step) and",
                "optimalMeanLatencyMs (see --optimal), then a summary; with --json one JSON object per line.",
                "Exit codes: 0 done, 2 bad arguments."},
        exitCodeOnInvalidInput = 2)
public final class EdgeSim implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--nodes", required = true, paramLabel = "N", description = "edge nodes (>= 1)")
    int nodes;

    @Option(names = "--workloads", required = true, paramLabel = "W", description = "workloads (>= 1)")
    int workloads;

    @Option(names = "--clients", required = true, paramLabel = "C", description = "clients (>= 0); each uses one workload")
    int clients;

    @Option(names = "--steps", required = true, paramLabel = "S", description = "steps to simulate (>= 1)")
    int steps;

    @Option(names = "--seed", paramLabel = "SEED", defaultValue = "1", description = "random seed; the same seed gives the same run (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--json", description = "one JSON object per line instead of a table")
    boolean json;

    @Option(names = "--step-seconds", paramLabel = "SECONDS", defaultValue = "10", description = "simulated seconds per step (default: ${DEFAULT-VALUE})")
    double stepSeconds;

    @Option(names = "--handoff", paramLabel = "on|off", defaultValue = "on",
            description = "the demand store's client handoff (docs/engine.md); off: old entries only decay (default: ${DEFAULT-VALUE})")
    String handoff;

    @Option(names = "--jump-rate", paramLabel = "P", defaultValue = "0.002", description = "chance per step that a client jumps to another region (default: ${DEFAULT-VALUE})")
    double jumpRate;

    @Option(names = "--drift-km", paramLabel = "KM", defaultValue = "2", description = "std deviation of a client's drift per step, km (default: ${DEFAULT-VALUE})")
    double driftKm;

    @Option(names = "--max-replicas", paramLabel = "K", defaultValue = "3", description = "workloads get 1..this many replicas (default: ${DEFAULT-VALUE})")
    int maxReplicas;

    @Option(names = "--fail-rate", paramLabel = "P", defaultValue = "0.05", description = "chance a move fails after its delay (default: ${DEFAULT-VALUE})")
    double failRate;

    @Option(names = "--refuse-rate", paramLabel = "P", defaultValue = "0.02", description = "chance a move is refused at once (default: ${DEFAULT-VALUE})")
    double refuseRate;

    @Option(names = "--move-delay-seconds", defaultValue = "5..40", paramLabel = "MIN..MAX",
            description = "simulated time a move takes, uniform in MIN..MAX seconds (default: ${DEFAULT-VALUE})")
    String moveDelay;

    @Option(names = "--dry-run", description = "the controller only decides; nothing moves")
    boolean dryRun;

    @Option(names = "--optimal", paramLabel = "MODE", defaultValue = "auto",
            description = "reference optimum: exact (enumerate node sets; small instances only), policy (the policy on "
                    + "the true demand without the stability gate), none, or auto (exact when small, else policy) "
                    + "(default: ${DEFAULT-VALUE})")
    String optimal;

    @Option(names = "--moves-per-minute", paramLabel = "R",
            description = "global move rate limit of the stability gate (default: max(6, workloads))")
    Double movesPerMinute;

    @Option(names = "--relative-gain", paramLabel = "FRACTION", defaultValue = "0.10", description = "hysteresis: minimum relative gain of a move (default: ${DEFAULT-VALUE})")
    double relativeGain;

    @Option(names = "--absolute-gain-us", paramLabel = "MICROS", defaultValue = "500", description = "hysteresis: minimum gain of a move, us (default: ${DEFAULT-VALUE})")
    double absoluteGainMicros;

    @Option(names = "--dwell-seconds", paramLabel = "SECONDS", defaultValue = "300", description = "minimum time between two moves of a workload (default: ${DEFAULT-VALUE})")
    double dwellSeconds;

    @Option(names = "--pull", description = "the round reads and ingests every node's snapshot itself (default: nodes push "
            + "them as they arrive, before the round; see ingestMillis)")
    boolean pull;

    @Option(names = "--replan-every-round", description = "plan every workload every round (default: incremental "
            + "planning skips held workloads whose inputs did not change)")
    boolean replanEveryRound;

    @Option(names = "--replan-tolerance", defaultValue = "0.05", paramLabel = "L1",
            description = "incremental planning: re-plan a held workload when its demand shape moved by more than this "
                    + "(L1 distance of rate shares, 0..2; 0 = only when unchanged) (default: ${DEFAULT-VALUE})")
    double replanTolerance;

    @Option(names = "--verbose", description = "log every move and retry (controller info logs) to stderr")
    boolean verbose;

    @Option(names = "--no-warm-up", description = "skip the controller's start-up warm-up (a few rounds on a small "
            + "synthetic cluster so the JIT has compiled the round's code before step 1); see warmUpMillis")
    boolean noWarmUp;

    @Option(names = "--settle-compiler-ms", paramLabel = "MS", defaultValue = "0",
            description = "diagnostic: before each step's cycle wait (up to MS) until the JIT compilers are idle, as "
                    + "they are in a deployed controller's idle time between rounds (default: ${DEFAULT-VALUE} = no wait)")
    long settleCompilerMillis;

    @Option(names = "--sequential", description = "plan workloads on one thread (default: the common fork-join pool)")
    boolean sequential;

    private PrintStream out;

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the command; returns the exit code (0 ok, 2 bad arguments, 1 failure). */
    static int run(String[] args, PrintStream out, PrintStream err) {
        // controller logs (every move at info) would drown the table; --verbose brings them back
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel",
                    java.util.Arrays.asList(args).contains("--verbose") ? "info" : "error");
        }
        EdgeSim sim = new EdgeSim();
        sim.out = out;
        CommandLine cl = new CommandLine(sim);
        cl.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
        cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        // every argument error: what is wrong, then the usage, then exit code 2
        cl.setParameterExceptionHandler((ex, badArgs) -> {
            CommandLine c = ex.getCommandLine();
            c.getErr().println("edgesched-sim: " + ex.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(ex, c.getErr());
            c.usage(c.getErr());
            c.getErr().flush();
            return 2;
        });
        return cl.execute(args);
    }

    @Override
    public Integer call() {
        SimConfig config = validate();
        Simulation simulation = new Simulation(config, "off".equals(handoff) ? HandoffRule.off() : HandoffRule.defaults());
        double initialMs = simulation.initialMeanLatencyMs();
        Double warmUpMillis = noWarmUp ? null : simulation.warmUp().took().toNanos() / 1e6;
        if (!json) {
            if (warmUpMillis != null) {
                out.printf(Locale.ROOT, "controller warm-up (synthetic cluster, before step 1): %.0f ms%n", warmUpMillis);
            }
            out.printf(Locale.ROOT, "edgesched-sim: %d nodes, %d workloads, %d clients, %d steps of %s, seed %d, optimal %s%n",
                    nodes, workloads, clients, steps, config.step(), seed, simulation.optimalMode().name().toLowerCase(Locale.ROOT));
            out.printf(Locale.ROOT, "initial mean latency %.3f ms%n", initialMs);
            out.printf(Locale.ROOT, "%6s %12s %12s %12s %6s %12s %12s %8s %8s %8s %9s%n", "step", "ingest ms", "decide ms",
                    "cycle ms", "moves", "mean ms", "optimal ms", "done", "failed", "refused", "in-flight");
        }
        StepResult last = null;
        double sumDecide = 0;
        double sumIngest = 0;
        double maxDecide = 0;
        double sumCycle = 0;
        double sumCycleCpu = 0;
        double maxCycleAfterFirst = 0; // the scale goal's measure: the first step also warms the JIT
        long movesTotal = 0;
        for (int i = 0; i < steps; i++) {
            StepResult r = simulation.step();
            last = r;
            sumDecide += r.decideMillis();
            sumIngest += r.ingestMillis();
            maxDecide = Math.max(maxDecide, r.decideMillis());
            sumCycle += r.cycleMillis();
            sumCycleCpu += r.cycleCpuMillis();
            if (i > 0) {
                maxCycleAfterFirst = Math.max(maxCycleAfterFirst, r.cycleMillis());
            }
            movesTotal += r.moves();
            if (json) {
                out.println(stepJson(r));
            } else {
                out.printf(Locale.ROOT, "%6d %12.2f %12.2f %12.2f %6d %12.3f %12s %8d %8d %8d %9d%n", r.step(),
                        r.ingestMillis(), r.decideMillis(), r.cycleMillis(), r.moves(),
                        r.meanLatencyMs(), r.optimalMeanLatencyMs() == null ? "-" : String.format(Locale.ROOT, "%.3f", r.optimalMeanLatencyMs()),
                        r.movesDone(), r.movesFailed(), r.movesRefused(), r.movesInFlight());
            }
        }
        ControllerStats stats = simulation.stats();
        Double gap = last.optimalMeanLatencyMs() == null || last.optimalMeanLatencyMs() == 0 ? null
                : 100.0 * (last.meanLatencyMs() - last.optimalMeanLatencyMs()) / last.optimalMeanLatencyMs();
        if (json) {
            StringBuilder sb = new StringBuilder("{\"summary\":{");
            field(sb, "nodes", nodes).append(',');
            field(sb, "workloads", workloads).append(',');
            field(sb, "clients", clients).append(',');
            field(sb, "steps", steps).append(',');
            field(sb, "seed", seed).append(',');
            field(sb, "dryRun", dryRun).append(',');
            field(sb, "optimalKind", last.optimalKind()).append(',');
            field(sb, "warmUpMillis", warmUpMillis).append(',');
            field(sb, "initialMeanLatencyMs", initialMs).append(',');
            field(sb, "finalMeanLatencyMs", last.meanLatencyMs()).append(',');
            field(sb, "finalOptimalMeanLatencyMs", last.optimalMeanLatencyMs()).append(',');
            field(sb, "finalGapPercent", gap).append(',');
            field(sb, "moves", movesTotal).append(',');
            field(sb, "movesStarted", stats.movesStarted()).append(',');
            field(sb, "movesDone", stats.movesDone()).append(',');
            field(sb, "movesFailed", stats.movesFailed()).append(',');
            field(sb, "movesRefused", stats.movesRefused()).append(',');
            field(sb, "movesInFlight", stats.movesInFlight()).append(',');
            field(sb, "meanDecideMillis", sumDecide / steps).append(',');
            field(sb, "maxDecideMillis", maxDecide).append(',');
            field(sb, "meanIngestMillis", sumIngest / steps).append(',');
            field(sb, "meanCycleMillis", sumCycle / steps).append(',');
            field(sb, "meanCycleCpuMillis", sumCycleCpu / steps).append(',');
            field(sb, "maxCycleMillisAfterFirst", steps > 1 ? maxCycleAfterFirst : null);
            out.println(sb.append("}}"));
        } else {
            out.printf(Locale.ROOT, "summary: latency %.3f -> %.3f ms%s; moves %d (done %d, failed %d, refused %d, in flight %d);"
                            + " decide mean %.2f ms, max %.2f ms; cycle (ingest + decide) mean %.2f ms, max after the first step %.2f ms%n",
                    initialMs, last.meanLatencyMs(),
                    gap == null ? "" : String.format(Locale.ROOT, " (optimal %.3f ms, gap %.1f %%)", last.optimalMeanLatencyMs(), gap),
                    movesTotal, stats.movesDone(), stats.movesFailed(), stats.movesRefused(), stats.movesInFlight(),
                    sumDecide / steps, maxDecide, sumCycle / steps, maxCycleAfterFirst);
            out.println(simulation.mobilitySummary());
        }
        out.flush();
        return 0;
    }

    private SimConfig validate() {
        require(nodes >= 1, "--nodes must be at least 1, got " + nodes);
        require(workloads >= 1, "--workloads must be at least 1, got " + workloads);
        require(clients >= 0, "--clients must be 0 or more, got " + clients);
        require(clients < (1 << 24) - 1, "--clients must be below 16777215 (clients get 10.x.y.z addresses), got " + clients);
        require(nodes <= 20_000, "--nodes must be at most 20000 (the latency matrix is dense), got " + nodes);
        require(steps >= 1, "--steps must be at least 1, got " + steps);
        require(stepSeconds > 0 && stepSeconds <= 86_400, "--step-seconds must be in (0, 86400], got " + stepSeconds);
        require("on".equals(handoff) || "off".equals(handoff), "--handoff must be on or off, got " + handoff);
        require(jumpRate >= 0 && jumpRate <= 1, "--jump-rate must be in [0, 1], got " + jumpRate);
        require(driftKm >= 0 && driftKm <= SimWorld.PLANE_KM, "--drift-km must be in [0, " + SimWorld.PLANE_KM + "], got " + driftKm);
        require(maxReplicas >= 1 && maxReplicas <= 3, "--max-replicas must be 1, 2 or 3, got " + maxReplicas);
        require(failRate >= 0 && failRate <= 1, "--fail-rate must be in [0, 1], got " + failRate);
        require(refuseRate >= 0 && refuseRate <= 1, "--refuse-rate must be in [0, 1], got " + refuseRate);
        require(relativeGain >= 0, "--relative-gain must be >= 0, got " + relativeGain);
        require(absoluteGainMicros >= 0, "--absolute-gain-us must be >= 0, got " + absoluteGainMicros);
        require(replanTolerance >= 0 && replanTolerance <= 2, "--replan-tolerance must be in [0, 2], got " + replanTolerance);
        require(dwellSeconds >= 0, "--dwell-seconds must be >= 0, got " + dwellSeconds);
        double rate = movesPerMinute != null ? movesPerMinute : Math.max(6, workloads);
        require(rate >= 0, "--moves-per-minute must be >= 0, got " + rate);
        String[] delay = moveDelay.split("\\.\\.", -1);
        double minDelay;
        double maxDelay;
        try {
            require(delay.length == 2, "--move-delay-seconds must look like MIN..MAX, got " + moveDelay);
            minDelay = Double.parseDouble(delay[0]);
            maxDelay = Double.parseDouble(delay[1]);
        } catch (NumberFormatException e) {
            throw new ParameterException(spec.commandLine(), "--move-delay-seconds must look like MIN..MAX (seconds), got " + moveDelay);
        }
        require(minDelay > 0 && maxDelay >= minDelay, "--move-delay-seconds needs 0 < MIN <= MAX, got " + moveDelay);
        SimConfig.Optimal mode;
        try {
            mode = SimConfig.Optimal.valueOf(optimal.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--optimal must be auto, exact, policy or none, got " + optimal);
        }
        require(settleCompilerMillis >= 0, "--settle-compiler-ms must be >= 0, got " + settleCompilerMillis);
        SimConfig config = new SimConfig(nodes, workloads, clients, steps, seed, seconds(stepSeconds), jumpRate, driftKm,
                maxReplicas, failRate, refuseRate, seconds(minDelay), seconds(maxDelay), dryRun, mode, rate,
                (int) Math.max(3, Math.ceil(rate / 5)), relativeGain, absoluteGainMicros, seconds(dwellSeconds), !sequential, !pull, replanEveryRound ? -1 : replanTolerance,
                settleCompilerMillis);
        if (mode == SimConfig.Optimal.EXACT) {
            require(Simulation.exactFeasible(nodes, workloads, clients, Math.min(nodes, maxReplicas)),
                    "--optimal exact is too costly here (more than " + Simulation.EXACT_BUDGET
                            + " evaluations per step); use --optimal policy, or fewer --nodes/--workloads");
        }
        return config;
    }

    private void require(boolean ok, String message) {
        if (!ok) {
            throw new ParameterException(spec.commandLine(), message);
        }
    }

    private static Duration seconds(double s) {
        return Duration.ofNanos(Math.round(s * 1e9));
    }

    static String stepJson(StepResult r) {
        StringBuilder sb = new StringBuilder(200).append('{');
        field(sb, "step", r.step()).append(',');
        field(sb, "decideMillis", r.decideMillis()).append(',');
        field(sb, "moves", r.moves()).append(',');
        field(sb, "meanLatencyMs", r.meanLatencyMs()).append(',');
        field(sb, "optimalMeanLatencyMs", r.optimalMeanLatencyMs()).append(',');
        field(sb, "optimalKind", r.optimalKind()).append(',');
        field(sb, "movesDone", r.movesDone()).append(',');
        field(sb, "movesFailed", r.movesFailed()).append(',');
        field(sb, "movesRefused", r.movesRefused()).append(',');
        field(sb, "movesInFlight", r.movesInFlight()).append(',');
        field(sb, "planned", r.planned()).append(',');
        field(sb, "ingestMillis", r.ingestMillis()).append(',');
        field(sb, "inputsMillis", r.inputsMillis()).append(',');
        field(sb, "planMillis", r.planMillis()).append(',');
        field(sb, "cycleMillis", r.cycleMillis()).append(',');
        field(sb, "gcMillis", r.gcMillis()).append(',');
        field(sb, "cycleCpuMillis", r.cycleCpuMillis()).append(',');
        field(sb, "housekeepMillis", r.housekeepMillis()).append(',');
        field(sb, "compileMillis", r.compileMillis()).append(',');
        field(sb, "settledMillis", r.settledMillis());
        return sb.append('}').toString();
    }

    private static StringBuilder field(StringBuilder sb, String name, Object value) {
        sb.append('"').append(name).append("\":");
        if (value == null) {
            return sb.append("null");
        }
        if (value instanceof Double d) {
            return Double.isFinite(d) ? sb.append(String.format(Locale.ROOT, "%.4f", d)) : sb.append("null");
        }
        if (value instanceof Number || value instanceof Boolean) {
            return sb.append(value);
        }
        return sb.append('"').append(value.toString().replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
    }
}
