package io.edgesched.examples.bench;

import io.edgesched.api.policy.PolicyConfig;
import io.edgesched.api.policy.StabilityConfig;
import io.edgesched.examples.k8s.SyntheticCluster;
import io.edgesched.k8s.controller.ReportDrivenController;
import io.edgesched.k8s.metrics.EdgeschedMetrics;
import io.edgesched.k8s.move.KubernetesRescheduler;
import io.edgesched.k8s.report.OriginReport;
import io.edgesched.k8s.report.OriginReportSpec.NodeRtt;
import io.edgesched.k8s.report.OriginReportWatcher;
import io.edgesched.k8s.report.ReportedDemand;
import io.edgesched.k8s.topology.KubernetesTopology;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * End to end, a client that moves between two entry nodes: the real agent process on each node (eBPF on the node's
 * uplink, fast reads, event writes), the CRUD mock API server, and the real controller (informers, ReportHandoffs,
 * latency-aware policy, KubernetesRescheduler) in this process. One client address lives in two network namespaces,
 * one behind each node's uplink (a veth pair); policy routing sends each node's replies back through its own
 * uplink. The client sends one request per {@code --request-interval}; the runner switches its entry node
 * {@code --handoffs} times and measures, per handoff, the first request served at the new node -> the Deployment
 * patch that moves the workload there.
 *
 * <p>The node-to-node RTT comes from a third node's static report (there is no path between the two uplinks here
 * for the agents to time). The stability gate's dwell is 0 and its rate limit open, as in bench-report-to-patch:
 * this measures the path, not the anti-flapping wait a cluster would add; its gain thresholds are the defaults. Between handoffs the runner plays the kubelet (the CRUD mock runs
 * no controllers), and waits until the client has been away from its next entry node for longer than a visit gap,
 * so that every switch is a new visit. Needs root; every name is PID-scoped and removed at the end.
 */
@Command(name = "bench-handoff-latency", mixinStandardHelpOptions = true,
        description = "First request at a new entry node -> Deployment patch, over real agents (root, netns, eBPF).")
public final class HandoffLatencyBench implements Callable<Integer> {
    static final int NODE_PORT = 30080;
    static final String NS = "shop";
    static final String REPORTS = "edgesched";
    static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

    @Option(names = "--handoffs", defaultValue = "20", description = "Entry switches measured (default: ${DEFAULT-VALUE}).")
    int handoffs;
    @Option(names = "--request-interval", defaultValue = "200", description = "Milliseconds between the client's requests (default: ${DEFAULT-VALUE}).")
    int requestMillis;
    @Option(names = "--stay", defaultValue = "6500", description = "Milliseconds the client stays at an entry, at least one visit gap (default: ${DEFAULT-VALUE}).")
    int stayMillis;
    @Option(names = "--agent", defaultValue = "examples/bin/agent", description = "The agent launcher (default: ${DEFAULT-VALUE}).")
    Path agent;
    @Option(names = "--json", description = "Last line: one JSON object with the results.")
    boolean json;
    @Option(names = "--verbose", description = "Print every report's arrivals and departures as it arrives.")
    boolean verbose;

    public static void main(String[] args) {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", System.getProperty("bench.log", "warn"));
        if (args.length > 0 && args[0].equals("client")) {   // runs inside one client namespace
            System.exit(client(args[1], Integer.parseInt(args[2])));
        }
        int status;
        try {
            status = new CommandLine(new HandoffLatencyBench()).execute(args);
        } catch (RuntimeException e) {
            e.printStackTrace();
            status = 1;
        }
        System.exit(status);
    }

