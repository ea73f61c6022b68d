package io.edgesched.k8s.topology;

import io.edgesched.api.NodeId;
import io.edgesched.api.topology.LatencyMatrix;
import io.edgesched.api.topology.MissingLatency;
import io.edgesched.k8s.topology.EngineTopology.NodeLatency;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Reuses the node latency matrix between rounds: filling it is cubic in the node count (about 7 s for 1,000
 * nodes here), while node RTTs drift slowly. Rebuilt at once when the node set changes, otherwise at most every
 * {@code refresh} (then with the latest measurements). Thread-safe.
 */
public final class LatencyMatrixCache {
    private final Duration refresh;
    private final MissingLatency fill;
    private List<NodeId> nodes;
    private Instant builtAt;
    private LatencyMatrix matrix;
    private long builds;

    public LatencyMatrixCache(Duration refresh, MissingLatency fill) {
        this.refresh = Objects.requireNonNull(refresh, "refresh");
        this.fill = Objects.requireNonNull(fill, "fill");
    }

    /** The matrix for these nodes, from a build no older than {@code refresh} (or new if the nodes changed). */
    public synchronized LatencyMatrix get(Set<NodeId> nodeSet, Collection<NodeLatency> latencies, Instant now) {
        List<NodeId> sorted = nodeSet.stream().sorted().toList();
        boolean stale = matrix == null || !sorted.equals(nodes) || !now.isBefore(builtAt.plus(refresh))
                || now.isBefore(builtAt);
        if (stale) {
            LatencyMatrix.Builder b = LatencyMatrix.builder(sorted);
            for (NodeLatency l : latencies) {
                if (nodeSet.contains(l.from()) && nodeSet.contains(l.to()) && !l.from().equals(l.to())
                        && l.rttMicros() >= 0 && !Double.isInfinite(l.rttMicros())) {
                    b.measure(l.from(), l.to(), l.rttMicros());
                }
            }
            matrix = b.build(fill);
            nodes = sorted;
            builtAt = now;
            builds++;
        }
        return matrix;
    }

    /** How many times the matrix was built (for tests and diagnostics). */
    public synchronized long builds() {
        return builds;
    }
}
