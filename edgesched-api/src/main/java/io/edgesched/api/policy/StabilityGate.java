package io.edgesched.api.policy;

import io.edgesched.api.MoveResult;
import io.edgesched.api.WorkloadId;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Stability state kept by the controller between rounds: hysteresis thresholds, a minimum dwell time per
 * workload, and a global token bucket on moves. Planning reads it through {@link #open(Instant)} rounds
 * (which never change it); {@link #record(PlacementPlan)} commits the moves of a plan. Thread-safe.
 */
public final class StabilityGate implements MoveGate {
    private final StabilityConfig config;
    private final InstantSource clock;
    private final Map<WorkloadId, Instant> lastMove = new HashMap<>();
    private double tokens;
    private Instant tokensAt;

    public StabilityGate(StabilityConfig config, InstantSource clock) {
        this.config = Objects.requireNonNull(config, "config");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.tokens = config.burst();
        this.tokensAt = clock.instant();
    }

    public StabilityConfig config() {
        return config;
    }

    /** A round at the clock's current instant. */
    public Round open() {
        return open(clock.instant());
    }

    @Override
    public synchronized Round open(Instant now) {
        double available = tokensAt(now);
        Map<WorkloadId, Instant> moved = Map.copyOf(lastMove);
        return new GateRound(now, available, moved);
    }

    /** Commits the moves of a plan that the controller is about to execute (or executed). */
    public synchronized void record(PlacementPlan plan) {
        for (WorkloadDecision d : plan.moves()) {
            recordMove(d.workload(), plan.at());
        }
    }

    /** Commits one move at the given instant: starts its dwell time and spends a token. */
    public synchronized void recordMove(WorkloadId workload, Instant at) {
        tokens = tokensAt(at) - 1;
        if (at.isAfter(tokensAt)) {
            tokensAt = at;
        }
        lastMove.merge(workload, at, (a, b) -> a.isAfter(b) ? a : b);
    }

    /** A started move starts its dwell time and spends a token. */
    @Override
    public void moveStarted(WorkloadId workload, Instant at) {
        recordMove(workload, at);
    }

    /** Nothing moved after a failure or refusal: the dwell must not hold back the retry or a different move. */
    @Override
    public void moveEnded(MoveResult result, Instant at) {
        if (!result.isDone()) {
            forget(result.request().workload());
        }
    }

    /** Commits one move now (by the clock). */
    public void recordMove(WorkloadId workload) {
        recordMove(workload, clock.instant());
    }

    public synchronized Optional<Instant> lastMove(WorkloadId workload) {
        return Optional.ofNullable(lastMove.get(workload));
    }

    /** Moves the bucket would allow at {@code now}. */
    public synchronized double availableTokens(Instant now) {
        return tokensAt(now);
    }

    /** Forgets workloads that no longer exist. */
    public synchronized void forget(WorkloadId workload) {
        lastMove.remove(workload);
    }

    private double tokensAt(Instant now) {
        double elapsedSeconds = Math.max(0, Duration.between(tokensAt, now).toNanos() / 1e9);
        return Math.min(config.burst(), tokens + elapsedSeconds * config.movesPerMinute() / 60.0);
    }

    private final class GateRound implements Round {
        private final Instant now;
        private final Map<WorkloadId, Instant> moved;
        private double roundTokens;

        GateRound(Instant now, double tokens, Map<WorkloadId, Instant> moved) {
            this.now = now;
            this.roundTokens = tokens;
            this.moved = moved;
        }

        @Override
        public DecisionReason admit(WorkloadId workload, double currentCostMicros, double targetCostMicros) {
            if (!config.clearsThresholds(currentCostMicros, targetCostMicros)) {
                return DecisionReason.HOLD_BELOW_THRESHOLD;
            }
            Instant last = moved.get(workload);
            if (last != null && now.isBefore(last.plus(config.minDwell()))) {
                return DecisionReason.HOLD_DWELL;
            }
            if (roundTokens < 1) {
                return DecisionReason.HOLD_RATE_LIMIT;
            }
            roundTokens -= 1;
            return DecisionReason.MOVE;
        }
    }
}