    /**
     * The client at one entry: "on" on stdin starts a request (a new connection) every {@code intervalMillis}, "off"
     * stops, end of input exits.
     */
    static int client(String host, int intervalMillis) {
        AtomicReference<Boolean> on = new AtomicReference<>(false);
        Thread sender = Thread.ofPlatform().daemon().start(() -> {
            byte[] request = ("GET / HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII);
            long next = System.nanoTime();
            while (true) {
                if (on.get()) {
                    try (Socket s = new Socket(host, NODE_PORT)) {
                        s.setSoTimeout(2000);
                        s.getOutputStream().write(request);
                        s.getOutputStream().flush();
                        s.getInputStream().readAllBytes();
                    } catch (IOException e) {
                        System.err.println("client " + host + ": " + e.getMessage());
                    }
                }
                next += intervalMillis * 1_000_000L;
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    try {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    } catch (InterruptedException e) {
                        return;
                    }
                } else {
                    next = System.nanoTime();
                }
            }
        });
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII))) {
            String line;
            while ((line = in.readLine()) != null) {
                on.set(line.trim().equals("on"));
            }
        } catch (IOException e) {
            return 1;
        }
        sender.interrupt();
        return 0;
    }

    /** When something about a move happened, and the target nodes it named. */
    record Patch(long nanos, String targets) {
    }

    /** One entry node: its uplink, its server, the client behind it and the agent on it. */
    static final class Entry {
        final String node;
        final String address;
        final String hostIf;
        final String netns;
        final AtomicLong armedFirstRequest = new AtomicLong(-1); // -1 = not armed, 0 = armed, > 0 = nanoTime seen
        PrintStream clientControl;

        Entry(String node, String address, String hostIf, String netns) {
            this.node = node;
            this.address = address;
            this.hostIf = hostIf;
            this.netns = netns;
        }

        void send(String command) {
            clientControl.println(command);
            clientControl.flush();
        }
    }

    @Override
    public Integer call() throws Exception {
        if (!"root".equals(System.getProperty("user.name"))) {
            System.err.println("bench-handoff-latency needs root (network namespaces, eBPF)");
            return 2;
        }
        if (!Files.isExecutable(agent)) {
            System.err.println("no agent launcher at " + agent + ": pass --agent examples/bin/agent (build first)");
            return 2;
        }
        if (handoffs < 1 || requestMillis < 10 || stayMillis < 5_500) {
            System.err.println("--handoffs >= 1, --request-interval >= 10 and --stay >= 5500 (longer than the 5 s visit"
                    + " gap, so that every switch begins a new visit)");
            return 2;
        }
        MOCK_LOG.setLevel(Level.WARNING);
        long pid = ProcessHandle.current().pid();
        int octet = (int) (pid % 250);
        String clientAddr = "10.235." + octet + ".2";
        int table = 20_000 + octet;
        Entry a = new Entry("edge-a", "10.235." + octet + ".1", "esHa" + pid, "esHa-" + pid);
        Entry b = new Entry("edge-b", "10.236." + octet + ".1", "esHb" + pid, "esHb-" + pid);
        List<AutoCloseable> cleanup = new ArrayList<>();
        try {
            // entry a: an ordinary /24 between host and namespace
            addLink(a, cleanup);
            AgentBenchSupport.run("ip", "addr", "add", a.address + "/24", "dev", a.hostIf);
            AgentBenchSupport.run("ip", "netns", "exec", a.netns, "ip", "addr", "add", clientAddr + "/24", "dev", "c0");
            // entry b: the same client address; the host answers it through b's uplink only for b's own address
            addLink(b, cleanup);
            AgentBenchSupport.run("ip", "addr", "add", b.address + "/32", "dev", b.hostIf);
            AgentBenchSupport.run("ip", "netns", "exec", b.netns, "ip", "addr", "add", clientAddr + "/32", "dev", "c0");
            AgentBenchSupport.run("ip", "netns", "exec", b.netns, "ip", "route", "add", b.address + "/32", "dev", "c0", "src", clientAddr);
            AgentBenchSupport.run("ip", "route", "add", clientAddr + "/32", "dev", b.hostIf, "table", Integer.toString(table));
            AgentBenchSupport.run("ip", "rule", "add", "from", b.address, "lookup", Integer.toString(table));
            cleanup.add(() -> AgentBenchSupport.run("ip", "rule", "del", "from", b.address, "lookup", Integer.toString(table)));
            cleanup.add(() -> AgentBenchSupport.run("ip", "route", "flush", "table", Integer.toString(table)));
            for (Entry e : List.of(a, b)) {
                AgentBenchSupport.run("sysctl", "-q", "-w", "net.ipv4.conf." + e.hostIf + ".rp_filter=0");
            }

            for (Entry e : List.of(a, b)) {
                AgentBenchSupport.serve(e.address, NODE_PORT, () -> e.armedFirstRequest.compareAndSet(0, System.nanoTime()),
                        cleanup);
            }

            KubernetesMockServer server = AgentBenchSupport.mockServer(cleanup);
            KubernetesClient client = new io.fabric8.kubernetes.client.KubernetesClientBuilder().withConfig(
                    new io.fabric8.kubernetes.client.ConfigBuilder(server.createClient().getConfiguration())
                            .withRequestTimeout(120_000).build()).build();
            cleanup.add(client::close);
            client.nodes().resource(SyntheticCluster.node(a.node, a.address)).create();
            client.nodes().resource(SyntheticCluster.node(b.node, b.address)).create();
            client.nodes().resource(SyntheticCluster.node("hub", "10.237." + octet + ".1")).create();
            client.apps().deployments().inNamespace(NS).resource(SyntheticCluster.deployment(NS, "web", 1)).create();
            client.pods().inNamespace(NS).resource(SyntheticCluster.pod(NS, "web", "p0", a.node, "10.244.0.10")).create();
            client.services().inNamespace(NS).resource(SyntheticCluster.nodePortService(NS, "web", NODE_PORT)).create();
            writeHubReport(client);
            Path kubeconfig = AgentBenchSupport.kubeconfig(client, "edgesched-handoff", cleanup);

            for (Entry e : List.of(a, b)) {
                Path log = Path.of(System.getProperty("java.io.tmpdir"), "edgesched-handoff-" + e.node + "-" + pid + ".log");
                ProcessBuilder pb = new ProcessBuilder(agent.toString(), "--node", e.node, "--interface", e.hostIf,
                        "--interval", "10s", "--event-interval", "250ms").redirectErrorStream(true)
                        .redirectOutput(log.toFile());
                pb.environment().put("KUBECONFIG", kubeconfig.toString());
                Process p = pb.start();
                cleanup.add(() -> AgentBenchSupport.stop(p));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
                while (client.resources(OriginReport.class).inNamespace(REPORTS).withName(e.node).get() == null) {
                    if (!p.isAlive() || System.nanoTime() > deadline) {
                        System.err.println("the agent on " + e.node + " did not publish within 90 s (log: " + log + ")");
                        return 1;
                    }
                    Thread.sleep(250);
                }
            }

            String javaBin = ProcessHandle.current().info().command().orElse("java");
            for (Entry e : List.of(a, b)) {
                Process p = new ProcessBuilder("ip", "netns", "exec", e.netns, javaBin, "-cp",
                        System.getProperty("java.class.path"), HandoffLatencyBench.class.getName(), "client", e.address,
                        Integer.toString(requestMillis)).redirectError(ProcessBuilder.Redirect.INHERIT)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                e.clientControl = new PrintStream(p.getOutputStream(), true, StandardCharsets.US_ASCII);
                cleanup.add(() -> {
                    e.clientControl.close();
                    AgentBenchSupport.stop(p);
                });
            }

            KubernetesTopology topology = KubernetesTopology.start(client, KubernetesTopology.Options.allNamespaces());
            cleanup.add(topology::close);
            topology.awaitSynced(Duration.ofSeconds(30));
            OriginReportWatcher watcher = OriginReportWatcher.start(client, REPORTS, Duration.ofMinutes(5), Clock.systemUTC());
            cleanup.add(watcher::close);
            watcher.awaitSynced(Duration.ofSeconds(30));
            if (verbose) {
                watcher.addListener(r -> r.report().getSpec().workloads().forEach(w -> System.err.printf(Locale.ROOT,
                        "  %s report %s: arrivals %s departures %s clients %s%n", Instant.now(), r.node(),
                        w.arrivals(), w.departures(), w.clients().stream().map(c -> c.prefix() + "@"
                                + c.packetsPerSecond()).toList())));
            }
            KubernetesRescheduler rescheduler = KubernetesRescheduler.builder(client).allowAllNamespaces()
                    .rolloutTimeout(Duration.ofMinutes(2)).build();
            cleanup.add(rescheduler::close);
            // the default hysteresis (10 % and 500 us better): looser thresholds let the blend of the client's two
            // decaying entries tip the workload back and forth between handoffs
            StabilityConfig stability = StabilityConfig.defaults().withMinDwell(Duration.ZERO)
                    .withRateLimit(10_000, 1000);
            // the moment the controller hands the move to the rescheduler, which patches a few ms later
            BlockingQueue<Patch> movesIssued = new LinkedBlockingQueue<>();
            io.edgesched.api.Rescheduler timed = request -> {
                movesIssued.add(new Patch(System.nanoTime(), request.targetNodes().toString()));
                return rescheduler.move(request);
            };
            ReportDrivenController controller = ReportDrivenController.start(topology, watcher, timed,
                    new EdgeschedMetrics(new SimpleMeterRegistry()), new ReportDrivenController.Settings(
                            Duration.ofSeconds(15), Duration.ofSeconds(1), ReportedDemand.Rate.PACKETS,
                            PolicyConfig.defaults(), stability, false), Clock.systemUTC());
            cleanup.add(controller::close);

            BlockingQueue<Patch> patchSeen = new LinkedBlockingQueue<>();
            AtomicReference<String> lastTargets = new AtomicReference<>();
            // an informer, not a bare watch: it lists and watches again when the mock closes a watch
            var informer = client.apps().deployments().inNamespace(NS).withName("web").inform(
                    new io.fabric8.kubernetes.client.informers.ResourceEventHandler<>() {
                        @Override
                        public void onAdd(Deployment d) {
                            seen(d);
                        }

                        @Override
                        public void onUpdate(Deployment before, Deployment d) {
                            seen(d);
                        }

                        @Override
                        public void onDelete(Deployment d, boolean unknown) {
                        }

                        private void seen(Deployment d) {
                            String targets = targetsOf(d);
                            if (targets != null && !targets.equals(lastTargets.getAndSet(targets))) {
                                patchSeen.add(new Patch(System.nanoTime(), targets));
                            }
                        }
                    });
            cleanup.add(informer::close);

            // warm up at a: the workload runs there already, the client builds demand there
            a.send("on");
            Thread.sleep(stayMillis);
            List<Double> latencies = new ArrayList<>();
            List<Double> issuedLatencies = new ArrayList<>();
            int missed = 0;
            int mockStalls = 0;
            Entry from = a;
            int podSeq = 1;
            for (int i = 0; i < handoffs; i++) {
                Entry to = from == a ? b : a;
                writeHubReport(client);
                patchSeen.clear();
                movesIssued.clear();
                to.armedFirstRequest.set(0);
                from.send("off");
                to.send("on");
                long switched = System.nanoTime();
                if (verbose) {
                    System.err.printf(Locale.ROOT, "%s switched %s -> %s%n", Instant.now(), from.node, to.node);
                }
                Patch issued = movesIssued.poll(20, TimeUnit.SECONDS);
                Patch seen = issued == null ? null : patchSeen.poll(30, TimeUnit.SECONDS);
                long first = to.armedFirstRequest.getAndSet(-1);
                boolean followed = issued != null && first > 0 && issued.targets().contains(to.node);
                if (!followed) {
                    missed++;
                    System.err.printf(Locale.ROOT, "%s handoff %d %s -> %s: %s (last round: %s)%n", Instant.now(),
                            i + 1, from.node, to.node, issued == null ? "no move within 20 s"
                                    : "a move to " + issued.targets() + ", not to " + to.node,
                            controller.lastRound().map(Object::toString).orElse("none"));
                } else {
                    double issuedMs = (issued.nanos() - first) / 1e6;
                    double seenMs = seen == null ? Double.NaN : (seen.nanos() - first) / 1e6;
                    issuedLatencies.add(issuedMs);
                    if (seen != null && seen.nanos() - issued.nanos() < TimeUnit.SECONDS.toNanos(5)) {
                        latencies.add(seenMs);
                    } else {
                        mockStalls++;
                    }
                    System.err.printf(Locale.ROOT, "handoff %d %s -> %s: move issued %.0f ms, patch seen %.0f ms after"
                            + " the first request there%n", i + 1, from.node, to.node, issuedMs, seenMs);
                }
                String targets = seen != null ? seen.targets() : currentTargets(client);
                if (targets != null) { // whatever moved, the kubelet carries it out so the next move can start
                    String target = targets.contains(a.node) ? a.node : b.node;
                    ReportToPatchBench.playKubelet(client, target, podSeq++);
                    try {
                        ReportToPatchBench.awaitSettled(controller, target);
                    } catch (IllegalStateException notSettled) {
                        System.err.println(notSettled.getMessage());
                    }
                }
                long rest = stayMillis - (System.nanoTime() - switched) / 1_000_000;
                if (rest > 0) {
                    Thread.sleep(rest);
                }
                from = to;
            }
            from.send("off");

            double[] seenStats = stats(latencies);
            double[] issuedStats = stats(issuedLatencies);
            System.out.printf(Locale.ROOT, "%nhandoff latency: first request at the new entry node -> move issued to the"
                    + " rescheduler, and -> Deployment patch seen by a watcher; real agents (eBPF, fast reads 250 ms),"
                    + " CRUD mock, controller with dwell 0; a request every %d ms%n", requestMillis);
            System.out.println("| measured to | handoffs | followed | min ms | p50 ms | p90 ms | max ms | goal |");
            System.out.println("|---|---|---|---|---|---|---|---|");
            System.out.printf(Locale.ROOT, "| move issued | %d | %d | %.0f | %.0f | %.0f | %.0f | %s |%n", handoffs,
                    issuedLatencies.size(), issuedStats[0], issuedStats[1], issuedStats[2], issuedStats[3],
                    verdict(missed, issuedStats));
            System.out.printf(Locale.ROOT, "| patch seen | %d | %d | %.0f | %.0f | %.0f | %.0f | %s |%n", handoffs,
                    latencies.size(), seenStats[0], seenStats[1], seenStats[2], seenStats[3],
                    verdict(missed, seenStats) + (mockStalls == 0 ? "" : "; " + mockStalls
                            + " patch(es) held > 5 s by the mock server left out"));
            if (json) {
                System.out.printf(Locale.ROOT, "{\"handoffs\":%d,\"followed\":%d,\"issuedP50Millis\":%.1f,"
                        + "\"issuedMaxMillis\":%.1f,\"patchP50Millis\":%.1f,\"patchMaxMillis\":%.1f,\"mockStalls\":%d,"
                        + "\"requestIntervalMillis\":%d}%n", handoffs, issuedLatencies.size(), issuedStats[1],
                        issuedStats[3], seenStats[1], seenStats[3], mockStalls, requestMillis);
            }
            return missed == 0 ? 0 : 1;
        } finally {
            AgentBenchSupport.closeAll(cleanup);
        }
    }

    /** min, p50, p90, max of {@code values} (NaN when empty). */
    static double[] stats(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        if (n == 0) {
            return new double[] {Double.NaN, Double.NaN, Double.NaN, Double.NaN};
        }
        return new double[] {sorted.getFirst(), sorted.get((n - 1) / 2),
                sorted.get(Math.min(n - 1, (int) Math.ceil(n * 0.9) - 1)), sorted.get(n - 1)};
    }

    static String verdict(int missed, double[] stats) {
        return "p50 <= 1000, max <= 2000: " + (missed == 0 && stats[1] <= 1000 && stats[3] <= 2000 ? "met" : "MISSED");
    }

    /** A namespace for the entry's client, joined to the host by a veth pair (host end {@code hostIf}, "c0" inside). */
    private static void addLink(Entry e, List<AutoCloseable> cleanup) throws IOException, InterruptedException {
        AgentBenchSupport.run("ip", "netns", "add", e.netns);
        cleanup.add(() -> AgentBenchSupport.run("ip", "netns", "del", e.netns));
        AgentBenchSupport.run("ip", "link", "add", e.hostIf, "type", "veth", "peer", "name", "c0", "netns", e.netns);
        cleanup.add(() -> AgentBenchSupport.run("ip", "link", "del", e.hostIf));
        AgentBenchSupport.run("ip", "link", "set", e.hostIf, "up");
        AgentBenchSupport.run("ip", "netns", "exec", e.netns, "ip", "link", "set", "c0", "up");
        AgentBenchSupport.run("ip", "netns", "exec", e.netns, "ip", "link", "set", "lo", "up");
    }

    /** The hub's report: 5 ms to each entry node, so the entries are 10 ms apart through it. */
    private static void writeHubReport(KubernetesClient client) {
        OriginReport hub = SyntheticCluster.report(REPORTS, "hub", Instant.now(), List.of(),
                List.of(new NodeRtt("edge-a", 5_000), new NodeRtt("edge-b", 5_000)));
        client.resources(OriginReport.class).inNamespace(REPORTS).resource(hub).createOr(
                io.fabric8.kubernetes.client.dsl.NonDeletingOperation::update);
    }

    /** The Deployment's move target annotation as the API server has it now (a patch the runner did not see). */
    private static String currentTargets(KubernetesClient client) {
        return targetsOf(client.apps().deployments().inNamespace(NS).withName("web").get());
    }

    /** The move target annotation the rescheduler writes on the pod template; null before any move. */
    private static String targetsOf(Deployment d) {
        Map<String, String> ann = d == null ? null : d.getSpec().getTemplate().getMetadata().getAnnotations();
        return ann == null ? null : ann.get(KubernetesRescheduler.ANNOTATION_TARGETS);
    }
}
