package io.edgesched.examples.sim;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.NodeId;
import io.edgesched.api.OriginRecord;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.OriginStats;
import io.edgesched.api.WorkloadId;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The simulated edge cloud: nodes grouped in regions on a 2-D plane, clients that live near a region
 * and drift or jump to another one, and workloads with 1-3 replicas. Latency grows with distance
 * (10 us of round trip per km, as light in fibre) plus a fixed per-pair detour of up to 20 %.
 * Every client uses one workload and enters the cloud through its nearest node (its entry node);
 * a request then travels from the entry node to the nearest replica.
 * All randomness comes from one seed, so a run is reproducible.
 */
final class SimWorld {
    static final double PLANE_KM = 3000;
    static final double MICROS_PER_KM = 10;
    static final double NODE_BASE_MICROS = 200;
    static final double LAST_MILE_MICROS = 1000;
    static final double REGION_SPREAD_KM = 100;

    final int nodeCount;
    final int workloadCount;
    final int clientCount;
    final int regionCount;

    final NodeId[] nodeIds;
    final WorkloadId[] workloadIds;
    final double[] nodeX;
    final double[] nodeY;
    final double[] regionX;
    final double[] regionY;
    /** Round-trip time between nodes i and j, microseconds, at [i * nodeCount + j]; 0 on the diagonal. */
    final float[] nodeRttMicros;

    final int[] replicas;
    /** Current node indexes of each workload's replicas, sorted. */
    final int[][] placement;
    private final int[] workloadHomeRegion;

    final double[] clientX;
    final double[] clientY;
    final int[] clientWorkload;
    /** Requests per second. */
    final double[] clientRate;
    final int[] clientEntry;
    final long[] clientRttMicros;
    private final double[] clientCount_;
    private final long[] clientFirstSeenNanos;
    private final ClientAddress[] clientAddresses;
    private final double[][] entryDemand;
    private final double[][] entryRttSum;

    private final NodeGrid grid;
    private final SplittableRandom random;
    private final double jumpRate;
    private final double driftKm;
    private long simNanos;

    SimWorld(int nodes, int workloads, int clients, long seed, double jumpRate, double driftKm, int maxReplicas) {
        if (nodes < 1 || workloads < 1 || clients < 0) {
            throw new IllegalArgumentException("need at least one node and one workload");
        }
        this.nodeCount = nodes;
        this.workloadCount = workloads;
        this.clientCount = clients;
        this.random = new SplittableRandom(seed);
        this.jumpRate = jumpRate;
        this.driftKm = driftKm;
        this.regionCount = Math.max(1, Math.min(nodes, (int) Math.round(Math.sqrt(nodes))));

        regionX = new double[regionCount];
        regionY = new double[regionCount];
        for (int r = 0; r < regionCount; r++) {
            regionX[r] = random.nextDouble(PLANE_KM * 0.1, PLANE_KM * 0.9);
            regionY[r] = random.nextDouble(PLANE_KM * 0.1, PLANE_KM * 0.9);
        }
        nodeIds = new NodeId[nodes];
        nodeX = new double[nodes];
        nodeY = new double[nodes];
        for (int i = 0; i < nodes; i++) {
            int r = i % regionCount; // every region gets nodes
            nodeIds[i] = NodeId.of(String.format("n%04d", i));
            nodeX[i] = clamp(regionX[r] + gaussian() * REGION_SPREAD_KM);
            nodeY[i] = clamp(regionY[r] + gaussian() * REGION_SPREAD_KM);
        }
        nodeRttMicros = new float[nodes * nodes];
        for (int i = 0; i < nodes; i++) {
            for (int j = i + 1; j < nodes; j++) {
                double detour = 1.0 + 0.2 * random.nextDouble();
                float rtt = (float) (NODE_BASE_MICROS + MICROS_PER_KM * detour * Math.hypot(nodeX[i] - nodeX[j], nodeY[i] - nodeY[j]));
                nodeRttMicros[i * nodes + j] = rtt;
                nodeRttMicros[j * nodes + i] = rtt;
            }
        }
        grid = new NodeGrid(nodeX, nodeY, PLANE_KM);

        workloadIds = new WorkloadId[workloads];
        replicas = new int[workloads];
        placement = new int[workloads][];
        workloadHomeRegion = new int[workloads];
        for (int w = 0; w < workloads; w++) {
            workloadIds[w] = WorkloadId.of("sim", String.format("w%05d", w));
            replicas[w] = Math.min(nodes, 1 + random.nextInt(Math.max(1, maxReplicas)));
            placement[w] = randomDistinctNodes(replicas[w]);
            workloadHomeRegion[w] = random.nextInt(regionCount);
        }

        clientX = new double[clients];
        clientY = new double[clients];
        clientWorkload = new int[clients];
        clientRate = new double[clients];
        clientEntry = new int[clients];
        clientRttMicros = new long[clients];
        entryDemand = new double[workloads][];
        entryRttSum = new double[workloads][];
        clientCount_ = new double[clients];
        clientFirstSeenNanos = new long[clients];
        clientAddresses = new ClientAddress[clients];
        for (int c = 0; c < clients; c++) {
            int w = random.nextInt(workloads);
            clientWorkload[c] = w;
            clientRate[c] = 0.5 + random.nextDouble() * random.nextDouble() * 10;
            // most of a workload's clients live in its home region, the rest anywhere
            int region = random.nextDouble() < 0.7 ? workloadHomeRegion[w] : random.nextInt(regionCount);
            clientX[c] = clamp(regionX[region] + gaussian() * REGION_SPREAD_KM * 1.5);
            clientY[c] = clamp(regionY[region] + gaussian() * REGION_SPREAD_KM * 1.5);
            int n = c + 1;
            clientAddresses[c] = ClientAddress.of(new byte[] {10, (byte) (n >>> 16), (byte) (n >>> 8), (byte) n});
            clientEntry[c] = -1;
            reattach(c);
        }
    }

