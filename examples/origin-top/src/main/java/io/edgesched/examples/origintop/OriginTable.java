package io.edgesched.examples.origintop;

import io.edgesched.api.OriginRecord;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.OriginStats;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/** The human view of origin-top: a header with the source's health counters and the busiest clients. */
final class OriginTable {
    /** ANSI: cursor home, clear screen. */
    static final String CLEAR = "\033[H\033[2J";
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneId.systemDefault());

    enum SortKey {
        packets(Comparator.comparingLong(OriginRecord::packets)),
        bytes(Comparator.comparingLong(OriginRecord::bytes)),
        connections(Comparator.comparingLong(OriginRecord::connections));

        final Comparator<OriginRecord> ascending;

        SortKey(Comparator<OriginRecord> ascending) {
            this.ascending = ascending;
        }
    }

    private OriginTable() {
    }

    static String render(String interfaceName, List<Integer> ports, double intervalSeconds, OriginSnapshot snapshot,
                         SortKey sort, int maxRows) {
        StringBuilder sb = new StringBuilder(4096);
        sb.append(String.format(Locale.ROOT, "origin-top  node %s  interface %s  ports %s  every %.1fs  %s%n",
                snapshot.node(), interfaceName, join(ports), intervalSeconds, TIME.format(snapshot.takenAt())));
        OriginStats s = snapshot.stats();
        sb.append(String.format(Locale.ROOT,
                "clients %d  packets seen %d  unparsed %d  client-table overflow %d  rtt-table full %d  forwarded %d%n%n",
                snapshot.records().size(), s.packetsSeen(), s.unparsed(), s.clientTableFull(), s.rttTableFull(),
                s.forwardedPackets()));
        sb.append(String.format(Locale.ROOT, "%-39s %5s %8s %10s %12s %10s %10s%n",
                "CLIENT", "PORT", "CONN", "PACKETS", "BYTES", "RTT", "LAST SEEN"));
        List<OriginRecord> rows = snapshot.records().stream()
                .sorted(sort.ascending.reversed().thenComparing(OriginRecord::client))
                .toList();
        int shown = Math.min(maxRows, rows.size());
        for (OriginRecord r : rows.subList(0, shown)) {
            sb.append(String.format(Locale.ROOT, "%-39s %5d %8d %10d %12d %10s %10s%n",
                    r.client() + (r.forwarded() ? " (fwd)" : ""), r.localPort(), r.connections(), r.packets(),
                    r.bytes(), rtt(r), ago(OriginJson.millisAgo(r, snapshot.monotonicNanos()))));
        }
        if (rows.size() > shown) {
            sb.append("... and ").append(rows.size() - shown).append(" more clients\n");
        }
        if (rows.isEmpty()) {
            sb.append("(no connections to the watched ports yet)\n");
        }
        return sb.toString();
    }

    static String rtt(OriginRecord r) {
        if (r.rttSamples() == 0) {
            return "-";
        }
        long us = r.rttMicros();
        return us < 10_000 ? us + " us" : String.format(Locale.ROOT, "%.1f ms", us / 1000.0);
    }

    static String ago(long millis) {
        if (millis < 1000) {
            return millis + " ms";
        }
        if (millis < 120_000) {
            return String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
        }
        return (millis / 60_000) + " min";
    }

    private static String join(List<Integer> ports) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < ports.size(); i++) {
            sb.append(i == 0 ? "" : ",").append(ports.get(i));
        }
        return sb.toString();
    }
}
