package io.edgesched.api.policy;

import io.edgesched.api.NodeId;
import io.edgesched.api.WorkloadId;
import io.edgesched.api.demand.EntryDemand;
import io.edgesched.api.demand.WorkloadDemand;
import io.edgesched.api.topology.LabelSelector;
import io.edgesched.api.topology.LatencyMatrix;
import io.edgesched.api.topology.NodeInfo;
import io.edgesched.api.topology.Placement;
import io.edgesched.api.topology.Topology;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One plan of the {@link LatencyAwarePolicy}: everything its workloads share (nodes, dense latencies, feasibility
 * and spread domains, remaining capacity) and the per-workload work on it: preparing entries, solving the
 * k-median, filling extra replicas, and deciding with the gate in the capacity pass.
 */
final class PlanRound {
    private static final double EPSILON = 1e-9;
    private static final long UNLIMITED = Long.MAX_VALUE / 4;

    private final PolicyConfig config;
    private final LatencyAwarePolicy policy;
    final Topology topology;
    final List<NodeId> ids;
    final int n;
    final Map<NodeId, Integer> index = new HashMap<>();
    final double penalty;
    /** The geometry's dense latencies (floats: the solver's values, see {@link NodeGeometry#lat}). */
    final float[] lat;
    final NodeGeometry geometry;
    final long[] remaining;
    final NodeInfo[] nodes;
    final Map<Feasibility, int[]> feasibleCache = new ConcurrentHashMap<>();
    final Map<String, int[]> domainCache = new ConcurrentHashMap<>();
    final Map<WorkloadId, WorkloadSpec> specs;
    final PlacementInput input;

    PlanRound(LatencyAwarePolicy policy, PlacementInput input) {
        this.policy = policy;
        this.config = policy.config();
        this.input = input;
        this.topology = input.topology();
        this.specs = input.specs();
        this.ids = topology.nodeIds();
        this.n = ids.size();
        this.nodes = new NodeInfo[n];
        for (int i = 0; i < n; i++) {
            index.put(ids.get(i), i);
            nodes[i] = topology.nodes().get(ids.get(i));
        }
        LatencyMatrix matrix = topology.latency();
        double unknown = config.unknownLatencyMicros();
        if (Double.isNaN(unknown)) {
            unknown = matrix.maxKnownMicros() > 0 ? matrix.maxKnownMicros() : config.uniformHopMicros();
        }
        this.penalty = config.forwarding() == ForwardingCost.UNIFORM ? config.uniformHopMicros() : unknown;
        this.geometry = policy.geometryFor(ids, matrix, penalty);
        this.lat = geometry.lat;
        this.remaining = new long[n];
        for (int i = 0; i < n; i++) {
            int cap = nodes[i].capacityUnits();
            remaining[i] = cap == NodeInfo.UNLIMITED ? UNLIMITED : cap;
        }
        for (Placement p : topology.placements().values()) {
            WorkloadSpec spec = specs.get(p.workload());
            int units = spec != null ? spec.unitsPerReplica() : 1;
            for (Map.Entry<NodeId, Integer> e : p.replicasPerNode().entrySet()) {
                Integer idx = index.get(e.getKey());
                if (idx != null) {
                    remaining[idx] -= (long) units * e.getValue();
                }
            }
        }
    }

    int[] feasibleNodes(WorkloadSpec spec) {
        return feasibleCache.computeIfAbsent(new Feasibility(spec.nodeSelector(), spec.tolerations()), f -> {
            int[] out = new int[n];
            int count = 0;
            for (int i = 0; i < n; i++) {
                if (nodes[i].acceptsNewReplicas(f.tolerations()) && f.selector().matches(nodes[i].labels())) {
                    out[count++] = i;
                }
            }
            return Arrays.copyOf(out, count);
        });
    }

    /** Domain number per node for a spread label (-1 for nodes without the label); numbers follow value order. */
    int[] domains(String label) {
        return domainCache.computeIfAbsent(label, l -> {
            TreeSet<String> values = new TreeSet<>();
            for (NodeInfo node : nodes) {
                String v = node.labels().get(l);
                if (v != null) {
                    values.add(v);
                }
            }
            List<String> sorted = new ArrayList<>(values);
            int[] out = new int[n];
            for (int i = 0; i < n; i++) {
                String v = nodes[i].labels().get(l);
                out[i] = v == null ? -1 : java.util.Collections.binarySearch(sorted, v);
            }
            return out;
        });
    }

