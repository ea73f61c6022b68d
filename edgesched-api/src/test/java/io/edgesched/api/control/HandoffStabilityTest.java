package io.edgesched.api.control;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.MoveResult;
import io.edgesched.api.NodeId;
import io.edgesched.api.OriginRecord;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.OriginStats;
import io.edgesched.api.Rescheduler;
import io.edgesched.api.WorkloadId;
import io.edgesched.api.demand.DemandConfig;
import io.edgesched.api.demand.DemandMetric;
import io.edgesched.api.demand.DemandStore;
import io.edgesched.api.demand.Handoff;
import io.edgesched.api.demand.HandoffRule;
import io.edgesched.api.demand.ServiceCatalog;
import io.edgesched.api.policy.LatencyAwarePolicy;
import io.edgesched.api.policy.PolicyConfig;
import io.edgesched.api.policy.StabilityConfig;
import io.edgesched.api.policy.StabilityGate;
import io.edgesched.api.policy.WorkloadSpec;
import io.edgesched.api.topology.LatencyMatrix;
import io.edgesched.api.topology.MissingLatency;
import io.edgesched.api.topology.NodeInfo;
import io.edgesched.api.topology.Placement;
import io.edgesched.api.topology.Topology;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The lab's shape on a simulated clock: a cloud node and two edge nodes 60 ms apart, clients that send one
 * request (one connection) every 2 s through an entry node, every node read each round, the real demand store
 * (with handoff), policy, gate and controller, and a rescheduler that moves at once. Checks that handoff follows a
 * moving client fast and keeps the anti-flapping guarantees.
 */
class HandoffStabilityTest {
    static final NodeId CLOUD = NodeId.of("cloud1");
    static final NodeId EDGE1 = NodeId.of("edge1");
    static final NodeId EDGE2 = NodeId.of("edge2");
    static final List<NodeId> NODES = List.of(CLOUD, EDGE1, EDGE2);
    static final WorkloadId WEB = WorkloadId.of("lab", "service");
    static final int SERVICE = 8080;
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    static final Duration DWELL = Duration.ofSeconds(30);
    static final long BOOT = 1_000_000_000_000L;

    /** One request: when, which client, through which node, and the client's RTT to that node. */
    record Request(double t, String client, NodeId entry, long rttMicros) {
    }

    record Move(double t, NodeId from, NodeId to, String why) {
    }

    record Run(List<Move> moves, long handoffs, List<Handoff> handoffList) {
    }

    static long rtt(NodeId near, NodeId entry) {
        return near.equals(entry) ? 30 : 60_000;
    }

    /** Runs the requests through the controller, a round every {@code roundSeconds} (first at {@code phase}). */
    static Run run(List<Request> requests, double seconds, double roundSeconds, double phase, NodeId start,
                   HandoffRule rule) {
        AtomicReference<Instant> now = new AtomicReference<>(T0);
        AtomicReference<NodeId> placed = new AtomicReference<>(start);
        LatencyMatrix.Builder lb = LatencyMatrix.builder(NODES);
        for (NodeId a : NODES) {
            for (NodeId b : NODES) {
                if (!a.equals(b)) {
                    lb.measure(a, b, 60_000);
                }
            }
        }
        LatencyMatrix latency = lb.build(MissingLatency.UNKNOWN);
        List<NodeInfo> infos = NODES.stream().map(NodeInfo::ready).toList();
        DemandStore store = new DemandStore(ServiceCatalog.byServiceId(Map.of(SERVICE, WEB)),
                DemandConfig.defaults().withMetric(DemandMetric.CONNECTIONS).withHalfLife(Duration.ofSeconds(10))
                        .withHandoff(rule));
        List<Move> moves = new ArrayList<>();
        List<Handoff> handoffs = new ArrayList<>();
        Rescheduler rescheduler = r -> {
            placed.set(r.targetNodes().iterator().next());
            return CompletableFuture.completedFuture(new MoveResult.Done(r, Duration.ZERO));
        };
        double[] clock = {0};
        List<OriginSnapshot> reads = new ArrayList<>();
        PlacementController controller = PlacementController.builder()
                .demand(DemandInput.of(() -> List.copyOf(reads)), store)
                .topology(() -> new Topology(infos, latency, List.of(Placement.of(WEB, placed.get()))))
                .workloads(List.of(WorkloadSpec.of(WEB, 1)))
                .policy(new LatencyAwarePolicy(PolicyConfig.defaults().withParallel(false)))
                .gate(new StabilityGate(StabilityConfig.defaults().withMinDwell(DWELL), now::get))
                .rescheduler(rescheduler)
                .clock(now::get)
                .settleTimeout(Duration.ZERO)
                .listener(d -> {
                    if (d.reason().isMove()) {
                        moves.add(new Move(clock[0], d.current().nodes().iterator().next(),
                                d.target().nodes().iterator().next(), d.why()));
                    }
                })
                .build();
        for (double t = phase; t <= seconds; t += roundSeconds) {
            clock[0] = t;
            now.set(T0.plusNanos((long) (t * 1e9)));
            reads.clear();
            for (NodeId node : NODES) {
                reads.add(snapshot(node, t, requests));
            }
            controller.reconcileOnce();
            for (Handoff h : store.recentHandoffs(now.get())) {
                if (!handoffs.contains(h)) {
                    handoffs.add(h);
                }
            }
        }
        return new Run(moves, store.handoffCount(), handoffs);
    }

