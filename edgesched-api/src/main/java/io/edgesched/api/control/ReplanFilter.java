package io.edgesched.api.control;

import io.edgesched.api.NodeId;
import io.edgesched.api.WorkloadId;
import io.edgesched.api.demand.EntryDemand;
import io.edgesched.api.demand.WorkloadDemand;
import io.edgesched.api.policy.DecisionReason;
import io.edgesched.api.policy.WorkloadDecision;
import io.edgesched.api.policy.WorkloadSpec;
import io.edgesched.api.topology.LatencyMatrix;
import io.edgesched.api.topology.NodeInfo;
import io.edgesched.api.topology.Placement;
import io.edgesched.api.topology.Topology;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;

/**
 * Incremental planning: a workload the policy last kept where it is (at its optimum, or below the gain
 * thresholds, or without demand) is not planned again while nothing it depends on has changed: same spec,
 * same placement, same nodes and latency matrix, no node with a capacity limit (capacity couples workloads),
 * and a demand whose shape (rates normalised to sum 1, compared entry by entry) moved by at most
 * {@code tolerance} in L1 distance since it was planned. Every workload is planned again at least every
 * {@code maxAge} (spread per workload so that not all come due in one round). With tolerance 0 a workload is
 * skipped only when its inputs are unchanged, which cannot change any decision (the policy is deterministic).
 * Round thread only.
 */
final class ReplanFilter {
    private record Memo(WorkloadSpec spec, Placement placement, WorkloadDemand demand, WorkloadDecision decision,
                        long round, Instant replanBy) {
    }

    private final double tolerance;
    private final Duration maxAge;
    private final Map<WorkloadId, Memo> memos = new HashMap<>();
    private SortedMap<NodeId, NodeInfo> lastNodes;
    private LatencyMatrix lastLatency;
    private boolean topologyStable;

    ReplanFilter(double tolerance, Duration maxAge) {
        this.tolerance = tolerance;
        this.maxAge = maxAge;
    }

    boolean enabled() {
        return tolerance >= 0 && !maxAge.isZero();
    }

    /** Compares the round's topology with the previous round's. */
    void beginRound(Topology topology) {
        boolean capacityLimited = false;
        for (NodeInfo n : topology.nodes().values()) {
            if (n.capacityUnits() != NodeInfo.UNLIMITED) {
                capacityLimited = true;
                break;
            }
        }
        topologyStable = enabled() && !capacityLimited && topology.latency() == lastLatency
                && topology.nodes().equals(lastNodes);
        lastNodes = topology.nodes();
        lastLatency = topology.latency();
        if (!topologyStable) {
            memos.clear();
        }
    }

    /** What to tell about a workload that need not be planned this round, or null when it must be planned. */
    String skipReason(WorkloadSpec spec, Placement current, WorkloadDemand demand, Instant now) {
        if (!topologyStable) {
            return null;
        }
        Memo memo = memos.get(spec.workload());
        if (memo == null || now.isAfter(memo.replanBy) || !memo.spec.equals(spec)
                || !memo.placement.sameNodesAs(current)) {
            return null;
        }
        double shift = shapeDistance(memo.demand, demand);
        if (shift > tolerance) {
            return null;
        }
        // thousands of skipped workloads per round: a builder, not a format string parsed for each
        StringBuilder why = new StringBuilder(160).append("inputs unchanged since round ").append(memo.round)
                .append(" (demand shape moved ");
        appendPercent(why, shift).append(" % <= ");
        appendPercent(why, tolerance).append(" %, same placement, nodes and latencies): ")
                .append(memo.decision.explanation().detail());
        return why.toString();
    }

    /** {@code fraction} as a percentage with one decimal (half up), e.g. 0.0123 as "1.2". */
    static StringBuilder appendPercent(StringBuilder sb, double fraction) {
        long tenths = Math.round(fraction * 1000);
        if (tenths < 0) {
            sb.append('-');
            tenths = -tenths;
        }
        return sb.append(tenths / 10).append('.').append(tenths % 10);
    }

