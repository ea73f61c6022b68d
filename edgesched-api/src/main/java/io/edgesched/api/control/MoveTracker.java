package io.edgesched.api.control;

import io.edgesched.api.MoveRequest;
import io.edgesched.api.MoveResult;
import io.edgesched.api.NodeId;
import io.edgesched.api.WorkloadId;
import io.edgesched.api.policy.DecisionReason;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.SortedSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-workload move bookkeeping: at most one move in flight per workload, exponential backoff after a
 * failure, a hold after a refusal, and a settle period after a success (the topology may lag behind the
 * rescheduler; without it the controller would ask for the same move again).
 * Moves are started only by the round thread; results may arrive on any thread.
 */
final class MoveTracker {

    /** Whether a workload may move now; when not, the controller hold that says why. */
    record Admission(DecisionReason reason, Instant until, String why) {
        static final Admission FREE = new Admission(null, null, "");

        boolean allowed() {
            return reason == null;
        }
    }

    private record State(MoveRequest inFlight, int consecutiveFailures, Instant retryNotBefore, String lastFailure,
                         MoveRequest refused, Instant refusedUntil, String refusalReason,
                         SortedSet<NodeId> settlingTo, Instant settleUntil) {
        static final State IDLE = new State(null, 0, null, null, null, null, null, null, null);

        boolean isIdle() {
            return inFlight == null && consecutiveFailures == 0 && refused == null && settlingTo == null;
        }
    }

    private final Map<WorkloadId, State> states = new ConcurrentHashMap<>();
    private final RetryPolicy retry;
    private final Duration settleTimeout;
    private final Random random;

    MoveTracker(RetryPolicy retry, Duration settleTimeout, Random random) {
        this.retry = Objects.requireNonNull(retry);
        this.settleTimeout = Objects.requireNonNull(settleTimeout);
        this.random = Objects.requireNonNull(random);
    }

    /** Checks that do not depend on what the policy would propose. */
    Admission admit(WorkloadId workload, Set<NodeId> currentPlacement, Instant now) {
        State s = states.get(workload);
        if (s == null) {
            return Admission.FREE;
        }
        if (s.inFlight != null) {
            return new Admission(DecisionReason.HOLD_IN_FLIGHT, null, "a move to " + s.inFlight.targetNodes() + " is still running");
        }
        if (s.retryNotBefore != null && now.isBefore(s.retryNotBefore)) {
            return new Admission(DecisionReason.HOLD_BACKOFF, s.retryNotBefore, "last move failed (" + s.lastFailure + "), "
                    + s.consecutiveFailures + " failure(s) in a row; retry not before " + s.retryNotBefore);
        }
        if (s.settlingTo != null) {
            if (currentPlacement.equals(s.settlingTo) || !now.isBefore(s.settleUntil)) {
                states.computeIfPresent(workload, (w, old) -> clean(
                        new State(old.inFlight, old.consecutiveFailures, old.retryNotBefore, old.lastFailure,
                                old.refused, old.refusedUntil, old.refusalReason, null, null)));
            } else {
                return new Admission(DecisionReason.HOLD_SETTLING, s.settleUntil, "moved to " + s.settlingTo
                        + "; waiting for the topology to show it (until " + s.settleUntil + ")");
            }
        }
        return Admission.FREE;
    }

    /** A refused move is not asked again, unchanged, before its cool-down passes. */
    Admission admitProposal(WorkloadId workload, Set<NodeId> currentPlacement, Set<NodeId> target, Instant now) {
        State s = states.get(workload);
        if (s == null || s.refused == null) {
            return Admission.FREE;
        }
        boolean sameAsRefused = s.refused.targetNodes().equals(target) && s.refused.currentNodes().equals(currentPlacement);
        if (sameAsRefused && now.isBefore(s.refusedUntil)) {
            return new Admission(DecisionReason.HOLD_REFUSED, s.refusedUntil, "the same move was refused (" + s.refusalReason
                    + "); holding until the inputs change or " + s.refusedUntil);
        }
        return Admission.FREE;
    }

    /** Marks the move as running; false when one is already running for this workload. */
    boolean tryStart(MoveRequest request) {
        boolean[] started = {false};
        states.compute(request.workload(), (w, old) -> {
            State s = old == null ? State.IDLE : old;
            if (s.inFlight != null) {
                return s;
            }
            started[0] = true;
            return new State(request, s.consecutiveFailures, s.retryNotBefore, s.lastFailure,
                    s.refused, s.refusedUntil, s.refusalReason, null, null);
        });
        return started[0];
    }

    /** Records how a move ended; returns the backoff chosen after a failure (else null). */
    Duration completed(MoveResult result, Instant now) {
        Duration[] backoff = {null};
        states.compute(result.request().workload(), (w, old) -> {
            State s = old == null ? State.IDLE : old;
            return clean(switch (result) {
                case MoveResult.Done done -> new State(null, 0, null, null, null, null, null,
                        done.request().targetNodes(), now.plus(settleTimeout));
                case MoveResult.Refused refused -> new State(null, s.consecutiveFailures, s.retryNotBefore,
                        s.lastFailure, refused.request(), now.plus(retry.refusedCooldown()), refused.reason(), null, null);
                case MoveResult.Failed failed -> {
                    int failures = s.consecutiveFailures + 1;
                    Duration wait = retry.backoff(failures, random);
                    backoff[0] = wait;
                    yield new State(null, failures, now.plus(wait), failed.reason(), s.refused, s.refusedUntil,
                            s.refusalReason, null, null);
                }
            });
        });
        return backoff[0];
    }

    boolean inFlight(WorkloadId workload) {
        State s = states.get(workload);
        return s != null && s.inFlight != null;
    }

    /** Forgets workloads that are no longer configured (no move of theirs is running). */
    void retainOnly(Set<WorkloadId> workloads) {
        states.entrySet().removeIf(e -> !workloads.contains(e.getKey()) && e.getValue().inFlight == null);
    }

    private static State clean(State s) {
        return s.isIdle() ? null : s;
    }
}
