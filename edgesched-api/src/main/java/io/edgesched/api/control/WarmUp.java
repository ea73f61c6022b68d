package io.edgesched.api.control;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.MoveRequest;
import io.edgesched.api.MoveResult;
import io.edgesched.api.NodeId;
import io.edgesched.api.OriginRecord;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.OriginStats;
import io.edgesched.api.Rescheduler;
import io.edgesched.api.WorkloadId;
import io.edgesched.api.demand.DemandConfig;
import io.edgesched.api.policy.PlacementPolicy;
import io.edgesched.api.policy.StabilityConfig;
import io.edgesched.api.policy.StabilityGate;
import io.edgesched.api.policy.WorkloadSpec;
import io.edgesched.api.topology.LatencyMatrix;
import io.edgesched.api.topology.MissingLatency;
import io.edgesched.api.topology.NodeInfo;
import io.edgesched.api.topology.Placement;
import io.edgesched.api.topology.Topology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Runs a controller's whole round (ingest, demand view, incremental planning, policy, gate, moves) on a synthetic
 * cluster of its own, so the JIT has compiled those paths before the first real round. Without it the first
 * rounds after a start run partly interpreted while the compiler competes for the same cores: on 2 cores the
 * first full plan of 10,000 workloads took 2-3 s instead of well under one.
 * <p>
 * Nothing is shared with the real controller but code: the synthetic cluster has its own nodes, clients, demand
 * store, gate and moves (completed in memory). Call it at start-up, while waiting for leadership for example;
 * {@link PlacementController#warmUp(Shape)} uses the controller's own policy settings and demand configuration.
 */
public final class WarmUp {
    private static final Logger log = LoggerFactory.getLogger(WarmUp.class);
    private static final String ZONE_LABEL = "topology.kubernetes.io/zone";
    private static final Duration ROUND = Duration.ofSeconds(10);

    private WarmUp() {
    }

    /**
     * The synthetic cluster: {@code nodes} nodes on a plane, {@code workloads} workloads of 1-3 replicas (every
     * fourth spread over zones), {@code clients} clients that move, leave, arrive and reset their counters between
     * the {@code rounds} rounds.
     */
    public record Shape(int nodes, int workloads, int clients, int rounds) {
        public Shape {
            if (nodes < 4 || workloads < 1 || clients < 1 || rounds < 1) {
                throw new IllegalArgumentException("warm-up shape needs >= 4 nodes and >= 1 workload, client and round, got "
                        + nodes + " nodes, " + workloads + " workloads, " + clients + " clients, " + rounds + " rounds");
            }
            if (nodes > 5_000 || workloads > 100_000 || clients > 1_000_000 || rounds > 1_000) {
                throw new IllegalArgumentException("warm-up shape too large (at most 5,000 nodes, 100,000 workloads,"
                        + " 1,000,000 clients, 1,000 rounds): it only has to run the code, not the real load");
            }
        }

        /**
         * 400 nodes (more than the policy's small-instance limit, so its shortlists run), 3,000 workloads, 60,000
         * clients, 12 rounds: a few seconds on 2 cores, enough calls for every hot path to reach the optimizing
         * compiler.
         */
        public static Shape defaults() {
            return new Shape(400, 3_000, 60_000, 12);
        }

        /** The same cluster, run for {@code rounds} rounds. */
        public Shape withRounds(int rounds) {
            return new Shape(nodes, workloads, clients, rounds);
        }
    }

    /** What ran: rounds, snapshot records ingested, workloads planned, moves started, and the wall time. */
    public record Report(int rounds, long records, long planned, long moves, Duration took) {
    }

    /**
     * Runs {@code shape.rounds()} rounds of a throw-away controller with {@code policy} (give it a fresh instance
     * if the policy caches per-topology state), {@code demand} and incremental planning at {@code replanTolerance}
     * ({@code < 0}: plan every round).
     */
    public static Report run(Shape shape, PlacementPolicy policy, DemandConfig demand, double replanTolerance) {
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(demand, "demand config");
        long started = System.nanoTime();
        SyntheticCluster cluster = new SyntheticCluster(shape, 0x5eed_ed9eL);
        PlacementController.Builder b = PlacementController.builder()
                .clock(() -> cluster.now)
                .demand(DemandInput.PUSH_ONLY, (node, serviceId, port) ->
                        serviceId >= 0 && serviceId < cluster.workloadIds.length
                                ? Optional.of(cluster.workloadIds[serviceId]) : Optional.empty())
                .demandConfig(demand)
                .topology(() -> cluster.topology)
                .workloads(cluster.specs)
                .policy(policy)
                // moves are cheap here: let many through so the move paths run as often as the planning paths
                .gate(new StabilityGate(StabilityConfig.defaults().withMinDwell(ROUND.multipliedBy(3))
                        .withRateLimit(shape.workloads(), Math.max(3, shape.workloads() / 5)), () -> cluster.now))
                .rescheduler(cluster)
                .retryPolicy(new RetryPolicy(ROUND, ROUND.multipliedBy(4), 2, 0.2, ROUND.multipliedBy(3)))
                .settleTimeout(ROUND.multipliedBy(3))
                .seed(1)
                .quiet();
        if (replanTolerance < 0) {
            b.replanEveryRound();
        } else {
            b.incrementalPlanning(Math.min(2, replanTolerance), Duration.ofMinutes(5));
        }
        long records = 0;
        long planned = 0;
        long moves = 0;
        try (PlacementController shadow = b.build()) {
            for (int round = 0; round < shape.rounds(); round++) {
                cluster.advance();
                List<OriginSnapshot> snapshots = cluster.snapshots();
                for (OriginSnapshot s : snapshots) {
                    records += s.records().size();
                }
                shadow.ingestAll(snapshots);
                RoundReport report = shadow.reconcileOnce();
                planned += report.planned();
                moves += report.movesStarted();
                cluster.completeMoves();
            }
        }
        Report report = new Report(shape.rounds(), records, planned, moves, Duration.ofNanos(System.nanoTime() - started));
        log.info("warm-up: {} rounds on a synthetic cluster of {} nodes, {} workloads, {} clients: {} records ingested,"
                        + " {} workloads planned, {} moves, {} ms", report.rounds(), shape.nodes(), shape.workloads(),
                shape.clients(), records, planned, moves, report.took().toMillis());
        return report;
    }

    /**
     * Nodes on a 1,000 km square in 16 zones, latency growing with distance; clients near a point, entering at the
     * nearest node, each using one workload (a few workloads far more than others); moves complete one round
     * later, a few fail or are refused.
     */
    private static final class SyntheticCluster implements Rescheduler {
        private final Random random;
        private final int nodeCount;
        private final NodeId[] nodeIds;
        private final double[] nodeX;
        private final double[] nodeY;
        private final List<NodeInfo> nodeInfos;
        private final LatencyMatrix latency;
        private final WorkloadId[] workloadIds;
        private final Map<WorkloadId, Integer> workloadIndex = new HashMap<>();
        private final List<WorkloadSpec> specs;
        private final TreeSet<NodeId>[] placement;
        private final int[] clientWorkload;
        private final int[] clientEntry;
        private final long[] clientCount;
        private final long[] clientFirstSeen;
        private final ClientAddress[] clientAddress;
        private final List<PendingMove> pending = new ArrayList<>();
        private long nanos = 1_000_000_000L;
        private Instant now = Instant.parse("2026-01-01T00:00:00Z");
        private Topology topology;

        private record PendingMove(MoveRequest request, CompletableFuture<MoveResult> result) {
        }

        @SuppressWarnings("unchecked")
        SyntheticCluster(Shape shape, long seed) {
            random = new Random(seed);
            nodeCount = shape.nodes();
            nodeIds = new NodeId[nodeCount];
            nodeX = new double[nodeCount];
            nodeY = new double[nodeCount];
            nodeInfos = new ArrayList<>(nodeCount);
            for (int i = 0; i < nodeCount; i++) {
                nodeIds[i] = NodeId.of(String.format("warm-up-%05d", i));
                nodeX[i] = random.nextDouble() * 1000;
                nodeY[i] = random.nextDouble() * 1000;
                TreeMap<String, String> labels = new TreeMap<>();
                labels.put(ZONE_LABEL, "zone-" + (int) (nodeX[i] / 250) + "-" + (int) (nodeY[i] / 250));
                nodeInfos.add(new NodeInfo(nodeIds[i], labels, true, false, new TreeSet<>(), NodeInfo.UNLIMITED));
            }
            LatencyMatrix.Builder matrix = LatencyMatrix.builder(List.of(nodeIds));
            for (int i = 0; i < nodeCount; i++) {
                for (int j = i + 1; j < nodeCount; j++) {
                    matrix.measureBoth(nodeIds[i], nodeIds[j], 200 + 10 * Math.hypot(nodeX[i] - nodeX[j],
                            nodeY[i] - nodeY[j]) * (1 + 0.2 * random.nextDouble()));
                }
            }
            latency = matrix.build(MissingLatency.UNKNOWN);
            int workloads = shape.workloads();
            workloadIds = new WorkloadId[workloads];
            specs = new ArrayList<>(workloads);
            placement = new TreeSet[workloads];
            for (int w = 0; w < workloads; w++) {
                workloadIds[w] = WorkloadId.of("warm-up", "workload-" + w);
                workloadIndex.put(workloadIds[w], w);
                WorkloadSpec spec = WorkloadSpec.of(workloadIds[w], 1 + w % 3);
                specs.add(w % 4 == 3 ? spec.withSpread(ZONE_LABEL, 1) : spec);
                placement[w] = new TreeSet<>();
                while (placement[w].size() < 1 + w % 3) {
                    placement[w].add(nodeIds[random.nextInt(nodeCount)]);
                }
            }
            int clients = shape.clients();
            clientWorkload = new int[clients];
            clientEntry = new int[clients];
            clientCount = new long[clients];
            clientFirstSeen = new long[clients];
            clientAddress = new ClientAddress[clients];
            for (int c = 0; c < clients; c++) {
                clientAddress[c] = ClientAddress.of(new byte[] {10, (byte) (c >>> 16), (byte) (c >>> 8), (byte) c});
                arrive(c);
            }
            refreshTopology();
        }

        /** A new client: a workload (skewed: low numbers are busier), an entry node, a fresh counter. */
        private void arrive(int c) {
            double u = random.nextDouble();
            clientWorkload[c] = (int) (u * u * workloadIds.length);
            clientEntry[c] = nearestNode(random.nextDouble() * 1000, random.nextDouble() * 1000);
            clientCount[c] = 0;
            clientFirstSeen[c] = nanos;
        }

        private int nearestNode(double x, double y) {
            int best = 0;
            double bestD = Double.POSITIVE_INFINITY;
            for (int i = 0; i < nodeCount; i++) {
                double d = (nodeX[i] - x) * (nodeX[i] - x) + (nodeY[i] - y) * (nodeY[i] - y);
                if (d < bestD) {
                    bestD = d;
                    best = i;
                }
            }
            return best;
        }

        /** One round's traffic and churn: 5 % of clients move, 2 % leave for new ones, 0.5 % reset their counter. */
        void advance() {
            nanos += ROUND.toNanos();
            now = now.plus(ROUND);
            for (int c = 0; c < clientCount.length; c++) {
                double u = random.nextDouble();
                if (u < 0.05) {
                    clientEntry[c] = nearestNode(random.nextDouble() * 1000, random.nextDouble() * 1000);
                } else if (u < 0.07) {
                    arrive(c);
                } else if (u < 0.075) {
                    clientCount[c] = 0;
                }
                clientCount[c] += 1 + random.nextInt(1 + (clientWorkload[c] % 7) * 10);
            }
        }

        /** Every node's cumulative counters, one record per client entering there. */
        List<OriginSnapshot> snapshots() {
            List<List<OriginRecord>> records = new ArrayList<>(nodeCount);
            for (int i = 0; i < nodeCount; i++) {
                records.add(new ArrayList<>());
            }
            for (int c = 0; c < clientCount.length; c++) {
                int w = clientWorkload[c];
                long n = clientCount[c];
                records.get(clientEntry[c]).add(new OriginRecord(w, 8080, clientAddress[c], n, n * 8, n * 1200,
                        300 + c % 5000, n, clientFirstSeen[c], nanos, c % 100 == 0));
            }
            List<OriginSnapshot> snapshots = new ArrayList<>(nodeCount);
            for (int i = 0; i < nodeCount; i++) {
                long packets = 0;
                for (OriginRecord r : records.get(i)) {
                    packets += r.packets();
                }
                snapshots.add(new OriginSnapshot(nodeIds[i], now, nanos, 1, records.get(i),
                        new OriginStats(packets, 0, 0, 0, 0)));
            }
            return snapshots;
        }

        @Override
        public CompletionStage<MoveResult> move(MoveRequest request) {
            if (random.nextInt(50) == 0) {
                return CompletableFuture.completedFuture(new MoveResult.Refused(request, "warm-up: refused"));
            }
            CompletableFuture<MoveResult> result = new CompletableFuture<>();
            synchronized (pending) {
                pending.add(new PendingMove(request, result));
            }
            return result;
        }

        /** Completes the moves started in the round just run: most succeed, 1 in 30 fails and is rolled back. */
        void completeMoves() {
            List<PendingMove> due;
            synchronized (pending) {
                due = new ArrayList<>(pending);
                pending.clear();
            }
            for (PendingMove m : due) {
                Integer w = workloadIndex.get(m.request().workload());
                if (w != null && random.nextInt(30) != 0) {
                    placement[w] = new TreeSet<>(m.request().targetNodes());
                    m.result().complete(new MoveResult.Done(m.request(), ROUND));
                } else {
                    m.result().complete(new MoveResult.Failed(m.request(), "warm-up: failed", true, null));
                }
            }
            refreshTopology();
        }

        private void refreshTopology() {
            List<Placement> placements = new ArrayList<>(workloadIds.length);
            for (int w = 0; w < workloadIds.length; w++) {
                placements.add(Placement.of(workloadIds[w], placement[w]));
            }
            topology = new Topology(nodeInfos, latency, placements);
        }
    }
}
