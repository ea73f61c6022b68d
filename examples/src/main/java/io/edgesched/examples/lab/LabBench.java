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
 * service per request), and through nginx at its best (kept-alive connections to the service). Two
 * identical edges take turns carrying the observer (see {@link #measure}). Every request opens a new
 * connection, like the lab's device.
 */
@Command(name = "edge-lab-bench", mixinStandardHelpOptions = true,
        description = "Latency of one edge node's service: direct, direct + eBPF observer, through the sidecar (run as root).")
public final class LabBench implements Callable<Integer> {
    static final String PREFIX = "esl-bench-";
    static final int SERVICE_PORT = 8080;
    private static final java.time.Duration SETTLE_PAUSE = java.time.Duration.ofMillis(200);
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

    /** One of two identical edge namespaces, each with its own link to the client, service and sidecar. */
    private record Edge(String name, String namespace, String address) {
    }

    @SuppressWarnings("try") // the services and sidecars only have to run while measuring
    private static Map<String, CaseResult> runLocked(int requests, int rounds, java.util.function.Consumer<String> progress)
            throws IOException, InterruptedException {
        LabCleanup.removeAll(PREFIX);
        LabCleanup.removeStaleWorkDirs(PREFIX);
        Path workDir = Files.createTempDirectory(PREFIX);
        String clientNs = PREFIX + "client";
        List<Edge> edges = List.of(new Edge("edgeA", PREFIX + "edge-a", "10.78.1.1"), new Edge("edgeB", PREFIX + "edge-b", "10.78.2.1"));
        Thread hook = new Thread(() -> LabCleanup.removeAll(PREFIX));
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            Cmd.run("ip", "netns", "add", clientNs);
            for (int i = 0; i < edges.size(); i++) {
                Edge edge = edges.get(i);
                String clientIf = "eth" + i;
                Cmd.run("ip", "netns", "add", edge.namespace());
                Cmd.run("ip", "-n", clientNs, "link", "add", clientIf, "type", "veth", "peer", "name", "eth0", "netns", edge.namespace());
                Cmd.run("ip", "-n", clientNs, "addr", "add", "10.78." + (i + 1) + ".2/24", "dev", clientIf);
                Cmd.run("ip", "-n", edge.namespace(), "addr", "add", edge.address() + "/24", "dev", "eth0");
                Cmd.run("ip", "-n", clientNs, "link", "set", clientIf, "up");
                Cmd.run("ip", "-n", edge.namespace(), "link", "set", "eth0", "up");
                Cmd.run("ip", "-n", edge.namespace(), "link", "set", "lo", "up");
            }
            Cmd.run("ip", "-n", clientNs, "link", "set", "lo", "up");
            Cmd.inNs(clientNs, "sysctl", "-q", "-w", "net.ipv4.tcp_tw_reuse=1");
            progress.accept("bench: two identical edges (service + sidecar each): " + edges.get(0).address() + ", "
                    + edges.get(1).address() + "; client in " + clientNs);
            List<AutoCloseable> running = new java.util.ArrayList<>();
            try {
                for (Edge edge : edges) {
                    ChildProcess service = ChildProcess.startInNamespace("bench-service@" + edge.name(), edge.namespace(),
                            LabFiles.javaCommand(LabService.class, List.of("-Xmx128m", "-XX:+UseSerialGC"),
                                    List.of(edge.name(), String.valueOf(SERVICE_PORT))),
                            line -> line.startsWith("READY"), line -> { }, true);
                    running.add(service);
                    service.awaitReady(Duration.ofSeconds(60));
                    running.add(SidecarProxy.start(edge.namespace(), edge.name(), SERVICE_PORT, workDir));
                }
                return measure(clientNs, edges, requests, rounds, progress);
            } finally {
                for (AutoCloseable c : running.reversed()) {
                    try {
                        c.close();
                    } catch (Exception e) {
                        progress.accept("bench: stopping " + c + ": " + e.getMessage());
                    }
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

    /**
     * The observer stays attached to one edge for half of the rounds, then moves to the other edge: loading
     * and unloading programs and their maps leaves deferred kernel work that would otherwise land in some
     * case's numbers, and swapping the edges cancels whatever differs between the two services. The direct
     * and sidecar cases always go to the edge without the observer.
     */
    private static Map<String, CaseResult> measure(String clientNs, List<Edge> edges, int requests, int rounds,
                                                   java.util.function.Consumer<String> progress) throws InterruptedException {
        BlockingQueue<String> replies = new LinkedBlockingQueue<>();
        try (ChildProcess client = ChildProcess.startInNamespace("bench-client", clientNs,
                LabFiles.javaCommand(BenchClient.class, List.of("-Xmx128m", "-XX:+UseSerialGC"), List.of()),
                line -> line.equals("READY"), replies::add, true)) {
            client.awaitReady(Duration.ofSeconds(60));
            Command commands = new Command(client, replies);
            progress.accept("bench: warming up (" + 6 * requests + " requests)");
            for (Edge edge : edges) {
                for (int port : List.of(SERVICE_PORT, SidecarProxy.PORT, SidecarProxy.KEEPALIVE_PORT)) {
                    commands.run("warmup", edge.address(), port, requests, false);
                }
            }
            List<String> cases = List.of(DIRECT, EBPF, SIDECAR, SIDECAR_KEEPALIVE);
            Map<String, List<Double>> roundDeltas = new LinkedHashMap<>();
            int settle = Math.max(50, requests / 5);
            AutoCloseable observer = null;
            try {
                for (int round = 0; round < rounds; round++) {
                    int half = round < rounds / 2 ? 0 : 1;
                    Edge observed = edges.get(1 - half);
                    Edge plain = edges.get(half);
                    if (round == 0 || round == rounds / 2) {
                        if (observer != null) {
                            observer.close();
                        }
                        observer = LabWiring.attachObserver(observed.namespace(), observed.name(), SERVICE_PORT);
                        Thread.sleep(SETTLE_PAUSE);
                        commands.run("warmup", observed.address(), SERVICE_PORT, requests, false);
                        progress.accept("bench: observer on " + observed.name() + " for rounds " + (round + 1) + ".."
                                + (half == 0 ? rounds / 2 : rounds));
                    }
                    for (int i = 0; i < cases.size(); i++) {
                        String label = cases.get((i + round) % cases.size());
                        switch (label) {
                            case DIRECT -> commands.measure(label, plain.address(), SERVICE_PORT, settle, requests);
                            case SIDECAR -> commands.measure(label, plain.address(), SidecarProxy.PORT, settle, requests);
                            case SIDECAR_KEEPALIVE -> commands.measure(label, plain.address(), SidecarProxy.KEEPALIVE_PORT, settle, requests);
                            default -> commands.measure(label, observed.address(), SERVICE_PORT, settle, requests);
                        }
                    }
                    Map<String, Double> p50s = commands.round();
                    p50s.forEach((label, p50) -> roundDeltas.computeIfAbsent(label, k -> new java.util.ArrayList<>())
                            .add(p50 - p50s.get(DIRECT)));
                    progress.accept(String.format(Locale.ROOT, "bench: round %d/%d done", round + 1, rounds));
                }
            } finally {
                if (observer != null) {
                    try {
                        observer.close();
                    } catch (Exception e) {
                        progress.accept("bench: detaching the observer: " + e.getMessage());
                    }
                }
            }
            Map<String, CaseResult> results = new LinkedHashMap<>();
            commands.report().forEach((label, r) -> results.put(label, new CaseResult(label, r.count(), r.p50(), r.p90(),
                    r.p99(), r.mean(), median(roundDeltas.get(label)))));
            return results;
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            throw e instanceof RuntimeException r ? r : new LabException("bench: " + e.getMessage(), e);
        }
    }

    private record Command(ChildProcess client, BlockingQueue<String> replies) {
        void measure(String label, String host, int port, int settle, int n) {
            run(label, host, port, settle, false);
            run(label, host, port, n, true);
        }

        void run(String label, String host, int port, int n, boolean record) {
            send(String.format(Locale.ROOT, "RUN %s %s %d %d %d", label, host, port, n, record ? 1 : 0));
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
