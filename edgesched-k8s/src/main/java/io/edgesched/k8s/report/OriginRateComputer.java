package io.edgesched.k8s.report;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.OriginRecord;
import io.edgesched.api.OriginSnapshot;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns successive cumulative {@link OriginSnapshot}s into per-record rates over the window between them.
 * A record that is new since the last snapshot (or whose counters went down: the kernel's LRU table
 * evicted and re-created it) counts everything it holds as this window's activity. A new source
 * generation starts a fresh baseline and yields no window. Not thread-safe: one caller (the publisher).
 */
public final class OriginRateComputer {
    private Map<Key, long[]> previous = Map.of();
    private OriginSnapshot previousSnapshot;

    /** One record's rates. {@code rttMicros} is 0 when the kernel had no sample. */
    public record RecordRate(int serviceId, int localPort, ClientAddress client, boolean forwarded,
                             double connectionsPerSecond, double packetsPerSecond, double bytesPerSecond,
                             long rttMicros) {
        public ClientRate toClientRate() {
            return new ClientRate(client, connectionsPerSecond, packetsPerSecond, bytesPerSecond, rttMicros);
        }
    }

    /** Rates over one window; every record of the newer snapshot appears, idle ones with rate 0. */
    public record RateWindow(OriginSnapshot snapshot, double seconds, List<RecordRate> rates) {
        public RateWindow {
            rates = List.copyOf(rates);
        }
    }

    private record Key(int serviceId, int localPort, ClientAddress client) {
    }

    /** Feeds the next snapshot; empty on the first one, after a source restart, or if time did not advance. */
    public Optional<RateWindow> next(OriginSnapshot snapshot) {
        OriginSnapshot before = previousSnapshot;
        Map<Key, long[]> counters = new HashMap<>(Math.max(16, snapshot.records().size() * 4 / 3 + 1));
        for (OriginRecord r : snapshot.records()) {
            counters.put(new Key(r.serviceId(), r.localPort(), r.client()),
                    new long[] {r.connections(), r.packets(), r.bytes()});
        }
        Map<Key, long[]> old = previous;
        previous = counters;
        previousSnapshot = snapshot;
        if (before == null || before.generation() != snapshot.generation()) {
            return Optional.empty();
        }
        double seconds = windowSeconds(before, snapshot);
        if (seconds <= 0) {
            return Optional.empty();
        }
        List<RecordRate> rates = new ArrayList<>(snapshot.records().size());
        for (OriginRecord r : snapshot.records()) {
            long[] was = old.get(new Key(r.serviceId(), r.localPort(), r.client()));
            long dc = delta(r.connections(), was, 0);
            long dp = delta(r.packets(), was, 1);
            long db = delta(r.bytes(), was, 2);
            rates.add(new RecordRate(r.serviceId(), r.localPort(), r.client(), r.forwarded(),
                    dc / seconds, dp / seconds, db / seconds, r.rttSamples() > 0 ? r.rttMicros() : 0));
        }
        return Optional.of(new RateWindow(snapshot, seconds, rates));
    }

    /** Forgets the baseline (e.g. after the watch list changed and service ids were reassigned). */
    public void reset() {
        previous = Map.of();
        previousSnapshot = null;
    }

    private static long delta(long now, long[] was, int index) {
        if (was == null || now < was[index]) {
            return now;
        }
        return now - was[index];
    }

    private static double windowSeconds(OriginSnapshot before, OriginSnapshot now) {
        if (before.monotonicNanos() > 0 && now.monotonicNanos() > before.monotonicNanos()) {
            return (now.monotonicNanos() - before.monotonicNanos()) / 1e9;
        }
        return Duration.between(before.takenAt(), now.takenAt()).toNanos() / 1e9;
    }
}
