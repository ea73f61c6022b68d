package io.edgesched.api.control;

import io.edgesched.api.policy.DecisionReason;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The result of one decision round.
 *
 * @param round        round number (1 for the first)
 * @param at           controller clock at the start of the round
 * @param decisions    one decision per configured workload, sorted by workload; empty when the inputs failed
 * @param planned      workloads handed to the policy (the others were blocked, or unchanged: see
 *                     {@link PlacementController.Builder#incrementalPlanning})
 * @param movesStarted moves handed to the rescheduler in this round
 * @param wouldMove    moves a dry-run controller chose and did not start
 * @param took         wall time of the round (ingest, plan, gate, starting moves)
 * @param inputsTook   part of {@code took} spent reading demand (ingesting snapshots) and topology
 * @param planTook     part of {@code took} spent in the policy (including the gate)
 * @param inputError   why the round decided nothing, when reading demand or topology failed
 */
public record RoundReport(long round, Instant at, List<Decision> decisions, int planned, int movesStarted, int wouldMove,
                          Duration took, Duration inputsTook, Duration planTook, Optional<String> inputError) {
    public RoundReport {
        decisions = List.copyOf(decisions);
    }

    /** How many decisions of this round give this reason. */
    public long count(DecisionReason reason) {
        return decisions.stream().filter(d -> d.reason() == reason).count();
    }
}
