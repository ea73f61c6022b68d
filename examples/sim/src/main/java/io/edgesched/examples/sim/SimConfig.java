package io.edgesched.examples.sim;

import java.time.Duration;

/**
 * Everything a simulation run depends on; the same config and seed give the same run (except timings).
 *
 * @param optimal how {@code optimalMeanLatencyMs} is computed: EXACT (enumerate every node set, only on
 *                small instances), POLICY (the real policy on the true demand with no stability gate: what
 *                the controller would reach with perfect knowledge and no damping), NONE, or AUTO (EXACT when
 *                small enough, else POLICY)
 * @param pushSnapshots nodes push their snapshots to the controller as they arrive ({@code ingest}), before the
 *                round; false: the round pulls and ingests them itself
 * @param replanTolerance demand-shape tolerance of the controller's incremental planning; negative: plan every
 *                workload every round
 */
record SimConfig(int nodes, int workloads, int clients, int steps, long seed, Duration step, double jumpRate,
                 double driftKm, int maxReplicas, double failRate, double refuseRate, Duration minMoveDelay,
                 Duration maxMoveDelay, boolean dryRun, Optimal optimal, double movesPerMinute, int burst,
                 double relativeGain, double absoluteGainMicros, Duration minDwell, boolean parallel,
                 boolean pushSnapshots, double replanTolerance, long settleCompilerMillis) {

    enum Optimal { AUTO, EXACT, POLICY, NONE }
}
