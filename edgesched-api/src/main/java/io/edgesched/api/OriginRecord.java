package io.edgesched.api;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * Cumulative counters for one (service, client) pair as seen by one node's kernel.
 *
 * @param serviceId       the {@link WatchedService#serviceId()} the traffic matched
 * @param localPort       the node-local TCP port the client reached
 * @param client          the client's address (the packet's source)
 * @param connections     new TCP connections (SYNs) seen
 * @param packets         packets seen from the client
 * @param bytes           bytes (IP length) seen from the client
 * @param rttMicros       smoothed handshake/timestamp RTT between this node and the client, 0 when unknown
 * @param rttSamples      number of RTT samples behind {@code rttMicros}
 * @param firstSeenNanos  kernel monotonic time (CLOCK_MONOTONIC ns) of the first packet
 * @param lastSeenNanos   kernel monotonic time of the last packet
 * @param forwarded       true when the source is a node of the cluster relaying traffic, not an end client
 */
public record OriginRecord(
        int serviceId,
        int localPort,
        ClientAddress client,
        long connections,
        long packets,
        long bytes,
        long rttMicros,
        long rttSamples,
        long firstSeenNanos,
        long lastSeenNanos,
        boolean forwarded) {

    public OriginRecord {
        Objects.requireNonNull(client, "client");
    }

    /** The RTT if at least one sample exists. */
    public OptionalLong rtt() {
        return rttSamples > 0 ? OptionalLong.of(rttMicros) : OptionalLong.empty();
    }
}
