package io.edgesched.k8s.leader;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfig;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaderElectionRecord;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.Lock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leader election on a coordination.k8s.io Lease with fabric8's {@code LeaderElector}: of all
 * controllers running with the same lease, one at a time is leader. The gate keeps running for
 * leadership after it loses the lease (fabric8's elector stops at that point), until {@link #stop()}.
 * {@link #stop()} releases the lease so another instance takes over within one retry period.
 */
public final class LeaderGate implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LeaderGate.class);

    /** Leadership changes. Callbacks run on the elector's thread: keep them short. */
    public interface Listener {
        default void startedLeading() {
        }

        default void stoppedLeading() {
        }

        default void newLeader(String identity) {
        }
    }

    private final KubernetesClient client;
    private final String namespace;
    private final String leaseName;
    private final String identity;
    private final Duration leaseDuration;
    private final Duration renewDeadline;
    private final Duration retryPeriod;
    private final CopyOnWriteArrayList<Listener> listeners = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService restarts;
    private final Object lock = new Object();
    private volatile boolean leader;
    /** When the last successful write of our own lease record started (initially: long ago). */
    private volatile long lastRenewStartNanos = System.nanoTime() - Long.MAX_VALUE / 4;
    private volatile String currentLeader;
    private boolean running;
    private long round;
    private CompletableFuture<?> election;
    private io.fabric8.kubernetes.client.extended.leaderelection.LeaderElector elector;

    private LeaderGate(Builder b) {
        this.client = b.client;
        this.namespace = b.namespace;
        this.leaseName = b.leaseName;
        this.identity = b.identity;
        this.leaseDuration = b.leaseDuration;
        this.renewDeadline = b.renewDeadline;
        this.retryPeriod = b.retryPeriod;
        this.restarts = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("edgesched-leader-" + b.leaseName).factory());
        if (b.listener != null) {
            listeners.add(b.listener);
        }
        long period = Math.max(10, retryPeriod.toMillis() / 2);
        restarts.scheduleWithFixedDelay(this::checkFence, period, period, TimeUnit.MILLISECONDS);
    }

    /** Tell listeners at once when renewals stalled past the deadline, even if the elector has not noticed. */
    private void checkFence() {
        if (leader && !isLeader()) {
            LOG.warn("{}: lease {}/{} not renewed within {} ms; no longer acting as leader", identity, namespace,
                    leaseName, renewDeadline.toMillis());
            becomeFollower();
            long current;
            synchronized (lock) {
                current = round;
            }
            scheduleRestart(current); // the elector may still think it leads: replace it, run again
        }
    }

    public static Builder builder(KubernetesClient client) {
        return new Builder(client);
    }

    /** Starts running for leadership (returns at once). */
    public void start() {
        synchronized (lock) {
            if (running) {
                return;
            }
            running = true;
            launch();
        }
    }

    /** Stops running for leadership; if leading, releases the lease and notifies stoppedLeading. */
    public void stop() {
        CompletableFuture<?> e;
        io.fabric8.kubernetes.client.extended.leaderelection.LeaderElector el;
        synchronized (lock) {
            if (!running) {
                return;
            }
            running = false;
            round++;
            e = election;
            el = elector;
            election = null;
            elector = null;
        }
        if (e != null) {
            e.cancel(true); // fabric8 releases the lease on cancel (releaseOnCancel), asynchronously
        }
        becomeFollower();
        if (el != null) {
            try {
                el.release(); // now, so a standby takes over within one retry period even if we exit next
            } catch (RuntimeException ex) {
                LOG.warn("{}: could not release lease {}/{}: {}", identity, namespace, leaseName, ex.toString());
            }
        }
    }

    @Override
    public void close() {
        stop();
        restarts.shutdownNow();
    }

    /**
     * True while this instance holds the lease. Fenced by the local clock as well: a leader whose
     * last renewal started more than renewDeadline ago is no longer trusted (its elector thread may
     * be starved), since others may take the lease once leaseDuration has passed.
     */
    public boolean isLeader() {
        return leader && System.nanoTime() - lastRenewStartNanos < renewDeadline.toNanos();
    }

    /** Holder of the lease as last observed, if any. */
    public Optional<String> currentLeader() {
        return Optional.ofNullable(currentLeader);
    }

    public String identity() {
        return identity;
    }

    /** Handle of a registered listener. */
    public interface Subscription extends AutoCloseable {
        /** Removes the listener. */
        @Override
        void close();
    }

    /** Registers a listener; close the returned handle to remove it. */
    public Subscription addListener(Listener l) {
        listeners.add(Objects.requireNonNull(l, "listener"));
        return () -> listeners.remove(l);
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
                        this::onNewLeader))
                .build();
        elector = client.leaderElector().withConfig(config).build();
        CompletableFuture<?> f = elector.start();
        election = f;
        f.whenComplete((v, t) -> {
            if (t != null && !(t instanceof java.util.concurrent.CancellationException)) {
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
        LOG.info("{} became leader on lease {}/{}", identity, namespace, leaseName);
        leader = true;
        if (!isLeader()) {
            leader = false; // the renewal that made us leader is already too old
            return;
        }
        listeners.forEach(l -> safely(l::startedLeading));
    }

    private void onStopped(long myRound) {
        becomeFollower();
        scheduleRestart(myRound);
    }

    private void onNewLeader(String id) {
        currentLeader = id;
        listeners.forEach(l -> safely(() -> l.newLeader(id)));
    }

    private void becomeFollower() {
        if (leader) {
            leader = false;
            LOG.info("{} stopped leading on lease {}/{}", identity, namespace, leaseName);
            listeners.forEach(l -> safely(l::stoppedLeading));
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
                restarts.schedule(this::relaunch, retryPeriod.toMillis(), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                LOG.debug("gate closed, not running for leadership again");
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

    private static void safely(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.warn("leadership listener failed", e);
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

    /** Configures a {@link LeaderGate}. */
    public static final class Builder {
        private final KubernetesClient client;
        private String namespace = "default";
        private String leaseName = "edgesched-controller";
        private String identity = defaultIdentity();
        private Duration leaseDuration = Duration.ofSeconds(15);
        private Duration renewDeadline = Duration.ofSeconds(10);
        private Duration retryPeriod = Duration.ofSeconds(2);
        private Listener listener;

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

        public Builder listener(Listener listener) {
            this.listener = listener;
            return this;
        }

        public LeaderGate build() {
            return new LeaderGate(this);
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
