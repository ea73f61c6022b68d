package io.edgesched.api.demand;

import java.time.Instant;

/**
 * What a {@link DemandStore} knows about one node's source between snapshots: its generation and clocks, the
 * times of its last {@link #RING} snapshots (a carried-over baseline is aged against the snapshot it came from),
 * and the counter baselines of its records.
 */
final class NodeHistory {
    /** Snapshots a carried-over baseline may be old at most (besides {@link DemandConfig#staleAfter}). */
    static final int RING = 64;

    boolean seen;
    long generation;
    int sequence;                                  // of the last snapshot ingested
    final long[] monoBySequence = new long[RING];
    final long[] wallBySequence = new long[RING]; // nanos since the store's epoch
    long monotonicNanos;
    Instant takenAt;
    CounterBaselines baselines = new CounterBaselines(0);
    /** Baselines of snapshots up to this one (the last before a restart or reboot) no longer count. */
    int baselineFloor;

    /** Seconds between an earlier snapshot of this node and now: monotonic clock, else wall clock. */
    double secondsSince(int earlierSequence, long nowMono, long nowWall) {
        int i = Math.floorMod(earlierSequence, RING);
        long mono = nowMono - monoBySequence[i];
        return (mono > 0 ? mono : nowWall - wallBySequence[i]) / 1e9;
    }

    long monoOf(int earlierSequence) {
        return monoBySequence[Math.floorMod(earlierSequence, RING)];
    }

    long wallOf(int earlierSequence) {
        return wallBySequence[Math.floorMod(earlierSequence, RING)];
    }
}
