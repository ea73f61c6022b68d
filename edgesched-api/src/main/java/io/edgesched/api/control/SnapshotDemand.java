package io.edgesched.api.control;

import io.edgesched.api.NodeId;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.demand.DemandStore;
import io.edgesched.api.demand.DemandView;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Function;

/** Feeds each new snapshot into the store once, then reads the decayed view. Round thread (or round lock) only. */
final class SnapshotDemand implements Function<Instant, DemandView> {
    private record Seen(long generation, Instant takenAt) {
    }

    private final DemandInput input;
    private final DemandStore store;
    private final Map<NodeId, Seen> seen = new HashMap<>();
    final Queue<OriginSnapshot> pushed = new ConcurrentLinkedQueue<>();

    SnapshotDemand(DemandInput input, DemandStore store) {
        this.input = input;
        this.store = store;
    }

    /** Adds the snapshots not ingested before (the same node's same snapshot comes again until it reports anew). */
    private void ingestNew(Iterable<OriginSnapshot> snapshots) {
        List<OriginSnapshot> fresh = new ArrayList<>();
        for (OriginSnapshot s : snapshots) {
            Seen key = new Seen(s.generation(), s.takenAt());
            if (!key.equals(seen.get(s.node()))) {
                seen.put(s.node(), key);
                fresh.add(s);
            }
        }
        if (!fresh.isEmpty()) {
            store.ingestAll(fresh);
        }
    }

    void drainPushed() {
        List<OriginSnapshot> batch = new ArrayList<>();
        OriginSnapshot s;
        while ((s = pushed.poll()) != null) {
            batch.add(s);
        }
        ingestNew(batch);
    }

    /** The store's work that can wait for the time between rounds ({@link DemandStore#growAhead}). */
    boolean housekeep() {
        return store.growAhead();
    }

    @Override
    public DemandView apply(Instant now) {
        drainPushed();
        ingestNew(Objects.requireNonNull(input.latest(), "demand input returned null"));
        store.maintain(now);
        return store.view(now);
    }
}
