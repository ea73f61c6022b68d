package io.edgesched.api;

/**
 * Health counters of an origin source: nothing is dropped without being counted here.
 *
 * @param packetsSeen        packets the observer looked at
 * @param unparsed           packets it could not parse (truncated, odd options/extension headers)
 * @param clientTableFull    new clients not recorded because the bounded table was full
 * @param rttTableFull       handshakes not tracked for RTT because that table was full
 * @param forwardedPackets   packets from other cluster nodes (forwarded traffic)
 */
public record OriginStats(long packetsSeen, long unparsed, long clientTableFull, long rttTableFull, long forwardedPackets) {
    public static final OriginStats EMPTY = new OriginStats(0, 0, 0, 0, 0);
}
