package io.edgesched.api.policy;

import io.edgesched.api.NodeId;
import io.edgesched.api.WorkloadId;
import io.edgesched.api.demand.DemandView;
import io.edgesched.api.demand.EntryDemand;
import io.edgesched.api.demand.WorkloadDemand;
import io.edgesched.api.topology.LatencyMatrix;
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
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BiFunction;

import static org.assertj.core.api.Assertions.assertThat;

class StabilityGateTest {
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    static final List<NodeId> NODES = List.of(NodeId.of("a"), NodeId.of("b"), NodeId.of("c"));

    static final class MutableClock implements InstantSource {
        Instant now = T0;

        @Override
        public Instant instant() {
            return now;
        }
    }

    record Move(WorkloadId workload, Instant at) {
    }

    /** Runs the controller loop in miniature: plan, record, apply, advance the clock. */
    static List<Move> simulate(StabilityConfig stability, int workloads, int rounds, Duration step,
                               BiFunction<Integer, WorkloadId, WorkloadDemand> demand) {
        MutableClock clock = new MutableClock();
        StabilityGate gate = new StabilityGate(stability, clock);
        LatencyAwarePolicy policy = new LatencyAwarePolicy(PolicyConfig.defaults().withParallel(false));
        List<WorkloadSpec> specs = new ArrayList<>();
        List<Placement> placements = new ArrayList<>();
        for (int w = 0; w < workloads; w++) {
            WorkloadId id = WorkloadId.of("ns", "w" + w);
            specs.add(WorkloadSpec.of(id, 1));
            placements.add(Placement.of(id, NODES.get(0)));
        }
        Topology topology = new Topology(NODES.stream().map(NodeInfo::ready).toList(),
                LatencyMatrix.uniform(NODES, 2000), placements);
        List<Move> moves = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            int round = r;
            List<WorkloadDemand> demands = specs.stream().map(s -> demand.apply(round, s.workload())).toList();
            PlacementPlan plan = policy.plan(PlacementInput.of(clock.instant(), topology,
                    DemandView.of(clock.instant(), demands), specs, gate));
            gate.record(plan);
            for (WorkloadDecision d : plan.moves()) {
                moves.add(new Move(d.workload(), plan.at()));
                topology = topology.withPlacement(d.target());
            }
            clock.now = clock.now.plus(step);
        }
        return moves;
    }

    static void assertDwell(List<Move> moves, Duration dwell) {
        Map<WorkloadId, Instant> last = new HashMap<>();
        for (Move m : moves) {
            Instant previous = last.put(m.workload(), m.at());
            if (previous != null) {
                assertThat(Duration.between(previous, m.at())).as("dwell of %s", m.workload()).isGreaterThanOrEqualTo(dwell);
            }
        }
    }

    static void assertRateLimit(List<Move> moves, StabilityConfig config) {
        for (int i = 0; i < moves.size(); i++) {
            for (int j = i; j < moves.size(); j++) {
                double seconds = Duration.between(moves.get(i).at(), moves.get(j).at()).toNanos() / 1e9;
                double allowed = config.burst() + config.movesPerMinute() * seconds / 60.0;
                assertThat((double) (j - i + 1)).as("moves %d..%d within %.1f s", i, j, seconds)
                        .isLessThanOrEqualTo(allowed + 1e-9);
            }
        }
    }

    /** Demand that jumps between node a and node b every round: the worst case for flapping. */
    static WorkloadDemand oscillating(int round, WorkloadId w) {
        NodeId hot = NODES.get(round % 2 == 0 ? 1 : 0);
        return WorkloadDemand.of(w, EntryDemand.of(hot, 100, 1000), EntryDemand.of(NODES.get(2), 1, 1000));
    }

    @Test
    void oscillatingDemandMovesAtMostOncePerDwell() {
        StabilityConfig config = StabilityConfig.defaults().withMinDwell(Duration.ofMinutes(5)).withRateLimit(60, 10);
        int rounds = 360; // one hour at 10 s
        List<Move> moves = simulate(config, 4, rounds, Duration.ofSeconds(10), StabilityGateTest::oscillating);
        assertDwell(moves, config.minDwell());
        Map<WorkloadId, Integer> perWorkload = new HashMap<>();
        moves.forEach(m -> perWorkload.merge(m.workload(), 1, Integer::sum));
        assertThat(perWorkload.values()).allMatch(count -> count <= 60 / 5 + 1);
        assertThat(moves).isNotEmpty();
    }

    @Test
    void rateLimitCapsABurstOfWantedMoves() {
        StabilityConfig config = StabilityConfig.defaults().withMinDwell(Duration.ZERO).withRateLimit(2, 3);
        // every workload wants to go to b at once
        List<Move> moves = simulate(config, 10, 1, Duration.ofSeconds(10),
                (r, w) -> WorkloadDemand.of(w, EntryDemand.of(NODES.get(1), 50, 0)));
        assertThat(moves).hasSize(3);
        List<Move> later = simulate(config, 10, 31, Duration.ofSeconds(10),
                (r, w) -> WorkloadDemand.of(w, EntryDemand.of(NODES.get(1), 50, 0)));
        assertThat(later).hasSize(10); // 3 at once, then 2 per minute: 7 more within 300 s
        assertRateLimit(later, config);
    }

    @Test
    void nearlyEqualCostsNeverTradeTheWorkload() {
        StabilityConfig config = StabilityConfig.defaults().withMinDwell(Duration.ZERO).withRateLimit(600, 100)
                .withThresholds(0.10, 0);
        // a and b alternate as the busier node, but only by 5 %: below the 10 % threshold
        List<Move> moves = simulate(config, 3, 100, Duration.ofSeconds(10), (r, w) -> WorkloadDemand.of(w,
                EntryDemand.of(NODES.get(0), r % 2 == 0 ? 100 : 95, 20_000),
                EntryDemand.of(NODES.get(1), r % 2 == 0 ? 95 : 100, 20_000)));
        assertThat(moves).isEmpty();
    }

    @Test
    void gateReasonsAndTokenRefill() {
        MutableClock clock = new MutableClock();
        StabilityGate gate = new StabilityGate(new StabilityConfig(0.1, 100, Duration.ofMinutes(1), 6, 1), clock);
        WorkloadId w = WorkloadId.of("ns", "w");
        WorkloadId other = WorkloadId.of("ns", "other");
        MoveGate.Round round = gate.open();
        assertThat(round.admit(w, 1000, 950)).isEqualTo(DecisionReason.HOLD_BELOW_THRESHOLD); // 5 %
        assertThat(round.admit(w, 10_000, 9_950)).isEqualTo(DecisionReason.HOLD_BELOW_THRESHOLD); // 50 us
        assertThat(round.admit(w, 1000, 500)).isEqualTo(DecisionReason.MOVE);
        assertThat(round.admit(other, 1000, 500)).isEqualTo(DecisionReason.HOLD_RATE_LIMIT); // burst 1 spent
        gate.recordMove(w);
        assertThat(gate.open().admit(w, 1000, 500)).isEqualTo(DecisionReason.HOLD_DWELL);
        clock.now = clock.now.plusSeconds(5);
        assertThat(gate.open().admit(other, 1000, 500)).isEqualTo(DecisionReason.HOLD_RATE_LIMIT); // 0.5 token
        clock.now = clock.now.plusSeconds(5);
        assertThat(gate.availableTokens(clock.now)).isEqualTo(1.0);
        assertThat(gate.open().admit(other, 1000, 500)).isEqualTo(DecisionReason.MOVE);
        clock.now = clock.now.plusSeconds(60);
        assertThat(gate.open().admit(w, 1000, 500)).isEqualTo(DecisionReason.MOVE);
        assertThat(gate.lastMove(w)).contains(T0);
    }

    /** Random demand, random knobs: dwell and rate limit always hold, and moves stay bounded. */
    @Property(tries = 40)
    void dwellAndRateLimitAlwaysHold(@ForAll long seed,
                                     @ForAll @IntRange(min = 0, max = 600) int dwellSeconds,
                                     @ForAll @DoubleRange(min = 0.5, max = 30) double movesPerMinute,
                                     @ForAll @IntRange(min = 0, max = 5) int burst,
                                     @ForAll @IntRange(min = 1, max = 60) int stepSeconds) {
        StabilityConfig config = new StabilityConfig(0.05, 100, Duration.ofSeconds(dwellSeconds), movesPerMinute, burst);
        Random rnd = new Random(seed);
        int rounds = 120;
        Map<Integer, List<WorkloadDemand>> cache = new HashMap<>();
        List<Move> moves = simulate(config, 5, rounds, Duration.ofSeconds(stepSeconds), (r, w) -> {
            List<WorkloadDemand> list = cache.computeIfAbsent(r, k -> new ArrayList<>());
            List<EntryDemand> entries = new ArrayList<>();
            for (NodeId node : NODES) {
                if (rnd.nextBoolean()) {
                    entries.add(EntryDemand.of(node, rnd.nextInt(100), rnd.nextInt(3) == 0 ? Double.NaN : rnd.nextInt(5000)));
                }
            }
            WorkloadDemand d = new WorkloadDemand(w, entries);
            list.add(d);
            return d;
        });
        assertDwell(moves, config.minDwell());
        assertRateLimit(moves, config);
        double horizonSeconds = (double) rounds * stepSeconds;
        assertThat((double) moves.size()).isLessThanOrEqualTo(burst + movesPerMinute * horizonSeconds / 60 + 1e-9);
    }
}
