package io.edgesched.k8s.leader;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfig;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElector;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaderElectionRecord;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.Lock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one owner of leadership, shaped like java-operator-sdk's {@code LeaderElectionManager}: it holds a
 * coordination.k8s.io Lease with fabric8's {@code LeaderElector} + {@code LeaseLock}, and the controller's loops
 * run only while it does. On becoming leader it calls {@code whileLeading} (which starts the loops and returns
 * what stops them); on losing the Lease it closes them and calls {@code onLost} (an app exits non-zero there and
 * restarts as a clean standby). Nothing else asks "am I leader?": a loop that runs is the leader's.
 *
 * <p>Fencing: a deposed leader starts no further move. The loops are closed as soon as the Lease is lost, and
 * also when the last successful renewal <em>started</em> more than {@code renewDeadline} ago (elector thread
 * starved, API server away), which is before anyone else may take the Lease ({@code renewDeadline < leaseDuration}).
 * What the loops' close does decides the rest: {@code ReportDrivenController} refuses new moves and cancels the
 * ones under way, which {@code KubernetesRescheduler} stops without a further patch.
 *
 * <p>After a loss it keeps running for leadership (fabric8's elector is single-use; a fresh one runs after a retry
 * period) until {@link #stepDown()} or {@link #close()}, which stop the loops and then release the Lease at once,
 * so a standby leads within about one retry period instead of a full lease duration.
 */
public final class Leadership implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Leadership.class);

    private final KubernetesClient client;
    private final String namespace;
    private final String leaseName;
    private final String identity;
    private final Duration leaseDuration;
    private final Duration renewDeadline;
    private final Duration retryPeriod;
    private final Supplier<? extends AutoCloseable> whileLeading;
    private final Runnable onLost;
    /** Relaunches the elector and checks the fence. */
    private final ScheduledExecutorService elections;
    /** Starts and stops the loops off the elector's thread, one change at a time, in order. */
    private final ExecutorService transitions;
    private final ThreadLocal<Boolean> onTransitionThread = ThreadLocal.withInitial(() -> false);

    private final Object lock = new Object();
    /** True while fabric8's elector says we hold the Lease (see {@link #holdsLease()} for the fenced view). */
    private volatile boolean elected;
    /** When the last successful write of our own lease record started (initially: long ago). */
    private volatile long lastRenewStartNanos = System.nanoTime() - Long.MAX_VALUE / 4;
    private volatile String currentLeader;
    // guarded by lock
    private boolean running;
    private long round;
    private CompletableFuture<?> election;
    private LeaderElector elector;
    private AutoCloseable loops;
    private CompletableFuture<Void> steppedDown;

    private Leadership(Builder b) {
        this.client = b.client;
        this.namespace = b.namespace;
        this.leaseName = b.leaseName;
        this.identity = b.identity;
        this.leaseDuration = b.leaseDuration;
        this.renewDeadline = b.renewDeadline;
        this.retryPeriod = b.retryPeriod;
        this.whileLeading = Objects.requireNonNull(b.whileLeading, "whileLeading (what runs while leading) is required");
        this.onLost = b.onLost;
        this.elections = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("edgesched-lease-" + leaseName).factory());
        this.transitions = Executors.newSingleThreadExecutor(
                Thread.ofPlatform().daemon().name("edgesched-leadership").factory());
        long period = Math.max(10, retryPeriod.toMillis() / 2);
        elections.scheduleWithFixedDelay(this::checkFence, period, period, TimeUnit.MILLISECONDS);
    }

    public static Builder builder(KubernetesClient client) {
        return new Builder(client);
    }

    /** Runs for leadership (returns at once). Cannot be restarted after {@link #stepDown()}. */
    public Leadership start() {
        synchronized (lock) {
            if (running || steppedDown != null) {
                return this;
            }
            running = true;
            launch();
        }
        return this;
    }

    /** True while the leader's loops run here. */
    public boolean leading() {
        synchronized (lock) {
            return loops != null;
        }
    }

    /** Holder of the Lease as last observed, if any. */
    public Optional<String> currentLeader() {
        return Optional.ofNullable(currentLeader);
    }

    /** Unique name of this instance on the Lease. */
    public String identity() {
        return identity;
    }

    /**
     * Gives up leadership for good without waiting: the loops are stopped, then the Lease is released (a standby
     * takes over within a retry period). Safe to call from the loops' own threads (e.g. when a round died of an
     * Error); {@code onLost} is not called. The future completes once the Lease is released. Idempotent.
     */
    public CompletableFuture<Void> stepDown() {
        CompletableFuture<Void> done;
        synchronized (lock) {
            if (steppedDown != null) {
                return steppedDown;
            }
            done = steppedDown = new CompletableFuture<>();
            running = false;
            round++; // callbacks and restarts of the current elector are ignored from now on
        }
        Runnable stop = () -> {
            try {
                stopLoops(false);
                releaseLease();
            } finally {
                done.complete(null);
            }
        };
        if (onTransitionThread.get()) {
            stop.run();
        } else {
            try {
                transitions.execute(() -> runAsTransition(stop));
            } catch (RejectedExecutionException e) {
                stop.run();
            }
        }
        return done;
    }

    /**
     * Stops the loops and releases the Lease (waits for both, up to 30 s). From the loops' own threads use
     * {@link #stepDown()}: closing waits for the loops, which cannot wait for themselves.
     */
    @Override
    public void close() {
        try {
            stepDown().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("{}: stopping the leader's loops and releasing lease {}/{} did not finish: {}", identity,
                    namespace, leaseName, e.toString());
        }
        elections.shutdownNow();
        transitions.shutdown();
    }

    /** Fabric8's view fenced by the local clock: a leader whose last renewal is older than renewDeadline is none. */
    private boolean holdsLease() {
        return elected && System.nanoTime() - lastRenewStartNanos < renewDeadline.toNanos();
    }

    /** Stops the loops at once when renewals stalled past the deadline, even if the elector has not noticed. */
    private void checkFence() {
        if (elected && !holdsLease()) {
            LOG.warn("{}: lease {}/{} not renewed within {} ms; no longer acting as leader", identity, namespace,
                    leaseName, renewDeadline.toMillis());
            deposed();
            long current;
            synchronized (lock) {
                current = round;
            }
            scheduleRestart(current); // the elector may still think it leads: replace it, run again
        }
    }

    private void launch() {
        long myRound = ++round;
        LeaderElectionConfig config = new LeaderElectionConfigBuilder()
                .withName("edgesched-" + leaseName)
                .withLock(new RenewTrackingLock(new LeaseLock(namespace, leaseName, identity)))
                .withLeaseDuration(leaseDuration)
                .withRenewDeadline(renewDeadline)
                .withRetryPeriod(retryPeriod)
                .withReleaseOnCancel(true)
                .withLeaderCallbacks(new LeaderCallbacks(
                        () -> onStarted(myRound),
                        () -> onStopped(myRound),
                        id -> currentLeader = id))
                .build();
        elector = client.leaderElector().withConfig(config).build();
        CompletableFuture<?> f = elector.start();
        election = f;
        f.whenComplete((v, t) -> {
            if (t != null && !(t instanceof CancellationException)) {
                LOG.warn("leader election on lease {}/{} ended: {}", namespace, leaseName, t.toString());
            }
            scheduleRestart(myRound);
        });
    }

    private void onStarted(long myRound) {
        synchronized (lock) {
            if (myRound != round || !running) {
                return;
            }
        }
        elected = true;
        if (!holdsLease()) {
            elected = false; // the renewal that made us leader is already too old
            return;
        }
        LOG.info("{} became leader on lease {}/{}", identity, namespace, leaseName);
        transitionLater(this::lead);
    }

    private void onStopped(long myRound) {
        deposed();
        scheduleRestart(myRound);
    }

    /** The Lease is no longer ours: stop the loops (on the transition thread) and report the loss. */
    private void deposed() {
        if (elected) {
            elected = false;
            LOG.info("{} stopped leading on lease {}/{}", identity, namespace, leaseName);
            transitionLater(() -> stopLoops(true));
        }
    }

    private void lead() {
        synchronized (lock) {
            if (!running || loops != null || !holdsLease()) {
                return;
            }
        }
        LOG.info("{} leads: starting the controller loops", identity);
        AutoCloseable started;
        try {
            started = whileLeading.get();
        } catch (RuntimeException e) {
            LOG.error("starting the leader's loops failed; giving up leadership", e);
            stepDown();
            onLost.run();
            return;
        }
        synchronized (lock) {
            loops = started;
        }
        if (!holdsLease()) { // lost while starting
            stopLoops(true);
        }
    }

    private void stopLoops(boolean lost) {
        AutoCloseable stopping;
        synchronized (lock) {
            stopping = loops;
            loops = null;
            lost &= steppedDown == null; // stepping down is no loss
        }
        if (stopping == null) {
            return;
        }
        try {
            stopping.close();
        } catch (Exception e) {
            LOG.warn("stopping the leader's loops failed: {}", e.toString());
        }
        if (lost) {
            LOG.error("{} lost the lease {}/{}: controller loops stopped", identity, namespace, leaseName);
            try {
                onLost.run();
            } catch (RuntimeException e) {
                LOG.warn("the lost-leadership handler failed", e);
            }
        }
    }

    /** Cancels the elector and releases the Lease now (fabric8's release-on-cancel would do it asynchronously). */
    private void releaseLease() {
        CompletableFuture<?> e;
        LeaderElector el;
        synchronized (lock) {
            e = election;
            el = elector;
            election = null;
            elector = null;
        }
        elected = false;
        if (e != null) {
            e.cancel(true);
        }
        if (el != null) {
            try {
                el.release();
                LOG.info("{} released lease {}/{}", identity, namespace, leaseName);
            } catch (RuntimeException ex) {
                LOG.warn("{}: could not release lease {}/{}: {}", identity, namespace, leaseName, ex.toString());
            }
        }
    }

    private void transitionLater(Runnable r) {
        try {
            transitions.execute(() -> runAsTransition(r));
        } catch (RejectedExecutionException e) {
            LOG.debug("leadership closed; transition dropped");
        }
    }

    private void runAsTransition(Runnable r) {
        onTransitionThread.set(true);
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.error("leadership transition failed", e);
        } finally {
            onTransitionThread.set(false);
        }
    }

    /** fabric8's elector is single-use: once it stops leading, run a fresh one (once per round). */
    private void scheduleRestart(long myRound) {
        synchronized (lock) {
            if (!running || myRound != round) {
                return;
            }
            round++; // the old elector's callbacks are ignored from now on
            CompletableFuture<?> old = election;
            election = null;
            if (old != null) {
                old.cancel(true);
            }
            try {
                elections.schedule(this::relaunch, retryPeriod.toMillis(), TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                LOG.debug("leadership closed, not running for leadership again");
            }
        }
    }

    private void relaunch() {
        synchronized (lock) {
            if (running && election == null) {
                launch();
            }
        }
    }

    /** Delegates to the real lock, noting when a write of our own record succeeded (for the fence). */
    private final class RenewTrackingLock implements Lock {
        private final Lock delegate;

        RenewTrackingLock(Lock delegate) {
            this.delegate = delegate;
        }

        @Override
        public LeaderElectionRecord get(KubernetesClient c) {
            return delegate.get(c);
        }

        @Override
        public void create(KubernetesClient c, LeaderElectionRecord r) {
            long start = System.nanoTime();
            delegate.create(c, r);
            noteWrite(r, start);
        }

        @Override
        public void update(KubernetesClient c, LeaderElectionRecord r) {
            long start = System.nanoTime();
            delegate.update(c, r);
            noteWrite(r, start);
        }

        private void noteWrite(LeaderElectionRecord r, long start) {
            if (identity.equals(r.getHolderIdentity())) {
                lastRenewStartNanos = start;
            }
        }

        @Override
        public String identity() {
            return delegate.identity();
        }

        @Override
        public String describe() {
            return delegate.describe();
        }
    }

    /** Configures a {@link Leadership}. Required: the client and {@link #whileLeading}. */
    public static final class Builder {
        private final KubernetesClient client;
        private String namespace = "default";
        private String leaseName = "edgesched-controller";
        private String identity = defaultIdentity();
        private Duration leaseDuration = Duration.ofSeconds(15);
        private Duration renewDeadline = Duration.ofSeconds(10);
        private Duration retryPeriod = Duration.ofSeconds(2);
        private Supplier<? extends AutoCloseable> whileLeading;
        private Runnable onLost = () -> { };

        private Builder(KubernetesClient client) {
            this.client = Objects.requireNonNull(client, "client");
        }

        public Builder lease(String namespace, String name) {
            this.namespace = Objects.requireNonNull(namespace, "namespace");
            this.leaseName = Objects.requireNonNull(name, "name");
            return this;
        }

        /** Unique name of this instance (default: POD_NAME or HOSTNAME plus a random suffix). */
        public Builder identity(String identity) {
            this.identity = Objects.requireNonNull(identity, "identity");
            return this;
        }

        /**
         * Lease timing, as in client-go: a leader that cannot renew within {@code renewDeadline}
         * stops leading; others may take an unrenewed lease after {@code leaseDuration}; everyone
         * retries every {@code retryPeriod}. Needs retryPeriod &lt; renewDeadline &lt; leaseDuration.
         */
        public Builder timing(Duration leaseDuration, Duration renewDeadline, Duration retryPeriod) {
            if (!(retryPeriod.compareTo(renewDeadline) < 0 && renewDeadline.compareTo(leaseDuration) < 0)
                    || retryPeriod.isNegative() || retryPeriod.isZero()) {
                throw new IllegalArgumentException("need 0 < retryPeriod < renewDeadline < leaseDuration, got "
                        + retryPeriod + ", " + renewDeadline + ", " + leaseDuration);
            }
            this.leaseDuration = leaseDuration;
            this.renewDeadline = renewDeadline;
            this.retryPeriod = retryPeriod;
            return this;
        }

        /** Starts the leader's loops on becoming leader and returns what stops them (called once per term). */
        public Builder whileLeading(Supplier<? extends AutoCloseable> whileLeading) {
            this.whileLeading = Objects.requireNonNull(whileLeading, "whileLeading");
            return this;
        }

        /**
         * Called (on Leadership's thread) after the loops stopped because the Lease was lost, not after
         * {@link Leadership#stepDown()} or {@link Leadership#close()}. Default: nothing (run for leadership again).
         */
        public Builder onLost(Runnable onLost) {
            this.onLost = Objects.requireNonNull(onLost, "onLost");
            return this;
        }

        /** Builds it; {@link Leadership#start()} runs for leadership. */
        public Leadership build() {
            return new Leadership(this);
        }

        private static String defaultIdentity() {
            String base = System.getenv("POD_NAME");
            if (base == null || base.isBlank()) {
                base = System.getenv("HOSTNAME");
            }
            if (base == null || base.isBlank()) {
                base = "edgesched";
            }
            return base + "-" + UUID.randomUUID().toString().substring(0, 8);
        }
    }
}
