package io.edgesched.examples.bench;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.NodeId;
import io.edgesched.api.OriginRecord;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.OriginStats;
import io.edgesched.api.RequestOriginSource;
import io.edgesched.api.WatchedService;
import io.edgesched.examples.k8s.DurationConverter;
import io.edgesched.examples.k8s.SyntheticCluster;
import io.edgesched.k8s.report.AgentLoop;
import io.edgesched.k8s.report.EventBudget;
import io.edgesched.k8s.report.OriginReport;
import io.edgesched.k8s.report.OriginReportPublisher;
import io.edgesched.k8s.report.OriginReportSpec.ClientDemand;
import io.edgesched.k8s.report.OriginReportSpec.WorkloadOrigins;
import io.edgesched.k8s.report.PublishRule;
import io.edgesched.k8s.report.ReportLimits;
import io.edgesched.k8s.topology.ClusterSnapshot;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * etcd write load of one node's agent: the real {@link OriginReportPublisher} (demand store, report builder,
 * {@link PublishRule}) writes to the fabric8 CRUD mock API server, which counts the request bodies of every
 * create/update/patch of an OriginReport (what etcd stores; HTTP headers are not counted). The node has N
 * steady synthetic clients over W workloads, a fraction of them replaced every minute (churn), one heavy client
 * arriving at a third of the run and leaving (its counters stop, as after a handoff) at two thirds. Time is
 * simulated: one report interval per step, so M minutes take seconds.
 */
@Command(name = "bench-report-load", mixinStandardHelpOptions = true,
        description = "etcd write load of one agent's OriginReports (simulated time, CRUD mock API server).")
public final class ReportLoadBench implements Callable<Integer> {
    static final String NS = "shop";
    static final String REPORTS = "edgesched";
    static final NodeId NODE = NodeId.of("edge-1");
    static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");
    static final double GOAL_BYTES_PER_SECOND = 2048;

    @Option(names = "--clients", required = true, description = "Steady clients on this node.")
    int clients;
    @Option(names = "--minutes", defaultValue = "15", description = "Simulated minutes (default: ${DEFAULT-VALUE}).")
    int minutes;
    @Option(names = "--workloads", defaultValue = "20", description = "Workloads the clients spread over (default: ${DEFAULT-VALUE}).")
    int workloads;
    @Option(names = "--interval", converter = DurationConverter.class, defaultValue = "10s",
            description = "Report interval (default: ${DEFAULT-VALUE}).")
    Duration interval;
    @Option(names = "--heartbeat", converter = DurationConverter.class, defaultValue = "30s",
            description = "Longest time between written reports (default: ${DEFAULT-VALUE}).")
    Duration heartbeat;
    @Option(names = "--event-reads", defaultValue = "1",
            description = "Fast reads (the agent's event path) between two reports, evenly spaced; the agent paces them"
                    + " to 0.5 % of a core, one per 10 s interval or fewer at 65,536 clients; 0 = off"
                    + " (default: ${DEFAULT-VALUE}).")
    int eventReads;

    @Option(names = "--every-report", description = "Write every report (the behaviour before change-only publishing).")
    boolean everyReport;
    @Option(names = "--top-n", description = "Clients listed per workload (default: the agent's, ReportLimits.DEFAULT).")
    Integer topN;
    @Option(names = "--max-report-bytes", defaultValue = "65536", description = "Report size budget (default: the agent's, ${DEFAULT-VALUE}).")
    int maxReportBytes;
    @Option(names = "--churn", defaultValue = "0.01", description = "Fraction of clients replaced per minute (default: ${DEFAULT-VALUE}).")
    double churn;
    @Option(names = "--warmup-minutes", defaultValue = "3",
            description = "Minutes left out of the steady average (the demand store's rates settle; default: ${DEFAULT-VALUE}).")
    int warmupMinutes;
    @Option(names = "--seed", defaultValue = "1")
    long seed;
    @Option(names = "--json", description = "Last line: one JSON object with the results.")
    boolean json;

    public static void main(String[] args) {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", System.getProperty("bench.log", "warn"));
        int status;
        try {
            status = new CommandLine(new ReportLoadBench()).execute(args);
        } catch (RuntimeException e) {
            e.printStackTrace();
            status = 1;
        }
        System.exit(status); // mock threads are not daemons
    }

