package io.edgesched.examples.bench;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import io.edgesched.ebpf.OriginClientCopier;
import io.edgesched.ebpf.Privileges;
import io.edgesched.ebpf.libbpf.BpfMap;
import io.edgesched.ebpf.libbpf.MapBatchCursor;
import io.edgesched.ebpf.libbpf.MapSnapshotReader;
import io.edgesched.ebpf.libbpf.MapType;
import io.edgesched.ebpf.libbpf.UpdateFlag;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
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

    private static final String USAGE = "usage: bench-map-snapshot [--entries N] [--type lru|hash] [--rounds N]"
            + " [--no-common-lru] [--chunks 1024,8192]";

    public static void main(String[] args) throws Exception {
        int entries = 65536;
        MapType type = MapType.LRU_HASH;
        int rounds = 100;
        int mapFlags = 0;
        int[] chunks = {1024, 8192};
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--entries" -> entries = Integer.parseInt(args[++i]);
                case "--type" -> type = args[++i].equals("hash") ? MapType.HASH : MapType.LRU_HASH;
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--no-common-lru" -> mapFlags |= BpfMap.NO_COMMON_LRU;
                case "--chunks" -> chunks = Arrays.stream(args[++i].split(",")).filter(c -> !c.isBlank())
                        .mapToInt(Integer::parseInt).toArray();
                case "-h", "--help" -> {
                    System.out.println(USAGE);
                    return;
                }
                default -> {
                    System.err.println(USAGE);
                    System.exit(2);
                }
            }
        }
        if (!Privileges.hasBpfCapabilities()) {
            System.err.println("bench-map-snapshot needs BPF privileges: " + Privileges.describe());
            return;
        }
        try (BpfMap map = BpfMap.create(type, "bench_clients", KEY_SIZE, VALUE_SIZE, entries, mapFlags)) {
            fill(map, entries);
            List<Row> rows = new ArrayList<>();
            int present;
            long[] sink = new long[1];
            double[] loopTimes = new double[5]; // the get_next_key loop runs 5 times, spread over the rounds
            // Every method runs once per round, in turn, so load changes hit them alike.
            try (MapSnapshotReader reader = map.snapshotReader();
                 OriginClientCopier copier = openCopier(map);
                 Arena chunkArena = Arena.ofConfined()) {
                present = reader.read();
                MapBatchCursor cursor = map.batchCursor(chunkArena);
                int maxChunk = Arrays.stream(chunks).max().orElse(1);
                MemorySegment chunkKeys = chunkArena.allocate((long) KEY_SIZE * maxChunk, 8);
                MemorySegment chunkValues = chunkArena.allocate((long) VALUE_SIZE * maxChunk, 8);
                int methods = 2 + chunks.length;
                double[][] times = new double[methods][rounds];
                int loopEvery = Math.max(1, rounds / loopTimes.length);
                int loops = 0;
                map.forEach((k, v) -> sink[0] += v.get(JAVA_BYTE, 8)); // warm-up
                for (int i = -20; i < rounds; i++) { // 20 warm-up rounds
                    if (i >= 0 && i % loopEvery == 0 && loops < loopTimes.length) {
                        long start = System.nanoTime();
                        check(map.forEach((k, v) -> sink[0] += v.get(JAVA_BYTE, 8)), present, "get_next_key loop");
                        loopTimes[loops++] = (System.nanoTime() - start) / 1e6;
                    }
                    long start = System.nanoTime();
                    check(reader.read(), present, "batch snapshot");
                    record(times[0], i, start);
                    if (copier != null) {
                        start = System.nanoTime();
                        check(copier.copy(), present, "copier");
                        record(times[1], i, start);
                    }
                    for (int c = 0; c < chunks.length; c++) {
                        start = System.nanoTime();
                        check(readInChunks(map, cursor, chunkKeys, chunkValues, chunks[c]), present, "chunked batch");
                        record(times[2 + c], i, start);
                    }
                }
                rows.add(new Row("batch snapshot (BPF_MAP_LOOKUP_BATCH, " + reader.calls() + " call/read)",
                        present, median(times[0]), min(times[0])));
                if (copier != null) {
                    rows.add(new Row("copier program (for_each -> mmapped array, 1 call)", present,
                            median(times[1]), min(times[1])));
                }
                for (int c = 0; c < chunks.length; c++) {
                    rows.add(new Row("batch in chunks of " + chunks[c] + " (buffers reused)", present,
                            median(times[2 + c]), min(times[2 + c])));
                }
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

    private static void record(double[] times, int round, long start) {
        if (round >= 0) {
            times[round] = (System.nanoTime() - start) / 1e6;
        }
    }

    /** The copier program for this map, or null (printed) where the kernel refuses it. */
    private static OriginClientCopier openCopier(BpfMap map) {
        try {
            return OriginClientCopier.open(map);
        } catch (RuntimeException e) {
            System.out.println("copier unavailable: " + e.getMessage());
            return null;
        }
    }

    /** The whole map in chunks of {@code chunk} entries into the same small buffers (a streaming reader). */
    private static int readInChunks(BpfMap map, MapBatchCursor cursor, MemorySegment keys, MemorySegment values,
            int chunk) {
        cursor.reset();
        int total = 0;
        while (!cursor.isDone()) {
            total += map.batchLookup(cursor, keys, values, chunk);
        }
        return total;
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
        Row loop = find(rows, "get_next_key");
        Row fastest = rows.stream().filter(r -> r.method().startsWith("batch") || r.method().startsWith("copier"))
                .min(Comparator.comparingDouble(Row::ms)).orElseThrow();
        double bpftool = rows.stream().filter(r -> r.method().startsWith("bpftool")).mapToDouble(Row::ms).min()
                .orElseThrow();
        System.out.printf(Locale.ROOT, "map: %s, key %d B, value %d B, max_entries %d, entries present %d"
                + " (snapshots: median of %d interleaved rounds; loop: median of 5 spread over them; bpftool: median of 3 runs incl."
                + " process start)%n", type, KEY_SIZE, VALUE_SIZE, maxEntries, present, rounds);
        System.out.printf(Locale.ROOT, "%-52s %8s %10s %10s %14s %10s %10s%n", "method", "entries", "median ms",
                "best ms", "entries/s", "x fastest", "loop / x");
        for (Row row : rows) {
            System.out.printf(Locale.ROOT, "%-52s %8d %10.2f %10.2f %14.0f %10.1f %10.1f%n", row.method(),
                    row.entries(), row.ms(), row.bestMs(), row.entriesPerSecond(), row.ms() / fastest.ms(),
                    loop.ms() / row.ms());
        }
        System.out.println("(entries/s and ratios from the medians; fastest: " + fastest.method() + ")");
        try {
            System.out.println("load average: " + Files.readString(Path.of("/proc/loadavg")).trim());
        } catch (IOException e) {
            System.out.println("load average: unknown");
        }
        System.out.printf(Locale.ROOT, "goals (fastest): >= 5M entries/s: %s (%.1fM); >= 20x get_next_key: %s (%.1fx);"
                + " >= 10x bpftool: %s (%.1fx)%n",
                fastest.entriesPerSecond() >= 5e6 ? "met" : "MISSED", fastest.entriesPerSecond() / 1e6,
                loop.ms() / fastest.ms() >= 20 ? "met" : "MISSED", loop.ms() / fastest.ms(),
                bpftool / fastest.ms() >= 10 ? "met" : "MISSED", bpftool / fastest.ms());
        if (sink == 42) {
            System.out.println(); // keeps the loop's reads observable
        }
    }

    private static Row find(List<Row> rows, String prefix) {
        return rows.stream().filter(r -> r.method().startsWith(prefix)).findFirst().orElseThrow();
    }
}
