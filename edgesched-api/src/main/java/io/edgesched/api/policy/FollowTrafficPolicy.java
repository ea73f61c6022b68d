package io.edgesched.api.policy;

import io.edgesched.api.NodeId;
import io.edgesched.api.demand.EntryDemand;
import io.edgesched.api.demand.WorkloadDemand;
import io.edgesched.api.topology.NodeInfo;
import io.edgesched.api.topology.Placement;
import io.edgesched.api.topology.Topology;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The prior work's rule: run the k replicas on the k nodes that receive the most traffic, ignoring
 * latencies, client RTT, capacity and zone spreading. Written independently of {@link LatencyAwarePolicy} as a
 * baseline: with {@link ForwardingCost#UNIFORM} (every forwarding hop costs the same) the latency-aware policy
 * makes the same choice, because keeping the most demand local is then exactly the cheapest placement.
 * Costs reported are in that uniform-hop model (client RTT + hop for non-local demand).
 */
public final class FollowTrafficPolicy implements PlacementPolicy {
    private static final double EPSILON = 1e-9;
    private final PolicyConfig config;

    public FollowTrafficPolicy(PolicyConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    public FollowTrafficPolicy() {
        this(PolicyConfig.defaults());
    }

    @Override
    public PlacementPlan plan(PlacementInput input) {
        Topology topology = input.topology();
        MoveGate.Round gate = input.gate().open(input.now());
        List<Planned> planned = new ArrayList<>();
        for (WorkloadSpec spec : input.specs().values()) {
            planned.add(plan(spec, topology, input.demand().demand(spec.workload())));
        }
        // the gate sees the most valuable moves first, like the main policy
        planned.sort(Comparator.comparingDouble((Planned p) -> -p.weightedGain).thenComparing(p -> p.spec.workload()));
        List<WorkloadDecision> decisions = new ArrayList<>();
        for (Planned p : planned) {
            decisions.add(p.decide(gate));
        }
        return new PlacementPlan(input.now(), decisions);
    }

    private Planned plan(WorkloadSpec spec, Topology topology, WorkloadDemand demand) {
        Planned p = new Planned(spec, topology.placement(spec.workload()), demand);
        if (!(p.rate >= config.minDemandRate()) || p.rate <= 0) {
            p.preset = DecisionReason.HOLD_NO_DEMAND;
            return p;
        }
        if (p.current.isEmpty()) {
            p.preset = DecisionReason.HOLD_NOT_RUNNING;
            return p;
        }
        List<NodeId> feasible = new ArrayList<>();
        for (NodeInfo node : topology.nodes().values()) {
            if (node.acceptsNewReplicas(spec.tolerations()) && spec.nodeSelector().matches(node.labels())) {
                feasible.add(node.id());
            }
        }
        if (feasible.size() < spec.replicas()) {
            p.preset = DecisionReason.HOLD_NO_FEASIBLE_NODE;
            return p;
        }
        feasible.sort(Comparator.comparingDouble((NodeId n) -> -demand.rateAt(n)).thenComparing(n -> n));
        p.target = Placement.of(spec.workload(), feasible.subList(0, spec.replicas()));
        p.currentCost = cost(p, p.current);
        p.targetCost = cost(p, p.target);
        p.weightedGain = (p.currentCost - p.targetCost) * p.rate;
        return p;
    }

    /** Mean latency in the uniform-hop model: client RTT, plus one hop for demand entering off the placement. */
    private double cost(Planned p, Placement placement) {
        double rttKnownRate = 0;
        double rttSum = 0;
        for (EntryDemand e : p.demand.entries()) {
            if (e.rttKnown()) {
                rttKnownRate += e.ratePerSecond();
                rttSum += e.ratePerSecond() * e.meanRttMicros();
            }
        }
        double meanRtt = rttKnownRate > 0 ? rttSum / rttKnownRate : 0;
        double total = 0;
        for (EntryDemand e : p.demand.entries()) {
            double rtt = e.rttKnown() ? e.meanRttMicros() : meanRtt;
            double hop = placement.replicasOn(e.entryNode()) > 0 ? 0 : config.uniformHopMicros();
            total += e.ratePerSecond() * (rtt + hop);
        }
        return total / p.rate;
    }

    private static final class Planned {
        final WorkloadSpec spec;
        final Placement current;
        final WorkloadDemand demand;
        final double rate;
        DecisionReason preset;
        Placement target;
        double currentCost = Double.NaN;
        double targetCost = Double.NaN;
        double weightedGain;

        Planned(WorkloadSpec spec, Placement current, WorkloadDemand demand) {
            this.spec = spec;
            this.current = current;
            this.demand = demand;
            this.rate = demand.totalRate();
        }

        WorkloadDecision decide(MoveGate.Round gate) {
            if (preset != null) {
                return decision(preset, current, "follow-traffic: " + preset);
            }
            if (target.sameNodesAs(current) || targetCost >= currentCost - EPSILON * Math.max(1, currentCost)) {
                targetCost = currentCost;
                return decision(DecisionReason.HOLD_AT_OPTIMUM, current, "follow-traffic: already on the busiest nodes");
            }
            DecisionReason reason = gate.admit(spec.workload(), currentCost, targetCost);
            String detail = String.format(Locale.ROOT, "follow-traffic %s -> %s (%s)",
                    current.nodes(), target.nodes(), reason);
            return decision(reason, target, detail);
        }

        WorkloadDecision decision(DecisionReason reason, Placement proposed, String detail) {
            Explanation explanation = new Explanation(demand.entries(), List.of(), 0, true, false, detail);
            return new WorkloadDecision(spec.workload(), current, proposed, reason,
                    currentCost - targetCost, currentCost, targetCost, rate, explanation);
        }
    }
}
