package io.edgesched.api.demand;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.NodeId;
import io.edgesched.api.OriginRecord;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.OriginStats;

import java.time.Instant;
import java.util.List;

/** Builds snapshots the way a source on one node would. */
final class Snapshots {
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    static final long NANOS = 1_000_000_000L;

    private Snapshots() {
    }

    /** A snapshot at second {@code t}; the node's monotonic clock is {@code t} seconds plus {@code bootNanos}. */
    static OriginSnapshot at(String node, double t, long generation, OriginRecord... records) {
        return at(node, t, 1000 * NANOS, generation, List.of(records));
    }

    static OriginSnapshot at(String node, double t, long bootNanos, long generation, List<OriginRecord> records) {
        long nanos = (long) (t * NANOS);
        return new OriginSnapshot(NodeId.of(node), T0.plusNanos(nanos), bootNanos + nanos, generation, records,
                OriginStats.EMPTY);
    }

    /** A record with {@code packets} cumulative packets, first seen at second {@code firstSeen} (boot offset 1000 s). */
    static OriginRecord record(int port, String client, long packets, double firstSeen) {
        return record(port, client, packets, firstSeen, -1);
    }

    static OriginRecord record(int port, String client, long packets, double firstSeen, long rttMicros) {
        long first = 1000 * NANOS + (long) (firstSeen * NANOS);
        return new OriginRecord(port, port, ClientAddress.parse(client), packets, packets, packets * 100,
                Math.max(0, rttMicros), rttMicros >= 0 ? 1 : 0, first, first, false);
    }

    /** A record whose kernel last-seen time is second {@code lastSeen}. */
    static OriginRecord record(int port, String client, long packets, double firstSeen, double lastSeen) {
        long first = 1000 * NANOS + (long) (firstSeen * NANOS);
        long last = 1000 * NANOS + (long) (lastSeen * NANOS);
        return new OriginRecord(port, port, ClientAddress.parse(client), packets, packets, packets * 100, 0, 0,
                first, last, false);
    }

    static Instant time(double t) {
        return T0.plusNanos((long) (t * NANOS));
    }
}
