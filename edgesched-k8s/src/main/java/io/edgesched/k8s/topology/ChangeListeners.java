package io.edgesched.k8s.topology;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A cluster view's change counter and the listeners told of each change; a failing listener is logged, not fatal. */
public final class ChangeListeners {
    private static final Logger LOG = LoggerFactory.getLogger(ChangeListeners.class);

    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private final AtomicLong version = new AtomicLong();

    public void add(Runnable onChange) {
        listeners.add(onChange);
    }

    /** Monotonic change counter. */
    public long version() {
        return version.get();
    }

    /** Counts a change and tells every listener (on the caller's thread). */
    public void changed() {
        version.incrementAndGet();
        for (Runnable l : listeners) {
            try {
                l.run();
            } catch (RuntimeException e) {
                LOG.warn("topology listener failed; the change is still recorded", e);
            }
        }
    }
}