    /** Moves the clients one step: a few jump to another region, the others drift a little. */
    void moveClients() {
        for (int c = 0; c < clientCount; c++) {
            if (jumpRate > 0 && random.nextDouble() < jumpRate) {
                int region = random.nextInt(regionCount);
                clientX[c] = clamp(regionX[region] + gaussian() * REGION_SPREAD_KM * 1.5);
                clientY[c] = clamp(regionY[region] + gaussian() * REGION_SPREAD_KM * 1.5);
            } else if (driftKm > 0) {
                clientX[c] = clamp(clientX[c] + gaussian() * driftKm);
                clientY[c] = clamp(clientY[c] + gaussian() * driftKm);
            } else {
                continue;
            }
            reattach(c);
        }
    }

    /** Lets simulated time pass: every client's counters grow by its rate. */
    void advance(long nanos) {
        simNanos += nanos;
        double seconds = nanos / 1e9;
        for (int c = 0; c < clientCount; c++) {
            clientCount_[c] += clientRate[c] * seconds;
        }
    }

    long simNanos() {
        return simNanos;
    }

    private int[] byNodeScratch = new int[0];

    /** What each node's kernel observer would report now: cumulative counters per (workload, client). */
    List<OriginSnapshot> snapshots(Instant now) {
        int[] perNode = new int[nodeCount];
        for (int c = 0; c < clientCount; c++) {
            perNode[clientEntry[c]]++;
        }
        // Clients grouped by entry node (counting sort), so each node's records are allocated together, as a
        // controller parsing one node's report would allocate them (not interleaved with every other node's).
        int[] start = new int[nodeCount + 1];
        for (int i = 0; i < nodeCount; i++) {
            start[i + 1] = start[i] + perNode[i];
        }
        // kept between steps: a fresh 4 MB array per step is a humongous allocation whose GC work would land in
        // the controller's timed round, not in the simulator's own time
        if (byNodeScratch.length < clientCount) {
            byNodeScratch = new int[clientCount];
        }
        int[] byNode = byNodeScratch;
        int[] fill = Arrays.copyOf(start, nodeCount);
        for (int c = 0; c < clientCount; c++) {
            byNode[fill[clientEntry[c]]++] = c;
        }
        List<List<OriginRecord>> records = new ArrayList<>(nodeCount);
        for (int i = 0; i < nodeCount; i++) {
            List<OriginRecord> nodeRecords = new ArrayList<>(perNode[i]);
            for (int j = start[i]; j < start[i + 1]; j++) {
                int c = byNode[j];
                long requests = (long) clientCount_[c];
                if (requests == 0) {
                    continue;
                }
                int w = clientWorkload[c];
                nodeRecords.add(new OriginRecord(w, 30000 + (w % 30000), clientAddresses[c],
                        requests, requests * 8, requests * 1200, clientRttMicros[c], requests,
                        clientFirstSeenNanos[c], simNanos, false));
            }
            records.add(nodeRecords);
        }
        List<OriginSnapshot> snapshots = new ArrayList<>(nodeCount);
        for (int i = 0; i < nodeCount; i++) {
            List<OriginRecord> nodeRecords = records.get(i);
            long packets = 0;
            for (OriginRecord r : nodeRecords) {
                packets += r.packets();
            }
            snapshots.add(new OriginSnapshot(nodeIds[i], now, simNanos, 1, nodeRecords,
                    new OriginStats(packets, 0, 0, 0, 0)));
        }
        return snapshots;
    }

