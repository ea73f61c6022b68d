package io.edgesched.api.topology;

/**
 * What a {@link LatencyMatrix} does with node pairs nobody measured. Pairs still unknown after the fill
 * stay unknown ({@link LatencySource#UNKNOWN}); the policy then charges its configured
 * {@code unknownLatencyMicros} for them (by default the largest known latency: pessimistic, so an
 * unmeasured node never looks attractive).
 */
public enum MissingLatency {
    /** Only measured pairs are known (and a node to itself, which is 0). */
    UNKNOWN,
    /** If b->a was measured, a->b is taken to be the same. */
    SYMMETRIC,
    /**
     * Symmetric fill, then for a still-missing pair the triangle-inequality upper bound through the best
     * common neighbour k: min over k of lat(a,k) + lat(k,b), using measured or symmetric pairs only.
     */
    SYMMETRIC_THEN_TRIANGLE
}
