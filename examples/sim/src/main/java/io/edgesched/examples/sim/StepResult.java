package io.edgesched.examples.sim;

/**
 * One simulated step.
 *
 * @param decideMillis         wall time of the controller's decision round (demand ingest, plan, gate, move start)
 * @param moves                moves the controller started (or, dry run, would have started) in this step
 * @param meanLatencyMs        demand-weighted mean request latency after the step
 * @param optimalMeanLatencyMs the reference optimum (see {@link SimConfig#optimal()}), or null
 * @param optimalKind          "exact", "policy" or null
 * @param movesDone            moves completed so far
 * @param movesFailed          moves failed so far
 * @param movesRefused         moves refused so far
 * @param movesInFlight        moves running at the end of the step
 * @param planned              workloads the policy planned this step (the others were held unchanged or blocked)
 * @param ingestMillis         wall time of pushing the nodes' snapshots into the controller before the round
 *                             (0 with --pull, where the round ingests them and decideMillis includes it)
 * @param inputsMillis         part of decideMillis spent reading demand (store upkeep, the view) and topology
 * @param planMillis           part of decideMillis spent in the policy and the gate
 * @param gcMillis             garbage-collector time (the JVM's collection time) while ingest and round ran
 * @param cycleCpuMillis       CPU time of the whole process (every thread: the controller's, the collector's, the
 *                             compiler's) while ingest and round ran; over cycleMillis, how many cores were busy
 * @param housekeepMillis      wall time of the controller's work between rounds after this step's round
 *                             ({@code PlacementController.housekeep}: growing the demand store ahead of need), not
 *                             part of the cycle: a deployed controller does it in the idle time before its next round
 * @param compileMillis        JIT compilation time (summed over the compiler threads) while ingest and round ran:
 *                             compilers share the cores with the cycle until the code has settled
 * @param settledMillis        time waited for the compilers to go idle before the cycle ({@code --settle-compiler-ms};
 *                             0 when not asked)
 */
record StepResult(int step, double decideMillis, int moves, double meanLatencyMs, Double optimalMeanLatencyMs,
                  String optimalKind, long movesDone, long movesFailed, long movesRefused, long movesInFlight,
                  int planned, double ingestMillis, double inputsMillis, double planMillis, long gcMillis,
                  double cycleCpuMillis, double housekeepMillis,
                  long compileMillis, long settledMillis) {

    /** What a user waits for per step: ingesting the nodes' snapshots plus the decision round. */
    double cycleMillis() {
        return ingestMillis + decideMillis;
    }
}
