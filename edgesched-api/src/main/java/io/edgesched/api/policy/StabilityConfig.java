package io.edgesched.api.policy;

import java.time.Duration;
import java.util.Objects;

/**
 * Knobs of {@link StabilityGate}.
 *
 * @param relativeGain        a move must cut the current cost by at least this fraction (0.1 = 10 %)
 * @param absoluteGainMicros  ... and by at least this many microseconds of mean latency
 * @param minDwell            a workload stays at least this long after a move
 * @param movesPerMinute      long-run global move rate (token refill)
 * @param burst               at most this many moves at once (bucket size)
 */
public record StabilityConfig(double relativeGain, double absoluteGainMicros, Duration minDwell, double movesPerMinute,
                              int burst) {
    public StabilityConfig {
        Objects.requireNonNull(minDwell, "minDwell");
        if (!(relativeGain >= 0) || !(absoluteGainMicros >= 0)) {
            throw new IllegalArgumentException("gain thresholds must be >= 0");
        }
        if (minDwell.isNegative()) {
            throw new IllegalArgumentException("minDwell must not be negative");
        }
        if (!(movesPerMinute >= 0) || burst < 0) {
            throw new IllegalArgumentException("movesPerMinute and burst must be >= 0");
        }
    }

    /** 10 % and 500 us better, 5 minutes dwell, 6 moves per minute, burst 3. */
    public static StabilityConfig defaults() {
        return new StabilityConfig(0.10, 500, Duration.ofMinutes(5), 6, 3);
    }

    public StabilityConfig withThresholds(double relative, double absoluteMicros) {
        return new StabilityConfig(relative, absoluteMicros, minDwell, movesPerMinute, burst);
    }

    public StabilityConfig withMinDwell(Duration d) {
        return new StabilityConfig(relativeGain, absoluteGainMicros, d, movesPerMinute, burst);
    }

    public StabilityConfig withRateLimit(double perMinute, int maxBurst) {
        return new StabilityConfig(relativeGain, absoluteGainMicros, minDwell, perMinute, maxBurst);
    }

    /** Whether a gain from {@code current} to {@code target} clears both thresholds (hysteresis). */
    public boolean clearsThresholds(double currentCostMicros, double targetCostMicros) {
        double gain = currentCostMicros - targetCostMicros;
        return gain > 0 && gain >= absoluteGainMicros && gain >= relativeGain * currentCostMicros;
    }
}
