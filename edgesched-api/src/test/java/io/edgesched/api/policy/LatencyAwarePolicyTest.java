package io.edgesched.api.policy;

import io.edgesched.api.NodeId;
import io.edgesched.api.WorkloadId;
import io.edgesched.api.demand.DemandView;
import io.edgesched.api.demand.EntryDemand;
import io.edgesched.api.demand.WorkloadDemand;
import io.edgesched.api.topology.LabelSelector;
import io.edgesched.api.topology.LatencyMatrix;
import io.edgesched.api.topology.MissingLatency;
import io.edgesched.api.topology.NodeInfo;
import io.edgesched.api.topology.Placement;
import io.edgesched.api.topology.Topology;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class LatencyAwarePolicyTest {
    static final Instant NOW = RandomInstance.NOW;
    static final NodeId A = NodeId.of("a");
    static final NodeId B = NodeId.of("b");
    static final NodeId C = NodeId.of("c");
    static final WorkloadId WEB = WorkloadId.of("default", "web");

    private static Topology line(Placement... placements) {
        // a - b - c on a line: a-b 1000 us, b-c 1000 us, a-c 2000 us
        LatencyMatrix m = LatencyMatrix.builder(List.of(A, B, C))
                .measureBoth(A, B, 1000).measureBoth(B, C, 1000).measureBoth(A, C, 2000)
                .build(MissingLatency.UNKNOWN);
        return new Topology(List.of(NodeInfo.ready(A), NodeInfo.ready(B), NodeInfo.ready(C)), m, List.of(placements));
    }

    private static WorkloadDecision decide(PlacementPolicy policy, Topology topology, WorkloadSpec spec,
                                           WorkloadDemand demand, MoveGate gate) {
        PlacementPlan plan = policy.plan(PlacementInput.of(NOW, topology, DemandView.of(NOW, List.of(demand)),
                List.of(spec), gate));
        assertThat(plan.decisions()).hasSize(1);
        return plan.decisions().get(0);
    }

    @Test
    void movesToTheNodeThatMinimisesExpectedLatency() {
        WorkloadDemand demand = WorkloadDemand.of(WEB, EntryDemand.of(A, 10, 5000), EntryDemand.of(C, 30, 3000));
        WorkloadDecision d = decide(new LatencyAwarePolicy(), line(Placement.of(WEB, A)), WorkloadSpec.of(WEB, 1),
                demand, MoveGate.ANY_IMPROVEMENT);
        assertThat(d.reason()).isEqualTo(DecisionReason.MOVE);
        assertThat(d.target().nodes()).containsExactly(C);
        // at a: 10*(5000) + 30*(3000+2000) = 200000 / 40 = 5000; at c: 10*(5000+2000) + 30*3000 = 160000 / 40 = 4000
        assertThat(d.currentCostMicros()).isCloseTo(5000, within(1e-6));
        assertThat(d.targetCostMicros()).isCloseTo(4000, within(1e-6));
        assertThat(d.predictedGainMicros()).isCloseTo(1000, within(1e-6));
        assertThat(d.explanation().bestCandidates()).extracting(CandidateCost::node).containsExactly(C, B, A);
        assertThat(d.explanation().exact()).isTrue();
        assertThat(d.toMoveRequest(NOW).targetNodes()).containsExactly(C);
    }

    @Test
    void twoReplicasServeEachEntryFromTheCheapestOne() {
        WorkloadDemand demand = WorkloadDemand.of(WEB, EntryDemand.of(A, 10, 0), EntryDemand.of(B, 1, 0),
                EntryDemand.of(C, 10, 0));
        WorkloadDecision d = decide(new LatencyAwarePolicy(), line(Placement.of(WEB, B, C)), WorkloadSpec.of(WEB, 2),
                demand, MoveGate.ANY_IMPROVEMENT);
        assertThat(d.target().nodes()).containsExactly(A, C);
        assertThat(d.targetCostMicros()).isCloseTo(1000.0 / 21, within(1e-6));
    }

    @Test
    void holdsWithoutDemandAndWhenNotRunning() {
        WorkloadDecision none = decide(new LatencyAwarePolicy(), line(Placement.of(WEB, A)), WorkloadSpec.of(WEB, 1),
                WorkloadDemand.none(WEB), MoveGate.ANY_IMPROVEMENT);
        assertThat(none.reason()).isEqualTo(DecisionReason.HOLD_NO_DEMAND);
        assertThat(none.target()).isEqualTo(none.current());
        WorkloadDecision notRunning = decide(new LatencyAwarePolicy(), line(), WorkloadSpec.of(WEB, 1),
                WorkloadDemand.of(WEB, EntryDemand.of(C, 5, 100)), MoveGate.ANY_IMPROVEMENT);
        assertThat(notRunning.reason()).isEqualTo(DecisionReason.HOLD_NOT_RUNNING);
    }

    @Test
    void missingRttAndLatenciesNeverCauseASpuriousMove() {
        // nothing measured between nodes, no RTT: demand only where the workload already runs
        Topology topology = new Topology(List.of(NodeInfo.ready(A), NodeInfo.ready(B), NodeInfo.ready(C)),
                LatencyMatrix.unknown(List.of(A, B, C)), List.of(Placement.of(WEB, B)));
        WorkloadDecision d = decide(new LatencyAwarePolicy(), topology, WorkloadSpec.of(WEB, 1),
                WorkloadDemand.of(WEB, EntryDemand.withoutRtt(B, 50)), MoveGate.ANY_IMPROVEMENT);
        assertThat(d.reason()).isEqualTo(DecisionReason.HOLD_AT_OPTIMUM);
        assertThat(d.currentCostMicros()).isZero();
        // demand from a node the topology does not know is equally far from every candidate: no move either
        WorkloadDecision unknownEntry = decide(new LatencyAwarePolicy(), topology, WorkloadSpec.of(WEB, 1),
                WorkloadDemand.of(WEB, EntryDemand.withoutRtt(NodeId.of("gone"), 50)), MoveGate.ANY_IMPROVEMENT);
        assertThat(unknownEntry.reason()).isEqualTo(DecisionReason.HOLD_AT_OPTIMUM);
    }

    @Test
    void unhealthyOrUnselectedNodesAreNeverTargets() {
        LatencyMatrix m = LatencyMatrix.uniform(List.of(A, B, C), 1000);
        Topology topology = new Topology(List.of(NodeInfo.ready(A).withLabels(Map.of("role", "edge")),
                NodeInfo.ready(B).withCordoned(true).withLabels(Map.of("role", "edge")),
                NodeInfo.ready(C).withLabels(Map.of("role", "core"))), m, List.of(Placement.of(WEB, A)));
        WorkloadDemand demand = WorkloadDemand.of(WEB, EntryDemand.of(B, 100, 0), EntryDemand.of(C, 50, 0));
        WorkloadDecision d = decide(new LatencyAwarePolicy(), topology,
                WorkloadSpec.of(WEB, 1).withNodeSelector(LabelSelector.of("role", "edge")), demand,
                MoveGate.ANY_IMPROVEMENT);
        assertThat(d.reason()).isEqualTo(DecisionReason.HOLD_AT_OPTIMUM);
        assertThat(d.explanation().feasibleNodes()).isEqualTo(1);
        WorkloadDecision none = decide(new LatencyAwarePolicy(), topology,
                WorkloadSpec.of(WEB, 1).withNodeSelector(LabelSelector.of("role", "gpu")), demand,
                MoveGate.ANY_IMPROVEMENT);
        assertThat(none.reason()).isEqualTo(DecisionReason.HOLD_NO_FEASIBLE_NODE);
    }

    @Test
    void zoneSpreadAndMultipleReplicasPerNode() {
        LatencyMatrix m = LatencyMatrix.uniform(List.of(A, B, C), 1000);
        Topology topology = new Topology(List.of(NodeInfo.ready(A).withLabels(Map.of("zone", "z1")),
                NodeInfo.ready(B).withLabels(Map.of("zone", "z1")), NodeInfo.ready(C).withLabels(Map.of("zone", "z2"))),
                m, List.of(Placement.of(WEB, C)));
        WorkloadDemand demand = WorkloadDemand.of(WEB, EntryDemand.of(A, 100, 0), EntryDemand.of(B, 90, 0),
                EntryDemand.of(C, 1, 0));
        WorkloadDecision spread = decide(new LatencyAwarePolicy(), topology, WorkloadSpec.of(WEB, 2).withSpread("zone", 1),
                demand, MoveGate.ANY_IMPROVEMENT);
        assertThat(spread.target().nodes()).containsExactly(A, C);
        // 4 replicas, at most 2 per node, no spreading: the two busiest nodes, two replicas each
        WorkloadDecision packed = decide(new LatencyAwarePolicy(), topology,
                WorkloadSpec.of(WEB, 4).withMaxReplicasPerNode(2), demand, MoveGate.ANY_IMPROVEMENT);
        assertThat(packed.target().replicas()).isEqualTo(4);
        assertThat(packed.target().replicasPerNode()).containsEntry(A, 2);
    }

    @Test
    void capacityGoesToTheWorkloadWithTheLargerGain() {
        WorkloadId small = WorkloadId.of("default", "small");
        LatencyMatrix m = LatencyMatrix.uniform(List.of(A, B, C), 1000);
        Topology topology = new Topology(List.of(NodeInfo.ready(A), NodeInfo.ready(B).withCapacity(1), NodeInfo.ready(C)),
                m, List.of(Placement.of(WEB, A), Placement.of(small, C)));
        DemandView demand = DemandView.of(NOW, List.of(
                WorkloadDemand.of(WEB, EntryDemand.of(B, 100, 0)),
                WorkloadDemand.of(small, EntryDemand.of(B, 10, 0))));
        PlacementPlan plan = new LatencyAwarePolicy().plan(PlacementInput.of(NOW, topology, demand,
                List.of(WorkloadSpec.of(WEB, 1), WorkloadSpec.of(small, 1)), MoveGate.ANY_IMPROVEMENT));
        Map<WorkloadId, WorkloadDecision> byId = new HashMap<>();
        plan.decisions().forEach(d -> byId.put(d.workload(), d));
        assertThat(byId.get(WEB).reason()).isEqualTo(DecisionReason.MOVE);
        assertThat(byId.get(WEB).target().nodes()).containsExactly(B);
        assertThat(byId.get(small).reason()).isEqualTo(DecisionReason.HOLD_AT_OPTIMUM);
        assertThat(byId.get(small).explanation().capacityLimited()).isTrue();
    }

    // ---- properties ----

    /** On small instances the policy's choice costs exactly what a brute-force search finds. */
    @Property(tries = 150)
    void smallInstancesAreSolvedOptimally(@ForAll long seed, @ForAll @IntRange(min = 1, max = 7) int n) {
        RandomInstance inst = new RandomInstance(new Random(seed), n, 3, 3, true, 0.3);
        PlacementPlan plan = new LatencyAwarePolicy(RandomInstance.config())
                .plan(inst.input(MoveGate.ANY_IMPROVEMENT));
        for (WorkloadDecision d : plan.decisions()) {
            WorkloadSpec spec = inst.specs.stream().filter(s -> s.workload().equals(d.workload())).findFirst().orElseThrow();
            WorkloadDemand demand = inst.demands.stream().filter(x -> x.workload().equals(d.workload())).findFirst().orElseThrow();
            double optimum = inst.bruteForceOptimum(spec, demand);
            if (demand.entries().isEmpty()) {
                assertThat(d.reason()).isEqualTo(DecisionReason.HOLD_NO_DEMAND);
            } else if (Double.isNaN(optimum)) {
                assertThat(d.reason()).isEqualTo(DecisionReason.HOLD_NO_FEASIBLE_NODE);
            } else if (d.reason() == DecisionReason.MOVE) {
                List<Integer> target = inst.indices(d.target());
                assertThat(target).allMatch(c -> inst.allowed(spec, c));
                assertThat(inst.spreadOk(spec, target)).isTrue();
                assertThat(inst.meanCost(demand, target)).isCloseTo(optimum, within(1e-6 * Math.max(1, optimum)));
                assertThat(d.targetCostMicros()).isCloseTo(optimum, within(1e-6 * Math.max(1, optimum)));
                assertThat(d.currentCostMicros()).isCloseTo(inst.meanCost(demand, inst.indices(d.current())),
                        within(1e-6 * optimum));
            } else {
                assertThat(d.reason()).isEqualTo(DecisionReason.HOLD_AT_OPTIMUM);
                assertThat(inst.meanCost(demand, inst.indices(d.current()))).isLessThanOrEqualTo(optimum * (1 + 1e-9) + 1e-9);
            }
        }
    }

    /** Same input, same plan: also between the parallel and the sequential solver. */
    @Property(tries = 40)
    void sameInputsGiveTheSameDecisions(@ForAll long seed) {
        RandomInstance inst = new RandomInstance(new Random(seed), 12, 20, 3, true, 0.2);
        PlacementInput input = inst.input(MoveGate.ANY_IMPROVEMENT);
        PlacementPlan first = new LatencyAwarePolicy(RandomInstance.config()).plan(input);
        PlacementPlan again = new LatencyAwarePolicy(RandomInstance.config()).plan(input);
        PlacementPlan sequential = new LatencyAwarePolicy(RandomInstance.config().withParallel(false)).plan(input);
        assertThat(again).isEqualTo(first);
        assertThat(sequential).isEqualTo(first);
    }

    /** Capacity is never exceeded by the plan when the current placement respects it. */
    @Property(tries = 60)
    void capacityIsRespected(@ForAll long seed, @ForAll @IntRange(min = 1, max = 3) int capacity) {
        Random rnd = new Random(seed);
        int n = 3 + rnd.nextInt(6);
        RandomInstance inst = new RandomInstance(rnd, n, 0, 1, false, 0.2);
        List<NodeInfo> nodes = inst.nodes.stream().map(x -> x.withCapacity(capacity)).toList();
        // fill nodes round-robin up to capacity with single-replica workloads
        List<Placement> placements = new ArrayList<>();
        List<WorkloadSpec> specs = new ArrayList<>();
        List<WorkloadDemand> demands = new ArrayList<>();
        int workloads = rnd.nextInt(n * capacity) + 1;
        for (int w = 0; w < workloads; w++) {
            WorkloadId id = WorkloadId.of("ns", "w" + w);
            placements.add(Placement.of(id, nodes.get(w % n).id()));
            specs.add(WorkloadSpec.of(id, 1));
            demands.add(WorkloadDemand.of(id, EntryDemand.of(nodes.get(rnd.nextInt(n)).id(), 1 + rnd.nextInt(100), 0)));
        }
        Topology topology = new Topology(nodes, inst.topology.latency(), placements);
        PlacementPlan plan = new LatencyAwarePolicy(RandomInstance.config()).plan(PlacementInput.of(NOW, topology,
                DemandView.of(NOW, demands), specs, MoveGate.ANY_IMPROVEMENT));
        Map<NodeId, Integer> used = new HashMap<>();
        for (WorkloadDecision d : plan.decisions()) {
            Placement after = d.isMove() ? d.target() : d.current();
            after.replicasPerNode().forEach((node, count) -> used.merge(node, count, Integer::sum));
        }
        assertThat(used.values()).allMatch(u -> u <= capacity);
    }

    /** With uniform forwarding cost the main policy makes the follow-the-traffic choice. */
    @Property(tries = 100)
    void uniformForwardingEqualsFollowTraffic(@ForAll long seed, @ForAll @IntRange(min = 1, max = 9) int n) {
        RandomInstance inst = new RandomInstance(new Random(seed), n, 4, 3, false, 0.5);
        PlacementInput input = inst.input(MoveGate.ANY_IMPROVEMENT);
        PolicyConfig config = RandomInstance.config().withUniformForwarding(1500);
        PlacementPlan main = new LatencyAwarePolicy(config).plan(input);
        PlacementPlan follow = new FollowTrafficPolicy(config).plan(input);
        for (int i = 0; i < main.decisions().size(); i++) {
            WorkloadDecision m = main.decisions().get(i);
            WorkloadDecision f = follow.decisions().get(i);
            assertThat(m.reason()).as("%s vs %s", m, f).isEqualTo(f.reason());
            assertThat(m.target()).as("%s vs %s", m, f).isEqualTo(f.target());
            if (m.isMove()) {
                assertThat(m.targetCostMicros()).isCloseTo(f.targetCostMicros(), within(1e-6 * f.targetCostMicros()));
            }
        }
    }
}
