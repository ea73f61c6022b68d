package io.edgesched.examples.bench;

import io.edgesched.ebpf.OriginMapLayouts;
import io.edgesched.ebpf.Privileges;
import io.edgesched.ebpf.TcpFrames;
import io.edgesched.ebpf.libbpf.BpfObject;
import io.edgesched.ebpf.libbpf.BpfProgram;
import io.edgesched.ebpf.libbpf.TestRunResult;
import io.edgesched.ebpf.libbpf.UpdateFlag;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Per-packet cost of the origin tc programs, measured in the kernel with BPF_PROG_TEST_RUN against an empty tc
 * program run the same way (so the test-run machinery's own cost cancels out).
 *
 * <ul>
 *   <li>repeat mode: one frame run {@code --repeat} times in one call; median over {@code --rounds} calls.
 *       For new clients, a benchmark-only wrapper (bpf/origin_bench.bpf.c) gives the frame a new source
 *       address on every repetition; its baseline is the same rewrite without the origin program.</li>
 *   <li>single mode: {@code --frames} distinct frames, one call with repeat=1 each; the kernel's duration of
 *       each single run is averaged. Every run starts with caches disturbed by the system call: an upper
 *       bound.</li>
 * </ul>
 *
 * Usage: {@code examples/bin/bench-bpf-cost [--repeat N] [--rounds N] [--frames N]} (needs root / CAP_BPF).
 */
public final class ProgramCostBench {
    /** The origin programs plus benchmark-only programs (bpf/origin_bench.bpf.c). */
    private static final String BENCH_RESOURCE = "/io/edgesched/ebpf/bpf/origin_bench.bpf.o";
    private static final int PORT = 8080;
    private static final int SERVICE = 1;

    private record Row(String name, String mode, String runs, double nsPerRun, double baselineNs, Double goalNs) {
    }

    private ProgramCostBench() {
    }

    public static void main(String[] args) {
        int repeat = 1_000_000;
        int rounds = 5;
        int frames = 20_000;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--repeat" -> repeat = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--frames" -> frames = Integer.parseInt(args[++i]);
                default -> {
                    System.err.println("usage: bench-bpf-cost [--repeat N] [--rounds N] [--frames N]");
                    System.exit(2);
                }
            }
        }
        if (!Privileges.hasBpfCapabilities()) {
            System.err.println("bench-bpf-cost needs BPF privileges (" + Privileges.describe()
                    + "): run it as root or with CAP_BPF + CAP_NET_ADMIN");
            System.exit(2);
        }
        List<Row> rows = run(repeat, rounds, frames);
        print(rows, repeat, rounds, frames);
    }

    static List<Row> run(int repeat, int rounds, int frames) {
        byte[] data4 = TcpFrames.tcp("198.51.100.7", 40000, "192.0.2.10", PORT).flags(TcpFrames.ACK | TcpFrames.PSH)
                .seq(1001).ack(1).payload(100).build();
        byte[] data6 = TcpFrames.tcp("2001:db8:1::7", 40000, "2001:db8::10", PORT)
                .flags(TcpFrames.ACK | TcpFrames.PSH).seq(1001).ack(1).payload(100).build();
        byte[] unwatched = TcpFrames.tcp("198.51.100.7", 40000, "192.0.2.10", 9999).payload(100).build();
        byte[] egressData = TcpFrames.tcp("192.0.2.10", PORT, "198.51.100.7", 40000)
                .flags(TcpFrames.ACK | TcpFrames.PSH).payload(100).build();
        byte[] syn4 = TcpFrames.tcp("10.0.0.1", 40000, "192.0.2.10", PORT).flags(TcpFrames.SYN).seq(1000).build();
        // Each repetition of the new-client programs inserts one client: size the roomy table for all of them.
        // New-client rows flag the port ORIGIN_PORT_CHECK_NODES, as an agent with cluster nodes configured does.
        int newRepeat = Math.max(1, Math.min(repeat, 50_000));
        int roomyEntries = Math.max(65536, newRepeat * (rounds + 1) + 1024);
        // (the full tables hold 4096 entries and are filled three times over before measuring)
        String repeatRuns = rounds + "x" + repeat;
        String newRuns = rounds + "x" + newRepeat;

        List<Row> rows = new ArrayList<>();
        try (BpfObject origin = openOrigin(OriginMapLayouts.OBJECT_RESOURCE, 65536);
             BpfObject roomy = openOrigin(BENCH_RESOURCE, roomyEntries, OriginMapLayouts.PORT_CHECK_NODES);
             BpfObject full = openOrigin(BENCH_RESOURCE, 4096, OriginMapLayouts.PORT_CHECK_NODES);
             BpfObject fullNoNodeCheck = openOrigin(BENCH_RESOURCE, 4096, 0)) {
            BpfProgram empty = roomy.program("baseline_tc");
            BpfProgram ingress = origin.program(OriginMapLayouts.INGRESS_PROGRAM);
            BpfProgram egress = origin.program(OriginMapLayouts.EGRESS_PROGRAM);

            double emptyRepeat = repeated(empty, data4, repeat, rounds);
            rows.add(new Row("empty tc program (baseline)", "repeat", repeatRuns, emptyRepeat, emptyRepeat, null));
            rows.add(new Row("ingress: TCP to an unwatched port", "repeat", repeatRuns,
                    repeated(ingress, unwatched, repeat, rounds), emptyRepeat, null));
            single(ingress, data4); // creates the client
            rows.add(new Row("ingress: existing client, IPv4", "repeat", repeatRuns,
                    repeated(ingress, data4, repeat, rounds), emptyRepeat, 50.0));
            single(ingress, data6);
            rows.add(new Row("ingress: existing client, IPv6", "repeat", repeatRuns,
                    repeated(ingress, data6, repeat, rounds), emptyRepeat, 50.0));
            rows.add(new Row("egress: data packet (not a SYN-ACK)", "repeat", repeatRuns,
                    repeated(egress, egressData, repeat, rounds), emptyRepeat, null));

            double rewrite = repeated(roomy.program("bench_rewrite_source"), syn4, newRepeat, rounds);
            rows.add(new Row("new source address per run (baseline)", "repeat", newRuns, rewrite, rewrite, null));
            rows.add(new Row("ingress: new client (SYN), table has room", "repeat", newRuns,
                    repeated(roomy.program("bench_ingress_new_client"), syn4, newRepeat, rounds), rewrite, 250.0));
            rows.add(new Row("  kernel floor: lookup + LRU insert only, room", "repeat", newRuns,
                    repeated(roomy.program("bench_lru_insert_only"), syn4, newRepeat, rounds), rewrite, null));
            BpfProgram fullNewClient = full.program("bench_ingress_new_client");
            fullNewClient.testRun(syn4, 3 * 4096); // fill the 4096-entry table past capacity first
            rows.add(new Row("ingress: new client (SYN), full table (LRU evicts)", "repeat", newRuns,
                    repeated(fullNewClient, syn4, newRepeat, rounds), rewrite, 250.0));
            BpfProgram fullFloor = full.program("bench_lru_insert_only");
            fullFloor.testRun(syn4, 3 * 4096);
            rows.add(new Row("  kernel floor: lookup + LRU insert only, full", "repeat", newRuns,
                    repeated(fullFloor, syn4, newRepeat, rounds), rewrite, null));
            BpfProgram fullNoCheck = fullNoNodeCheck.program("bench_ingress_new_client");
            fullNoCheck.testRun(syn4, 3 * 4096);
            rows.add(new Row("  same, port without CHECK_NODES (no node lookup)", "repeat", newRuns,
                    repeated(fullNoCheck, syn4, newRepeat, rounds), rewrite, 250.0));

            List<byte[]> newClients = distinctClients(frames);
            BpfProgram roomyIngress = roomy.program(OriginMapLayouts.INGRESS_PROGRAM);
            double emptySingle = singles(empty, newClients);
            String singleRuns = String.valueOf(frames);
            rows.add(new Row("empty tc program (baseline)", "single", singleRuns, emptySingle, emptySingle, null));
            rows.add(new Row("ingress: existing client, IPv4", "single", singleRuns,
                    singles(ingress, java.util.Collections.nCopies(frames, data4)), emptySingle, null));
            rows.add(new Row("ingress: new client (SYN), table has room", "single", singleRuns,
                    singles(roomyIngress, newClients), emptySingle, null));
        }
        return rows;
    }

    private static BpfObject openOrigin(String resource, int clientEntries) {
        return openOrigin(resource, clientEntries, 0);
    }

    private static BpfObject openOrigin(String resource, int clientEntries, int extraPortFlags) {
        BpfObject object = BpfObject.openResource(OriginMapLayouts.class, resource);
        try {
            object.map(OriginMapLayouts.CLIENTS_MAP).setMaxEntries(clientEntries);
            object.findMap("bench_lru_clients").ifPresent(floor -> floor.setMaxEntries(clientEntries));
            object.load();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment key = arena.allocate(OriginMapLayouts.PORT_KEY);
                key.set(OriginMapLayouts.PORT_KEY, 0, PORT);
                MemorySegment value = arena.allocate(OriginMapLayouts.PORT_VALUE);
                OriginMapLayouts.PORT_FLAGS.set(value, 0L,
                        OriginMapLayouts.PORT_ANY_IPV4 | OriginMapLayouts.PORT_ANY_IPV6 | extraPortFlags);
                OriginMapLayouts.PORT_WILDCARD_SERVICE_ID_IPV4.set(value, 0L, SERVICE);
                OriginMapLayouts.PORT_WILDCARD_SERVICE_ID_IPV6.set(value, 0L, SERVICE);
                object.map(OriginMapLayouts.PORTS_MAP).update(key, value, UpdateFlag.ANY);
            }
            return object;
        } catch (RuntimeException e) {
            object.close();
            throw e;
        }
    }

    /** SYN frames from {@code count} different IPv4 sources (11.x.y.z, apart from the bench programs' 10/8). */
    private static List<byte[]> distinctClients(int count) {
        List<byte[]> list = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            byte[] source = {11, (byte) (i >> 16), (byte) (i >> 8), (byte) i};
            list.add(TcpFrames.tcp(source, 40000, new byte[] {(byte) 192, 0, 2, 10}, PORT)
                    .flags(TcpFrames.SYN).seq(1000).build());
        }
        return list;
    }

    private static double repeated(BpfProgram program, byte[] frame, int repeat, int rounds) {
        program.testRun(frame, Math.min(repeat, 10_000)); // warm up
        double[] perRun = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            perRun[r] = check(program, program.testRun(frame, repeat)).durationNs();
        }
        Arrays.sort(perRun);
        return perRun[rounds / 2];
    }

    private static TestRunResult single(BpfProgram program, byte[] frame) {
        return check(program, program.testRun(frame, 1));
    }

    private static double singles(BpfProgram program, List<byte[]> frames) {
        long total = 0;
        for (byte[] frame : frames) {
            total += single(program, frame).durationNs();
        }
        return (double) total / frames.size();
    }

    private static TestRunResult check(BpfProgram program, TestRunResult result) {
        if (result.retval() != OriginMapLayouts.VERDICT) {
            throw new IllegalStateException(program.name() + " returned " + result.retval()
                    + ", not TC_ACT_UNSPEC (" + OriginMapLayouts.VERDICT + ")");
        }
        return result;
    }

    private static void print(List<Row> rows, int repeat, int rounds, int frames) {
        System.out.printf(Locale.ROOT, "Per-packet cost of the origin tc programs (BPF_PROG_TEST_RUN), kernel %s, %d CPUs%n",
                System.getProperty("os.version"), Runtime.getRuntime().availableProcessors());
        System.out.printf(Locale.ROOT, "%-52s %-7s %12s %9s %9s %8s %s%n",
                "case", "mode", "runs", "ns/run", "vs empty", "goal", "");
        for (Row row : rows) {
            double delta = row.nsPerRun() - row.baselineNs();
            boolean isBaseline = row.name().startsWith("empty");
            String verdict = row.goalNs() == null ? "" : delta <= row.goalNs() ? "ok" : "OVER GOAL";
            System.out.printf(Locale.ROOT, "%-52s %-7s %12s %9.1f %9s %8s %s%n",
                    row.name(), row.mode(), row.runs(), row.nsPerRun(),
                    isBaseline ? "-" : String.format(Locale.ROOT, "%+.1f", delta),
                    row.goalNs() == null ? "-" : String.format(Locale.ROOT, "<=+%.0f", row.goalNs()), verdict);
        }
        System.out.printf(Locale.ROOT, "repeat mode: median of %d calls (new clients: each repetition rewrites the "
                + "source address, baseline = the rewrite alone); single mode: mean of %d calls with repeat=1, caches "
                + "cold after each system call (upper bound, no goal)%n", rounds, frames);
    }
}
