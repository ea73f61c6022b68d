package io.edgesched.k8s.leader;

import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one owner of leadership, shaped like java-operator-sdk's {@code LeaderElectionManager}: the
 * controller's loops run only while this instance holds the Lease. On becoming leader it starts them
 * ({@code whileLeading} returns what to close); on losing the Lease it closes them and calls
 * {@code onLost} (an app exits non-zero there and restarts as a standby, so no state from its time as
 * leader survives). Nothing else checks "am I leader": a loop that runs is the leader's.
 *
 * <p>The Lease itself is held by a {@link LeaderGate} (fabric8's elector, fenced by the local clock).
 */
public final class Leadership implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Leadership.class);

    private final LeaderGate gate;
    private final Supplier<? extends AutoCloseable> whileLeading;
    private final Runnable onLost;
    /** Starts and stops the loops off the elector's thread, one change at a time, in order. */
    private final ExecutorService transitions = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().daemon().name("edgesched-leadership").factory());
    private final Object lock = new Object();
    private AutoCloseable running;
    private boolean closing;

    /**
     * @param gate         the Lease (not started yet; this object starts, stops and closes it)
     * @param whileLeading starts the leader's loops and returns what stops them
     * @param onLost       called after the loops stopped because the Lease was lost (not on {@link #close()})
     */
    public Leadership(LeaderGate gate, Supplier<? extends AutoCloseable> whileLeading, Runnable onLost) {
        this.gate = Objects.requireNonNull(gate, "gate");
        this.whileLeading = Objects.requireNonNull(whileLeading, "whileLeading");
        this.onLost = Objects.requireNonNull(onLost, "onLost");
        gate.addListener(new LeaderGate.Listener() {
            @Override
            public void startedLeading() {
                transitions.execute(Leadership.this::lead);
            }

            @Override
            public void stoppedLeading() {
                transitions.execute(Leadership.this::follow);
            }
        });
    }

    /** Runs for leadership (returns at once). */
    public Leadership start() {
        gate.start();
        return this;
    }

    /** True while the leader's loops run here. */
    public boolean leading() {
        synchronized (lock) {
            return running != null;
        }
    }

    public LeaderGate gate() {
        return gate;
    }

    private void lead() {
        synchronized (lock) {
            if (closing || running != null || !gate.isLeader()) {
                return;
            }
        }
        LOG.info("{} leads: starting the controller loops", gate.identity());
        AutoCloseable loops;
        try {
            loops = whileLeading.get();
        } catch (RuntimeException e) {
            LOG.error("starting the leader's loops failed; giving up leadership", e);
            gate.stop();
            onLost.run();
            return;
        }
        synchronized (lock) {
            running = loops;
        }
        if (!gate.isLeader()) { // lost while starting
            follow();
        }
    }

    private void follow() {
        AutoCloseable loops;
        boolean shuttingDown;
        synchronized (lock) {
            loops = running;
            running = null;
            shuttingDown = closing;
        }
        if (loops == null) {
            return;
        }
        closeQuietly(loops);
        if (!shuttingDown) {
            LOG.error("{} lost the Lease: controller loops stopped", gate.identity());
            onLost.run();
        }
    }

    /** Stops the loops, releases the Lease (a standby takes over within a retry period). */
    @Override
    public void close() {
        AutoCloseable loops;
        synchronized (lock) {
            closing = true;
            loops = running;
            running = null;
        }
        if (loops != null) {
            closeQuietly(loops);
        }
        gate.close();
        transitions.shutdownNow();
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            LOG.warn("stopping the leader's loops failed: {}", e.toString());
        }
    }
}
