package io.edgesched.api;

import java.util.concurrent.CompletionStage;

/**
 * Moves a workload to a set of target nodes without dropping a ready replica
 * (make-before-break). The stage completes with {@link MoveResult.Done},
 * {@link MoveResult.Refused} or {@link MoveResult.Failed}; it completes exceptionally only on a bug.
 */
public interface Rescheduler {
    CompletionStage<MoveResult> move(MoveRequest request);
}
