package io.edgesched.api.topology;

import io.edgesched.api.NodeId;

import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.TreeSet;

/**
 * Round-trip latency between nodes in microseconds, possibly partial. Immutable.
 * Nodes are indexed in {@link NodeId} order; {@link #latencyMicros(int, int)} gives the dense view the
 * policy uses ({@code NaN} means unknown). How missing pairs were filled is fixed at build time
 * ({@link MissingLatency}) and visible per pair through {@link #source(NodeId, NodeId)}.
 */
public final class LatencyMatrix {
    private final List<NodeId> nodes;
    private final Map<NodeId, Integer> index;
    private final double[] micros;      // n*n, row = from, NaN = unknown
    private final byte[] sources;       // LatencySource ordinals
    private final MissingLatency fill;
    private final double maxKnownMicros;

    private LatencyMatrix(List<NodeId> nodes, Map<NodeId, Integer> index, double[] micros, byte[] sources,
                          MissingLatency fill) {
        this.nodes = nodes;
        this.index = index;
        this.micros = micros;
        this.sources = sources;
        this.fill = fill;
        double max = 0;
        for (double v : micros) {
            if (!Double.isNaN(v) && v > max) {
                max = v;
            }
        }
        this.maxKnownMicros = max;
    }

    public static Builder builder(Collection<NodeId> nodes) {
        return new Builder(nodes);
    }

    /** A matrix where every pair of distinct nodes is {@code hopMicros} apart. */
    public static LatencyMatrix uniform(Collection<NodeId> nodes, double hopMicros) {
        Builder b = builder(nodes);
        for (NodeId a : b.nodes) {
            for (NodeId c : b.nodes) {
                if (!a.equals(c)) {
                    b.measure(a, c, hopMicros);
                }
            }
        }
        return b.build(MissingLatency.UNKNOWN);
    }

    /** A matrix that knows nothing but that a node is 0 from itself. */
    public static LatencyMatrix unknown(Collection<NodeId> nodes) {
        return builder(nodes).build(MissingLatency.UNKNOWN);
    }

    public List<NodeId> nodes() {
        return nodes;
    }

    public int size() {
        return nodes.size();
    }

    /** Index of the node, or -1 if the matrix does not know it. */
    public int indexOf(NodeId node) {
        Integer i = index.get(node);
        return i == null ? -1 : i;
    }

    /** Latency from {@code from} to {@code to} in microseconds; NaN when unknown. */
    public double latencyMicros(int from, int to) {
        return micros[from * nodes.size() + to];
    }

    /** Latency between two nodes; empty when unknown or a node is not in the matrix (0 for a node to itself). */
    public OptionalDouble latencyMicros(NodeId from, NodeId to) {
        if (from.equals(to)) {
            return OptionalDouble.of(0);
        }
        int a = indexOf(from);
        int b = indexOf(to);
        if (a < 0 || b < 0) {
            return OptionalDouble.empty();
        }
        double v = latencyMicros(a, b);
        return Double.isNaN(v) ? OptionalDouble.empty() : OptionalDouble.of(v);
    }

    public LatencySource source(NodeId from, NodeId to) {
        if (from.equals(to)) {
            return LatencySource.SELF;
        }
        int a = indexOf(from);
        int b = indexOf(to);
        if (a < 0 || b < 0) {
            return LatencySource.UNKNOWN;
        }
        return LatencySource.values()[sources[a * nodes.size() + b]];
    }

    public MissingLatency fill() {
        return fill;
    }

    /** The largest known latency (0 for an empty matrix). */
    public double maxKnownMicros() {
        return maxKnownMicros;
    }

    /** Number of ordered pairs of distinct nodes whose latency is still unknown. */
    public long unknownPairs() {
        long count = 0;
        for (byte s : sources) {
            if (s == LatencySource.UNKNOWN.ordinal()) {
                count++;
            }
        }
        return count;
    }

    /** Collects measurements; the last measurement of a directed pair wins. */
    public static final class Builder {
        private final List<NodeId> nodes;
        private final Map<NodeId, Integer> index = new HashMap<>();
        private final double[] measured;

        private Builder(Collection<NodeId> nodeIds) {
            this.nodes = List.copyOf(new TreeSet<>(nodeIds));
            for (int i = 0; i < nodes.size(); i++) {
                index.put(nodes.get(i), i);
            }
            this.measured = new double[nodes.size() * nodes.size()];
            Arrays.fill(measured, Double.NaN);
        }

        /** Records a measured round trip from {@code from} to {@code to}. */
        public Builder measure(NodeId from, NodeId to, double rttMicros) {
            Objects.requireNonNull(from, "from");
            Objects.requireNonNull(to, "to");
            if (!(rttMicros >= 0) || Double.isInfinite(rttMicros)) {
                throw new IllegalArgumentException("latency must be a finite value >= 0, got " + rttMicros
                        + " for " + from + " -> " + to);
            }
            Integer a = index.get(from);
            Integer b = index.get(to);
            if (a == null || b == null) {
                throw new IllegalArgumentException("latency " + from + " -> " + to
                        + " names a node the matrix was not built for; known nodes: " + nodes);
            }
            if (!a.equals(b)) {
                measured[a * nodes.size() + b] = rttMicros;
            }
            return this;
        }

        /** Records the same value in both directions. */
        public Builder measureBoth(NodeId a, NodeId b, double rttMicros) {
            return measure(a, b, rttMicros).measure(b, a, rttMicros);
        }

        public LatencyMatrix build(MissingLatency missing) {
            Objects.requireNonNull(missing, "missing");
            int n = nodes.size();
            double[] m = measured.clone();
            byte[] src = new byte[n * n];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    int k = i * n + j;
                    if (i == j) {
                        m[k] = 0;
                        src[k] = (byte) LatencySource.SELF.ordinal();
                    } else {
                        src[k] = (byte) (Double.isNaN(m[k]) ? LatencySource.UNKNOWN : LatencySource.MEASURED).ordinal();
                    }
                }
            }
            if (missing != MissingLatency.UNKNOWN) {
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < n; j++) {
                        int k = i * n + j;
                        if (Double.isNaN(m[k]) && !Double.isNaN(measured[j * n + i])) {
                            m[k] = measured[j * n + i];
                            src[k] = (byte) LatencySource.SYMMETRIC.ordinal();
                        }
                    }
                }
            }
            if (missing == MissingLatency.SYMMETRIC_THEN_TRIANGLE) {
                double[] base = m.clone(); // bounds only from measured/symmetric pairs, never from other bounds
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < n; j++) {
                        int k = i * n + j;
                        if (!Double.isNaN(m[k])) {
                            continue;
                        }
                        double best = Double.NaN;
                        for (int via = 0; via < n; via++) {
                            if (via == i || via == j) {
                                continue;
                            }
                            double bound = base[i * n + via] + base[via * n + j];
                            if (!Double.isNaN(bound) && (Double.isNaN(best) || bound < best)) {
                                best = bound;
                            }
                        }
                        if (!Double.isNaN(best)) {
                            m[k] = best;
                            src[k] = (byte) LatencySource.TRIANGLE_BOUND.ordinal();
                        }
                    }
                }
            }
            return new LatencyMatrix(nodes, Collections.unmodifiableMap(index), m, src, missing);
        }
    }
}