    WorkloadDecision remembered(WorkloadId workload) {
        return memos.get(workload).decision;
    }

    /**
     * Whether the remembered verdict was the gate's, not the policy's (a better target held by dwell or rate
     * limit): the plan still holds, but the gate must be asked again, since dwell ends and tokens refill with
     * time alone.
     */
    boolean heldByGate(WorkloadId workload) {
        Memo memo = memos.get(workload);
        return memo != null && gateHold(memo.decision.reason())
                && !memo.decision.target().sameNodesAs(memo.decision.current()); // a policy that kept its target
    }

    /** Records the policy's verdict for a planned workload; only holds that depend on nothing else are kept. */
    void planned(WorkloadSpec spec, WorkloadDecision decision, WorkloadDemand demand, long round, Instant now) {
        if (!enabled() || !reusable(decision.reason())) {
            memos.remove(spec.workload());
            return;
        }
        // spread the forced re-plans over [maxAge / 2, maxAge] by workload
        double spread = 0.5 + 0.5 * ((spec.workload().hashCode() & 0x7fffffff) % 1024) / 1024.0;
        memos.put(spec.workload(), new Memo(spec, decision.current(), demand, decision, round,
                now.plusNanos((long) (maxAge.toNanos() * spread))));
    }

    void forget(WorkloadId workload) {
        memos.remove(workload);
    }

    void retainOnly(Set<WorkloadId> workloads) {
        memos.keySet().retainAll(workloads);
    }

    private static boolean reusable(DecisionReason reason) {
        return switch (reason) {
            case HOLD_AT_OPTIMUM, HOLD_BELOW_THRESHOLD, HOLD_NO_DEMAND, HOLD_NO_FEASIBLE_NODE, HOLD_NOT_RUNNING -> true;
            // dwell ends and tokens refill with time alone: the plan is kept, the gate asked again each round
            // (DecisionRound re-plans such a hold when the policy did not keep the target it held)
            case HOLD_DWELL, HOLD_RATE_LIMIT -> true;
            // moves change the placement
            case MOVE -> false;
            // the policy never gives these (WorkloadDecision refuses them)
            case MOVE_STARTED, WOULD_MOVE, HOLD_IN_FLIGHT, HOLD_BACKOFF, HOLD_REFUSED, HOLD_SETTLING -> false;
        };
    }

    /** A gate hold whose decision does not name the target held back: it can only be planned again. */
    boolean gateHoldWithoutTarget(WorkloadId workload) {
        Memo memo = memos.get(workload);
        return memo != null && gateHold(memo.decision.reason())
                && memo.decision.target().sameNodesAs(memo.decision.current());
    }

    private static boolean gateHold(DecisionReason reason) {
        return reason == DecisionReason.HOLD_DWELL || reason == DecisionReason.HOLD_RATE_LIMIT;
    }

    /** L1 distance between the two demands' rate shares per entry node, in [0, 2]; 0 for two empty demands. */
    static double shapeDistance(WorkloadDemand a, WorkloadDemand b) {
        double totalA = a.totalRate();
        double totalB = b.totalRate();
        if (totalA <= 0 || totalB <= 0) {
            return totalA <= 0 && totalB <= 0 ? 0 : 2;
        }
        List<EntryDemand> ea = a.entries();
        List<EntryDemand> eb = b.entries();
        double distance = 0;
        int i = 0;
        int j = 0;
        while (i < ea.size() || j < eb.size()) {
            int c = i == ea.size() ? 1 : j == eb.size() ? -1 : ea.get(i).entryNode().compareTo(eb.get(j).entryNode());
            if (c < 0) {
                distance += ea.get(i++).ratePerSecond() / totalA;
            } else if (c > 0) {
                distance += eb.get(j++).ratePerSecond() / totalB;
            } else {
                distance += Math.abs(ea.get(i++).ratePerSecond() / totalA - eb.get(j++).ratePerSecond() / totalB);
            }
        }
        return distance;
    }
}
