package io.edgesched.api.control;

import io.edgesched.api.MoveRequest;
import io.edgesched.api.MoveResult;
import io.edgesched.api.Rescheduler;
import io.edgesched.api.WorkloadId;
import io.edgesched.api.policy.MoveGate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletionStage;

/**
 * Move dispatch and completion: hands admitted moves to the {@link Rescheduler}, tells the {@link MoveGate} that a
 * move started and how it ended, keeps the per-workload bookkeeping ({@link MoveTracker}: one move in flight,
 * backoff, refusal cool-down, settling), counts, logs, and passes every result to the listeners. Moves start on
 * the round's thread; results arrive on any thread.
 */
final class MoveDispatcher {
    private static final Logger log = LoggerFactory.getLogger(PlacementController.class);

    private final Rescheduler rescheduler;
    private final MoveGate gate;
    private final MoveTracker tracker;
    private final InstantSource clock;
    private final StatsRecorder stats;
    private final List<DecisionListener> listeners;
    /** Level of the per-move lines: debug for a warm-up's throw-away controller, else info (ends: warn). */
    private final Level moveLevel;
    private final Level troubleLevel;

    MoveDispatcher(Rescheduler rescheduler, MoveGate gate, MoveTracker tracker, InstantSource clock, StatsRecorder stats,
                   List<DecisionListener> listeners, boolean quiet) {
        this.moveLevel = quiet ? Level.DEBUG : Level.INFO;
        this.troubleLevel = quiet ? Level.DEBUG : Level.WARN;
        this.rescheduler = rescheduler;
        this.gate = Objects.requireNonNull(gate, "gate");
        this.tracker = Objects.requireNonNull(tracker, "tracker");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.stats = Objects.requireNonNull(stats, "stats");
        this.listeners = Objects.requireNonNull(listeners, "listeners");
    }

    MoveTracker tracker() {
        return tracker;
    }

    /** Starts a move already marked in flight ({@link MoveTracker#tryStart}). */
    void start(MoveRequest request, Instant now) {
        gate.moveStarted(request.workload(), now);
        stats.movesStarted.increment();
        log.atLevel(moveLevel).log("moving {} from {} to {}: {}", request.workload(), request.currentNodes(),
                request.targetNodes(), request.reason());
        CompletionStage<MoveResult> stage;
        try {
            stage = Objects.requireNonNull(rescheduler.move(request), "rescheduler returned no stage");
        } catch (RuntimeException e) {
            ended(new MoveResult.Failed(request, "rescheduler threw " + e, false, e));
            return;
        }
        stage.whenComplete((result, error) -> {
            if (error != null) {
                ended(new MoveResult.Failed(request, "rescheduler stage failed: " + error, false, error));
            } else if (result == null) {
                ended(new MoveResult.Failed(request, "rescheduler completed with no result", false, null));
            } else {
                ended(result);
            }
        });
    }

    private void ended(MoveResult result) {
        Instant now = clock.instant();
        var backoff = tracker.completed(result, now);
        WorkloadId workload = result.request().workload();
        try {
            gate.moveEnded(result, now);
        } catch (RuntimeException e) {
            log.warn("move gate {} threw on the end of {}'s move; ignored", gate, workload, e);
        }
        switch (result) {
            case MoveResult.Done done -> {
                stats.movesDone.increment();
                log.atLevel(moveLevel).log("moved {} to {} in {}", workload, done.request().targetNodes(), done.took());
            }
            case MoveResult.Refused refused -> {
                stats.movesRefused.increment();
                log.atLevel(troubleLevel).log("move of {} to {} refused: {}; not asking again before the inputs change"
                        + " or the cool-down passes", workload, refused.request().targetNodes(), refused.reason());
            }
            case MoveResult.Failed failed -> {
                stats.movesFailed.increment();
                log.atLevel(troubleLevel).log("move of {} to {} failed ({}{}); retrying after {}", workload,
                        failed.request().targetNodes(), failed.reason(),
                        failed.rolledBack() ? ", rolled back" : "", backoff, failed.cause());
            }
        }
        for (DecisionListener l : listeners) {
            try {
                l.onMoveResult(result);
            } catch (RuntimeException e) {
                log.warn("decision listener {} threw on a move result; ignored", l, e);
            }
        }
    }
}