    Prepared prepare(WorkloadSpec spec) {
        Prepared p = new Prepared();
        p.spec = spec;
        p.current = topology.placement(spec.workload());
        p.demand = input.demand().demand(spec.workload());
        p.totalRate = p.demand.totalRate();
        buildEntries(p);
        int[] feasible = feasibleNodes(spec);
        p.feasibleCount = feasible.length;
        boolean demand = p.totalRate >= config.minDemandRate() && p.totalRate > 0;
        if (!demand) {
            p.preset = DecisionReason.HOLD_NO_DEMAND;
            p.bestCandidates = List.of();
            return p;
        }
        p.currentTotal = p.current.isEmpty() ? Double.NaN : costOfPlacement(p, p.current);
        Candidate target = solve(p, feasible, null, spec, true);
        if (p.current.isEmpty()) {
            p.preset = DecisionReason.HOLD_NOT_RUNNING;
            return p;
        }
        if (target == null) {
            p.preset = DecisionReason.HOLD_NO_FEASIBLE_NODE;
            return p;
        }
        p.target = target;
        p.potentialGain = Math.max(0, p.currentTotal - target.total);
        return p;
    }

    /** Entry rows, weights and the placement-independent part of the cost (client RTT, unknown entries). */
    void buildEntries(Prepared p) {
        List<EntryDemand> entries = p.demand.entries();
        double knownRate = 0;
        double knownRtt = 0;
        for (EntryDemand e : entries) {
            if (e.rttKnown() && e.ratePerSecond() > 0) {
                knownRate += e.ratePerSecond();
                knownRtt += e.ratePerSecond() * e.meanRttMicros();
            }
        }
        double fallbackRtt = knownRate > 0 ? knownRtt / knownRate : 0;
        int[] rows = new int[entries.size()];
        double[] w = new double[entries.size()];
        int count = 0;
        double offset = 0;
        for (EntryDemand e : entries) {
            double rate = e.ratePerSecond();
            if (!(rate > 0)) {
                continue;
            }
            offset += rate * (e.rttKnown() ? e.meanRttMicros() : fallbackRtt);
            Integer idx = index.get(e.entryNode());
            if (idx == null) {
                offset += rate * penalty; // entry node unknown to the topology: every candidate is equally far
            } else {
                rows[count] = idx;
                w[count] = rate;
                count++;
            }
        }
        p.rows = Arrays.copyOf(rows, count);
        p.w = Arrays.copyOf(w, count);
        p.offset = offset;
    }

    KMedian.Instance instance(Prepared p, int[] cands, WorkloadSpec spec) {
        int maxPerDomain = spec.spreadLabel().isPresent() ? spec.maxReplicasPerDomain() : Integer.MAX_VALUE;
        return KMedian.Instance.of(geometry.lat, n, p.rows, p.w, cands, domainsOf(cands, spec), maxPerDomain);
    }

    List<CandidateCost> topCandidates(Prepared p, KMedian.Instance in, double[] single) {
        int limit = Math.min(config.explainedCandidates(), single.length);
        double total = p.totalRate;
        boolean[] taken = new boolean[single.length];
        List<CandidateCost> out = new ArrayList<>(limit);
        for (int r = 0; r < limit; r++) {
            int best = -1;
            for (int i = 0; i < single.length; i++) {
                if (!taken[i] && (best < 0 || single[i] < single[best])) {
                    best = i;
                }
            }
            taken[best] = true;
            out.add(new CandidateCost(ids.get(in.cands[best]), (p.offset + single[best]) / total));
        }
        return out;
    }

