package io.edgesched.examples.bench;

import io.edgesched.examples.k8s.SyntheticCluster;
import io.edgesched.k8s.report.OriginReport;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The node agent's own cost under HTTP load: a served port on one end of a veth pair (this namespace), clients in a
 * network namespace of their own on the other end, the real agent process (examples/bin/agent: eBPF on the veth,
 * reports to the CRUD mock API server in this process). Samples the agent's RSS and CPU (user + system) from
 * /proc, and the kernel programs' run time from the kernel's BPF stats (kernel.bpf_stats_enabled, restored after)
 * read from the agent's program descriptors (/proc/PID/fdinfo). Needs root. Names are PID-scoped.
 */
@Command(name = "bench-agent-footprint", mixinStandardHelpOptions = true,
        description = "RSS and CPU of the node agent under HTTP load (root, netns, real eBPF).")
public final class AgentFootprintBench implements Callable<Integer> {
    static final int NODE_PORT = 30080;
    /** Held so the level sticks: the mock logs every request at INFO through java.util.logging. */
    static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

    @Option(names = "--seconds", defaultValue = "30", description = "Measured seconds of load (default: ${DEFAULT-VALUE}).")
    int seconds;
    @Option(names = "--connections", defaultValue = "8", description = "Keep-alive client connections (default: ${DEFAULT-VALUE}).")
    int connections;
    @Option(names = "--agent", defaultValue = "examples/bin/agent", description = "The agent launcher (default: ${DEFAULT-VALUE}).")
    Path agent;
    @Option(names = "--json", description = "Last line: one JSON object with the results.")
    boolean json;

