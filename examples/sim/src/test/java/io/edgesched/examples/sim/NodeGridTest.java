package io.edgesched.examples.sim;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class NodeGridTest {
    @Test
    void nearestMatchesBruteForce() {
        SplittableRandom random = new SplittableRandom(5);
        for (int trial = 0; trial < 200; trial++) {
            int nodes = 1 + random.nextInt(300);
            double[] x = new double[nodes];
            double[] y = new double[nodes];
            // clustered like the simulator's regions, so that many grid cells are empty
            double cx = random.nextDouble(3000);
            double cy = random.nextDouble(3000);
            for (int i = 0; i < nodes; i++) {
                boolean clustered = random.nextBoolean();
                x[i] = clustered ? Math.min(3000, Math.max(0, cx + random.nextGaussian() * 50)) : random.nextDouble(3000);
                y[i] = clustered ? Math.min(3000, Math.max(0, cy + random.nextGaussian() * 50)) : random.nextDouble(3000);
            }
            NodeGrid grid = new NodeGrid(x, y, 3000);
            for (int q = 0; q < 50; q++) {
                double px = random.nextDouble(3000);
                double py = random.nextDouble(3000);
                int best = 0;
                for (int i = 1; i < nodes; i++) {
                    if (Math.hypot(x[i] - px, y[i] - py) < Math.hypot(x[best] - px, y[best] - py)) {
                        best = i;
                    }
                }
                int found = grid.nearest(px, py);
                assertThat(Math.hypot(x[found] - px, y[found] - py))
                        .as("trial %d query %d", trial, q)
                        .isEqualTo(Math.hypot(x[best] - px, y[best] - py));
            }
        }
    }
}
