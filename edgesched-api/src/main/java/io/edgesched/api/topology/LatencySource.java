package io.edgesched.api.topology;

/** Where an entry of a {@link LatencyMatrix} came from. */
public enum LatencySource {
    /** A node to itself: always 0. */
    SELF,
    MEASURED,
    /** Copied from the measured reverse direction. */
    SYMMETRIC,
    /** Upper bound through a common neighbour (triangle inequality). */
    TRIANGLE_BOUND,
    UNKNOWN
}
