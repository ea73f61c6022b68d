package io.edgesched.k8s.report;

import io.edgesched.api.control.RoundScheduler;
import io.edgesched.k8s.metrics.EdgeschedMetrics;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node agent's loop around an {@link OriginReportPublisher}: builds this node's report every
 * {@code interval} (the first at once) and writes it as its {@link PublishRule} says, and updates the watch list {@code watchSyncDelay} after the cluster
 * changes (a new NodePort, a pod landing here) instead of waiting for the next report; changes that arrive
 * meanwhile share one update, since a busy cluster changes all the time. Both run on one thread (the publisher
 * is not thread-safe), scheduled by {@link RoundScheduler}s. A failed publish is counted, logged and retried
 * at the next interval; it never stops the loop. An {@link Error} would silently cancel a scheduled task, so it
 * stops the loop loudly instead: it goes to the {@code onFatal} callback (the agent app exits non-zero), and
 * {@link #lastTurn()} stops advancing, which the health endpoint reports.
 */
public final class AgentLoop implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AgentLoop.class);
    private static final java.lang.management.ThreadMXBean THREADS =
            java.lang.management.ManagementFactory.getThreadMXBean();

    /**
     * @param interval       time between reports
     * @param watchSyncDelay after a cluster change, the watch list is updated this much later
     * @param publishRule    which reports are written: every one, or only material changes plus a heartbeat
     * @param events         fast reads between reports that write a client's arrival or departure at once
     */
    public record Settings(Duration interval, Duration watchSyncDelay, PublishRule publishRule, Events events) {
        public Settings {
            Objects.requireNonNull(interval, "interval");
            Objects.requireNonNull(watchSyncDelay, "watchSyncDelay");
            Objects.requireNonNull(publishRule, "publishRule");
            Objects.requireNonNull(events, "events");
            if (interval.isNegative() || interval.isZero()) {
                throw new IllegalArgumentException("interval must be positive, got " + interval);
            }
            if (watchSyncDelay.isNegative()) {
                throw new IllegalArgumentException("watchSyncDelay must not be negative, got " + watchSyncDelay);
            }
        }

        /** Without fast reads. */
        public Settings(Duration interval, Duration watchSyncDelay, PublishRule publishRule) {
            this(interval, watchSyncDelay, publishRule, Events.off());
        }

        /** Writes every report it builds. */
        public Settings(Duration interval, Duration watchSyncDelay) {
            this(interval, watchSyncDelay, PublishRule.everyReport());
        }

        /**
         * A report built every 10 s, written on material change or every 30 s ({@link PublishRule#defaults()}),
         * watch list updated 5 s after a change, fast reads for events ({@link Events#defaults()}).
         */
        public static Settings defaults() {
            return new Settings(Duration.ofSeconds(10), Duration.ofSeconds(5), PublishRule.defaults(),
                    Events.defaults());
        }

        public Settings withEvents(Events e) {
            return new Settings(interval, watchSyncDelay, publishRule, e);
        }
    }

    /**
     * The event path: the source is read every {@code readInterval} (stretched so that reading costs at most
     * {@code maxCpuShare} of a core: a read of a large table that took 20 ms waits 2 s at 1 %), and a report is
     * written at once when a heavy client arrived, left or came back ({@link PublishRule#eventReason}), within
     * an {@link EventBudget} of {@code bytesPerSecond} with bursts of {@code burstBytes}; the budget, not the
     * reads' share, pays for a write's CPU.
     *
     * @param readInterval  shortest time between fast reads; zero turns the event path off
     * @param evidenceReads reads at a new entry that make an arrival's evidence (the controller's handoff rule's)
     */
    public record Events(Duration readInterval, double maxCpuShare, double bytesPerSecond, double burstBytes,
                         int evidenceReads) {
        public Events {
            Objects.requireNonNull(readInterval, "readInterval");
            if (readInterval.isNegative()) {
                throw new IllegalArgumentException("readInterval must not be negative, got " + readInterval);
            }
            if (!(maxCpuShare > 0 && maxCpuShare <= 1)) {
                throw new IllegalArgumentException("maxCpuShare must be in (0, 1], got " + maxCpuShare);
            }
            new EventBudget(bytesPerSecond, burstBytes); // validates
            if (evidenceReads < 1) {
                throw new IllegalArgumentException("evidenceReads must be >= 1, got " + evidenceReads);
            }
        }

        /**
         * Reads every 250 ms at most 0.5 % of a core (half the agent's 1 % budget); events add at most 1 KiB/s on
         * average, 64 KiB at once.
         */
        public static Events defaults() {
            return new Events(Duration.ofMillis(250), 0.005, 1024, 64 * 1024,
                    io.edgesched.api.demand.HandoffRule.defaults().evidenceReads());
        }

        public static Events off() {
            return new Events(Duration.ZERO, 0.01, 0, 0, 1);
        }

        public boolean enabled() {
            return !readInterval.isZero();
        }

        public Events withReadInterval(Duration d) {
            return new Events(d, maxCpuShare, bytesPerSecond, burstBytes, evidenceReads);
        }

    }

    /**
     * Paces the fast reads: a credit of CPU time that grows at {@code maxCpuShare} of the elapsed time, up to that
     * share of {@link #WINDOW}, pays for each read; while it is positive the next read comes after the read
     * interval, once spent the reads wait until it is paid back (at most the report interval). One slow read (a cold
     * JIT, a burst of new clients) does not stretch the next wait a hundredfold; a large table read every time does.
     */
    static final class ReadPacer {
        static final Duration WINDOW = Duration.ofSeconds(10);
        private final Events events;
        private final long ceilingNanos;
        private double creditNanos;
        private long creditAt;

        ReadPacer(Events events, Duration ceiling, long nowNanos) {
            this.events = events;
            this.ceilingNanos = Math.max(events.readInterval().toNanos(), ceiling.toNanos());
            this.creditNanos = events.maxCpuShare() * WINDOW.toNanos();
            this.creditAt = nowNanos;
        }

        /** The wait before the next read, after one that took {@code readNanos} and ended at {@code nowNanos}. */
        long nextDelayNanos(long readNanos, long nowNanos) {
            double share = events.maxCpuShare();
            creditNanos = Math.min(share * WINDOW.toNanos(), creditNanos + share * (nowNanos - creditAt)) - readNanos;
            creditAt = nowNanos;
            long interval = events.readInterval().toNanos();
            if (creditNanos >= 0) {
                return interval;
            }
            return Math.min(ceilingNanos, Math.max(interval, (long) (-creditNanos / share)));
        }
    }

    private final OriginReportPublisher publisher;
    private final EdgeschedMetrics metrics;
    private final Settings settings;
    private final ScheduledExecutorService thread;
    private final RoundScheduler publish;
    private final RoundScheduler watchSync;
    private final Consumer<Throwable> onFatal;
    private volatile Instant lastTurn = Instant.now();
    private final EventBudget eventBudget;
    private final ReadPacer pacer;
    private volatile boolean closed;

    private AgentLoop(OriginReportPublisher publisher, EdgeschedMetrics metrics, Settings settings,
                      Consumer<Throwable> onFatal) {
        this.publisher = Objects.requireNonNull(publisher, "publisher");
        this.onFatal = Objects.requireNonNull(onFatal, "onFatal");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.thread = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("edgesched-agent").factory());
        this.publish = RoundScheduler.on(thread, "report publishing", this::publishOnce, Duration.ZERO);
        this.watchSync = RoundScheduler.on(thread, "watch sync", this::syncWatches, Duration.ZERO);
        this.eventBudget = new EventBudget(settings.events().bytesPerSecond(), settings.events().burstBytes());
        this.pacer = new ReadPacer(settings.events(), settings.interval(), System.nanoTime());
    }

    /**
     * Starts publishing.
     *
     * @param clusterChanges registers a callback for cluster changes, e.g. {@code topology::addListener} of a
     *                       {@link io.edgesched.k8s.topology.KubernetesTopology}
     */
    public static AgentLoop start(OriginReportPublisher publisher, Consumer<Runnable> clusterChanges,
                                  EdgeschedMetrics metrics, Settings settings) {
        return start(publisher, clusterChanges, metrics, settings,
                t -> LOG.error("the agent loop stopped by {}; no further reports", t.toString(), t));
    }

    /**
     * Starts publishing; an {@link Error} in the loop stops it and goes to {@code onFatal} (e.g. exit the process
     * non-zero so the kubelet restarts it).
     */
    public static AgentLoop start(OriginReportPublisher publisher, Consumer<Runnable> clusterChanges,
                                  EdgeschedMetrics metrics, Settings settings, Consumer<Throwable> onFatal) {
        AgentLoop loop = new AgentLoop(publisher, metrics, settings, onFatal);
        metrics.reportEvents(publisher::eventWrites, publisher::eventsDeferred);
        clusterChanges.accept(() -> loop.watchSync.trigger(settings.watchSyncDelay()));
        loop.publish.start(Duration.ZERO, settings.interval());
        if (settings.events().enabled()) {
            loop.scheduleFastRead(settings.events().readInterval().toNanos());
        }
        return loop;
    }

    /** The report the loop published, or empty (first read, no material change, or it failed); one run of the loop's publish. */
    Optional<OriginReport> publishOnce() {
        try {
            long skippedBefore = publisher.skipped();
            Optional<OriginReport> report = publisher.publish(settings.publishRule());
            if (publisher.skipped() > skippedBefore) {
                metrics.reportSkipped();
            }
            report.ifPresent(r -> {
                metrics.reportPublished(r.getStatus().serializedBytes());
                LOG.debug("published OriginReport {} ({}): {} workloads, {} bytes", publisher.node(),
                        publisher.lastReason(), r.getSpec().workloads().size(), r.getStatus().serializedBytes());
            });
            lastTurn = Instant.now();
            return report;
        } catch (RuntimeException e) {
            metrics.reportPublishFailed();
            LOG.warn("publishing the OriginReport failed; retrying in {}: {}", settings.interval(), e.getMessage());
            lastTurn = Instant.now();
            return Optional.empty();
        } catch (Error e) {
            stop(e);
            return Optional.empty();
        }
    }

    /** An Error would silently cancel a scheduled task: stop every schedule and hand it to {@code onFatal}. */
    private void stop(Error e) {
        closed = true;
        publish.close();
        watchSync.close();
        onFatal.accept(e);
    }

    private void scheduleFastRead(long delayNanos) {
        if (closed) {
            return;
        }
        try {
            thread.schedule(this::fastRead, delayNanos, TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException shutDown) {
            // closing
        }
    }

    /** One run of the event path; schedules the next. */
    void fastRead() {
        if (closed) {
            return;
        }
        long cpuBefore = cpuNanos();
        long cost = -1;
        try {
            Optional<OriginReportPublisher.EventWrite> event = publisher.readEvents(settings.publishRule(),
                    eventBudget, settings.events().evidenceReads());
            // the pacer charges the read alone: the event budget pays for writes, and charging a write here put the
            // read that gathers an arrival's evidence 1.2 s after the arrival's write instead of one interval
            cost = cpuNanos() - cpuBefore;
            event.ifPresent(e -> {
                OriginReport r = e.write();
                metrics.reportPublished(r.getStatus().serializedBytes());
                LOG.debug("published OriginReport {} at once ({}), {} bytes", publisher.node(), e.reason(),
                        r.getStatus().serializedBytes());
            });
        } catch (RuntimeException e) {
            cost = cost >= 0 ? cost : cpuNanos() - cpuBefore;
            metrics.reportPublishFailed();
            LOG.warn("writing an event report failed; the next read retries: {}", e.getMessage());
        } catch (Error e) {
            stop(e);
            return;
        }
        long delay = pacer.nextDelayNanos(cost, System.nanoTime());
        if (LOG.isTraceEnabled()) {
            LOG.trace("fast read took {} us of CPU; next in {} ms", cost / 1000, delay / 1_000_000);
        }
        scheduleFastRead(delay);
    }

    /**
     * This thread's CPU time, which is what the pacer's share limits: an event write's wait for the API server is
     * not CPU, and charging it drained the credit so the next reads (a handoff's evidence) came seconds late. The
     * wall clock where the JVM cannot tell thread CPU time.
     */
    private static long cpuNanos() {
        return THREADS.isCurrentThreadCpuTimeSupported() ? THREADS.getCurrentThreadCpuTime() : System.nanoTime();
    }

    /** The budget event writes are paid from. */
    public EventBudget eventBudget() {
        return eventBudget;
    }

    /** When the publish loop last finished a turn (published, or failed with an exception it survives). */
    public Instant lastTurn() {
        return lastTurn;
    }

    private void syncWatches() {
        try {
            publisher.syncWatches();
        } catch (RuntimeException e) {
            LOG.warn("updating the watch list failed; retrying at the next report: {}", e.getMessage());
        }
    }

    /** Stops publishing (a publish in progress finishes first, for at most 10 s). Idempotent. */
    @Override
    public void close() {
        closed = true;
        publish.close();
        watchSync.close();
        thread.shutdown();
        try {
            if (!thread.awaitTermination(10, TimeUnit.SECONDS)) {
                thread.shutdownNow();
            }
        } catch (InterruptedException e) {
            thread.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
