package io.edgesched.k8s.report;

import java.time.Duration;
import java.time.Instant;

/**
 * Bounds the etcd write load that event writes (a client arriving or leaving, between the agent's periodic
 * reports) add to a node: a token bucket of bytes, refilled at {@code bytesPerSecond} up to {@code burstBytes}.
 * An event write takes the size of the report it writes; when the bucket cannot pay, the event waits for the next
 * fast read (it is still news then) or for the periodic report. Not thread-safe: the agent's loop owns it.
 */
public final class EventBudget {
    private final double bytesPerSecond;
    private final double burstBytes;
    private double tokens;
    private Instant refilledAt;
    private long spent;
    private long refused;

    /**
     * @param bytesPerSecond average event write load allowed (0 turns event writes off)
     * @param burstBytes     most it may write at once after a quiet spell (the bucket starts full)
     */
    public EventBudget(double bytesPerSecond, double burstBytes) {
        if (!(bytesPerSecond >= 0) || !(burstBytes >= 0) || Double.isInfinite(bytesPerSecond)
                || Double.isInfinite(burstBytes)) {
            throw new IllegalArgumentException("event budget must be finite and >= 0, got " + bytesPerSecond
                    + " B/s, burst " + burstBytes + " B");
        }
        this.bytesPerSecond = bytesPerSecond;
        this.burstBytes = burstBytes;
        this.tokens = burstBytes;
    }

    /** Takes {@code bytes} if the bucket holds them at {@code now}; false (and counted) otherwise. */
    public boolean tryTake(Instant now, long bytes) {
        if (refilledAt != null && now.isAfter(refilledAt)) {
            double seconds = Duration.between(refilledAt, now).toNanos() / 1e9;
            tokens = Math.min(burstBytes, tokens + seconds * bytesPerSecond);
        }
        if (refilledAt == null || now.isAfter(refilledAt)) {
            refilledAt = now;
        }
        if (bytesPerSecond == 0 || bytes > tokens) {
            refused++;
            return false;
        }
        tokens -= bytes;
        spent += bytes;
        return true;
    }

    /** Bytes of event writes paid for so far. */
    public long spentBytes() {
        return spent;
    }

    /** Event writes refused for want of budget (each waits for a later read). */
    public long refused() {
        return refused;
    }
}
