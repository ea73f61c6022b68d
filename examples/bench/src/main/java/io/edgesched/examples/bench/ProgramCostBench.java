package io.edgesched.examples.bench;

import io.edgesched.ebpf.OriginMapLayouts;
import io.edgesched.ebpf.Privileges;
import io.edgesched.ebpf.TcpFrames;
import io.edgesched.ebpf.libbpf.BpfMap;
import io.edgesched.ebpf.libbpf.BpfObject;
import io.edgesched.ebpf.libbpf.BpfProgram;
import io.edgesched.ebpf.libbpf.MapType;
import io.edgesched.ebpf.libbpf.TestRunResult;
import io.edgesched.ebpf.libbpf.UpdateFlag;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
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
        int newRounds = 11;
        List<Variant> variants = new ArrayList<>();
        variants.add(new Variant("", readResource(BENCH_RESOURCE), 0));
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "-h", "--help" -> {
                    System.out.println(USAGE);
                    return;
                }
                case "--repeat" -> repeat = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--new-rounds" -> newRounds = Integer.parseInt(args[++i]);
                case "--frames" -> frames = Integer.parseInt(args[++i]);
                case "--no-common-lru" -> variants.add(new Variant("NO_COMMON_LRU", variants.getFirst().elf(),
                        BpfMap.NO_COMMON_LRU));
                case "--plain-hash" -> variants.add(new Variant("HASH, no eviction", variants.getFirst().elf(), 0,
                        MapType.HASH));
                case "--compare" -> {
                    String[] labelFile = args[++i].split("=", 2);
                    if (labelFile.length != 2) {
                        usage();
                    }
                    variants.add(new Variant(labelFile[0], readFile(labelFile[1]), 0));
                }
                default -> usage();
            }
        }
        if (!Privileges.hasBpfCapabilities()) {
            System.err.println("bench-bpf-cost needs BPF privileges (" + Privileges.describe()
                    + "): run it as root or with CAP_BPF + CAP_NET_ADMIN");
            System.exit(2);
        }
        List<Row> rows = run(repeat, rounds, frames, newRounds, variants);
        print(rows, repeat, rounds, frames);
    }

    private static final String USAGE = "usage: bench-bpf-cost [--repeat N] [--rounds N] [--new-rounds N] [--frames N]"
            + " [--no-common-lru] [--plain-hash] [--compare LABEL=origin_bench.bpf.o]...";

    private static void usage() {
        System.err.println(USAGE);
        System.exit(2);
    }

    /** A bench object to measure the new-client rows with: this build's, or another build's (--compare). */
    record Variant(String label, byte[] elf, int clientsMapFlags, MapType clientsMapType) {
        Variant(String label, byte[] elf, int clientsMapFlags) {
            this(label, elf, clientsMapFlags, null);
        }

        String prefix() {
            return label.isEmpty() ? "" : label + ": ";
        }
    }

    static List<Row> run(int repeat, int rounds, int frames, int newRounds, List<Variant> variants) {
        byte[] data4 = TcpFrames.tcp("198.51.100.7", 40000, "192.0.2.10", PORT).flags(TcpFrames.ACK | TcpFrames.PSH)
                .seq(1001).ack(1).payload(100).build();
        byte[] data6 = TcpFrames.tcp("2001:db8:1::7", 40000, "2001:db8::10", PORT)
                .flags(TcpFrames.ACK | TcpFrames.PSH).seq(1001).ack(1).payload(100).build();
        byte[] unwatched = TcpFrames.tcp("198.51.100.7", 40000, "192.0.2.10", 9999).payload(100).build();
        byte[] egressData = TcpFrames.tcp("192.0.2.10", PORT, "198.51.100.7", 40000)
                .flags(TcpFrames.ACK | TcpFrames.PSH).payload(100).build();
        byte[] egressData6 = TcpFrames.tcp("2001:db8::10", PORT, "2001:db8:1::7", 40000)
                .flags(TcpFrames.ACK | TcpFrames.PSH).payload(100).build();
        byte[] syn4 = TcpFrames.tcp("10.0.0.1", 40000, "192.0.2.10", PORT).flags(TcpFrames.SYN).seq(1000).build();
        // Each repetition of the new-client programs inserts one client: size the roomy table for all of them.
        // New-client rows flag the port ORIGIN_PORT_CHECK_NODES, as an agent with cluster nodes configured does.
        int newRepeat = Math.max(1, Math.min(repeat, 20_000));
        int roomyEntries = Math.max(65536, newRepeat * (newRounds + 1) + 1024);
        String repeatRuns = rounds + "x" + repeat;

        List<Row> rows = new ArrayList<>();
        try (BpfObject origin = openOrigin(OriginMapLayouts.OBJECT_RESOURCE, 65536);
             BpfObject roomy = openOrigin(BENCH_RESOURCE, roomyEntries, OriginMapLayouts.PORT_CHECK_NODES)) {
            BpfProgram empty = roomy.program("baseline_tc");
            BpfProgram ingress = origin.program(OriginMapLayouts.INGRESS_PROGRAM);
            BpfProgram egress = origin.program(OriginMapLayouts.EGRESS_PROGRAM);

            double emptyRepeat = repeated(empty, data4, repeat, rounds);
            rows.add(new Row("empty tc program (baseline)", "repeat", repeatRuns, emptyRepeat, emptyRepeat, null));
            rows.add(new Row("ingress: TCP to an unwatched port", "repeat", repeatRuns,
                    repeated(ingress, unwatched, repeat, rounds), emptyRepeat, null));
            // Our own reply makes the client known (this build); an older build creates it on the first packet.
            single(egress, egressData);
            single(ingress, data4);
            rows.add(new Row("ingress: existing client, IPv4", "repeat", repeatRuns,
                    repeated(ingress, data4, repeat, rounds), emptyRepeat, 50.0));
            single(egress, egressData6);
            single(ingress, data6);
            rows.add(new Row("ingress: existing client, IPv6", "repeat", repeatRuns,
                    repeated(ingress, data6, repeat, rounds), emptyRepeat, 50.0));
            for (Variant variant : variants.subList(1, variants.size())) {
                if (variant.clientsMapFlags() != 0 || variant.clientsMapType() != null) {
                    continue;
                }
                try (BpfObject other = openOrigin(variant, 65536, 0)) {
                    BpfProgram otherIngress = other.program(OriginMapLayouts.INGRESS_PROGRAM);
                    single(other.program(OriginMapLayouts.EGRESS_PROGRAM), egressData);
                    single(otherIngress, data4);
                    rows.add(new Row(variant.prefix() + "ingress: existing client, IPv4", "repeat", repeatRuns,
                            repeated(otherIngress, data4, repeat, rounds), emptyRepeat, 50.0));
                }
            }
            rows.add(new Row("egress: data packet (not a SYN-ACK)", "repeat", repeatRuns,
                    repeated(egress, egressData, repeat, rounds), emptyRepeat, null));

            rows.addAll(newClientRows(variants, syn4, newRepeat, newRounds, roomyEntries));

            List<byte[]> newClients = distinctClients(frames);
            BpfProgram roomyIngress = roomy.program(OriginMapLayouts.INGRESS_PROGRAM);
            double emptySingle = singles(empty, newClients);
            String singleRuns = String.valueOf(frames);
            rows.add(new Row("empty tc program (baseline)", "single", singleRuns, emptySingle, emptySingle, null));
            rows.add(new Row("ingress: existing client, IPv4", "single", singleRuns,
                    singles(ingress, Collections.nCopies(frames, data4)), emptySingle, null));
            rows.add(new Row("ingress: SYN from a new address, table has room", "single", singleRuns,
                    singles(roomyIngress, newClients), emptySingle, null));
        }
        return rows;
    }

    private static BpfObject openOrigin(String resource, int clientEntries) {
        return openOrigin(resource, clientEntries, 0);
    }

    private static BpfObject openOrigin(String resource, int clientEntries, int extraPortFlags) {
        return openOrigin(new Variant("", readResource(resource), 0), clientEntries, extraPortFlags);
    }

    private static BpfObject openOrigin(Variant variant, int clientEntries, int extraPortFlags) {
        BpfObject object = BpfObject.open(variant.elf(), "origin_bench");
        try {
            BpfMap clients = object.map(OriginMapLayouts.CLIENTS_MAP);
            clients.setMaxEntries(clientEntries);
            clients.setMapFlags(clients.mapFlags() | variant.clientsMapFlags());
            object.findMap("bench_lru_clients").ifPresent(floor -> floor.setMaxEntries(clientEntries)
                    .setMapFlags(floor.mapFlags() | variant.clientsMapFlags()));
            if (variant.clientsMapType() != null) {
                clients.setType(variant.clientsMapType());
                object.findMap("bench_lru_clients").ifPresent(floor -> floor.setType(variant.clientsMapType()));
            }
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
                if ((extraPortFlags & OriginMapLayouts.PORT_CHECK_NODES) != 0) {
                    addClusterNodes(object, arena);
                }
            }
            return object;
        } catch (RuntimeException e) {
            object.close();
            throw e;
        }
    }

    /** 16 cluster nodes (192.0.2.100-115), as an agent with cluster nodes configured has (filter bits too). */
    private static void addClusterNodes(BpfObject object, Arena arena) {
        MemorySegment zero = arena.allocate(ValueLayout.JAVA_INT);
        MemorySegment filter = arena.allocate(OriginMapLayouts.NODE_FILTER_VALUE);
        MemorySegment nodeKey = arena.allocate(OriginMapLayouts.NODE_KEY);
        MemorySegment nodeValue = arena.allocate(OriginMapLayouts.NODE_VALUE);
        nodeValue.set(OriginMapLayouts.NODE_VALUE, 0, 1);
        for (int i = 0; i < 16; i++) {
            byte[] address = {(byte) 192, 0, 2, (byte) (100 + i)};
            OriginMapLayouts.setNodeFilterBit(filter, address);
            nodeKey.fill((byte) 0);
            OriginMapLayouts.NODE_KEY_FAMILY.set(nodeKey, 0L,
                    OriginMapLayouts.writeAddress(nodeKey, OriginMapLayouts.NODE_KEY_ADDR_OFFSET, address));
            object.map(OriginMapLayouts.NODES_MAP).update(nodeKey, nodeValue, UpdateFlag.ANY);
        }
        object.findMap(OriginMapLayouts.NODE_FILTER_MAP).ifPresent(map -> map.update(zero, filter, UpdateFlag.ANY));
    }

    /**
     * New-client rows: every case runs once per round, round-robin with the rewrite-only baseline, so load
     * changes hit all cases alike; the row's delta is the median over rounds of (case - baseline that round).
     */
    private static List<Row> newClientRows(List<Variant> variants, byte[] syn, int repeat, int rounds,
            int roomyEntries) {
        record Case(String name, BpfProgram program, double goal, BpfProgram baseline) {
            Case(String name, BpfProgram program, double goal) {
                this(name, program, goal, null);
            }
        }
        List<BpfObject> objects = new ArrayList<>();
        try {
            List<Case> cases = new ArrayList<>();
            BpfProgram baseline = null;
            for (Variant variant : variants) {
                BpfObject roomy = track(objects, openOrigin(variant, roomyEntries, OriginMapLayouts.PORT_CHECK_NODES));
                BpfObject full = track(objects, openOrigin(variant, 4096, OriginMapLayouts.PORT_CHECK_NODES));
                BpfObject fullDefault = track(objects, openOrigin(variant, OriginMapLayouts.CLIENTS_MAX_ENTRIES,
                        OriginMapLayouts.PORT_CHECK_NODES));
                BpfObject fullNoCheck = track(objects, openOrigin(variant, 4096, 0));
                if (baseline == null) {
                    baseline = roomy.program("bench_rewrite_source");
                }
                String p = variant.prefix();
                cases.add(new Case(p + "ingress: SYN from a new address, " + roomyEntries / 1024 + "k table with room",
                        roomy.program("bench_ingress_new_client"), 250));
                cases.add(new Case(p + "  SYN in + our SYN-ACK out, new address (spoofed SYN)",
                        roomy.program("bench_syn_synack"), -1, roomy.program("bench_syn_synack_rewrites_only")));
                cases.add(new Case(p + "  full handshake SYN, SYN-ACK, ACK: new client",
                        roomy.program("bench_handshake"), -1, roomy.program("bench_handshake_rewrites_only")));
                cases.add(new Case(p + "  kernel floor: lookup + LRU insert only, same state",
                        roomy.program("bench_lru_insert_only"), -1));
                if (variant.clientsMapType() != null) {
                    continue; // a plain hash cannot evict: only the table-with-room rows compare
                }
                cases.add(new Case(p + "ingress: SYN from a new address, full 64k table (LRU evicts)",
                        fill(fullDefault.program("bench_ingress_new_client"), syn,
                                OriginMapLayouts.CLIENTS_MAX_ENTRIES), 250));
                cases.add(new Case(p + "  full handshake: new client, full 64k table (LRU evicts)",
                        fill(fullDefault.program("bench_handshake"), syn, OriginMapLayouts.CLIENTS_MAX_ENTRIES), -1,
                        fullDefault.program("bench_handshake_rewrites_only")));
                cases.add(new Case(p + "  kernel floor: lookup + LRU insert only, same state",
                        fill(fullDefault.program("bench_lru_insert_only"), syn, OriginMapLayouts.CLIENTS_MAX_ENTRIES),
                        -1));
                cases.add(new Case(p + "ingress: SYN from a new address, full 4k table (LRU evicts)",
                        fill(full.program("bench_ingress_new_client"), syn, 4096), 250));
                cases.add(new Case(p + "  kernel floor: lookup + LRU insert only, same state",
                        fill(full.program("bench_lru_insert_only"), syn, 4096), -1));
                cases.add(new Case(p + "  same, port without CHECK_NODES (no node lookup)",
                        fill(fullNoCheck.program("bench_ingress_new_client"), syn, 4096), 250));
            }
            int warmup = Math.min(repeat, 10_000);
            baseline.testRun(syn, warmup);
            for (Case c : cases) {
                c.program().testRun(syn, warmup);
            }
            double[] base = new double[rounds];
            double[][] ns = new double[cases.size()][rounds];
            double[][] ownBase = new double[cases.size()][rounds];
            for (int r = 0; r < rounds; r++) {
                base[r] = check(baseline, baseline.testRun(syn, repeat)).durationNs();
                for (int c = 0; c < cases.size(); c++) {
                    BpfProgram program = cases.get(c).program();
                    ns[c][r] = check(program, program.testRun(syn, repeat)).durationNs();
                    BpfProgram own = cases.get(c).baseline();
                    ownBase[c][r] = own == null ? base[r] : check(own, own.testRun(syn, repeat)).durationNs();
                }
            }
            String runs = rounds + "x" + repeat;
            List<Row> rows = new ArrayList<>();
            double baseMedian = median(base);
            rows.add(new Row("new source address per run (baseline)", "repeat", runs, baseMedian, baseMedian, null));
            for (int c = 0; c < cases.size(); c++) {
                double[] delta = new double[rounds];
                for (int r = 0; r < rounds; r++) {
                    delta[r] = ns[c][r] - ownBase[c][r];
                }
                double median = median(ns[c]);
                Case theCase = cases.get(c);
                rows.add(new Row(theCase.name(), "repeat", runs, median, median - median(delta),
                        theCase.goal() < 0 ? null : theCase.goal()));
            }
            return rows;
        } finally {
            for (BpfObject object : objects) {
                object.close();
            }
        }
    }

    private static BpfObject track(List<BpfObject> objects, BpfObject object) {
        objects.add(object);
        return object;
    }

    /** Runs a new-client program until its table is full and evicting (three times its size). */
    private static BpfProgram fill(BpfProgram program, byte[] syn, int tableSize) {
        program.testRun(syn, 3 * tableSize);
        return program;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static byte[] readResource(String resource) {
        try (InputStream in = OriginMapLayouts.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " not found: build with ./mvnw package first");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] readFile(String file) {
        try {
            return Files.readAllBytes(Path.of(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "unknown";
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
        System.out.printf(Locale.ROOT, "repeat mode: median of %d calls; new clients: each repetition rewrites the "
                + "source address, all new-client rows run round-robin with that rewrite alone (the baseline) and show"
                + " the median over rounds of (row - baseline; the SYN-ACK/handshake rows subtract their own rewrites-only"
                + " program); new-client rows with CHECK_NODES have 16 cluster nodes"
                + " configured; single mode: mean of %d calls with repeat=1, caches cold after each system call (upper"
                + " bound, no goal)%n", rounds, frames);
        System.out.printf(Locale.ROOT, "load average: %s%n", loadAverage());
    }
}
