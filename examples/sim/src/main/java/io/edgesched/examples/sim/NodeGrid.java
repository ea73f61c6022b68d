package io.edgesched.examples.sim;

import java.util.Arrays;

/** A uniform grid over the plane for nearest-node queries in about constant time (a million clients per step). */
final class NodeGrid {
    private final double[] x;
    private final double[] y;
    private final int cells;
    private final double cellSize;
    private final int[] cellStart;
    private final int[] cellNodes;

    NodeGrid(double[] x, double[] y, double plane) {
        this.x = x;
        this.y = y;
        this.cells = Math.max(1, (int) Math.ceil(Math.sqrt(x.length)));
        this.cellSize = plane / cells;
        int[] counts = new int[cells * cells + 1];
        for (int i = 0; i < x.length; i++) {
            counts[cellOf(x[i], y[i]) + 1]++;
        }
        for (int i = 1; i < counts.length; i++) {
            counts[i] += counts[i - 1];
        }
        cellStart = counts;
        cellNodes = new int[x.length];
        int[] fill = Arrays.copyOf(counts, counts.length);
        for (int i = 0; i < x.length; i++) {
            cellNodes[fill[cellOf(x[i], y[i])]++] = i;
        }
    }

    /** Index of the node nearest to (px, py); ties go to the lower index. */
    int nearest(double px, double py) {
        int cx = cellCoord(px);
        int cy = cellCoord(py);
        int best = -1;
        double bestD2 = Double.MAX_VALUE;
        for (int ring = 0; ring <= cells; ring++) {
            // every point in a cell at Chebyshev ring distance r is at least (r - 1) * cellSize away
            double minDist = (ring - 1) * cellSize;
            if (best >= 0 && minDist > 0 && minDist * minDist > bestD2) {
                break;
            }
            for (int gx = cx - ring; gx <= cx + ring; gx++) {
                for (int gy = cy - ring; gy <= cy + ring; gy++) {
                    if (Math.max(Math.abs(gx - cx), Math.abs(gy - cy)) != ring || gx < 0 || gy < 0 || gx >= cells || gy >= cells) {
                        continue;
                    }
                    int cell = gx * cells + gy;
                    for (int k = cellStart[cell]; k < cellStart[cell + 1]; k++) {
                        int node = cellNodes[k];
                        double dx = x[node] - px;
                        double dy = y[node] - py;
                        double d2 = dx * dx + dy * dy;
                        if (d2 < bestD2 || (d2 == bestD2 && node < best)) {
                            bestD2 = d2;
                            best = node;
                        }
                    }
                }
            }
        }
        return best;
    }

    private int cellOf(double px, double py) {
        return cellCoord(px) * cells + cellCoord(py);
    }

    private int cellCoord(double v) {
        return Math.max(0, Math.min(cells - 1, (int) (v / cellSize)));
    }
}
