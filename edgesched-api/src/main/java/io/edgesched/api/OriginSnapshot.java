package io.edgesched.api;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * Everything one node knows at one moment about who reaches its watched services.
 * Counters are cumulative since the source started; consumers turn them into rates.
 *
 * @param node         the observing node
 * @param takenAt      wall-clock time of the read
 * @param monotonicNanos kernel monotonic clock at the read, to age {@link OriginRecord#lastSeenNanos()}
 * @param generation   changes when the source restarted and counters began from zero again
 */
public record OriginSnapshot(NodeId node, Instant takenAt, long monotonicNanos, long generation,
                             List<OriginRecord> records, OriginStats stats) {
    public OriginSnapshot {
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(takenAt, "takenAt");
        records = List.copyOf(records);
        Objects.requireNonNull(stats, "stats");
    }
}
