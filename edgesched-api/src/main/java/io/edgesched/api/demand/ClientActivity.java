package io.edgesched.api.demand;

import java.time.Instant;
import java.util.Objects;

/**
 * A client aggregate's current visit at one entry node, as the node's own demand store saw it: what a report
 * must carry so that a controller reading many nodes' reports can tell a client that moved from one that
 * arrives through two nodes (see docs/engine.md, "Handoff across nodes").
 *
 * @param arrivedAt           when the current visit began: the kernel's first packet of a record new since the
 *                            previous read, else that previous read (the visit began after it); a visit begins
 *                            after {@link #VISIT_GAP} without traffic
 * @param lastSeenAt          the kernel's time of the client's last packet here (the read's time when the source
 *                            gives no kernel clock)
 * @param reads               reads of this node with an increase since the visit began
 * @param recentRatePerSecond the rate of the latest increase (counter delta / seconds since the previous read):
 *                            a newcomer's own rate, before the decayed rate has ramped up
 */
public record ClientActivity(Instant arrivedAt, Instant lastSeenAt, int reads, double recentRatePerSecond) {
    /** Silence after which the next packet begins a new visit. */
    public static final java.time.Duration VISIT_GAP = java.time.Duration.ofSeconds(5);

    public ClientActivity {
        Objects.requireNonNull(arrivedAt, "arrivedAt");
        Objects.requireNonNull(lastSeenAt, "lastSeenAt");
    }
}
