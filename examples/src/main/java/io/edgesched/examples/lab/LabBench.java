package io.edgesched.examples.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code edge-lab-bench}: what observing costs a request, measured side by side at one edge node on a direct
 * veth path (no delay switch, no 60 ms: noise would hide microseconds). Four cases, interleaved in rounds:
 * direct to the service with no observer, direct with the eBPF programs attached to the node's uplink,
 * through the nginx sidecar as the lab runs it (nginx's default upstream handling: a new connection to the
 * service per request), and through nginx at its best (kept-alive connections to the service). Every request opens a new
 * connection, like the lab's device.
 */
@Command(name = "edge-lab-bench", mixinStandardHelpOptions = true,
        description = "Latency of one edge node's service: direct, direct + eBPF observer, through the sidecar (run as root).")
public final class LabBench implements Callable<Integer> {
    static final String PREFIX = "esl-bench-";
    static final int SERVICE_PORT = 8080;
    static final String DIRECT = "direct";
    static final String EBPF = "direct+ebpf";
    static final String SIDECAR = "sidecar";
    static final String SIDECAR_KEEPALIVE = "sidecar-keepalive";

    @Option(names = "--requests", defaultValue = "300", description = "requests per case per round (default: ${DEFAULT-VALUE})")
    int requests;

    @Option(names = "--rounds", defaultValue = "20", description = "rounds; the case order rotates each round (default: ${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "--out", description = "also write the result table (markdown) to this file")
    Path out;

    /**
     * One case's latency distribution in microseconds; {@code roundP50Delta} is the median over rounds of
     * (this case's p50 - direct's p50 in the same round): neighbours' load drifts between rounds, not within one.
     */
    public record CaseResult(String label, long count, double p50, double p90, double p99, double mean, double roundP50Delta) {
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new LabBench()).setExecutionExceptionHandler(EdgeLab::explain).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Map<String, CaseResult> results = run(requests, rounds, System.out::println);
        String table = table(results, requests, rounds);
        System.out.println();
        System.out.println(table);
        if (out != null) {
            Files.writeString(out, table);
        }
        return 0;
    }

    static Map<String, CaseResult> run(int requests, int rounds, java.util.function.Consumer<String> progress)
            throws IOException, InterruptedException {
        LabPreflight.check(List.of(Method.EBPF, Method.SIDECAR));
        try (LabLock lock = LabLock.acquire(EdgeLab.LOCK_WAIT, progress)) {
            return runLocked(requests, rounds, progress);
        }
    }