    /**
     * Best target for the workload among {@code cands}; {@code free} (remaining units per node) limits
     * replicas per node when given. Null when no feasible placement exists.
     */
    Candidate solve(Prepared p, int[] cands, long[] free, WorkloadSpec spec, boolean explain) {
        int units = spec.unitsPerReplica();
        int[] usable = cands;
        if (free != null) {
            usable = Arrays.stream(cands).filter(c -> units == 0 || free[c] >= units).toArray();
        }
        if (usable.length == 0) {
            if (explain) {
                p.bestCandidates = List.of();
            }
            return null;
        }
        KMedian.Instance in = null;
        double[] single = null;
        KMedian.Result result = null;
        boolean[] expanded = new boolean[p.rows.length];
        int[] near = nearShortlist(p, usable, spec, expanded);
        if (near != null) {
            in = instance(p, near, spec);
            single = KMedian.singleCosts(in);
            int m = KMedian.maxDistinct(in, spec.replicas());
            if (m == 1) {
                int best = 0;
                for (int q = 1; q < single.length; q++) {
                    if (single[q] < single[best]) {
                        best = q;
                    }
                }
                // proven optimal only if no node outside the shortlist can be as cheap
                boolean proven = single[best]
                        < KMedian.outsideLowerBound(geometry, p.rows, p.w, config.nearestCandidates(), expanded);
                result = new KMedian.Result(new int[] {best}, single[best], proven);
            } else {
                KMedian.Result r = KMedian.solve(in, single, m, 0, config.localSearchRounds(), in.nc);
                result = r == null ? null : new KMedian.Result(r.chosen(), r.cost(), false);
            }
        }
        if (result == null) {
            in = instance(p, usable, spec);
            single = KMedian.singleCosts(in);
            int m = KMedian.maxDistinct(in, spec.replicas());
            if (p.rows.length == 0) {
                int[] firstM = new int[m];
                for (int i = 0; i < m; i++) {
                    firstM[i] = i;
                }
                result = m == 0 ? null : new KMedian.Result(firstM, 0, true);
            } else {
                result = KMedian.solve(in, single, m, config.exactCombinationLimit(), config.localSearchRounds(),
                        LatencyAwarePolicy.SWAP_SHORTLIST);
            }
        }
        if (explain) {
            p.bestCandidates = topCandidates(p, in, single);
        }
        if (result == null) {
            return null;
        }
        int[] counts = fill(p, in, result.chosen(), spec, free);
        if (counts == null) {
            return null;
        }
        TreeMap<NodeId, Integer> replicas = new TreeMap<>();
        for (int i = 0; i < result.chosen().length; i++) {
            replicas.put(ids.get(in.cands[result.chosen()[i]]), counts[i]);
        }
        Placement placement = new Placement(spec.workload(), replicas);
        return new Candidate(placement, p.offset + result.cost(), result.exact());
    }

    /**
     * The nodes a large instance searches (entries, their nearest nodes, current nodes), or null to search every
     * usable node: when the shortlist is off or saves little, when the workload has no demand, when the instance
     * is small enough to solve exactly, or when the shortlist allows fewer distinct nodes than the full set.
     */
    int[] nearShortlist(Prepared p, int[] usable, WorkloadSpec spec, boolean[] expanded) {
        int perEntry = config.nearestCandidates();
        if (perEntry == 0 || usable.length <= LatencyAwarePolicy.SMALL_FACTOR * perEntry || p.rows.length == 0) {
            return null;
        }
        int maxPerDomain = spec.spreadLabel().isPresent() ? spec.maxReplicasPerDomain() : Integer.MAX_VALUE;
        int m = distinctAllowed(usable, spec, maxPerDomain);
        if (m > 1 && KMedian.combinations(usable.length, m) <= config.exactCombinationLimit()) {
            return null;
        }
        int[] near = KMedian.nearCandidates(geometry, p.rows, p.w, perEntry, usable, columnsOf(p.current),
                expanded);
        if (near.length == 0 || 2 * near.length > usable.length) {
            return null;
        }
        if (m > 1 && distinctAllowed(near, spec, maxPerDomain) < m) {
            return null;
        }
        return near;
    }

    /** How many distinct nodes among {@code cands} the workload may use; no per-node domain array without a spread. */
    private int distinctAllowed(int[] cands, WorkloadSpec spec, int maxPerDomain) {
        return spec.spreadLabel().isEmpty() ? Math.min(spec.replicas(), cands.length)
                : KMedian.maxDistinct(domainsOf(cands, spec), maxPerDomain, spec.replicas());
    }

