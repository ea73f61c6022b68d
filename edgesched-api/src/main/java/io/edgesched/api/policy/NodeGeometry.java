package io.edgesched.api.policy;

import io.edgesched.api.NodeId;
import io.edgesched.api.topology.LatencyMatrix;

import java.util.Arrays;
import java.util.List;

/**
 * The policy's view of a latency matrix over the topology's nodes: a dense n x n matrix of the latencies the
 * cost uses (unknown pairs at the penalty, 0 on the diagonal) and, per node, its nearest nodes in ascending
 * latency. Immutable; built once and reused while the node list and the matrix instance stay the same.
 */
final class NodeGeometry {
    final List<NodeId> ids;
    final LatencyMatrix matrix;
    final ForwardingCost forwarding;
    final double penalty;
    final int n;
    /**
     * {@code lat[i * n + j]}: latency from node i to node j in microseconds, as a float (a relative 6e-8: far below
     * any latency difference that matters). Costs are summed in doubles; floats halve the matrix (n x n: 4 MB at
     * 1,000 nodes) and its memory traffic, and the solver's loops that read floats and write doubles can run on
     * vector units.
     */
    final float[] lat;
    /** Neighbours kept per node: min(n, requested). */
    final int near;
    /** {@code neighbours[i * near + r]}: the r-th nearest node of i (ties by node index); i itself among them. */
    final int[] neighbours;
    /**
     * {@code near} nodes spread over the matrix (farthest-point order from the medoid), ascending node index: with
     * them a shortlist also holds a node near every part of the cluster, e.g. a central one for far-apart entries.
     */
    final int[] hubs;

    private NodeGeometry(List<NodeId> ids, LatencyMatrix matrix, ForwardingCost forwarding, double penalty, int near) {
        this.ids = List.copyOf(ids);
        this.matrix = matrix;
        this.forwarding = forwarding;
        this.penalty = penalty;
        this.n = ids.size();
        this.lat = denseMatrix(ids, matrix, forwarding, penalty);
        this.near = Math.min(n, Math.max(0, near));
        this.neighbours = nearestNeighbours(this.lat, n, this.near);
        this.hubs = spreadNodes(this.lat, n, Math.min(n, 2 * this.near));
    }

    static NodeGeometry of(List<NodeId> ids, LatencyMatrix matrix, ForwardingCost forwarding, double penalty, int near) {
        return new NodeGeometry(ids, matrix, forwarding, penalty, near);
    }

    /** For tests: a geometry over an already dense matrix. */
    static NodeGeometry ofDense(double[] lat, int n, int near) {
        return new NodeGeometry(lat, n, near);
    }

    private NodeGeometry(double[] lat, int n, int near) {
        this.ids = List.of();
        this.matrix = null;
        this.forwarding = ForwardingCost.MEASURED;
        this.penalty = Double.NaN;
        this.n = n;
        this.lat = toFloats(lat);
        this.near = Math.min(n, Math.max(0, near));
        this.neighbours = nearestNeighbours(this.lat, n, this.near);
        this.hubs = spreadNodes(this.lat, n, Math.min(n, 2 * this.near));
    }

    boolean matches(List<NodeId> ids, LatencyMatrix matrix, ForwardingCost forwarding, double penalty, int near) {
        return this.matrix == matrix && this.forwarding == forwarding
                && Double.compare(this.penalty, penalty) == 0 && this.near == Math.min(ids.size(), Math.max(0, near))
                && this.ids.equals(ids);
    }

    /** Latency from i to its r-th nearest node: every node not among i's first r + 1 neighbours is at least this far. */
    double radius(int i, int r) {
        return lat[i * n + neighbours[i * near + r]];
    }

    private static float[] denseMatrix(List<NodeId> ids, LatencyMatrix matrix, ForwardingCost forwarding, double penalty) {
        int n = ids.size();
        float[] lat = new float[n * n];
        int[] matrixIndex = new int[n];
        for (int i = 0; i < n; i++) {
            matrixIndex[i] = matrix.indexOf(ids.get(i));
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double v;
                if (i == j) {
                    v = 0;
                } else if (forwarding == ForwardingCost.UNIFORM || matrixIndex[i] < 0 || matrixIndex[j] < 0) {
                    v = penalty;
                } else {
                    v = matrix.latencyMicros(matrixIndex[i], matrixIndex[j]);
                    if (Double.isNaN(v)) {
                        v = penalty;
                    }
                }
                lat[i * n + j] = (float) v;
            }
        }
        return lat;
    }

    /** A dense double matrix as floats (tests build theirs in doubles). */
    static float[] toFloats(double[] lat) {
        float[] out = new float[lat.length];
        for (int i = 0; i < lat.length; i++) {
            out[i] = (float) lat[i];
        }
        return out;
    }

    /** The medoid, then repeatedly the node farthest from those taken (ties: lowest index); sorted. */
    private static int[] spreadNodes(float[] lat, int n, int count) {
        if (count == 0 || n == 0) {
            return new int[0];
        }
        int first = 0;
        double firstSum = Double.POSITIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            double sum = 0;
            for (int j = 0; j < n; j++) {
                sum += lat[i * n + j];
            }
            if (sum < firstSum) {
                firstSum = sum;
                first = i;
            }
        }
        int[] out = new int[count];
        double[] dist = new double[n];
        Arrays.fill(dist, Double.POSITIVE_INFINITY);
        int next = first;
        for (int t = 0; t < count; t++) {
            out[t] = next;
            int base = next * n;
            int far = -1;
            for (int j = 0; j < n; j++) {
                dist[j] = Math.min(dist[j], Math.min(lat[base + j], lat[j * n + next]));
                if (dist[j] > 0 && (far < 0 || dist[j] > dist[far])) {
                    far = j;
                }
            }
            if (far < 0) {
                return Arrays.stream(Arrays.copyOf(out, t + 1)).sorted().distinct().toArray();
            }
            next = far;
        }
        Arrays.sort(out);
        return out;
    }

    /** Per row the {@code near} smallest latencies' columns, ascending, ties by column. */
    private static int[] nearestNeighbours(float[] lat, int n, int near) {
        int[] out = new int[n * near];
        if (near == 0) {
            return out;
        }
        double[] sorted = new double[n];
        int[] picked = new int[near];
        for (int i = 0; i < n; i++) {
            int base = i * n;
            for (int j = 0; j < n; j++) {
                sorted[j] = lat[base + j];
            }
            Arrays.sort(sorted);
            double cut = sorted[near - 1];
            int count = 0;
            for (int j = 0; j < n && count < near; j++) {
                if (lat[base + j] < cut) {
                    picked[count++] = j;
                }
            }
            for (int j = 0; j < n && count < near; j++) {
                if (lat[base + j] == cut) {
                    picked[count++] = j;
                }
            }
            // insertion sort by (latency, column): near is small
            for (int a = 1; a < near; a++) {
                int v = picked[a];
                double key = lat[base + v];
                int b = a - 1;
                while (b >= 0 && (lat[base + picked[b]] > key || (lat[base + picked[b]] == key && picked[b] > v))) {
                    picked[b + 1] = picked[b];
                    b--;
                }
                picked[b + 1] = v;
            }
            System.arraycopy(picked, 0, out, i * near, near);
        }
        return out;
    }
}