    @SuppressWarnings("try") // the sidecar only has to run while measuring
    private static Map<String, CaseResult> runLocked(int requests, int rounds, java.util.function.Consumer<String> progress)
            throws IOException, InterruptedException {
        LabCleanup.removeAll(PREFIX);
        LabCleanup.removeStaleWorkDirs(PREFIX);
        Path workDir = Files.createTempDirectory(PREFIX);
        String clientNs = PREFIX + "client";
        String edgeNs = PREFIX + "edge";
        Thread hook = new Thread(() -> LabCleanup.removeAll(PREFIX));
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            Cmd.run("ip", "netns", "add", clientNs);
            Cmd.run("ip", "netns", "add", edgeNs);
            Cmd.run("ip", "-n", clientNs, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", edgeNs);
            Cmd.run("ip", "-n", clientNs, "addr", "add", "10.78.0.2/24", "dev", "eth0");
            Cmd.run("ip", "-n", edgeNs, "addr", "add", "10.78.0.1/24", "dev", "eth0");
            for (String ns : List.of(clientNs, edgeNs)) {
                Cmd.run("ip", "-n", ns, "link", "set", "lo", "up");
                Cmd.run("ip", "-n", ns, "link", "set", "eth0", "up");
                Cmd.inNs(ns, "sysctl", "-q", "-w", "net.ipv4.tcp_tw_reuse=1");
            }
            progress.accept("bench: service and sidecar on " + edgeNs + " (10.78.0.1), client on " + clientNs);
            try (ChildProcess service = ChildProcess.startInNamespace("bench-service", edgeNs,
                    LabFiles.javaCommand(LabService.class, List.of("-Xmx128m", "-XX:+UseSerialGC"),
                            List.of("edge", String.valueOf(SERVICE_PORT))),
                    line -> line.startsWith("READY"), line -> { }, true)) {
                service.awaitReady(Duration.ofSeconds(60));
                try (SidecarProxy sidecar = SidecarProxy.start(edgeNs, "edge", SERVICE_PORT, workDir)) {
                    return measure(clientNs, edgeNs, requests, rounds, progress);
                }
            }
        } finally {
            LabCleanup.removeAll(PREFIX);
            LabCleanup.deleteTree(workDir);
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // hook already running
            }
        }
    }

    @SuppressWarnings("try") // the observer only has to be attached while measuring
    private static Map<String, CaseResult> measure(String clientNs, String edgeNs, int requests, int rounds,
                                                   java.util.function.Consumer<String> progress) throws InterruptedException {
        BlockingQueue<String> replies = new LinkedBlockingQueue<>();
        try (ChildProcess client = ChildProcess.startInNamespace("bench-client", clientNs,
                LabFiles.javaCommand(BenchClient.class, List.of("-Xmx128m", "-XX:+UseSerialGC"), List.of()),
                line -> line.equals("READY"), replies::add, true)) {
            client.awaitReady(Duration.ofSeconds(60));
            Command commands = new Command(client, replies);
            progress.accept("bench: warming up (" + 4 * requests + " requests)");
            commands.run("warmup", SERVICE_PORT, requests, false);
            commands.run("warmup", SidecarProxy.PORT, requests, false);
            commands.run("warmup", SidecarProxy.KEEPALIVE_PORT, requests, false);
            try (AutoCloseable observer = LabWiring.attachObserver(edgeNs, "edge", SERVICE_PORT)) {
                commands.run("warmup", SERVICE_PORT, requests, false);
            } catch (Exception e) {
                throw e instanceof RuntimeException r ? r : new LabException("eBPF observer: " + e.getMessage(), e);
            }
            List<String> cases = List.of(DIRECT, EBPF, SIDECAR, SIDECAR_KEEPALIVE);
            Map<String, List<Double>> roundDeltas = new LinkedHashMap<>();
            int settle = Math.max(20, requests / 10);
            for (int round = 0; round < rounds; round++) {
                for (int i = 0; i < cases.size(); i++) {
                    String label = cases.get((i + round) % cases.size());
                    // Each case first runs a few unrecorded requests, so attaching or switching settles first.
                    switch (label) {
                        case DIRECT -> commands.measure(label, SERVICE_PORT, settle, requests);
                        case SIDECAR -> commands.measure(label, SidecarProxy.PORT, settle, requests);
                        case SIDECAR_KEEPALIVE -> commands.measure(label, SidecarProxy.KEEPALIVE_PORT, settle, requests);
                        default -> {
                            try (AutoCloseable observer = LabWiring.attachObserver(edgeNs, "edge", SERVICE_PORT)) {
                                commands.measure(label, SERVICE_PORT, settle, requests);
                            } catch (Exception e) {
                                throw e instanceof RuntimeException r ? r : new LabException("eBPF observer: " + e.getMessage(), e);
                            }
                        }
                    }
                }
                Map<String, Double> p50s = commands.round();
                p50s.forEach((label, p50) -> roundDeltas.computeIfAbsent(label, k -> new java.util.ArrayList<>())
                        .add(p50 - p50s.get(DIRECT)));
                progress.accept(String.format(Locale.ROOT, "bench: round %d/%d done", round + 1, rounds));
            }
            Map<String, CaseResult> results = new LinkedHashMap<>();
            commands.report().forEach((label, r) -> results.put(label, new CaseResult(label, r.count(), r.p50(), r.p90(),
                    r.p99(), r.mean(), median(roundDeltas.get(label)))));
            return results;
        }
    }

    private record Command(ChildProcess client, BlockingQueue<String> replies) {
        void measure(String label, int port, int settle, int n) {
            run(label, port, settle, false);
            run(label, port, n, true);
        }

        void run(String label, int port, int n, boolean record) {
            send(String.format(Locale.ROOT, "RUN %s 10.78.0.1 %d %d %d", label, port, n, record ? 1 : 0));
            String reply = await();
            if (!reply.equals("DONE")) {
                throw new LabException("bench client: " + label + " on port " + port + ": " + reply);
            }
        }

        Map<String, Double> round() {
            send("ROUND");
            Map<String, Double> p50s = new LinkedHashMap<>();
            for (String line = await(); !line.equals("END"); line = await()) {
                String[] f = line.split(" ");
                p50s.put(f[1], Double.parseDouble(f[2]));
            }
            return p50s;
        }

        Map<String, CaseResult> report() {
            send("REPORT");
            Map<String, CaseResult> results = new LinkedHashMap<>();
            for (String line = await(); !line.equals("END"); line = await()) {
                String[] f = line.split(" ");
                results.put(f[1], new CaseResult(f[1], Long.parseLong(f[2]), Double.parseDouble(f[3]),
                        Double.parseDouble(f[4]), Double.parseDouble(f[5]), Double.parseDouble(f[6]), Double.NaN));
            }
            return results;
        }

        private void send(String line) {
            client.send(line);
        }

        private String await() {
            try {
                String line = replies.poll(5, TimeUnit.MINUTES);
                if (line == null) {
                    throw new LabException("the bench client did not answer in 5 minutes");
                }
                return line;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LabException("interrupted", e);
            }
        }
    }

    private static double median(List<Double> values) {
        if (values == null || values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    static String table(Map<String, CaseResult> results, int requests, int rounds) {
        CaseResult direct = results.get(DIRECT);
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "Response time at one edge node, new connection per request, %d rounds x %d requests per case%n%n",
                rounds, requests));
        sb.append("| case | requests | p50 (us) | p90 (us) | p99 (us) | mean (us) | p50 vs direct | p99 vs direct | p50 vs direct, median of rounds |\n");
        sb.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (CaseResult r : results.values()) {
            sb.append(String.format(Locale.ROOT, "| %s | %d | %.1f | %.1f | %.1f | %.1f | %+.1f us | %+.1f us | %+.1f us |%n", r.label(),
                    r.count(), r.p50(), r.p90(), r.p99(), r.mean(), r.p50() - direct.p50(), r.p99() - direct.p99(), r.roundP50Delta()));
        }
        CaseResult ebpf = results.get(EBPF);
        if (ebpf != null) {
            sb.append(String.format(Locale.ROOT, "%neBPF observer: %+.1f us at p50 (round by round: %+.1f us; goal <= 5),"
                            + " %+.1f us at p99 (goal <= 20).%n",
                    ebpf.p50() - direct.p50(), ebpf.roundP50Delta(), ebpf.p99() - direct.p99()));
            for (String label : List.of(SIDECAR, SIDECAR_KEEPALIVE)) {
                CaseResult sidecar = results.get(label);
                if (sidecar != null) {
                    sb.append(String.format(Locale.ROOT, "%s: p50 %.0f us vs %.0f us direct with eBPF: %.1f%% less without the sidecar;"
                                    + " mean %.0f vs %.0f us: %.1f%% less (thesis: 2466 vs 1980 us, 19.7%% less).%n",
                            label, sidecar.p50(), ebpf.p50(), 100 * (1 - ebpf.p50() / sidecar.p50()),
                            sidecar.mean(), ebpf.mean(), 100 * (1 - ebpf.mean() / sidecar.mean())));
                }
            }
        }
        return sb.toString();
    }
}
