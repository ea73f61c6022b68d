package io.edgesched.examples.bench;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import io.edgesched.ebpf.Privileges;
import io.edgesched.ebpf.libbpf.BpfMap;
import io.edgesched.ebpf.libbpf.MapSnapshotReader;
import io.edgesched.ebpf.libbpf.MapType;
import io.edgesched.ebpf.libbpf.UpdateFlag;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Whole-map read of a full client table (origin_clients layout: LRU_HASH, key 24 bytes, value 80 bytes,
 * 65536 entries): batch snapshot vs a get_next_key + lookup loop (both through the binding) vs
 * {@code bpftool map dump} of the same map, in one run. Needs root.
 *
 * <pre>examples/bin/bench-map-snapshot [--entries 65536] [--type lru|hash] [--rounds 100]</pre>
 */
public final class MapSnapshotBench {
    private static final int KEY_SIZE = 24;   // struct origin_client_key
    private static final int VALUE_SIZE = 80; // struct origin_client_value

    private MapSnapshotBench() {
    }

    record Row(String method, int entries, double ms, double bestMs) {
        double entriesPerSecond() {
            return entries / (ms / 1000.0);
        }
    }

    public static void main(String[] args) throws Exception {
        int entries = 65536;
        MapType type = MapType.LRU_HASH;
        int rounds = 100;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--entries" -> entries = Integer.parseInt(args[++i]);
                case "--type" -> type = args[++i].equals("hash") ? MapType.HASH : MapType.LRU_HASH;
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                default -> {
                    System.err.println("usage: bench-map-snapshot [--entries N] [--type lru|hash] [--rounds N]");
                    return;
                }
            }
        }
        if (!Privileges.hasBpfCapabilities()) {
            System.err.println("bench-map-snapshot needs BPF privileges: " + Privileges.describe());
            return;
        }
        try (BpfMap map = BpfMap.create(type, "bench_clients", KEY_SIZE, VALUE_SIZE, entries, 0)) {
            fill(map, entries);
            List<Row> rows = new ArrayList<>();
            int present;
            try (MapSnapshotReader reader = map.snapshotReader()) {
                present = reader.read();
                for (int i = 0; i < 20; i++) {
                    reader.read();
                }
                double[] times = new double[rounds];
                for (int i = 0; i < rounds; i++) {
                    long start = System.nanoTime();
                    int n = reader.read();
                    times[i] = (System.nanoTime() - start) / 1e6;
                    check(n, present, "batch snapshot");
                }
                rows.add(new Row("batch snapshot (BPF_MAP_LOOKUP_BATCH, " + reader.calls() + " call/read)",
                        present, median(times), min(times)));
            }

            long[] sink = new long[1];
            double[] loopTimes = new double[5];
            map.forEach((k, v) -> sink[0] += v.get(JAVA_BYTE, 8)); // warm-up
            for (int i = 0; i < loopTimes.length; i++) {
                long start = System.nanoTime();
                int n = map.forEach((k, v) -> sink[0] += v.get(JAVA_BYTE, 8));
                loopTimes[i] = (System.nanoTime() - start) / 1e6;
                check(n, present, "get_next_key loop");
            }
            rows.add(new Row("get_next_key + lookup loop (binding)", present, median(loopTimes), min(loopTimes)));

            int id = map.info().id();
            rows.add(timeProcess("bpftool map dump id " + id + " (plain)", present, 3,
                    "bpftool", "map", "dump", "id", Integer.toString(id)));
            rows.add(timeProcess("bpftool -j map dump id " + id + " (json)", present, 3,
                    "bpftool", "-j", "map", "dump", "id", Integer.toString(id)));

            print(type, entries, present, rounds, rows, sink[0]);
        }
    }

    /** Keys shaped like origin_client_key (service, port, family 4, IPv4 address); values with counters. */
    private static void fill(BpfMap map, int entries) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment keys = arena.allocate((long) KEY_SIZE * entries, 8);
            MemorySegment values = arena.allocate((long) VALUE_SIZE * entries, 8);
            for (int i = 0; i < entries; i++) {
                long k = (long) i * KEY_SIZE;
                keys.set(JAVA_INT, k, 1 + (i % 7));                    // service_id
                keys.set(JAVA_SHORT, k + 4, (short) 443);              // port
                keys.set(JAVA_BYTE, k + 6, (byte) 4);                  // family
                keys.set(JAVA_INT.withOrder(java.nio.ByteOrder.BIG_ENDIAN), k + 8, 0x0a000000 + i); // 10.x.y.z
                long v = (long) i * VALUE_SIZE;
                values.set(JAVA_LONG, v, 1 + i % 5);                   // connections
                values.set(JAVA_LONG, v + 8, 10L + i);                 // packets
                values.set(JAVA_LONG, v + 16, 1500L * i);              // bytes
            }
            int chunk = 8192;
            for (int start = 0; start < entries; start += chunk) {
                int n = Math.min(chunk, entries - start);
                map.updateBatch(keys.asSlice((long) start * KEY_SIZE), values.asSlice((long) start * VALUE_SIZE), n,
                        UpdateFlag.ANY);
            }
        }
    }

    private static void check(int read, int expected, String what) {
        if (read != expected) {
            throw new IllegalStateException(what + " read " + read + " entries, expected " + expected);
        }
    }

    private static Row timeProcess(String method, int entries, int runs, String... command)
            throws IOException, InterruptedException {
        double[] times = new double[runs];
        for (int i = 0; i < runs; i++) {
            long start = System.nanoTime();
            Process process = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            if (!process.waitFor(5, TimeUnit.MINUTES) || process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed");
            }
            times[i] = (System.nanoTime() - start) / 1e6;
        }
        return new Row(method, entries, median(times), min(times));
    }

    private static double min(double[] values) {
        return Arrays.stream(values).min().orElseThrow();
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static void print(MapType type, int maxEntries, int present, int rounds, List<Row> rows, long sink) {
        Row batch = rows.getFirst();
        System.out.printf(Locale.ROOT, "map: %s, key %d B, value %d B, max_entries %d, entries present %d"
                + " (batch: median of %d reads; loop: median of 5; bpftool: median of 3 runs incl. process start)%n",
                type, KEY_SIZE, VALUE_SIZE, maxEntries, present, rounds);
        System.out.printf(Locale.ROOT, "%-52s %8s %10s %10s %14s %10s%n", "method", "entries", "median ms",
                "best ms", "entries/s", "x batch");
        for (Row row : rows) {
            System.out.printf(Locale.ROOT, "%-52s %8d %10.2f %10.2f %14.0f %10.1f%n", row.method(), row.entries(),
                    row.ms(), row.bestMs(), row.entriesPerSecond(), row.ms() / batch.ms());
        }
        System.out.println("(entries/s and ratios from the medians)");
        double bpftoolBest = Math.min(rows.get(2).ms(), rows.get(3).ms());
        System.out.printf(Locale.ROOT, "goals: >= 5M entries/s: %s (%.1fM); >= 20x get_next_key: %s (%.1fx);"
                + " >= 10x bpftool: %s (%.1fx)%n",
                batch.entriesPerSecond() >= 5e6 ? "met" : "MISSED", batch.entriesPerSecond() / 1e6,
                rows.get(1).ms() / batch.ms() >= 20 ? "met" : "MISSED", rows.get(1).ms() / batch.ms(),
                bpftoolBest / batch.ms() >= 10 ? "met" : "MISSED", bpftoolBest / batch.ms());
        if (sink == 42) {
            System.out.println(); // keeps the loop's reads observable
        }
    }
}
