package io.edgesched.examples.sim;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * Times one decision round of the real controller (dry run: demand ingest of every node's snapshot,
 * policy, gate, explanations) on simulated worlds of growing size, and prints a table.
 * Not a JMH benchmark: building a world with a million clients takes longer than a round, and each
 * measured round needs fresh snapshots, which JMH's fixtures make awkward. Warm-up rounds run first.
 */
@Command(name = "edgesched-controller-bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Decision-round time of the controller at growing sizes (workloads and clients scale, nodes too with --scale-nodes).",
        exitCodeOnInvalidInput = 2)
public final class ControllerBench implements Callable<Integer> {

    @Option(names = "--nodes", defaultValue = "1000", description = "nodes at full size (default: ${DEFAULT-VALUE})")
    int nodes;

    @Option(names = "--workloads", defaultValue = "10000", description = "workloads at full size (default: ${DEFAULT-VALUE})")
    int workloads;

    @Option(names = "--clients", defaultValue = "1000000", description = "client aggregates at full size (default: ${DEFAULT-VALUE})")
    int clients;

    @Option(names = "--fractions", defaultValue = "0.25,0.5,1", split = ",", description = "sizes as fractions of full (default: ${DEFAULT-VALUE})")
    double[] fractions;

    @Option(names = "--scale-nodes", description = "scale the node count with the fraction too (default: nodes stay at full size)")
    boolean scaleNodes;

    @Option(names = "--warmup", defaultValue = "2", description = "unmeasured rounds per size (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--rounds", defaultValue = "5", description = "measured rounds per size (default: ${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "--sequential", description = "plan on one thread")
    boolean sequential;

    @Option(names = "--replan-every-round", description = "plan every workload every round (worst case; default: incremental)")
    boolean replanEveryRound;

    @Option(names = "--replan-tolerance", defaultValue = "0.05", paramLabel = "L1",
            description = "incremental planning: re-plan a held workload when its demand shape moved by more than this "
                    + "(L1 distance of rate shares, 0..2; 0 = only when unchanged) (default: ${DEFAULT-VALUE})")
    double replanTolerance;

    @Option(names = "--converged", description = "start from placements the policy chose on the true demand "
            + "(steady state; default: random placements, so most workloads want to move)")
    boolean converged;

    @Option(names = "--pull", description = "ingest snapshots inside the round (default: pushed before it, timed apart)")
    boolean pull;

    @Option(names = "--seed", defaultValue = "1")
    long seed;

    private String lastReasons = "";

    public static void main(String[] args) {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "error");
        }
        System.exit(new CommandLine(new ControllerBench()).execute(args));
    }

    @Override
    public Integer call() {
        if (warmup < 0 || rounds < 1 || nodes < 1 || workloads < 1 || clients < 0) {
            throw new CommandLine.ParameterException(new CommandLine(this), "need --rounds >= 1, --warmup >= 0 and positive sizes");
        }
        System.out.printf(Locale.ROOT, "controller decision round, dry run, %s, %s ingest, %d warm-up + %d measured rounds per size, %d CPUs, %s, load average before: %s%n",
                (replanEveryRound ? "every workload planned every round" : "incremental planning")
                        + (converged ? ", converged start" : ", random start"),
                pull ? "in-round (pull)" : "pushed", warmup, rounds, Runtime.getRuntime().availableProcessors(),
                sequential ? "sequential" : "parallel", loadAverage());
        System.out.printf(Locale.ROOT, "%8s %6s %9s %9s | %8s | %10s %10s %10s %10s %10s | %10s %10s%n", "fraction", "nodes", "workloads",
                "clients", "planned", "round ms", "min ms", "inputs ms", "plan ms", "cpu ms", "pushed ms", "per wl us");
        for (double f : fractions) {
            int n = scaleNodes ? Math.max(1, (int) Math.round(nodes * f)) : nodes;
            int w = Math.max(1, (int) Math.round(workloads * f));
            int c = (int) Math.round(clients * f);
            SimConfig config = new SimConfig(n, w, c, warmup + rounds, seed, Duration.ofSeconds(10), 0.002, 2, 3, 0, 0,
                    Duration.ofSeconds(5), Duration.ofSeconds(40), true, SimConfig.Optimal.NONE, Math.max(6, w),
                    Math.max(3, w / 5), 0.10, 500, Duration.ofMinutes(5), !sequential, !pull, replanEveryRound ? -1 : replanTolerance, 0);
            Simulation sim = new Simulation(config);
            if (converged) {
                sim.placeAtPolicyOptimum();
            }
            sim.step(); // baseline snapshots: no rates yet
            List<Double> wall = new ArrayList<>();
            List<Double> inputs = new ArrayList<>();
            List<Double> plan = new ArrayList<>();
            List<Double> cpu = new ArrayList<>();
            List<Double> pushed = new ArrayList<>();
            List<Double> plannedCounts = new ArrayList<>();
            for (int i = 0; i < warmup + rounds; i++) {
                StepResult step = sim.step();
                if (i < warmup) {
                    continue;
                }
                var report = sim.lastReport();
                wall.add(report.took().toNanos() / 1e6);
                inputs.add(report.inputsTook().toNanos() / 1e6);
                plan.add(report.planTook().toNanos() / 1e6);
                cpu.add(sim.lastRoundCpuNanos() / 1e6);
                pushed.add(step.ingestMillis());
                plannedCounts.add((double) step.planned());
            }
            double median = median(wall);
            java.util.Map<String, Long> reasons = new java.util.TreeMap<>();
            for (var d : sim.lastReport().decisions()) {
                String key = d.reason()
                        + (d.why().startsWith("inputs unchanged") ? " (unchanged)" : "");
                reasons.merge(key, 1L, Long::sum);
            }
            lastReasons = reasons.toString();
            System.out.printf(Locale.ROOT, "%8.2f %6d %9d %9d | %8.0f | %10.1f %10.1f %10.1f %10.1f %10.1f | %10.1f %10.1f   load %s%n", f, n, w, c,
                    median(plannedCounts), median, wall.stream().mapToDouble(d -> d).min().orElse(0), median(inputs), median(plan), median(cpu),
                    median(pushed), 1000 * median / w, loadAverage());
        }
        System.out.println("last round's decisions at the largest size: " + lastReasons);
        System.out.println("round = inputs (demand store maintain + view, and snapshot ingest with --pull; topology) + plan (policy + gate) + explanations;");
        System.out.println("planned = workloads handed to the policy (the rest held with their unchanged last decision);");
        System.out.println("pushed = ingesting every node's snapshot as it arrives, before the round (0 with --pull); all values are medians;");
        System.out.println("cpu = CPU time of the whole process during the round (all threads); on a busy machine wall time exceeds cpu / cores.");
        return 0;
    }

    private static String loadAverage() {
        try {
            String[] parts = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ");
            return parts[0] + " " + parts[1] + " " + parts[2];
        } catch (java.io.IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static double median(List<Double> values) {
        double[] v = values.stream().mapToDouble(d -> d).toArray();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
