package io.edgesched.api;

import java.util.Set;

/**
 * Where the requests of the services watched on one node come from, and how far away the clients are.
 * Implementations: the kernel observer in {@code edgesched-ebpf}, or anything that can count
 * (a proxy's access log, a simulator). Reading is cheap enough to call every few seconds.
 */
public interface RequestOriginSource extends AutoCloseable {

    /** The node this source observes. */
    NodeId node();

    /** Starts counting connections to this service. Idempotent for an equal service. */
    void watch(WatchedService service);

    /** Stops counting for this service id; its records disappear from later snapshots. */
    void unwatch(int serviceId);

    /** The services currently watched. */
    Set<WatchedService> watched();

    /** Reads the current cumulative counters. */
    OriginSnapshot snapshot() throws OriginSourceException;

    /** Detaches from whatever it observes; idempotent. */
    @Override
    void close();
}
