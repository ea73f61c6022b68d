package io.edgesched.examples.origintop;

import io.edgesched.api.NodeId;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.OriginSourceException;
import io.edgesched.api.RequestOriginSource;
import io.edgesched.api.WatchedService;
import io.edgesched.ebpf.EbpfRequestOriginSource;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * origin-top: who connects to these ports on this interface, how often and from how far, read from the
 * kernel by the eBPF request-origin source. Like top: a table that refreshes, or JSON lines for scripts.
 * Exit codes: 0 done (--duration over, or Ctrl-C), 1 failed while running, 2 bad arguments or cannot attach
 * (not root, no such interface).
 */
@Command(name = "origin-top", mixinStandardHelpOptions = true, sortOptions = false, version = "origin-top (edgesched)",
        description = {"Shows where the TCP connections to the given ports come from, counted in the kernel by eBPF.",
                "Needs root (CAP_BPF + CAP_NET_ADMIN). Detaches on exit, --duration end or Ctrl-C."},
        footer = {"", "--json prints one object per (port, client) each interval:",
                "  port, client, connections, packets, bytes, rttMicros, lastSeenMillisAgo",
                "and, when it ends, one {\"final\":{...totals and stats...}} object."})
public final class OriginTop implements Callable<Integer> {
    static final int EXIT_OK = 0;
    static final int EXIT_FAILED = 1;
    static final int EXIT_USAGE = 2;

    /** Opens the source origin-top reads; tests may hand in another. */
    @FunctionalInterface
    interface SourceOpener {
        RequestOriginSource open(OriginTop options);
    }

    @Option(names = {"-i", "--interface"}, required = true, paramLabel = "IF",
            description = "Network interface whose ingress/egress to observe, e.g. eth0.")
    String interfaceName;

    @Option(names = {"-p", "--port"}, required = true, paramLabel = "PORT",
            description = "Local TCP port to watch (1-65535); repeat for several.")
    List<Integer> ports = new ArrayList<>();

    @Option(names = "--interval", paramLabel = "SECONDS", defaultValue = "2",
            description = "Refresh interval in seconds (default ${DEFAULT-VALUE}).")
    double intervalSeconds;

    @Option(names = "--duration", paramLabel = "SECONDS",
            description = "Stop after this many seconds (default: run until Ctrl-C).")
    Double durationSeconds;

    @Option(names = "--json", description = "Print JSON lines instead of the table.")
    boolean json;

    @Option(names = "--sort", paramLabel = "KEY", defaultValue = "packets",
            description = "Table order, descending: ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}).")
    OriginTable.SortKey sort;

    @Option(names = "--top", paramLabel = "N", defaultValue = "40", description = "Table rows shown (default ${DEFAULT-VALUE}).")
    int maxRows;

    @Option(names = "--table-size", paramLabel = "N", defaultValue = "65536",
            description = "Clients the kernel table keeps before evicting the least recently seen (default ${DEFAULT-VALUE}).")
    int tableSize;

    @Option(names = "--node", paramLabel = "NAME", description = "Node name shown and reported (default: host name).")
    String node;

    @Option(names = "--netns", paramLabel = "NAME",
            description = "Attach to IF inside this named network namespace (ip netns), e.g. in a lab.")
    String networkNamespace;

    @Option(names = "--verbose", description = "Log what the eBPF source does (to stderr).")
    boolean verbose;

    @Spec
    CommandLine.Model.CommandSpec spec;

    private PrintStream out = System.out;
    private PrintStream err = System.err;
    private SourceOpener opener = OriginTop::openEbpf;
    private final CountDownLatch stop = new CountDownLatch(1);
    private final CountDownLatch finished = new CountDownLatch(1);

