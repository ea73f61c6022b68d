package io.edgesched.api.control;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * When a task runs (the controller's decision round, the agent's publish or watch sync): every {@code interval}
 * after {@link #start}, and once soon after {@link #trigger}. Triggers that arrive while one is pending merge into
 * it, and a triggered run starts no sooner than {@code minSpacing} after the previous run started, so a storm of
 * events cannot keep a core busy. Runs never overlap (one thread); a task that throws is logged and the schedule
 * goes on. The task itself knows nothing about time: the same task runs from a test's thread without a scheduler.
 */
public final class RoundScheduler implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RoundScheduler.class);

    private final String name;
    private final Runnable task;
    private final Duration minSpacing;
    private final ScheduledExecutorService executor;
    private final boolean ownsExecutor;
    private final AtomicBoolean triggerPending = new AtomicBoolean();
    private final Object triggerLock = new Object();
    private long pendingDueNanos;
    private ScheduledFuture<?> pendingRun;
    private volatile long lastRunStartNanos;
    private volatile boolean ran;
    private volatile ScheduledFuture<?> schedule;
    private volatile boolean closed;

    private RoundScheduler(String name, Runnable task, Duration minSpacing, ScheduledExecutorService executor,
                           boolean ownsExecutor) {
        this.name = Objects.requireNonNull(name, "name");
        this.task = Objects.requireNonNull(task, "task");
        this.minSpacing = Objects.requireNonNull(minSpacing, "minSpacing");
        if (minSpacing.isNegative()) {
            throw new IllegalArgumentException("minSpacing must not be negative, got " + minSpacing);
        }
        this.executor = executor;
        this.ownsExecutor = ownsExecutor;
    }

    /** Runs {@code task} on an own daemon thread named {@code name}. */
    public static RoundScheduler ownThread(String name, Runnable task, Duration minSpacing) {
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
        return new RoundScheduler(name, task, minSpacing, executor, true);
    }

    /**
     * Runs {@code task} on the given executor (shared with other schedulers, e.g. the agent's publish and watch
     * sync; not shut down by {@link #close}). Use a single-threaded one if runs of different tasks must not overlap.
     */
    public static RoundScheduler on(ScheduledExecutorService executor, String name, Runnable task, Duration minSpacing) {
        return new RoundScheduler(name, task, minSpacing, Objects.requireNonNull(executor, "executor"), false);
    }

    /** Runs the task every {@code interval} (fixed delay), the first run after {@code initialDelay}. Idempotent. */
    public synchronized void start(Duration initialDelay, Duration interval) {
        if (closed) {
            throw new IllegalStateException(name + " is closed");
        }
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("interval must be positive, got " + interval);
        }
        if (schedule == null) {
            schedule = executor.scheduleWithFixedDelay(this::runSafely, initialDelay.toNanos(), interval.toNanos(),
                    TimeUnit.NANOSECONDS);
        }
    }

    /**
     * Runs the task once after {@code delay}, merged with a run already pending, spaced by {@code minSpacing}.
     * A trigger due sooner than the pending run brings that run forward (a handoff report must not wait for the
     * delay an ordinary report asked for); one due later merges into it.
     */
    public void trigger(Duration delay) {
        if (closed) {
            return;
        }
        synchronized (triggerLock) {
            long spacing = ran ? lastRunStartNanos + minSpacing.toNanos() - System.nanoTime() : 0;
            long wait = Math.max(Math.max(0, delay.toNanos()), spacing);
            long due = System.nanoTime() + wait;
            if (triggerPending.get()) {
                if (due - pendingDueNanos >= 0 || pendingRun == null || !pendingRun.cancel(false)) {
                    return; // the pending run comes first (or has started already)
                }
            }
            triggerPending.set(true);
            pendingDueNanos = due;
            try {
                pendingRun = executor.schedule(() -> {
                    triggerPending.set(false);
                    runSafely();
                }, wait, TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException shutDown) {
                triggerPending.set(false);
            }
        }
    }

    /** Runs the task soon (see {@link #trigger(Duration)} with no delay). */
    public void trigger() {
        trigger(Duration.ZERO);
    }

    /** Runs {@code work} on the scheduler's thread, between runs of the task (e.g. ingesting a pushed report). */
    public void execute(Runnable work) {
        executor.execute(work);
    }

    public boolean isStarted() {
        return schedule != null;
    }

    private void runSafely() {
        if (closed) {
            return;
        }
        lastRunStartNanos = System.nanoTime();
        ran = true;
        try {
            task.run();
        } catch (RuntimeException e) {
            // a bug in a task must not kill the schedule; it is logged every time
            LOG.error("{} failed; it keeps running and tries again at the next run", name, e);
        }
    }

    /** Stops scheduling; a run in progress finishes (an own thread is interrupted after 10 s). Idempotent. */
    @Override
    public synchronized void close() {
        closed = true;
        if (schedule != null) {
            schedule.cancel(false);
        }
        if (ownsExecutor) {
            executor.shutdown();
            try {
                if (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
                    LOG.warn("{} still runs 10 s after close(); interrupting it", name);
                    executor.shutdownNow();
                }
            } catch (InterruptedException e) {
                executor.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
    }
}