    float rtt(int from, int to) {
        return nodeRttMicros[from * nodeCount + to];
    }

    /** Demand-weighted mean request latency in microseconds with the current placements. */
    double meanLatencyMicros() {
        return meanLatencyMicros(placement);
    }

    double meanLatencyMicros(int[][] placements) {
        double weighted = 0;
        double total = 0;
        for (int c = 0; c < clientCount; c++) {
            int[] replicasOf = placements[clientWorkload[c]];
            int entry = clientEntry[c];
            float best = Float.MAX_VALUE;
            for (int r : replicasOf) {
                best = Math.min(best, rtt(entry, r));
            }
            weighted += clientRate[c] * (clientRttMicros[c] + best);
            total += clientRate[c];
        }
        return total == 0 ? 0 : weighted / total;
    }

    /** Per workload, the request rate arriving at each entry node: [workload][node]; rows of idle workloads are null. */
    double[][] entryDemand() {
        return perEntry(entryDemand, clientRate, null);
    }

    /** Per workload and entry node, the sum of rate x client RTT; same shape as {@link #entryDemand()}. */
    double[][] entryRttSum() {
        return perEntry(entryRttSum, clientRate, clientRttMicros);
    }

    /**
     * Sums per (workload, entry) into rows reused from step to step: the simulator's reference optimum is not timed,
     * but 80 MB of fresh rows per call made garbage collections that landed in the controller's timed phases.
     */
    private double[][] perEntry(double[][] rows, double[] rate, long[] factor) {
        boolean[] active = new boolean[workloadCount];
        for (int c = 0; c < clientCount; c++) {
            active[clientWorkload[c]] = true;
        }
        for (int w = 0; w < workloadCount; w++) {
            if (!active[w]) {
                rows[w] = null;
            } else if (rows[w] == null) {
                rows[w] = new double[nodeCount];
            } else {
                Arrays.fill(rows[w], 0);
            }
        }
        for (int c = 0; c < clientCount; c++) {
            rows[clientWorkload[c]][clientEntry[c]] += factor == null ? rate[c] : rate[c] * factor[c];
        }
        return rows;
    }

    void place(int workload, int[] nodes) {
        int[] sorted = nodes.clone();
        Arrays.sort(sorted);
        placement[workload] = sorted;
    }

    int nodeIndex(NodeId node) {
        String name = node.name();
        if (name.length() < 2 || name.charAt(0) != 'n') {
            return -1;
        }
        try {
            int i = Integer.parseInt(name, 1, name.length(), 10);
            return i < nodeCount && nodeIds[i].equals(node) ? i : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    int workloadIndex(WorkloadId workload) {
        String name = workload.name();
        if (!"sim".equals(workload.namespace()) || name.length() < 2 || name.charAt(0) != 'w') {
            return -1;
        }
        try {
            int i = Integer.parseInt(name, 1, name.length(), 10);
            return i < workloadCount && workloadIds[i].equals(workload) ? i : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private void reattach(int c) {
        int entry = grid.nearest(clientX[c], clientY[c]);
        double km = Math.hypot(clientX[c] - nodeX[entry], clientY[c] - nodeY[entry]);
        clientRttMicros[c] = Math.round(LAST_MILE_MICROS + MICROS_PER_KM * km);
        if (entry != clientEntry[c]) {
            // a new entry node sees a new client: its counters start from zero there
            clientEntry[c] = entry;
            clientCount_[c] = 0;
            clientFirstSeenNanos[c] = simNanos;
        }
    }

    private int[] randomDistinctNodes(int k) {
        int[] chosen = new int[k];
        int filled = 0;
        while (filled < k) {
            int candidate = random.nextInt(nodeCount);
            boolean dup = false;
            for (int i = 0; i < filled; i++) {
                dup |= chosen[i] == candidate;
            }
            if (!dup) {
                chosen[filled++] = candidate;
            }
        }
        Arrays.sort(chosen);
        return chosen;
    }

    private double gaussian() {
        return random.nextGaussian();
    }

    private static double clamp(double v) {
        return Math.max(0, Math.min(PLANE_KM, v));
    }
}