    int[] domainsOf(int[] cands, WorkloadSpec spec) {
        int[] domainOf = new int[cands.length];
        if (spec.spreadLabel().isPresent()) {
            int[] d = domains(spec.spreadLabel().get());
            for (int i = 0; i < cands.length; i++) {
                domainOf[i] = d[cands[i]];
            }
        } else {
            Arrays.fill(domainOf, -1);
        }
        return domainOf;
    }

    /**
     * Replica counts per chosen node: one each, then the remaining k - m replicas go to the nodes serving
     * the most demand first, within per-node, per-domain and capacity limits. Null when k cannot be reached.
     */
    int[] fill(Prepared p, KMedian.Instance in, int[] chosen, WorkloadSpec spec, long[] free) {
        int m = chosen.length;
        int[] counts = new int[m];
        Arrays.fill(counts, 1);
        int left = spec.replicas() - m;
        if (left == 0) {
            return counts;
        }
        double[] served = new double[m];
        for (int e = 0; e < in.entries(); e++) {
            int best = 0;
            for (int i = 1; i < m; i++) {
                if (in.at(e, chosen[i]) < in.at(e, chosen[best])) {
                    best = i;
                }
            }
            served[best] += in.w[e];
        }
        Integer[] order = new Integer[m];
        for (int i = 0; i < m; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> {
            int c = Double.compare(served[b], served[a]);
            return c != 0 ? c : Integer.compare(a, b);
        });
        Map<Integer, Integer> domainUse = new HashMap<>();
        for (int i = 0; i < m; i++) {
            int d = in.domainOf[chosen[i]];
            if (d >= 0) {
                domainUse.merge(d, 1, Integer::sum);
            }
        }
        int units = spec.unitsPerReplica();
        boolean progress = true;
        while (left > 0 && progress) {
            progress = false;
            for (int i : order) {
                if (left == 0) {
                    break;
                }
                int node = in.cands[chosen[i]];
                int d = in.domainOf[chosen[i]];
                boolean nodeRoom = counts[i] < spec.maxReplicasPerNode()
                        && (free == null || units == 0 || free[node] >= (long) units * (counts[i] + 1));
                boolean domainRoom = d < 0 || domainUse.getOrDefault(d, 0) < in.maxPerDomain;
                if (nodeRoom && domainRoom) {
                    counts[i]++;
                    left--;
                    progress = true;
                    if (d >= 0) {
                        domainUse.merge(d, 1, Integer::sum);
                    }
                }
            }
        }
        return left == 0 ? counts : null;
    }

    /** Total weighted cost of an arbitrary placement (nodes outside the topology are {@code penalty} away). */
    double costOfPlacement(Prepared p, Placement placement) {
        int[] cols = columnsOf(placement);
        double sum = p.offset;
        for (int e = 0; e < p.rows.length; e++) {
            double best = Double.POSITIVE_INFINITY;
            for (int c : cols) {
                best = Math.min(best, c < 0 ? penalty : lat[p.rows[e] * n + c]);
            }
            sum += p.w[e] * best;
        }
        return sum;
    }

    /** Node indices of the placement's nodes, -1 for a node outside the topology. */
    int[] columnsOf(Placement placement) {
        int[] cols = new int[placement.replicasPerNode().size()];
        int i = 0;
        for (NodeId node : placement.replicasPerNode().keySet()) {
            Integer idx = index.get(node);
            cols[i++] = idx == null ? -1 : idx;
        }
        return cols;
    }

    boolean fits(Placement target, int units) {
        for (Map.Entry<NodeId, Integer> e : target.replicasPerNode().entrySet()) {
            if ((long) units * e.getValue() > remaining[index.get(e.getKey())]) {
                return false;
            }
        }
        return true;
    }

    void reserve(Placement placement, int units, int sign) {
        for (Map.Entry<NodeId, Integer> e : placement.replicasPerNode().entrySet()) {
            Integer idx = index.get(e.getKey());
            if (idx != null) {
                remaining[idx] -= sign * (long) units * e.getValue();
            }
        }
    }

