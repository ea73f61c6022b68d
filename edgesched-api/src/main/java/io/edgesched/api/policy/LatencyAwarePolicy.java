package io.edgesched.api.policy;

import io.edgesched.api.NodeId;
import io.edgesched.api.topology.LatencyMatrix;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.stream.IntStream;

/**
 * Places each workload's k replicas on the nodes that minimise demand-weighted expected latency.
 *
 * <p>A request that enters through node e and is served on node c costs rtt(client, e) + lat(e, c)
 * (lat(e, e) = 0). Demand is aggregated per entry node first (rate w_e, demand-weighted mean client RTT
 * rtt_e), so a placement S costs {@code sum_e w_e * (rtt_e + min_{c in S} lat(e, c))}: each entry is
 * served by its cheapest chosen replica, the idealisation of kube-proxy topology-aware routing. Costs in
 * decisions are that sum divided by the total rate: the mean expected latency of a request, in microseconds.
 *
 * <p>Per workload the solver is exact (enumeration) when C(feasible nodes, k) is at most
 * {@link PolicyConfig#exactCombinationLimit()}, else greedy plus swap local search. Capacity is shared:
 * every workload first keeps its current nodes; workloads are then visited in order of potential gain
 * (largest first, ties by id), each releases its own nodes, takes the best target that fits what is left,
 * and either moves (if the {@link MoveGate} admits it) or re-takes its current nodes.
 */
public final class LatencyAwarePolicy implements PlacementPolicy {
    /** Local search swaps in only this many cheapest single candidates (plus entry nodes): keeps 1k-node rounds fast. */
    static final int SWAP_SHORTLIST = 128;
    /** Instances with at most this many times {@link PolicyConfig#nearestCandidates()} usable nodes search all of them. */
    static final int SMALL_FACTOR = 4;

    private final PolicyConfig config;
    /** Dense latencies and neighbour lists of the last topology: rebuilt only when nodes or the matrix change. */
    private volatile NodeGeometry cachedGeometry;

    public LatencyAwarePolicy(PolicyConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    public LatencyAwarePolicy() {
        this(PolicyConfig.defaults());
    }

    public PolicyConfig config() {
        return config;
    }

    @Override
    public PlacementPlan plan(PlacementInput input) {
        PlanRound round = new PlanRound(this, input);
        List<WorkloadSpec> specs = new ArrayList<>(input.specs().values());
        PlanRound.Prepared[] prepared = new PlanRound.Prepared[specs.size()];
        IntStream indices = IntStream.range(0, specs.size());
        if (config.parallel()) {
            indices = indices.parallel();
        }
        indices.forEach(i -> prepared[i] = round.prepare(specs.get(i)));

        Integer[] order = new Integer[prepared.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> {
            int c = Double.compare(prepared[b].potentialGain, prepared[a].potentialGain);
            return c != 0 ? c : Integer.compare(a, b);
        });
        MoveGate.Round gate = input.gate().open(input.now());
        List<WorkloadDecision> decisions = new ArrayList<>(prepared.length);
        for (int i : order) {
            decisions.add(round.decide(prepared[i], gate));
        }
        return new PlacementPlan(input.now(), decisions);
    }

    /** The geometry of this topology, reused while nodes and matrix stay the same (the policy outlives rounds). */
    NodeGeometry geometryFor(List<NodeId> ids, LatencyMatrix matrix, double penalty) {
        NodeGeometry g = cachedGeometry;
        if (g == null || !g.matches(ids, matrix, config.forwarding(), penalty, config.nearestCandidates())) {
            g = NodeGeometry.of(ids, matrix, config.forwarding(), penalty, config.nearestCandidates());
            cachedGeometry = g;
        }
        return g;
    }
}