    public static void main(String[] args) {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", System.getProperty("bench.log", "warn"));
        if (args.length > 0 && args[0].equals("load")) {   // the load generator, run inside the client namespace
            System.exit(load(args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3])));
        }
        int status;
        try {
            status = new CommandLine(new AgentFootprintBench()).execute(args);
        } catch (RuntimeException e) {
            e.printStackTrace();
            status = 1;
        }
        System.exit(status);
    }

    /** Keep-alive HTTP/1.1 GETs on {@code connections} sockets for {@code seconds}; prints the request count. */
    static int load(String host, int connections, int seconds) {
        AtomicLong done = new AtomicLong();
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        List<Thread> threads = new ArrayList<>();
        byte[] request = ("GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        for (int c = 0; c < connections; c++) {
            threads.add(Thread.ofPlatform().start(() -> {
                try (Socket s = new Socket(host, NODE_PORT)) {
                    s.setTcpNoDelay(true);
                    OutputStream out = s.getOutputStream();
                    // buffered: reading the head byte by byte from the socket cost a syscall per byte, and the
                    // generator, not the server, was what kept the rate under 10k/s on two cores
                    InputStream in = new java.io.BufferedInputStream(s.getInputStream(), 8192);
                    byte[] buf = new byte[4096];
                    while (System.nanoTime() < end) {
                        out.write(request);
                        out.flush();
                        readResponse(in, buf);
                        done.incrementAndGet();
                    }
                } catch (IOException e) {
                    System.err.println("load: " + e.getMessage());
                }
            }));
        }
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        System.out.println("requests " + done.get());
        return 0;
    }

    /** Reads one response: headers, then Content-Length bytes. */
    private static void readResponse(InputStream in, byte[] buf) throws IOException {
        StringBuilder head = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0) {
            head.append((char) b);
            if (head.length() >= 4 && head.substring(head.length() - 4).equals("\r\n\r\n")) {
                break;
            }
        }
        if (b < 0) {
            throw new IOException("connection closed");
        }
        int at = head.toString().toLowerCase(Locale.ROOT).indexOf("content-length:");
        int length = Integer.parseInt(head.substring(at + 15, head.indexOf("\r\n", at)).trim());
        while (length > 0) {
            int n = in.read(buf, 0, Math.min(buf.length, length));
            if (n < 0) {
                throw new IOException("connection closed");
            }
            length -= n;
        }
    }

    @Override
    public Integer call() throws Exception {
        if (!"root".equals(System.getProperty("user.name"))) {
            System.err.println("bench-agent-footprint needs root (network namespaces, eBPF)");
            return 2;
        }
        if (!Files.isExecutable(agent)) {
            System.err.println("no agent launcher at " + agent + ": pass --agent examples/bin/agent (build first)");
            return 2;
        }
        MOCK_LOG.setLevel(Level.WARNING);
        long pid = ProcessHandle.current().pid();
        String ns = "esF-" + pid;
        String hostIf = "esF" + pid + "a";
        String nsIf = "esF" + pid + "b";
        String subnet = "10.231." + (pid % 250) + ".";
        String hostAddr = subnet + "1";
        String clientAddr = subnet + "2";
        String statsBefore = AgentBenchSupport.run("sysctl", "-n", "kernel.bpf_stats_enabled").trim();
        List<AutoCloseable> cleanup = new ArrayList<>();
        try {
            AgentBenchSupport.run("ip", "netns", "add", ns);
            cleanup.add(() -> AgentBenchSupport.run("ip", "netns", "del", ns));
            AgentBenchSupport.run("ip", "link", "add", hostIf, "type", "veth", "peer", "name", nsIf);
            cleanup.add(() -> AgentBenchSupport.run("ip", "link", "del", hostIf));
            AgentBenchSupport.run("ip", "link", "set", nsIf, "netns", ns);
            AgentBenchSupport.run("ip", "addr", "add", hostAddr + "/24", "dev", hostIf);
            AgentBenchSupport.run("ip", "link", "set", hostIf, "up");
            AgentBenchSupport.run("ip", "netns", "exec", ns, "ip", "addr", "add", clientAddr + "/24", "dev", nsIf);
            AgentBenchSupport.run("ip", "netns", "exec", ns, "ip", "link", "set", nsIf, "up");
            AgentBenchSupport.run("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up");

            AgentBenchSupport.serve(hostAddr, NODE_PORT, () -> { }, cleanup);

            KubernetesMockServer server = AgentBenchSupport.mockServer(cleanup);
            KubernetesClient client = server.createClient();
            client.nodes().resource(SyntheticCluster.node("bench-node", hostAddr)).create();
            client.apps().deployments().inNamespace("shop").resource(SyntheticCluster.deployment("shop", "web", 1)).create();
            client.pods().inNamespace("shop").resource(SyntheticCluster.pod("shop", "web", "a", "bench-node", "10.244.0.9")).create();
            client.services().inNamespace("shop").resource(SyntheticCluster.nodePortService("shop", "web", NODE_PORT)).create();
            Path kubeconfig = AgentBenchSupport.kubeconfig(client, "edgesched-footprint", cleanup);

            AgentBenchSupport.run("sysctl", "-q", "-w", "kernel.bpf_stats_enabled=1");
            cleanup.add(() -> AgentBenchSupport.run("sysctl", "-q", "-w", "kernel.bpf_stats_enabled=" + statsBefore));
            ProcessBuilder agentCommand = new ProcessBuilder(agent.toString(), "--node", "bench-node", "--interface",
                    hostIf, "--interval", "10s").redirectErrorStream(true)
                    .redirectOutput(Path.of(System.getProperty("java.io.tmpdir"), "edgesched-footprint-agent-" + pid + ".log").toFile());
            agentCommand.environment().put("KUBECONFIG", kubeconfig.toString());
            Process agentProcess = agentCommand.start();
            cleanup.add(() -> AgentBenchSupport.stop(agentProcess));
            long agentPid = agentProcess.pid();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (client.resources(OriginReport.class).inNamespace("edgesched").withName("bench-node").get() == null) {
                if (!agentProcess.isAlive() || System.nanoTime() > deadline) {
                    System.err.println("the agent did not publish a report within 90 s (log: "
                            + agentCommand.redirectOutput().file() + ")");
                    return 1;
                }
                Thread.sleep(500);
            }
            Thread.sleep(2000); // past the agent's start-up work

            String javaBin = ProcessHandle.current().info().command().orElse("java");
            Process loadProcess = new ProcessBuilder("ip", "netns", "exec", ns, javaBin, "-cp",
                    System.getProperty("java.class.path"), AgentFootprintBench.class.getName(), "load", hostAddr,
                    Integer.toString(connections), Integer.toString(seconds)).redirectErrorStream(true).start();
            cleanup.add(loadProcess::destroyForcibly);
            Thread.sleep(1000); // the load generator's JVM starts
            long ticks = cpuTicks(agentPid);
            long[] bpf = bpfStats(agentPid);
            long t0 = System.nanoTime();
            long maxRss = 0;
            while (loadProcess.isAlive()) {
                maxRss = Math.max(maxRss, rssKib(agentPid));
                Thread.sleep(250);
            }
            double elapsed = (System.nanoTime() - t0) / 1e9;
            long ticksAfter = cpuTicks(agentPid);
            long[] bpfAfter = bpfStats(agentPid);
            String loadOut = new String(loadProcess.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            long requests = Long.parseLong(loadOut.replaceAll("(?s).*requests (\\d+).*", "$1"));
            double loadSeconds = seconds;
            double rps = requests / loadSeconds;
            double cpuSeconds = (ticksAfter - ticks) / 100.0;   // USER_HZ
            double cpuPercent = 100 * cpuSeconds / elapsed;
            long bpfNanos = bpfAfter[0] - bpf[0];
            long bpfRuns = bpfAfter[1] - bpf[1];
            double load = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
            System.out.printf(Locale.ROOT, "%nagent footprint: %d s of keep-alive HTTP load, %d connections, load average %.2f%n",
                    seconds, connections, load);
            System.out.println("| requests/s | agent RSS max MiB | agent CPU % of one core | BPF runs | BPF ns per run | BPF ns per request |");
            System.out.println("|---|---|---|---|---|---|");
            System.out.printf(Locale.ROOT, "| %.0f | %.1f | %.2f | %d | %.0f | %.0f |%n", rps, maxRss / 1024.0, cpuPercent,
                    bpfRuns, bpfRuns == 0 ? 0 : (double) bpfNanos / bpfRuns, requests == 0 ? 0 : (double) bpfNanos / requests);
            System.out.printf(Locale.ROOT, "goals: >= 10,000 req/s %s; RSS <= 100 MiB %s; CPU <= 1 %% %s%n",
                    rps >= 10_000 ? "met" : "NOT REACHED", maxRss / 1024.0 <= 100 ? "met" : "MISSED",
                    cpuPercent <= 1 ? "met" : "MISSED");
            if (json) {
                System.out.printf(Locale.ROOT, "{\"requestsPerSecond\":%.0f,\"rssMiB\":%.1f,\"agentCpuPercent\":%.3f,"
                                + "\"bpfNanosPerRequest\":%.0f,\"bpfRuns\":%d,\"bpfNanos\":%d,\"seconds\":%d,\"connections\":%d,"
                                + "\"loadAverage\":%.2f}%n", rps, maxRss / 1024.0, cpuPercent,
                        requests == 0 ? 0 : (double) bpfNanos / requests, bpfRuns, bpfNanos, seconds, connections, load);
            }
            return 0;
        } finally {
            AgentBenchSupport.closeAll(cleanup);
        }
    }

    private static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);   // utime, stime (fields 14, 15)
    }

    private static long rssKib(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D+", ""));
                }
            }
        } catch (IOException e) {
            return 0;
        }
        return 0;
    }

    /** Sum of run_time_ns and run_cnt over the BPF program descriptors the agent holds. */
    private static long[] bpfStats(long pid) throws IOException {
        long nanos = 0;
        long runs = 0;
        try (var fds = Files.list(Path.of("/proc", Long.toString(pid), "fdinfo"))) {
            for (Path fd : fds.toList()) {
                String info;
                try {
                    info = Files.readString(fd);
                } catch (IOException e) {
                    continue;
                }
                if (!info.contains("prog_type:")) {
                    continue;
                }
                for (String line : info.split("\n")) {
                    if (line.startsWith("run_time_ns:")) {
                        nanos += Long.parseLong(line.substring(12).trim());
                    } else if (line.startsWith("run_cnt:")) {
                        runs += Long.parseLong(line.substring(8).trim());
                    }
                }
            }
        }
        return new long[] {nanos, runs};
    }
}
