package io.edgesched.examples.lab;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code edge-lab}: the thesis experiment on this machine. Builds the emulated edge cloud, runs the scenario
 * with the eBPF method and the sidecar method, and writes requests.csv, response-time.png and table.md.
 */
@Command(name = "edge-lab", mixinStandardHelpOptions = true,
        description = {"Reproduces the thesis experiment: a device moves near edge1, then edge2; the service follows it.",
                "Builds network namespaces (prefix esl-) with 60 ms +- 10 ms delays, runs both methods side by side,",
                "writes requests.csv, response-time.png, table.md and summary.txt, and removes everything on exit.",
                "Needs root, iproute2, iptables and nginx (apt-get install -y nginx-light)."})
public final class EdgeLab implements Callable<Integer> {
    @Option(names = "--method", defaultValue = "both", description = "ebpf, sidecar or both (both also sends the requests a third time, directly: the baseline;"
            + " default: ${DEFAULT-VALUE})")
    String method;

    @Option(names = "--time-scale", defaultValue = "1.0",
            description = "shrinks the 300 s schedule, not the delays: 0.1 runs it in 30 s (default: ${DEFAULT-VALUE})")
    double timeScale;

    @Option(names = "--runs", defaultValue = "1", paramLabel = "N",
            description = "repeat the scenario N times on a freshly built lab each; run k's own outputs go to OUT/run-k/, "
                    + "OUT/requests.csv and OUT/summary.txt hold every run (default: ${DEFAULT-VALUE})")
    int runs;

    @Option(names = "--out", defaultValue = "lab-out", description = "output directory (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--prefix", defaultValue = LabTopology.DEFAULT_PREFIX, hidden = true,
            description = "name prefix of everything the lab creates")
    String prefix;

    static final String WORK_DIR_PREFIX = "esl-run-";
    /** How long a run waits for another one on the same machine to finish. */
    static final java.time.Duration LOCK_WAIT = java.time.Duration.ofMinutes(15);

    private final PrintStream console;

    public EdgeLab() {
        this(System.out);
    }

