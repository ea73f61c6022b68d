package io.edgesched.examples.bench;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.NodeId;
import io.edgesched.api.OriginRecord;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.OriginStats;
import io.edgesched.api.WorkloadId;
import io.edgesched.api.demand.DemandConfig;
import io.edgesched.api.demand.DemandStore;
import io.edgesched.api.demand.DemandView;
import io.edgesched.api.demand.ServiceCatalog;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;

/**
 * How much memory the demand store needs for a million client aggregates, with and without prefix
 * aggregation. Clients: each workload draws its clients from a few client networks (/24 or /56), each network
 * enters the cluster through one node. Prints a Markdown table.
 *
 * <pre>
 * usage: DemandMemoryBench [clients=1000000] [workloads=10000] [nodes=1000] [networksPerWorkload=10] [ipv6Share=0.2]
 * </pre>
 */
public final class DemandMemoryBench {
    private DemandMemoryBench() {
    }

    record Row(String config, int aggregates, double aggregateMiB, double totalArraysMiB, double heapMiB,
               double bytesPerClient, long ingestMillis, long viewMillis, int viewEntries) {
    }

    public static void main(String[] args) {
        BenchArgs parsed = BenchArgs.of("usage: demand-memory-bench [clients=1000000] [workloads=10000] [nodes=1000] "
                + "[networksPerWorkload=10] [ipv6Share=0.2]", args);
        int clients = parsed.intAt(0, 1_000_000);
        int workloads = parsed.intAt(1, 10_000);
        int nodes = parsed.intAt(2, 1_000);
        int networksPerWorkload = parsed.intAt(3, 10);
        double ipv6Share = parsed.doubleAt(4, 0.2);

        System.out.printf(Locale.ROOT, "demand store memory: %d clients, %d workloads, %d nodes, %d client networks "
                        + "per workload, %.0f%% IPv6, %d cores, max heap %d MiB%n%n", clients, workloads, nodes,
                networksPerWorkload, ipv6Share * 100, Runtime.getRuntime().availableProcessors(),
                Runtime.getRuntime().maxMemory() >> 20);
        List<Row> rows = new ArrayList<>();
        DemandConfig base = DemandConfig.defaults().withMaxClientsPerWorkload(Integer.MAX_VALUE / 2);
        rows.add(run("per address (/32, /128)", base, clients, workloads, nodes, networksPerWorkload, ipv6Share));
        rows.add(run("prefixes /24, /56", base.withPrefixes(24, 56), clients, workloads, nodes, networksPerWorkload, ipv6Share));
        rows.add(run("per address, top-50 per workload", base.withMaxClientsPerWorkload(50), clients, workloads, nodes,
                networksPerWorkload, ipv6Share));

        System.out.println("| configuration | aggregates | aggregate arrays MiB | + baselines and kept buffers MiB | measured heap MiB | heap bytes/client | ingest 2 rounds + maintain ms | view ms | entry aggregates |");
        System.out.println("|---|---|---|---|---|---|---|---|---|");
        for (Row r : rows) {
            System.out.printf(Locale.ROOT, "| %s | %d | %.1f | %.1f | %.1f | %.1f | %d | %d | %d |%n", r.config(),
                    r.aggregates(), r.aggregateMiB(), r.totalArraysMiB(), r.heapMiB(), r.bytesPerClient(),
                    r.ingestMillis(), r.viewMillis(), r.viewEntries());
        }
    }

    private static Row run(String name, DemandConfig config, int clients, int workloads, int nodes,
                           int networksPerWorkload, double ipv6Share) {
        ServiceCatalog catalog = (node, serviceId, port) -> Optional.of(WorkloadId.of("bench", "w" + serviceId));
        long heapBefore = usedHeapAfterGc();
        DemandStore store = new DemandStore(catalog, config);
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        long ingestNanos = 0;
        for (int round = 0; round < 2; round++) {
            ingestNanos += ingestRound(store, t0.plusSeconds(10L * round), round, clients, workloads, nodes,
                    networksPerWorkload, ipv6Share);
        }
        long start = System.nanoTime();
        store.maintain(t0.plusSeconds(10));
        long ingestMillis = (ingestNanos + System.nanoTime() - start) / 1_000_000;
        long viewStart = System.nanoTime();
        DemandView view = store.view(t0.plusSeconds(10));
        long viewMillis = (System.nanoTime() - viewStart) / 1_000_000;
        int entries = view.workloads().stream().mapToInt(w -> view.demand(w).entries().size()).sum();
        long heapAfter = usedHeapAfterGc();
        double heapMiB = (heapAfter - heapBefore) / 1048576.0;
        Row row = new Row(name, store.aggregateCount(), store.aggregateMemoryBytes() / 1048576.0,
                store.estimatedMemoryBytes() / 1048576.0, heapMiB, (heapAfter - heapBefore) / (double) clients,
                ingestMillis, viewMillis, entries);
        java.lang.ref.Reference.reachabilityFence(store);
        java.lang.ref.Reference.reachabilityFence(view);
        return row;
    }

    /**
     * One snapshot per node. Client i belongs to workload i % workloads and to one of that workload's networks;
     * a network always enters through the same node. Counters grow by (1 + i % 7) packets per round.
     */
    /** Returns the nanoseconds spent in {@link DemandStore#ingest} (not in building the records). */
    private static long ingestRound(DemandStore store, Instant at, int round, int clients, int workloads, int nodes,
                                    int networksPerWorkload, double ipv6Share) {
        List<List<OriginRecord>> perNode = new ArrayList<>(nodes);
        for (int n = 0; n < nodes; n++) {
            perNode.add(new ArrayList<>());
        }
        Random rnd = new Random(7); // same clients every round
        for (int i = 0; i < clients; i++) {
            int workload = i % workloads;
            int network = workload * networksPerWorkload + rnd.nextInt(networksPerWorkload);
            int node = Math.floorMod(network * 0x9E3779B1, nodes);
            boolean v6 = rnd.nextDouble() < ipv6Share;
            byte[] address;
            if (v6) {
                address = new byte[16];
                address[0] = 0x20;
                address[1] = 0x01;
                address[2] = (byte) (network >>> 24);
                address[3] = (byte) (network >>> 16);
                address[4] = (byte) (network >>> 8);
                address[5] = (byte) network;
                for (int b = 8; b < 16; b++) {
                    address[b] = (byte) rnd.nextInt(256);
                }
            } else {
                int net = 0x0A000000 + (network << 8) % 0x00FFFFFF;
                int host = 1 + rnd.nextInt(254);
                int ip = (net & 0xFFFFFF00) | host;
                address = new byte[] {(byte) (ip >>> 24), (byte) (ip >>> 16), (byte) (ip >>> 8), (byte) ip};
            }
            long packets = (long) (round + 1) * (1 + i % 7) * 10;
            perNode.get(node).add(new OriginRecord(workload, 30000 + workload % 2000, ClientAddress.of(address),
                    round + 1, packets, packets * 200, 1000 + i % 50_000, 3, 0, 0, false));
        }
        List<OriginSnapshot> snapshots = new ArrayList<>(nodes);
        for (int n = 0; n < nodes; n++) {
            snapshots.add(new OriginSnapshot(NodeId.of("node-" + n), at, 5_000_000_000L + round * 10_000_000_000L, 1,
                    perNode.get(n), OriginStats.EMPTY));
        }
        perNode.clear();
        long start = System.nanoTime();
        store.ingestAll(snapshots);
        return System.nanoTime() - start;
    }

    private static long usedHeapAfterGc() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) {
            System.gc();
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return memory.getHeapMemoryUsage().getUsed();
    }
}