    /** The node's cumulative counters at second {@code t}: one connection per request it saw so far. */
    static OriginSnapshot snapshot(NodeId node, double t, List<Request> requests) {
        Map<String, long[]> byClient = new LinkedHashMap<>(); // count, first seen nanos, rtt, last seen nanos
        for (Request r : requests) {
            if (r.entry().equals(node) && r.t() <= t) {
                long[] c = byClient.computeIfAbsent(r.client(), k -> new long[] {0, BOOT + (long) (r.t() * 1e9), 0, 0});
                c[0]++;
                c[2] = r.rttMicros();
                c[3] = BOOT + (long) (r.t() * 1e9); // the kernel stamps every packet: its latest request
            }
        }
        List<OriginRecord> records = new ArrayList<>();
        byClient.forEach((client, c) -> records.add(new OriginRecord(SERVICE, SERVICE, ClientAddress.parse(client),
                c[0], c[0] * 10, c[0] * 1500, c[2], c[0], c[1], c[3], false)));
        long nanos = (long) (t * 1e9);
        return new OriginSnapshot(node, T0.plusNanos(nanos), BOOT + nanos, 1, records, OriginStats.EMPTY);
    }

    /** One client near {@code before} until {@code shift}, then near {@code after}; a request every 2 s from 0.3 s. */
    static List<Request> moving(double shift, double seconds, NodeId before, NodeId after) {
        List<Request> out = new ArrayList<>();
        for (double t = 0.3; t <= seconds; t += 2) {
            NodeId near = t < shift ? before : after;
            out.add(new Request(t, "198.51.100.7", near, rtt(near, near)));
        }
        return out;
    }

    @Test
    void aMovingClientIsFollowedWithinTwoRequests() {
        Run with = run(moving(60, 100, CLOUD, EDGE1), 100, 1, 0.9, CLOUD, HandoffRule.defaults());
        Run without = run(moving(60, 100, CLOUD, EDGE1), 100, 1, 0.9, CLOUD, HandoffRule.off());

        assertThat(with.moves()).hasSize(1);
        Move m = with.moves().getFirst();
        assertThat(m.to()).isEqualTo(EDGE1);
        // The device's requests at the edge come at 60.3 and 62.3 s; the round after the second one moves.
        assertThat(m.t() - 60).isLessThanOrEqualTo(4.0);
        assertThat(m.why()).contains("client 198.51.100.7 handed off cloud1 -> edge1");
        assertThat(with.handoffs()).isEqualTo(1);
        // Without handoff the old entry's demand decays with the 10 s half-life: the move comes much later.
        assertThat(without.moves()).hasSize(1);
        assertThat(without.moves().getFirst().t() - 60).isGreaterThan(m.t() - 60 + 4);
        assertThat(without.handoffs()).isZero();
    }

    @Property(tries = 30)
    void aClientAlternatingEntryNodesEveryRequestMovesBoundedly(@ForAll @DoubleRange(min = 0.5, max = 2.5) double round,
                                                               @ForAll @DoubleRange(min = 0, max = 1) double phase,
                                                               @ForAll boolean startAtEdge) {
        double seconds = 300;
        List<Request> requests = new ArrayList<>();
        int i = 0;
        for (double t = 0.3; t <= seconds; t += 2, i++) {
            NodeId entry = (i % 2 == 0) == startAtEdge ? EDGE1 : CLOUD;
            requests.add(new Request(t, "198.51.100.7", entry, entry.equals(EDGE1) ? 30 : 60_000));
        }
        Run r = run(requests, seconds, round, phase, CLOUD, HandoffRule.defaults());
        // Arriving through both every other request is a split; only the much shorter path's one-read shortcut may
        // hand off, at most once per window (then the full evidence, which alternation never completes, is needed).
        assertThat(r.handoffs()).isLessThanOrEqualTo(1 + (int) (seconds / HandoffRule.defaults().window().toSeconds()));
        Run slowPathOnly = run(requests, seconds, round, phase, CLOUD, HandoffRule.defaults().withCloserRatio(0));
        assertThat(slowPathOnly.handoffs()).isZero();
        assertThat(slowPathOnly.moves().size()).isLessThanOrEqualTo(1 + (int) (seconds / DWELL.toSeconds()));
        assertThat(r.moves().size()).isLessThanOrEqualTo(1 + (int) (seconds / DWELL.toSeconds()));
        assertDwell(r.moves());
    }

