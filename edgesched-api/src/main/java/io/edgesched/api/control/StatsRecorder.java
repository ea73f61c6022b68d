package io.edgesched.api.control;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** Thread-safe counters behind {@link ControllerStats}: rounds run on one thread, move results arrive on others. */
final class StatsRecorder {
    final LongAdder rounds = new LongAdder();
    final LongAdder decisions = new LongAdder();
    final LongAdder movesStarted = new LongAdder();
    final LongAdder movesDone = new LongAdder();
    final LongAdder movesRefused = new LongAdder();
    final LongAdder movesFailed = new LongAdder();
    final LongAdder wouldMove = new LongAdder();
    final LongAdder inputErrors = new LongAdder();
    private final AtomicLong lastRoundNanos = new AtomicLong();
    private final AtomicLong maxRoundNanos = new AtomicLong();
    private final LongAdder totalRoundNanos = new LongAdder();

    void roundTook(long nanos) {
        rounds.increment();
        lastRoundNanos.set(nanos);
        maxRoundNanos.accumulateAndGet(nanos, Math::max);
        totalRoundNanos.add(nanos);
    }

    ControllerStats snapshot() {
        long started = movesStarted.sum();
        long done = movesDone.sum();
        long refused = movesRefused.sum();
        long failed = movesFailed.sum();
        return new ControllerStats(rounds.sum(), decisions.sum(), started, done, refused, failed,
                Math.max(0, started - done - refused - failed), wouldMove.sum(), inputErrors.sum(),
                Duration.ofNanos(lastRoundNanos.get()), Duration.ofNanos(maxRoundNanos.get()),
                Duration.ofNanos(totalRoundNanos.sum()));
    }
}
