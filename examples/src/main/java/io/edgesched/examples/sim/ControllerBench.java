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

    @Option(names = "--seed", defaultValue = "1")
    long seed;

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
        System.out.printf(Locale.ROOT, "controller decision round, dry run, %d warm-up + %d measured rounds per size, %d CPUs, %s%n",
                warmup, rounds, Runtime.getRuntime().availableProcessors(), sequential ? "sequential" : "parallel");
        System.out.printf(Locale.ROOT, "%8s %6s %9s %9s | %10s %10s %10s %10s | %10s %10s%n", "fraction", "nodes", "workloads",
                "clients", "round ms", "min ms", "inputs ms", "plan ms", "cpu ms", "per wl us");
        for (double f : fractions) {
            int n = scaleNodes ? Math.max(1, (int) Math.round(nodes * f)) : nodes;
            int w = Math.max(1, (int) Math.round(workloads * f));
            int c = (int) Math.round(clients * f);
            SimConfig config = new SimConfig(n, w, c, warmup + rounds, seed, Duration.ofSeconds(10), 0.002, 2, 3, 0, 0,
                    Duration.ofSeconds(5), Duration.ofSeconds(40), true, SimConfig.Optimal.NONE, Math.max(6, w),
                    Math.max(3, w / 5), 0.10, 500, Duration.ofMinutes(5), !sequential);
            Simulation sim = new Simulation(config);
            sim.step(); // baseline snapshots: no rates yet
            List<Double> wall = new ArrayList<>();
            List<Double> inputs = new ArrayList<>();
            List<Double> plan = new ArrayList<>();
            List<Double> cpu = new ArrayList<>();
            for (int i = 0; i < warmup + rounds; i++) {
                sim.step();
                if (i < warmup) {
                    continue;
                }
                var report = sim.lastReport();
                wall.add(report.took().toNanos() / 1e6);
                inputs.add(report.inputsTook().toNanos() / 1e6);
                plan.add(report.planTook().toNanos() / 1e6);
                cpu.add(sim.lastRoundCpuNanos() / 1e6);
            }
            double median = median(wall);
            System.out.printf(Locale.ROOT, "%8.2f %6d %9d %9d | %10.1f %10.1f %10.1f %10.1f | %10.1f %10.1f%n", f, n, w, c,
                    median, wall.stream().mapToDouble(d -> d).min().orElse(0), median(inputs), median(plan), median(cpu),
                    1000 * median / w);
        }
        System.out.println("round = inputs (snapshot ingest into the demand store, topology) + plan (policy + gate) + explanations;");
        System.out.println("cpu = CPU time of the whole process during the round (all threads); on a busy machine wall time exceeds cpu / cores.");
        return 0;
    }

    private static double median(List<Double> values) {
        double[] v = values.stream().mapToDouble(d -> d).toArray();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
