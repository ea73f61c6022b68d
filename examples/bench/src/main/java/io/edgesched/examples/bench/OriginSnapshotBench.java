package io.edgesched.examples.bench;

import io.edgesched.api.NodeId;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.WatchedService;
import io.edgesched.ebpf.EbpfRequestOriginSource;
import io.edgesched.ebpf.Privileges;
import io.edgesched.ebpf.libbpf.NetworkNamespaces;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * End-to-end cost of {@link EbpfRequestOriginSource#snapshot()} (batch read of origin_clients + origin_stats,
 * decoding, OriginRecord/OriginSnapshot objects) for client tables of several sizes, each filled to the brim
 * by real SYNs through the attached programs: in a private network namespace, connects from N distinct
 * source addresses (an AnyIP route makes 10.96.0.0/12 local) to a closed port on lo; each SYN creates one
 * client entry, the kernel answers RST. Needs root.
 *
 * <pre>examples/bin/bench-origin-snapshot [--clients 1024,16384,65536] [--rounds 30]</pre>
 */
public final class OriginSnapshotBench {
    private static final int PORT = 9; // discard: nobody listens, so every connect is one SYN and one RST

    private OriginSnapshotBench() {
    }

    record Row(int clients, int records, double fillSeconds, double medianMs, double bestMs, double p90Ms) {
    }

    public static void main(String[] args) throws Exception {
        int[] sizes = {1024, 16384, 65536};
        int rounds = 30;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--clients" -> sizes = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "-h", "--help" -> {
                    System.out.println("usage: bench-origin-snapshot [--clients N,N,...] [--rounds N]");
                    return;
                }
                default -> {
                    System.err.println("usage: bench-origin-snapshot [--clients N,N,...] [--rounds N]");
                    System.exit(2);
                }
            }
        }
        if (!Privileges.hasBpfCapabilities()) {
            System.err.println("bench-origin-snapshot needs root: " + Privileges.describe());
            System.exit(2);
        }
        List<Row> rows = new ArrayList<>();
        for (int clients : sizes) {
            rows.add(measure(clients, rounds));
        }
        System.out.println();
        System.out.println("| table size = clients | records read | fill (s) | snapshot median ms | best ms | p90 ms"
                + " | ns per record (median) |");
        System.out.println("|---:|---:|---:|---:|---:|---:|---:|");
        for (Row r : rows) {
            System.out.printf(Locale.ROOT, "| %d | %d | %.1f | %.2f | %.2f | %.2f | %.0f |%n", r.clients(), r.records(),
                    r.fillSeconds(), r.medianMs(), r.bestMs(), r.p90Ms(), r.medianMs() * 1e6 / Math.max(1, r.records()));
        }
    }

    private static Row measure(int clients, int rounds) throws Exception {
        String ns = "esB-" + ProcessHandle.current().pid() + "-" + clients;
        run("ip", "netns", "add", ns);
        try {
            run("ip", "-n", ns, "link", "set", "lo", "up");
            run("ip", "-n", ns, "route", "add", "local", "10.96.0.0/12", "dev", "lo");
            try (EbpfRequestOriginSource source = EbpfRequestOriginSource.builder().node(NodeId.of("bench"))
                    .interfaceName("lo").networkNamespace(ns).clientTableSize(clients).open()) {
                source.watch(WatchedService.port(PORT));
                long start = System.nanoTime();
                NetworkNamespaces.runIn(ns, () -> {
                    synFrom(clients);
                    return null;
                });
                double fillSeconds = (System.nanoTime() - start) / 1e9;
                for (int i = 0; i < 10; i++) {
                    source.snapshot(); // warm-up: JIT, buffers
                }
                double[] ms = new double[rounds];
                int records = 0;
                for (int i = 0; i < rounds; i++) {
                    long t0 = System.nanoTime();
                    OriginSnapshot snapshot = source.snapshot();
                    ms[i] = (System.nanoTime() - t0) / 1e6;
                    records = snapshot.records().size();
                }
                Arrays.sort(ms);
                System.err.printf(Locale.ROOT, "%d clients: %d records, median %.2f ms%n", clients, records,
                        ms[rounds / 2]);
                return new Row(clients, records, fillSeconds, ms[rounds / 2], ms[0], ms[(int) (rounds * 0.9)]);
            }
        } finally {
            run("ip", "netns", "del", ns);
        }
    }

    /** One connect (one SYN, refused) from each of {@code count} distinct source addresses. */
    private static void synFrom(int count) throws IOException {
        InetSocketAddress target = new InetSocketAddress(InetAddress.getByName("127.0.0.1"), PORT);
        for (int i = 0; i < count; i++) {
            byte[] source = {10, (byte) (96 + (i >>> 16)), (byte) (i >>> 8), (byte) (i + 1)};
            try (Socket socket = new Socket()) {
                socket.bind(new InetSocketAddress(InetAddress.getByAddress(source), 0));
                socket.connect(target, 1000);
            } catch (java.net.ConnectException refused) {
                // expected: the point was the SYN
            }
        }
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + out);
        }
    }
}
