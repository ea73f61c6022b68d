package io.edgesched.ebpf.libbpf;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Ordering checks only (no durations): each clock reading must fall between readings of the other. */
class KernelClockTest {
    @Test
    void monotonicIsTheClockOfNanoTime() {
        // HotSpot on Linux reads CLOCK_MONOTONIC for nanoTime: the same clock, so strictly ordered.
        for (int i = 0; i < 1000; i++) {
            long before = System.nanoTime();
            long kernel = KernelClock.monotonicNanos();
            long after = System.nanoTime();
            assertThat(kernel).isBetween(before, after);
        }
    }

    @Test
    void coarseClockTrailsByLessThanATick() {
        long tick = KernelClock.coarseResolutionNanos();
        assertThat(tick).isBetween(100_000L, 100_000_000L); // HZ between 10 and 10000
        for (int i = 0; i < 1000; i++) {
            long before = KernelClock.monotonicNanos();
            long coarse = KernelClock.monotonicCoarseNanos();
            long after = KernelClock.monotonicNanos();
            // the coarse clock holds the time of the last tick (slack: one more tick for a late timer)
            assertThat(coarse).isBetween(before - 2 * tick, after);
        }
    }
}
