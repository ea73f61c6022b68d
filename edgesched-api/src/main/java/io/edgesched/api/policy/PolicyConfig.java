package io.edgesched.api.policy;

/**
 * Knobs of {@link LatencyAwarePolicy}.
 *
 * @param exactCombinationLimit enumerate all node combinations when C(candidates, k) is at most this; else heuristic
 * @param localSearchRounds     at most this many improving swap passes after the greedy construction
 * @param unknownLatencyMicros  cost charged for an entry-to-candidate hop of unknown latency; NaN means
 *                              "the largest known latency of the matrix" (pessimistic: unmeasured never looks good)
 * @param minDemandRate         below this total rate a workload holds with {@link DecisionReason#HOLD_NO_DEMAND}
 * @param explainedCandidates   how many cheapest single-node candidates each explanation lists
 * @param parallel              solve workloads on the common fork-join pool (results stay deterministic)
 * @param forwarding            matrix latencies, or a uniform hop (follow-the-traffic)
 * @param uniformHopMicros      the hop cost when {@code forwarding} is UNIFORM
 * @param nearestCandidates     large instances (beyond the exact limit, and k = 1) search only the entry nodes, each
 *                              entry's this many nearest nodes and the current nodes; 0 searches every feasible node.
 *                              k = 1 stays exact: it falls back to every node unless a lower bound proves the
 *                              shortlist's best optimal
 */
public record PolicyConfig(int exactCombinationLimit, int localSearchRounds, double unknownLatencyMicros,
                           double minDemandRate, int explainedCandidates, boolean parallel,
                           ForwardingCost forwarding, double uniformHopMicros, int nearestCandidates) {
    /** Nearest nodes per entry searched by default on large instances. */
    public static final int DEFAULT_NEAREST_CANDIDATES = 16;

    public PolicyConfig(int exactCombinationLimit, int localSearchRounds, double unknownLatencyMicros,
                        double minDemandRate, int explainedCandidates, boolean parallel,
                        ForwardingCost forwarding, double uniformHopMicros) {
        this(exactCombinationLimit, localSearchRounds, unknownLatencyMicros, minDemandRate, explainedCandidates, parallel,
                forwarding, uniformHopMicros, DEFAULT_NEAREST_CANDIDATES);
    }

    public PolicyConfig {
        if (nearestCandidates < 0) {
            throw new IllegalArgumentException("nearestCandidates must be >= 0 (0 = search every feasible node)");
        }
        if (exactCombinationLimit < 1 || localSearchRounds < 0 || explainedCandidates < 0) {
            throw new IllegalArgumentException("exactCombinationLimit >= 1, localSearchRounds >= 0, explainedCandidates >= 0");
        }
        if (unknownLatencyMicros < 0) {
            throw new IllegalArgumentException("unknownLatencyMicros must be >= 0 or NaN");
        }
        if (!(minDemandRate >= 0)) {
            throw new IllegalArgumentException("minDemandRate must be >= 0");
        }
        if (!(uniformHopMicros > 0)) {
            throw new IllegalArgumentException("uniformHopMicros must be > 0");
        }
        java.util.Objects.requireNonNull(forwarding, "forwarding");
    }

    public static PolicyConfig defaults() {
        return new PolicyConfig(20_000, 50, Double.NaN, 0.01, 5, true, ForwardingCost.MEASURED, 1000);
    }

    public PolicyConfig withExactCombinationLimit(int limit) {
        return new PolicyConfig(limit, localSearchRounds, unknownLatencyMicros, minDemandRate, explainedCandidates, parallel, forwarding, uniformHopMicros, nearestCandidates);
    }

    public PolicyConfig withLocalSearchRounds(int rounds) {
        return new PolicyConfig(exactCombinationLimit, rounds, unknownLatencyMicros, minDemandRate, explainedCandidates, parallel, forwarding, uniformHopMicros, nearestCandidates);
    }

    public PolicyConfig withUnknownLatencyMicros(double micros) {
        return new PolicyConfig(exactCombinationLimit, localSearchRounds, micros, minDemandRate, explainedCandidates, parallel, forwarding, uniformHopMicros, nearestCandidates);
    }

    public PolicyConfig withMinDemandRate(double rate) {
        return new PolicyConfig(exactCombinationLimit, localSearchRounds, unknownLatencyMicros, rate, explainedCandidates, parallel, forwarding, uniformHopMicros, nearestCandidates);
    }

    public PolicyConfig withExplainedCandidates(int n) {
        return new PolicyConfig(exactCombinationLimit, localSearchRounds, unknownLatencyMicros, minDemandRate, n, parallel, forwarding, uniformHopMicros, nearestCandidates);
    }

    public PolicyConfig withParallel(boolean p) {
        return new PolicyConfig(exactCombinationLimit, localSearchRounds, unknownLatencyMicros, minDemandRate, explainedCandidates, p, forwarding, uniformHopMicros, nearestCandidates);
    }

    public PolicyConfig withUniformForwarding(double hopMicros) {
        return new PolicyConfig(exactCombinationLimit, localSearchRounds, unknownLatencyMicros, minDemandRate, explainedCandidates, parallel, ForwardingCost.UNIFORM, hopMicros, nearestCandidates);
    }

    public PolicyConfig withNearestCandidates(int perEntry) {
        return new PolicyConfig(exactCombinationLimit, localSearchRounds, unknownLatencyMicros, minDemandRate, explainedCandidates, parallel, forwarding, uniformHopMicros, perEntry);
    }
}
