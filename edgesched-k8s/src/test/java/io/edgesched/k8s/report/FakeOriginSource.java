package io.edgesched.k8s.report;

import io.edgesched.api.NodeId;
import io.edgesched.api.OriginRecord;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.OriginStats;
import io.edgesched.api.RequestOriginSource;
import io.edgesched.api.WatchedService;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A source the test scripts: it holds whatever cumulative records the test puts in. */
class FakeOriginSource implements RequestOriginSource {
    final NodeId node;
    final Map<Integer, WatchedService> watched = new LinkedHashMap<>();
    final List<OriginRecord> records = new ArrayList<>();
    Instant now = Instant.parse("2026-01-01T00:00:00Z");
    long monotonic = 1_000_000_000L;

    FakeOriginSource(String node) {
        this.node = NodeId.of(node);
    }

    void advanceMillis(long ms) {
        now = now.plusMillis(ms);
        monotonic += ms * 1_000_000L;
    }

    void advanceSeconds(long s) {
        now = now.plusSeconds(s);
        monotonic += s * 1_000_000_000L;
    }

    @Override
    public NodeId node() {
        return node;
    }

    @Override
    public void watch(WatchedService service) {
        watched.put(service.serviceId(), service);
    }

    @Override
    public void unwatch(int serviceId) {
        watched.remove(serviceId);
    }

    @Override
    public Set<WatchedService> watched() {
        return Set.copyOf(watched.values());
    }

    @Override
    public OriginSnapshot snapshot() {
        return new OriginSnapshot(node, now, monotonic, 1, records, new OriginStats(1000, 0, 0, 0, 0));
    }

    @Override
    public void close() {
    }
}