    /** Counts what the agent sends: OriginReport writes (bodies) and all requests. */
    static final class CountingDispatcher extends KubernetesCrudDispatcher {
        final AtomicLong writes = new AtomicLong();
        final AtomicLong writtenBytes = new AtomicLong();
        final AtomicLong requests = new AtomicLong();

        @Override
        public MockResponse dispatch(RecordedRequest request) {
            requests.incrementAndGet();
            String method = request.getMethod();
            if (request.getPath().contains("/originreports") && ("POST".equals(method) || "PUT".equals(method)
                    || "PATCH".equals(method))) {
                writes.incrementAndGet();
                writtenBytes.addAndGet(request.getBody() == null ? 0 : request.getBody().size());
            }
            return super.dispatch(request);
        }
    }

    /** Cumulative counters of steady clients, in simulated time. */
    static final class SyntheticSource implements RequestOriginSource {
        final Map<Integer, WatchedService> watched = new HashMap<>();
        final Map<Integer, Integer> serviceOfPort = new HashMap<>();
        final List<Client> clients = new ArrayList<>();
        long nowNanos = 1_000_000_000L;
        final Instant start = Instant.parse("2026-01-01T00:00:00Z");

        Instant now() {
            return start.plusNanos(nowNanos);
        }

        @Override
        public NodeId node() {
            return NODE;
        }

        @Override
        public void watch(WatchedService service) {
            watched.put(service.serviceId(), service);
            serviceOfPort.put(service.port(), service.serviceId());
        }

        @Override
        public void unwatch(int serviceId) {
            WatchedService s = watched.remove(serviceId);
            if (s != null) {
                serviceOfPort.remove(s.port());
            }
        }

        @Override
        public java.util.Set<WatchedService> watched() {
            return java.util.Set.copyOf(watched.values());
        }

        @Override
        public OriginSnapshot snapshot() {
            List<OriginRecord> records = new ArrayList<>(clients.size());
            for (Client c : clients) {
                Integer service = serviceOfPort.get(c.port);
                if (service == null) {
                    continue;
                }
                long until = c.stoppedNanos > 0 ? c.stoppedNanos : nowNanos;
                long packets = (long) (c.packetsPerSecond * (until - c.bornNanos) / 1e9);
                records.add(new OriginRecord(service, c.port, c.address, packets / 10, packets, packets * 120,
                        c.rttMicros, 1 + packets / 100, c.bornNanos, until, false));
            }
            return new OriginSnapshot(NODE, now(), nowNanos, 1, records, new OriginStats(1000, 0, 0, 0, 0));
        }

        @Override
        public void close() {
        }
    }

    static final class Client {
        final ClientAddress address;
        final int port;
        final double packetsPerSecond;
        final long rttMicros;
        final long bornNanos;
        long stoppedNanos;

        Client(ClientAddress address, int port, double packetsPerSecond, long rttMicros, long bornNanos) {
            this.address = address;
            this.port = port;
            this.packetsPerSecond = packetsPerSecond;
            this.rttMicros = rttMicros;
            this.bornNanos = bornNanos;
        }
    }