    public static void main(String[] args) {
        // Library logs would break the one-line-error contract and the JSON stream's neighbours; --verbose keeps them.
        boolean verbose = java.util.Arrays.asList(args).contains("--verbose");
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "info" : "off");
        installStopSignals();
        int code = run(args, System.out, System.err, OriginTop::openEbpf);
        System.exit(code);
    }

    private static volatile OriginTop running;

    /** Ctrl-C and SIGTERM end the loop like --duration does: final report, detach, exit 0. */
    private static void installStopSignals() {
        for (String name : List.of("INT", "TERM")) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> {
                    OriginTop top = running;
                    if (top != null) {
                        top.requestStop();
                    } else {
                        Runtime.getRuntime().halt(130); // nothing attached yet
                    }
                });
            } catch (IllegalArgumentException e) {
                // signal not available here: the shutdown hook still detaches
            }
        }
    }

    /** Parses {@code args}, runs, returns the exit code; never calls System.exit. */
    static int run(String[] args, PrintStream out, PrintStream err, SourceOpener opener) {
        OriginTop top = new OriginTop();
        top.out = out;
        top.err = err;
        top.opener = opener;
        CommandLine cli = new CommandLine(top);
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        return cli.execute(args);
    }

    /** Ends the loop as if --duration had passed; returns once the source is closed (or after 5 s). */
    void requestStop() {
        stop.countDown();
        try {
            finished.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public Integer call() {
        validate();
        List<Integer> portList = List.copyOf(new TreeSet<>(ports));
        String nodeName = node != null ? node : hostName();
        node = nodeName;
        running = this; // from here a signal stops the loop (also one arriving while attaching)
        RequestOriginSource source;
        try {
            source = opener.open(this);
        } catch (OriginSourceException | IllegalArgumentException e) {
            err.println("origin-top: " + oneLine(e.getMessage()));
            finished.countDown();
            return EXIT_USAGE;
        }
        Thread hook = Thread.ofPlatform().unstarted(this::requestStop);
        Runtime.getRuntime().addShutdownHook(hook);
        long started = System.nanoTime();
        int intervals = 0;
        OriginSnapshot last = null;
        try (source) {
            for (int p : portList) {
                source.watch(WatchedService.port(p));
            }
            long intervalNanos = (long) (intervalSeconds * 1e9);
            long end = durationSeconds == null ? Long.MAX_VALUE : started + (long) (durationSeconds * 1e9);
            boolean stopping = false;
            while (!stopping) {
                long now = System.nanoTime();
                long wait = Math.min(intervalNanos, Math.max(0, end - now));
                stopping = stop.await(wait, TimeUnit.NANOSECONDS) || System.nanoTime() - end >= 0;
                last = source.snapshot();
                intervals++;
                print(last, portList);
            }
            long millis = (System.nanoTime() - started) / 1_000_000;
            if (json) {
                out.println(OriginJson.finalReport(nodeName, interfaceName, portList, millis, intervals, last));
            } else {
                out.printf("origin-top: %d clients after %.1f s; detached from %s%n", last.records().size(),
                        millis / 1000.0, interfaceName);
            }
            out.flush();
            return EXIT_OK;
        } catch (OriginSourceException e) {
            err.println("origin-top: " + oneLine(e.getMessage()));
            return EXIT_FAILED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return EXIT_FAILED;
        } finally {
            finished.countDown(); // a late signal then finds nothing to wait for, and exit stays 0
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // already shutting down: the hook is running and waits for `finished`
            }
        }
    }

    private void print(OriginSnapshot snapshot, List<Integer> portList) {
        if (json) {
            StringBuilder lines = new StringBuilder();
            snapshot.records().stream()
                    .sorted(java.util.Comparator.comparingInt(io.edgesched.api.OriginRecord::localPort)
                            .thenComparing(io.edgesched.api.OriginRecord::client))
                    .forEach(r -> lines.append(OriginJson.row(r, snapshot.monotonicNanos())).append('\n'));
            out.print(lines);
        } else {
            out.print(OriginTable.CLEAR + OriginTable.render(interfaceName, portList, intervalSeconds, snapshot, sort,
                    maxRows));
        }
        out.flush();
    }

    private void validate() {
        List<String> problems = new ArrayList<>();
        for (int p : ports) {
            if (p < 1 || p > 65535) {
                problems.add("--port " + p + " is outside 1..65535");
            }
        }
        if (!(intervalSeconds >= 0.05)) {
            problems.add("--interval must be at least 0.05 seconds");
        }
        if (durationSeconds != null && !(durationSeconds > 0)) {
            problems.add("--duration must be positive");
        }
        if (maxRows < 1) {
            problems.add("--top must be at least 1");
        }
        if (tableSize < 1) {
            problems.add("--table-size must be at least 1");
        }
        if (interfaceName.isBlank()) {
            problems.add("--interface must not be empty");
        }
        if (!problems.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), String.join("; ", problems));
        }
    }

    static RequestOriginSource openEbpf(OriginTop o) {
        return EbpfRequestOriginSource.builder()
                .node(NodeId.of(o.node))
                .interfaceName(o.interfaceName)
                .networkNamespace(o.networkNamespace)
                .clientTableSize(o.tableSize)
                .open();
    }

    static String hostName() {
        try {
            String name = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
            return name.isEmpty() ? "localhost" : name;
        } catch (IOException e) {
            return "localhost";
        }
    }

    static String oneLine(String message) {
        return message == null ? "failed" : message.replaceAll("\\s*\\R\\s*", "; ").strip();
    }
}
