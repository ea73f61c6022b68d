package io.edgesched.api.control;

import io.edgesched.api.NodeId;
import io.edgesched.api.OriginSnapshot;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link DemandInput} that snapshots are pushed into (for example node reports received by a
 * Kubernetes controller). Keeps the newest snapshot per node; an older one arriving late is ignored.
 * Thread-safe.
 */
public final class SnapshotInbox implements DemandInput {
    private final Map<NodeId, OriginSnapshot> latest = new ConcurrentHashMap<>();
    private volatile Runnable onChange;

    /** An inbox that does nothing else when a snapshot arrives. */
    public SnapshotInbox() {
        this(() -> { });
    }

    /** @param onChange run after a newer snapshot was stored, e.g. {@code controller::trigger} */
    public SnapshotInbox(Runnable onChange) {
        this.onChange = Objects.requireNonNull(onChange, "onChange");
    }

    /** Stores the snapshot unless the inbox already holds a newer one of the same node and generation. */
    public boolean offer(OriginSnapshot snapshot) {
        Objects.requireNonNull(snapshot, "snapshot");
        boolean[] stored = {false};
        latest.compute(snapshot.node(), (node, old) -> {
            boolean newer = old == null || old.generation() != snapshot.generation()
                    || snapshot.takenAt().isAfter(old.takenAt());
            stored[0] = newer;
            return newer ? snapshot : old;
        });
        if (stored[0]) {
            onChange.run();
        }
        return stored[0];
    }

    /** Sets what runs after a newer snapshot was stored, e.g. {@code controller::trigger} once the controller exists. */
    public SnapshotInbox onChange(Runnable action) {
        this.onChange = Objects.requireNonNull(action, "action");
        return this;
    }

    /** Forgets a node (it left the cluster); its demand then decays away in the controller. */
    public void remove(NodeId node) {
        latest.remove(node);
    }

    @Override
    public List<OriginSnapshot> latest() {
        return List.copyOf(latest.values());
    }
}