    WorkloadDecision decide(Prepared p, MoveGate.Round gate) {
        WorkloadSpec spec = p.spec;
        double rate = p.totalRate;
        if (p.preset != null) {
            return decision(p, p.preset, p.current, p.currentTotal, Double.NaN, false, false, presetDetail(p));
        }
        int units = spec.unitsPerReplica();
        reserve(p.current, units, -1);
        Candidate target = p.target;
        boolean capacityLimited = false;
        if (!fits(target.placement, units)) {
            capacityLimited = true;
            target = solve(p, feasibleNodes(spec), remaining, spec, false);
            if (target == null) {
                reserve(p.current, units, +1);
                return decision(p, DecisionReason.HOLD_NO_FEASIBLE_NODE, p.current, p.currentTotal, Double.NaN,
                        false, true, "no feasible nodes left after capacity taken by workloads decided earlier");
            }
        }
        double current = p.currentTotal / rate;
        double best = target.total / rate;
        if (target.placement.sameNodesAs(p.current) || best >= current - EPSILON * Math.max(1, current)) {
            reserve(p.current, units, +1);
            return decision(p, DecisionReason.HOLD_AT_OPTIMUM, p.current, p.currentTotal, p.currentTotal,
                    target.exact, capacityLimited, target.exact
                            ? "current placement is already the cheapest feasible one"
                            : "no cheaper placement found (heuristic search)");
        }
        DecisionReason reason = gate.admit(spec.workload(), current, best);
        String detail = String.format(Locale.ROOT, "%s %s -> %s: mean latency %.0f -> %.0f us (-%.1f%%)",
                reason == DecisionReason.MOVE ? "move" : "hold (" + reason + ")",
                p.current.replicasPerNode().keySet(), target.placement.replicasPerNode().keySet(),
                current, best, 100 * (current - best) / current);
        if (reason == DecisionReason.MOVE) {
            reserve(target.placement, units, +1);
            return decision(p, DecisionReason.MOVE, target.placement, p.currentTotal, target.total, target.exact,
                    capacityLimited, detail);
        }
        if (reason.isMove()) {
            throw new IllegalStateException("gate returned " + reason);
        }
        reserve(p.current, units, +1);
        return decision(p, reason, target.placement, p.currentTotal, target.total, target.exact, capacityLimited,
                detail);
    }

    String presetDetail(Prepared p) {
        return switch (p.preset) {
            case HOLD_NO_DEMAND -> String.format(Locale.ROOT, "demand %.3f/s below minimum %.3f/s",
                    p.totalRate, config.minDemandRate());
            case HOLD_NOT_RUNNING -> "workload runs on no node; nothing to move";
            case HOLD_NO_FEASIBLE_NODE -> "no node set satisfies selector " + p.spec.nodeSelector()
                    + ", health, taints and spreading (" + p.feasibleCount + " candidate nodes)";
            default -> p.preset.name();
        };
    }

    WorkloadDecision decision(Prepared p, DecisionReason reason, Placement target, double currentTotal,
                              double targetTotal, boolean exact, boolean capacityLimited, String detail) {
        double rate = p.totalRate;
        double current = rate > 0 ? currentTotal / rate : Double.NaN;
        double best = rate > 0 ? targetTotal / rate : Double.NaN;
        Explanation explanation = new Explanation(p.demand.entries(), p.bestCandidates, p.feasibleCount, exact,
                capacityLimited, detail);
        return new WorkloadDecision(p.spec.workload(), p.current, target, reason,
                current - best, current, best, rate, explanation);
    }

    record Feasibility(LabelSelector selector, SortedSet<String> tolerations) {
    }

    record Candidate(Placement placement, double total, boolean exact) {
    }

    /** Per-workload state computed in parallel before the sequential capacity pass. */
    static final class Prepared {
        WorkloadSpec spec;
        Placement current;
        WorkloadDemand demand;
        double totalRate;
        int[] rows;
        double[] w;
        double offset;
        int feasibleCount;
        List<CandidateCost> bestCandidates;
        DecisionReason preset;
        double currentTotal = Double.NaN;
        Candidate target;
        double potentialGain;
    }
}
