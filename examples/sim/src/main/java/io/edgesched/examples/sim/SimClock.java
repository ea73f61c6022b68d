package io.edgesched.examples.sim;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;

/** Simulated time: stands still until the simulator advances it. Single-threaded use. */
final class SimClock implements InstantSource {
    private Instant now;

    SimClock(Instant start) {
        this.now = start;
    }

    @Override
    public Instant instant() {
        return now;
    }

    void advance(Duration step) {
        now = now.plus(step);
    }
}
