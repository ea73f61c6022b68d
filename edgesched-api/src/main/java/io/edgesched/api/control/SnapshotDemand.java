package io.edgesched.api.control;

import io.edgesched.api.NodeId;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.demand.DemandStore;
import io.edgesched.api.demand.DemandView;

import java.time.Instant;
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

    void ingestOnce(OriginSnapshot s) {
        Seen key = new Seen(s.generation(), s.takenAt());
        if (!key.equals(seen.get(s.node()))) {
            seen.put(s.node(), key);
            store.ingest(s);
        }
    }

    void drainPushed() {
        OriginSnapshot s;
        while ((s = pushed.poll()) != null) {
            ingestOnce(s);
        }
    }

    @Override
    public DemandView apply(Instant now) {
        drainPushed();
        List<OriginSnapshot> snapshots = Objects.requireNonNull(input.latest(), "demand input returned null");
        for (OriginSnapshot s : snapshots) {
            ingestOnce(s);
        }
        store.maintain(now);
        return store.view(now);
    }
}