    @Override
    public Integer call() throws Exception {
        if (clients < 1 || minutes < 1 || workloads < 1 || churn < 0 || churn > 1) {
            System.err.println("--clients, --minutes, --workloads must be >= 1 and --churn in 0..1");
            return 2;
        }
        MOCK_LOG.setLevel(Level.WARNING);
        ReportLimits limits = ReportLimits.DEFAULT;
        if (topN != null) {
            limits = limits.withTopClients(topN);
        }
        limits = new ReportLimits(limits.topClients(), limits.prefixV4(), limits.prefixV6(), limits.maxWorkloads(),
                limits.maxNodeRtts(), maxReportBytes);
        PublishRule rule = everyReport ? PublishRule.everyReport() : PublishRule.defaults().withHeartbeat(heartbeat);

        CountingDispatcher dispatcher = new CountingDispatcher();
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                dispatcher, false);
        server.init();
        KubernetesClient client = new KubernetesClientBuilder().withConfig(
                new io.fabric8.kubernetes.client.ConfigBuilder(server.createClient().getConfiguration())
                        .withRequestTimeout(120_000).build()).build();
        try {
            return run(client, dispatcher, limits, rule);
        } finally {
            client.close();
            server.destroy();
        }
    }

    private int run(KubernetesClient client, CountingDispatcher dispatcher, ReportLimits limits, PublishRule rule) {
        List<Deployment> deployments = new ArrayList<>();
        List<Pod> pods = new ArrayList<>();
        List<Service> services = new ArrayList<>();
        for (int w = 0; w < workloads; w++) {
            String name = "app-" + w;
            deployments.add(SyntheticCluster.deployment(NS, name, 1));
            pods.add(SyntheticCluster.pod(NS, name, "p" + w, NODE.name(), "10.244.0." + (w % 250 + 2)));
            services.add(SyntheticCluster.nodePortService(NS, name, 30000 + w));
        }
        ClusterSnapshot cluster = ClusterSnapshot.of(List.of(SyntheticCluster.node(NODE.name(), "10.0.0.1")),
                deployments, pods, services, List.of());

        Random random = new Random(seed);
        SyntheticSource source = new SyntheticSource();
        for (int i = 0; i < clients; i++) {
            source.clients.add(newClient(random, i % workloads, 0));
        }
        // simulated time throughout: the event budget refills with the scenario's clock, not the wall's
        Clock simulated = new Clock() {
            @Override
            public java.time.ZoneId getZone() {
                return java.time.ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return source.now();
            }
        };
        OriginReportPublisher publisher = new OriginReportPublisher(client, REPORTS, source, () -> cluster, limits,
                simulated);
        AgentLoop.Events events = AgentLoop.Events.defaults();
        EventBudget budget = new EventBudget(events.bytesPerSecond(), events.burstBytes());

        long intervalNanos = interval.toNanos();
        long steps = Math.max(1, Duration.ofMinutes(minutes).toNanos() / intervalNanos);
        long heavyArrives = steps / 3;
        long heavyLeaves = 2 * steps / 3;
        Client heavy = null;
        double heavyRate = 0;
        double churnCarry = 0;
        Double heavyArrivalSeconds = null;
        Double heavyDepartureSeconds = null;
        double listedAtDeparture = 0;
        long heavyArrivalNanos = 0;
        long heavyDepartureNanos = 0;
        long maxReportBytesSeen = 0;
        long steadyStartBytes = -1;
        long steadyStartWrites = -1;
        long steadyStartNanos = 0;
        Map<String, Integer> reasons = new TreeMap<>();
        List<long[]> perMinute = new ArrayList<>(); // writes, bytes
        long minuteWrites = 0;
        long minuteBytes = 0;
        long wallStart = System.nanoTime();
        long stepsPerMinute = Math.max(1, Duration.ofMinutes(1).toNanos() / intervalNanos);

        for (long step = 0; step <= steps; step++) {
            long t = step * intervalNanos;
            source.nowNanos = 1_000_000_000L + t;
            if (step > 0 && churn > 0) {   // replace a fraction of the clients, spread over the minute
                churnCarry += churn * clients * intervalNanos / 60e9;
                int replace = (int) churnCarry;
                churnCarry -= replace;
                for (int k = 0; k < replace; k++) {
                    int i = random.nextInt(clients);
                    source.clients.set(i, newClient(random, i % workloads, t));
                }
            }
            if (step == heavyArrives) {
                double total = 0;
                for (int i = 0; i < clients; i++) {
                    if (i % workloads == 0) {
                        total += source.clients.get(i).packetsPerSecond;
                    }
                }
                heavyRate = total / 3;   // a quarter of the workload's demand after it arrives
                heavy = new Client(ClientAddress.parse("198.51.100.7"), 30000, heavyRate, 800, source.nowNanos);
                source.clients.add(heavy);
                heavyArrivalNanos = t;
            }
            if (step == heavyLeaves && heavy != null) {
                heavy.stoppedNanos = source.nowNanos;
                heavyDepartureNanos = t;
            }
            if (step == warmupMinutes * stepsPerMinute) {
                steadyStartBytes = dispatcher.writtenBytes.get();
                steadyStartWrites = dispatcher.writes.get();
                steadyStartNanos = t;
            }
            long bytesBefore = dispatcher.writtenBytes.get();
            var written = publisher.publish(rule);
            for (int e = 1; e <= eventReads && step < steps; e++) { // fast reads before the next report
                source.nowNanos = 1_000_000_000L + t + intervalNanos * e / (eventReads + 1);
                long before = dispatcher.writtenBytes.get();
                var event = publisher.publishEvents(rule, budget, events.evidenceReads());
                if (event.isPresent()) {
                    reasons.merge(publisher.lastReason(), 1, Integer::sum);
                    maxReportBytesSeen = Math.max(maxReportBytesSeen, dispatcher.writtenBytes.get() - before);
                    long at = source.nowNanos - 1_000_000_000L;
                    if (heavy != null && heavyArrivalSeconds == null && at >= heavyArrivalNanos
                            && listedRate(event.get(), "198.51.100.7") > 0) {
                        heavyArrivalSeconds = (at - heavyArrivalNanos) / 1e9;
                    }
                }
            }
            if (written.isPresent()) {
                OriginReport r = written.get();
                reasons.merge(publisher.lastReason(), 1, Integer::sum);
                maxReportBytesSeen = Math.max(maxReportBytesSeen, dispatcher.writtenBytes.get() - bytesBefore);
                double listed = listedRate(r, "198.51.100.7");
                if (heavy != null && heavyArrivalSeconds == null && t >= heavyArrivalNanos && listed > 0) {
                    heavyArrivalSeconds = (t - heavyArrivalNanos) / 1e9;
                }
                if (heavy != null && step < heavyLeaves) {
                    listedAtDeparture = listed;
                }
                if (heavy != null && heavyDepartureSeconds == null && step >= heavyLeaves
                        && listed <= listedAtDeparture / 2) {
                    heavyDepartureSeconds = (t - heavyDepartureNanos) / 1e9;
                }
            }
            minuteWrites = dispatcher.writes.get();
            minuteBytes = dispatcher.writtenBytes.get();
            if ((step + 1) % stepsPerMinute == 0) {
                perMinute.add(new long[] {minuteWrites, minuteBytes});
            }
        }
        double wallSeconds = (System.nanoTime() - wallStart) / 1e9;
        double seconds = steps * intervalNanos / 1e9;
        long bytes = dispatcher.writtenBytes.get();
        long writes = dispatcher.writes.get();
        double bytesPerSecond = bytes / seconds;
        double steadySeconds = (steps * intervalNanos - steadyStartNanos) / 1e9;
        double steadyBytesPerSecond = steadyStartBytes < 0 ? Double.NaN : (bytes - steadyStartBytes) / steadySeconds;
        double steadyWritesPerMinute = steadyStartWrites < 0 ? Double.NaN : (writes - steadyStartWrites) * 60 / steadySeconds;
        double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();

        System.out.printf(Locale.ROOT, "%nreport write load, one node: %,d clients over %d workloads, %.1f %%/min churn,"
                        + " heavy client at %.0f s, leaves at %.0f s; interval %s, %s; top-n %d, budget %d KiB%n",
                clients, workloads, churn * 100, heavyArrivalNanos / 1e9, heavyDepartureNanos / 1e9, interval,
                everyReport ? "every report written" : "change-only, heartbeat " + heartbeat,
                limits.topClients(), limits.maxBytes() / 1024);
        System.out.println("| minute | writes | KiB written | KiB/s |");
        System.out.println("|---|---|---|---|");
        long prevWrites = 0;
        long prevBytes = 0;
        for (int m = 0; m < perMinute.size(); m++) {
            long[] row = perMinute.get(m);
            System.out.printf(Locale.ROOT, "| %d | %d | %.1f | %.2f |%n", m + 1, row[0] - prevWrites,
                    (row[1] - prevBytes) / 1024.0, (row[1] - prevBytes) / 1024.0 / 60);
            prevWrites = row[0];
            prevBytes = row[1];
        }
        System.out.printf(Locale.ROOT, "%nsimulated %.0f s in %.1f s wall (load %.2f); %d reports built, %d written, %d skipped;"
                        + " reasons %s%n", seconds, wallSeconds, load, steps, writes, publisher.skipped(), reasons);
        System.out.printf(Locale.ROOT, "whole run: %.0f B/s per node, %.2f writes/min; after %d min warm-up: %.0f B/s,"
                        + " %.2f writes/min (goal <= %.0f B/s: %s); largest write %.1f KiB%n", bytesPerSecond,
                writes * 60 / seconds, warmupMinutes, steadyBytesPerSecond, steadyWritesPerMinute, GOAL_BYTES_PER_SECOND,
                steadyBytesPerSecond <= GOAL_BYTES_PER_SECOND ? "met" : "MISSED", maxReportBytesSeen / 1024.0);
        System.out.printf(Locale.ROOT, "heavy client published %s after arriving; its departure %s after leaving%n",
                heavyArrivalSeconds == null ? "never" : String.format(Locale.ROOT, "%.0f s", heavyArrivalSeconds),
                heavyDepartureSeconds == null ? "never" : String.format(Locale.ROOT, "%.0f s", heavyDepartureSeconds));
        System.out.printf(Locale.ROOT, "1,000 nodes: %.2f MB/s; 10,000 nodes: %.1f MB/s (steady)%n",
                steadyBytesPerSecond * 1000 / 1e6, steadyBytesPerSecond * 10_000 / 1e6);
        if (json) {
            StringBuilder r = new StringBuilder();
            reasons.forEach((k, v) -> r.append(r.isEmpty() ? "" : ",").append('"').append(k).append("\":").append(v));
            System.out.printf(Locale.ROOT, "{\"clients\":%d,\"workloads\":%d,\"seconds\":%.0f,\"bytesWritten\":%d,"
                            + "\"bytesPerSecondPerNode\":%.1f,\"writesPerMinute\":%.3f,\"steadyBytesPerSecondPerNode\":%.1f,"
                            + "\"steadyWritesPerMinute\":%.3f,\"warmupMinutes\":%d,\"reportsBuilt\":%d,\"writes\":%d,"
                            + "\"largestWriteBytes\":%d,\"heavyClientPublishSeconds\":%s,\"departurePublishSeconds\":%s,"
                            + "\"everyReport\":%b,\"heartbeatSeconds\":%d,\"topN\":%d,\"maxReportBytes\":%d,\"churnPerMinute\":%s,"
                            + "\"wallSeconds\":%.1f,\"loadAverage\":%.2f,\"reasons\":{%s}}%n",
                    clients, workloads, seconds, bytes, bytesPerSecond, writes * 60 / seconds, steadyBytesPerSecond,
                    steadyWritesPerMinute, warmupMinutes, steps, writes, maxReportBytesSeen,
                    heavyArrivalSeconds == null ? "null" : String.format(Locale.ROOT, "%.0f", heavyArrivalSeconds),
                    heavyDepartureSeconds == null ? "null" : String.format(Locale.ROOT, "%.0f", heavyDepartureSeconds),
                    everyReport, heartbeat.toSeconds(), limits.topClients(), limits.maxBytes(), churn, wallSeconds, load, r);
        }
        return 0;
    }

    private static double listedRate(OriginReport report, String address) {
        for (WorkloadOrigins w : report.getSpec().workloads()) {
            for (ClientDemand c : w.clients()) {
                if (c.prefix().equals(address)) {
                    return c.packetsPerSecond();
                }
            }
        }
        return 0;
    }

    private Client newClient(Random random, int workload, long bornAt) {
        ClientAddress a = ClientAddress.of(new byte[] {(byte) (11 + random.nextInt(180)), (byte) random.nextInt(256),
                (byte) random.nextInt(256), (byte) (1 + random.nextInt(254))});
        double rate = 0.2 + -Math.log(1 - random.nextDouble()) * 2.0;   // exponential, mean ~2.2 packets/s
        long rtt = 500 + random.nextInt(40_000);
        return new Client(a, 30000 + workload, rate, rtt, 1_000_000_000L + bornAt);
    }
}