    @Property(tries = 30)
    void aClientPickingItsEntryAtRandomMovesBoundedly(@ForAll long seed,
                                                      @ForAll @DoubleRange(min = 0.5, max = 2.5) double round) {
        double seconds = 300;
        Random random = new Random(seed);
        List<Request> requests = new ArrayList<>();
        for (double t = 0.3; t <= seconds; t += 2) {
            NodeId entry = NODES.get(random.nextInt(NODES.size()));
            requests.add(new Request(t, "198.51.100.7", entry, entry.equals(CLOUD) ? 60_000 : 30));
        }
        Run r = run(requests, seconds, round, 0.1, CLOUD, HandoffRule.defaults());
        assertThat(r.moves().size()).isLessThanOrEqualTo(1 + (int) (seconds / DWELL.toSeconds()));
        assertDwell(r.moves());
    }

    /**
     * The sample jqwik found (seed 7027693555940493247): requests every 2 s against rounds every 2.02 s, so every
     * 100 rounds one read saw two requests of a client; each such beat swung the estimate by a read's alpha and the
     * workload went edge1 -> edge2 -> edge1 -> edge2 (-10.2 %, -11.5 %, -10.1 %). The store now spans a read's counts
     * from the client's previous last packet (DemandStore.betweenLastPackets).
     */
    @Test
    void theBeatBetweenRequestsAndReadsDoesNotSwingTheWorkload() {
        twoClientsAtTwoEdgesDoNotPingPongTheWorkload(1, 1, 0.29, 2.02);
    }

    @Property(tries = 30)
    void twoClientsAtTwoEdgesDoNotPingPongTheWorkload(@ForAll @IntRange(min = 1, max = 3) int ratioA,
                                                      @ForAll @IntRange(min = 1, max = 3) int ratioB,
                                                      @ForAll @DoubleRange(min = 0, max = 2) double phaseB,
                                                      @ForAll @DoubleRange(min = 0.5, max = 2.5) double round) {
        double seconds = 300;
        List<Request> requests = new ArrayList<>();
        for (double t = 0.3; t <= seconds; t += 2.0 / ratioA) {
            requests.add(new Request(t, "198.51.100.7", EDGE1, 30));
        }
        for (double t = 0.3 + phaseB; t <= seconds; t += 2.0 / ratioB) {
            requests.add(new Request(t, "203.0.113.9", EDGE2, 30));
        }
        Run r = run(requests, seconds, round, 0.1, CLOUD, HandoffRule.defaults());
        assertThat(r.handoffs()).isZero();
        // Off the cloud node to an edge, perhaps once more to the busier edge while the rates build up; never back
        // to a node it left.
        assertThat(r.moves().size()).isLessThanOrEqualTo(2);
        List<NodeId> left = new ArrayList<>();
        for (Move m : r.moves()) {
            assertThat(left).doesNotContain(m.to());
            left.add(m.from());
        }
    }

    @Property(tries = 40)
    void aOneRequestDetourMovesNothing(@ForAll @IntRange(min = 5, max = 120) int detourAt,
                                       @ForAll boolean viaEdge2,
                                       @ForAll @DoubleRange(min = 0.3, max = 2.5) double round,
                                       @ForAll @DoubleRange(min = 0, max = 1) double phase) {
        double seconds = 300;
        NodeId detour = viaEdge2 ? EDGE2 : EDGE1;
        List<Request> requests = new ArrayList<>();
        int i = 0;
        for (double t = 0.3; t <= seconds; t += 2, i++) {
            NodeId entry = i == detourAt ? detour : CLOUD;
            requests.add(new Request(t, "198.51.100.7", entry, entry.equals(CLOUD) ? 30 : 60_000));
        }
        Run r = run(requests, seconds, round, phase, CLOUD, HandoffRule.defaults());
        // The detour's own bit of demand may be handed back home when the client returns; nothing goes to the detour.
        assertThat(r.handoffList()).allSatisfy(h -> assertThat(h.to()).isEqualTo(CLOUD));
        assertThat(r.moves()).isEmpty();
    }

    static void assertDwell(List<Move> moves) {
        for (int i = 1; i < moves.size(); i++) {
            assertThat(moves.get(i).t() - moves.get(i - 1).t()).isGreaterThanOrEqualTo(DWELL.toSeconds() - 1e-6);
        }
    }
}
