package io.edgesched.api.control;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * How the controller retries a workload whose move failed, and how long it holds one that was refused.
 *
 * @param initialBackoff  wait after the first failure
 * @param maxBackoff      the wait never grows beyond this (before jitter)
 * @param multiplier      growth per further consecutive failure (2 doubles the wait)
 * @param jitter          fraction in [0, 1): each wait is scaled by a random factor in [1 - jitter, 1 + jitter]
 *                        so that many workloads failing together do not retry in lock-step
 * @param refusedCooldown after a refusal, the same move is not asked again before this passes
 *                        (a different proposal, e.g. because the inputs changed, may go at once)
 */
public record RetryPolicy(Duration initialBackoff, Duration maxBackoff, double multiplier, double jitter,
                          Duration refusedCooldown) {

    public static final RetryPolicy DEFAULT =
            new RetryPolicy(Duration.ofSeconds(10), Duration.ofMinutes(10), 2.0, 0.2, Duration.ofMinutes(10));

    public RetryPolicy {
        Objects.requireNonNull(initialBackoff, "initialBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        Objects.requireNonNull(refusedCooldown, "refusedCooldown");
        if (initialBackoff.isNegative() || maxBackoff.isNegative() || refusedCooldown.isNegative()) {
            throw new IllegalArgumentException("backoff durations must not be negative");
        }
        if (maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("maxBackoff " + maxBackoff + " is shorter than initialBackoff " + initialBackoff);
        }
        if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
            throw new IllegalArgumentException("multiplier must be a finite number >= 1, got " + multiplier);
        }
        if (!(jitter >= 0.0 && jitter < 1.0)) {
            throw new IllegalArgumentException("jitter must be in [0, 1), got " + jitter);
        }
    }

    /**
     * The wait before the next attempt after {@code consecutiveFailures} failures in a row (>= 1):
     * {@code min(maxBackoff, initialBackoff * multiplier^(failures-1))}, then jittered.
     */
    public Duration backoff(int consecutiveFailures, RandomGenerator random) {
        if (consecutiveFailures < 1) {
            throw new IllegalArgumentException("consecutiveFailures must be >= 1, got " + consecutiveFailures);
        }
        double base = initialBackoff.toNanos() * Math.pow(multiplier, consecutiveFailures - 1);
        double capped = Math.min(base, (double) maxBackoff.toNanos());
        double factor = jitter == 0.0 ? 1.0 : 1.0 + jitter * (2.0 * random.nextDouble() - 1.0);
        return Duration.ofNanos(Math.round(capped * factor));
    }
}
