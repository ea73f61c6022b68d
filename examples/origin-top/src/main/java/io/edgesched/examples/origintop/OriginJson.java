package io.edgesched.examples.origintop;

import io.edgesched.api.OriginRecord;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.OriginStats;
import java.util.List;

/**
 * The JSON lines origin-top prints with {@code --json}. Two shapes, told apart by their keys:
 * <pre>
 * {"port":80,"client":"10.0.0.7","connections":3,"packets":41,"bytes":5120,"rttMicros":212,"lastSeenMillisAgo":35}
 * {"final":{"node":"edge-1","interface":"eth0","ports":[80],"durationMillis":10004,"intervals":5,"clients":1,
 *           "connections":3,"packets":41,"bytes":5120,"stats":{"packetsSeen":..,"unparsed":..,
 *           "clientTableFull":..,"rttTableFull":..,"forwardedPackets":..}}}
 * </pre>
 * Counters are cumulative since origin-top attached. {@code rttMicros} is null while no handshake was timed.
 */
final class OriginJson {
    private OriginJson() {
    }

    static String row(OriginRecord r, long nowNanos) {
        StringBuilder sb = new StringBuilder(160);
        sb.append("{\"port\":").append(r.localPort())
                .append(",\"client\":");
        string(sb, r.client().toString());
        sb.append(",\"connections\":").append(r.connections())
                .append(",\"packets\":").append(r.packets())
                .append(",\"bytes\":").append(r.bytes())
                .append(",\"rttMicros\":").append(r.rttSamples() > 0 ? String.valueOf(r.rttMicros()) : "null")
                .append(",\"lastSeenMillisAgo\":").append(millisAgo(r, nowNanos))
                .append('}');
        return sb.toString();
    }

    static long millisAgo(OriginRecord r, long nowNanos) {
        return Math.max(0, (nowNanos - r.lastSeenNanos()) / 1_000_000);
    }

    static String finalReport(String node, String interfaceName, List<Integer> ports, long durationMillis,
                              int intervals, OriginSnapshot last) {
        long connections = 0;
        long packets = 0;
        long bytes = 0;
        List<OriginRecord> records = last == null ? List.of() : last.records();
        for (OriginRecord r : records) {
            connections += r.connections();
            packets += r.packets();
            bytes += r.bytes();
        }
        OriginStats s = last == null ? OriginStats.EMPTY : last.stats();
        StringBuilder sb = new StringBuilder(400);
        sb.append("{\"final\":{\"node\":");
        string(sb, node);
        sb.append(",\"interface\":");
        string(sb, interfaceName);
        sb.append(",\"ports\":[");
        for (int i = 0; i < ports.size(); i++) {
            sb.append(i == 0 ? "" : ",").append(ports.get(i));
        }
        sb.append("],\"durationMillis\":").append(durationMillis)
                .append(",\"intervals\":").append(intervals)
                .append(",\"clients\":").append(records.size())
                .append(",\"connections\":").append(connections)
                .append(",\"packets\":").append(packets)
                .append(",\"bytes\":").append(bytes)
                .append(",\"stats\":{\"packetsSeen\":").append(s.packetsSeen())
                .append(",\"unparsed\":").append(s.unparsed())
                .append(",\"clientTableFull\":").append(s.clientTableFull())
                .append(",\"rttTableFull\":").append(s.rttTableFull())
                .append(",\"forwardedPackets\":").append(s.forwardedPackets())
                .append("}}}");
        return sb.toString();
    }

    /** Appends a JSON string literal with RFC 8259 escaping. */
    static void string(StringBuilder sb, String value) {
        sb.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
