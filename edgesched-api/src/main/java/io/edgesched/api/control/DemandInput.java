package io.edgesched.api.control;

import io.edgesched.api.NodeId;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.RequestOriginSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Where a {@link PlacementController} gets its demand from: the latest cumulative snapshot of each node.
 * Pull it from local sources ({@link #fromSources}), from any supplier ({@link #of}), or let reports be
 * pushed into a {@link SnapshotInbox} (the Kubernetes controller receives node reports that way).
 * The controller ingests a given (node, generation, takenAt) snapshot only once, so returning the same
 * snapshot again in a later round is harmless.
 */
@FunctionalInterface
public interface DemandInput {

    /**
     * The latest snapshot of every node that has one. A node that cannot be read is left out (an
     * implementation logs why); the controller then keeps its previous estimate for that node, decaying.
     */
    List<OriginSnapshot> latest();

    /** Nothing to pull: all snapshots are pushed with {@link PlacementController#ingest}. */
    DemandInput PUSH_ONLY = List::of;

    /** Reads every source on each call; a source that throws is skipped with a warning, the others still count. */
    static DemandInput fromSources(Collection<? extends RequestOriginSource> sources) {
        List<RequestOriginSource> copy = List.copyOf(sources);
        Logger log = LoggerFactory.getLogger(DemandInput.class);
        return () -> {
            List<OriginSnapshot> out = new ArrayList<>(copy.size());
            for (RequestOriginSource source : copy) {
                NodeId node = null;
                try {
                    node = source.node();
                    out.add(Objects.requireNonNull(source.snapshot(), "snapshot() returned null"));
                } catch (RuntimeException e) {
                    log.warn("reading request origins of node {} failed, using its previous demand estimate: {}",
                            node, e.toString());
                }
            }
            return out;
        };
    }

    /** Adapts any supplier (a simulator, a test, a report store). */
    static DemandInput of(Supplier<? extends Collection<OriginSnapshot>> supplier) {
        Objects.requireNonNull(supplier, "supplier");
        return () -> List.copyOf(supplier.get());
    }
}
