package io.edgesched.api.control;

import java.time.Duration;

/**
 * Counters of a {@link PlacementController} since it was built; a consistent-enough copy taken by
 * {@link PlacementController#stats()}. Plain values so that any metrics library can export them.
 *
 * @param rounds            decision rounds run
 * @param decisions         per-workload decisions taken (all reasons)
 * @param movesStarted      moves handed to the rescheduler
 * @param movesDone         moves that completed ({@code MoveResult.Done})
 * @param movesRefused      moves the rescheduler refused
 * @param movesFailed       moves that failed (including a stage completing exceptionally)
 * @param movesInFlight     moves started and not yet completed
 * @param wouldMove         moves a dry-run controller decided on and did not start
 * @param inputErrors       rounds in which reading demand or topology failed (nothing was moved then)
 * @param lastRoundDuration wall time of the last decision round (demand ingest + policy + gate)
 * @param maxRoundDuration  longest decision round so far
 * @param totalRoundDuration sum of all decision rounds, for a mean
 */
public record ControllerStats(long rounds, long decisions, long movesStarted, long movesDone, long movesRefused,
                              long movesFailed, long movesInFlight, long wouldMove, long inputErrors,
                              Duration lastRoundDuration, Duration maxRoundDuration, Duration totalRoundDuration) {

    /** Mean decision-round time, zero before the first round. */
    public Duration meanRoundDuration() {
        return rounds == 0 ? Duration.ZERO : totalRoundDuration.dividedBy(rounds);
    }
}
