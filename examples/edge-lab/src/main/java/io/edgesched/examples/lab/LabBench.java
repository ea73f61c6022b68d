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
 * veth path (no delay switch, no 60 ms: noise would hide microseconds). Cases, interleaved in rounds:
 * direct to the service with no observer, direct with the eBPF programs attached to the node's uplink,
 * through the nginx sidecar as the lab runs it (nginx's default upstream handling: a new connection to the
 * service per request), and through nginx at its best (kept-alive connections to the service); and two
 * controls that split the observer's cost: a do-nothing tc program attached the same way, and our ingress
 * program alone. Four identical edges take turns carrying each attachment (see {@link #measure}). Every
 * request opens a new connection, like the lab's device.
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
    /** Control: a tc program that does nothing, on ingress and egress (the cost of any tc hook). */
    static final String TC_NOOP = "direct+tc-noop";
    /** Control: edgesched's ingress program alone (no egress program, no handshake tracking). */
    static final String EBPF_INGRESS = "direct+ebpf-ingress";

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
        List<Edge> edges = new ArrayList<>();
        for (int i = 0; i < Hooked.values().length; i++) {
            char letter = (char) ('a' + i);
            edges.add(new Edge("edge" + Character.toUpperCase(letter), PREFIX + "edge-" + letter, "10.78." + (i + 1) + ".1"));
        }
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
            progress.accept("bench: " + edges.size() + " identical edges (service + sidecar each): "
                    + edges.stream().map(Edge::address).toList() + "; client in " + clientNs);
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

    /** What is attached to an edge's uplink during a phase; PLAIN serves the direct and sidecar cases. */
    private enum Hooked {
        PLAIN, NOOP, INGRESS_ONLY, OBSERVER
    }

    private static AutoCloseable attach(Hooked hooked, Edge edge) {
        return switch (hooked) {
            case PLAIN -> () -> { };
            case NOOP -> BenchHooks.attachNoop(edge.namespace());
            case INGRESS_ONLY -> BenchHooks.attachIngressOnly(edge.namespace(), SERVICE_PORT, LabWiring.SERVICE_ID);
            case OBSERVER -> LabWiring.attachObserver(edge.namespace(), edge.name(), SERVICE_PORT);
        };
    }

    /**
     * One edge per attachment ({@link Hooked}): plain, the do-nothing tc program, our ingress program alone, the
     * full observer. The rounds are split into as many phases as there are edges; each phase moves every
     * attachment to the next edge, so each one visits every edge and whatever differs between the edges
     * cancels. Programs are loaded once per phase, not per round: loading and unloading programs and their maps
     * leaves deferred kernel work that would otherwise land in some case's numbers. The direct and sidecar
     * cases always go to the plain edge.
     */
    private static Map<String, CaseResult> measure(String clientNs, List<Edge> edges, int requests, int rounds,
                                                   java.util.function.Consumer<String> progress) throws InterruptedException {
        BlockingQueue<String> replies = new LinkedBlockingQueue<>();
        try (ChildProcess client = ChildProcess.startInNamespace("bench-client", clientNs,
                LabFiles.javaCommand(BenchClient.class, List.of("-Xmx128m", "-XX:+UseSerialGC"), List.of()),
                line -> line.equals("READY"), replies::add, true)) {
            client.awaitReady(Duration.ofSeconds(60));
            Command commands = new Command(client, replies);
            progress.accept("bench: warming up (" + 3 * edges.size() * requests + " requests)");
            for (Edge edge : edges) {
                for (int port : List.of(SERVICE_PORT, SidecarProxy.PORT, SidecarProxy.KEEPALIVE_PORT)) {
                    commands.run("warmup", edge.address(), port, requests, false);
                }
            }
            List<String> cases = List.of(DIRECT, TC_NOOP, EBPF_INGRESS, EBPF, SIDECAR, SIDECAR_KEEPALIVE);
            Map<String, List<Double>> roundDeltas = new LinkedHashMap<>();
            int settle = Math.max(50, requests / 5);
            int phases = Math.min(edges.size(), rounds);
            List<AutoCloseable> attached = new ArrayList<>();
            Map<Hooked, Edge> edgeOf = new java.util.EnumMap<>(Hooked.class);
            int phase = -1;
            try {
                for (int round = 0; round < rounds; round++) {
                    int roundPhase = round * phases / rounds;
                    if (roundPhase != phase) {
                        phase = roundPhase;
                        detachAll(attached, progress);
                        for (Hooked hooked : Hooked.values()) {
                            Edge edge = edges.get((hooked.ordinal() + phase) % edges.size());
                            edgeOf.put(hooked, edge);
                            attached.add(attach(hooked, edge));
                        }
                        Thread.sleep(SETTLE_PAUSE);
                        for (Hooked hooked : Hooked.values()) {
                            commands.run("warmup", edgeOf.get(hooked).address(), SERVICE_PORT, requests, false);
                        }
                        int last = (phase + 1) * rounds / phases;
                        progress.accept("bench: rounds " + (round + 1) + ".." + last + ": observer on " + edgeOf.get(Hooked.OBSERVER).name()
                                + ", ingress only on " + edgeOf.get(Hooked.INGRESS_ONLY).name() + ", tc no-op on "
                                + edgeOf.get(Hooked.NOOP).name() + ", plain " + edgeOf.get(Hooked.PLAIN).name());
                    }
                    String plain = edgeOf.get(Hooked.PLAIN).address();
                    for (int i = 0; i < cases.size(); i++) {
                        String label = cases.get((i + round) % cases.size());
                        switch (label) {
                            case DIRECT -> commands.measure(label, plain, SERVICE_PORT, settle, requests);
                            case SIDECAR -> commands.measure(label, plain, SidecarProxy.PORT, settle, requests);
                            case SIDECAR_KEEPALIVE -> commands.measure(label, plain, SidecarProxy.KEEPALIVE_PORT, settle, requests);
                            case TC_NOOP -> commands.measure(label, edgeOf.get(Hooked.NOOP).address(), SERVICE_PORT, settle, requests);
                            case EBPF_INGRESS -> commands.measure(label, edgeOf.get(Hooked.INGRESS_ONLY).address(), SERVICE_PORT,
                                    settle, requests);
                            default -> commands.measure(label, edgeOf.get(Hooked.OBSERVER).address(), SERVICE_PORT, settle, requests);
                        }
                    }
                    Map<String, Double> p50s = commands.round();
                    p50s.forEach((label, p50) -> roundDeltas.computeIfAbsent(label, k -> new java.util.ArrayList<>())
                            .add(p50 - p50s.get(DIRECT)));
                    progress.accept(String.format(Locale.ROOT, "bench: round %d/%d done", round + 1, rounds));
                }
            } finally {
                detachAll(attached, progress);
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

    private static void detachAll(List<AutoCloseable> attached, java.util.function.Consumer<String> progress) {
        for (AutoCloseable a : attached.reversed()) {
            try {
                a.close();
            } catch (Exception e) {
                progress.accept("bench: detaching: " + e.getMessage());
            }
        }
        attached.clear();
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

    /** What {@code to} adds over {@code from}: p50 / p99 of the pooled requests, and the round-by-round p50. */
    private static String step(CaseResult from, CaseResult to) {
        return String.format(Locale.ROOT, "%+.1f / %+.1f us (%+.1f us)", to.p50() - from.p50(), to.p99() - from.p99(),
                to.roundP50Delta() - from.roundP50Delta());
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
            CaseResult noop = results.get(TC_NOOP);
            CaseResult ingress = results.get(EBPF_INGRESS);
            if (noop != null && ingress != null) {
                sb.append(String.format(Locale.ROOT, "Observer cost breakdown, p50 / p99 (p50 round by round):"
                                + " any tc hook %s; our ingress program %s; egress + handshake tracking %s.%n",
                        step(direct, noop), step(noop, ingress), step(ingress, ebpf)));
            }
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