    EdgeLab(PrintStream console) {
        this.console = console;
    }

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        int code = new CommandLine(new EdgeLab()).setExecutionExceptionHandler(EdgeLab::explain).execute(args);
        System.exit(code);
    }

    @Override
    public Integer call() throws Exception {
        List<Method> methods;
        try {
            // both: the two methods side by side, and the direct baseline that follows the eBPF one's service
            methods = "both".equalsIgnoreCase(method) ? List.of(Method.EBPF, Method.SIDECAR, Method.DIRECT)
                    : List.of(Method.parse(method));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--method " + method + ": use ebpf, sidecar or both");
        }
        if (!methods.getFirst().placesItself()) {
            throw new IllegalArgumentException("--method " + method + ": the direct baseline follows the eBPF method's"
                    + " service; it runs with --method both");
        }
        if (runs < 1) {
            throw new IllegalArgumentException("--runs must be at least 1, got " + runs);
        }
        if (runs == 1) {
            LabReport report = run(methods, new LabScenario(timeScale), out, prefix, this::progress, 1);
            console.println();
            console.println(report.summary());
            console.println("Outputs: " + out.toAbsolutePath() + "/{requests.csv, response-time.png, table.md, summary.txt}");
            return 0;
        }
        StringBuilder csv = new StringBuilder();
        StringBuilder summary = new StringBuilder();
        List<LabReport> reports = new java.util.ArrayList<>();
        for (int k = 1; k <= runs; k++) {
            progress(String.format(Locale.ROOT, "run %d of %d", k, runs));
            Path runOut = out.resolve("run-" + k);
            LabReport report = run(methods, new LabScenario(timeScale), runOut, prefix, this::progress, k);
            List<String> lines = Files.readAllLines(runOut.resolve("requests.csv"));
            if (k == 1) {
                csv.append(lines.getFirst()).append('\n');
            }
            lines.subList(1, lines.size()).forEach(l -> csv.append(l).append('\n'));
            summary.append(String.format(Locale.ROOT, "run %d of %d%n", k, runs)).append(report.summary()).append('\n');
            reports.add(report);
        }
        RunsReport overRuns = new RunsReport(new LabScenario(timeScale), reports);
        summary.append(overRuns.tableMarkdown());
        overRuns.writeTable(out.resolve("table.md"));
        overRuns.writePlot(out.resolve("response-time.png"));
        Files.writeString(out.resolve("requests.csv"), csv);
        Files.writeString(out.resolve("summary.txt"), summary);
        console.println();
        console.println(summary);
        console.println("Outputs: " + out.toAbsolutePath() + "/{requests.csv, summary.txt, table.md, response-time.png} (every run), "
                + out.toAbsolutePath() + "/run-K/{requests.csv, response-time.png, table.md, summary.txt} (run K)");
        return 0;
    }

    /** A user error (not root, missing tool, bad option) is one line, not a stack trace. */
    static int explain(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) throws Exception {
        if (e instanceof LabException || e instanceof IllegalArgumentException) {
            cmd.getErr().println(cmd.getCommandName() + ": " + e.getMessage());
            return 2;
        }
        throw e;
    }

    private void progress(String line) {
        console.println(LocalTime.now().format(DateTimeFormatter.ofPattern("HH:mm:ss")) + " " + line);
    }

    /** Runs the methods one after the other on one freshly built lab, writes the outputs, removes the lab. */
    static LabReport run(List<Method> methods, LabScenario scenario, Path out, String prefix, Consumer<String> progress)
            throws IOException, InterruptedException {
        return run(methods, scenario, out, prefix, progress, 1);
    }

    static LabReport run(List<Method> methods, LabScenario scenario, Path out, String prefix, Consumer<String> progress,
                         int runNumber) throws IOException, InterruptedException {
        LabPreflight.check(methods);
        try (LabLock lock = LabLock.acquire(LOCK_WAIT, progress)) {
            return runLocked(methods, scenario, out, prefix, progress, runNumber);
        }
    }

    private static LabReport runLocked(List<Method> methods, LabScenario scenario, Path out, String prefix,
                                       Consumer<String> progress, int runNumber) throws IOException, InterruptedException {
        int leftovers = LabCleanup.removeAll(prefix);
        if (leftovers > 0) {
            progress.accept("removed " + leftovers + " namespaces left by an earlier run (" + prefix + "*)");
        }
        LabCleanup.removeStaleWorkDirs(WORK_DIR_PREFIX);
        Files.createDirectories(out);
        Path workDir = Files.createTempDirectory(WORK_DIR_PREFIX);
        LabReport report = new LabReport(scenario);
        report.run(runNumber);
        LabTopology[] topology = new LabTopology[1];
        Thread cleanup = new Thread(() -> {
            if (topology[0] != null) {
                topology[0].close();
            }
            LabCleanup.deleteTree(workDir);
        }, "edge-lab-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        try {
            progress.accept(String.format(Locale.ROOT, "building the edge cloud: 4 cloud nodes, 2 edge nodes, 1 device (%s*); "
                    + "scenario %.0f s, methods side by side: %s", prefix, scenario.length().toMillis() / 1000.0,
                    methods.stream().map(Method::label).toList()));
            topology[0] = LabTopology.create(prefix, LabTopology.thesisNodes());
            progress.accept("delays: " + topology[0].delayMechanism());
            report.note("Delays: " + topology[0].delayMechanism() + ".");
            LabRun run = new LabRun(topology[0], scenario, workDir, progress);
            Map<Method, LabRun.Result> results = run.run(methods, LabWiring::openDemand, LabWiring::startController);
            results.forEach((m, result) -> {
                report.add(m, result.requests(), result.moves());
                report.addDeviceRtts(m, result.deviceRtts());
                progress.accept("[" + m.label() + "] done: " + result.requests().size() + " requests, "
                        + result.moves().size() + " moves");
            });
            report.note("Delay switch counters: " + topology[0].switchStats().replaceFirst("^stats ", "") + ".");
            report.writeCsv(out.resolve("requests.csv"));
            report.writeTable(out.resolve("table.md"));
            report.writePlot(out.resolve("response-time.png"));
            Files.writeString(out.resolve("summary.txt"), report.summary());
        } finally {
            if (topology[0] != null) {
                topology[0].close();
            }
            LabCleanup.deleteTree(workDir);
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running already
            }
        }
        return report;
    }
}
