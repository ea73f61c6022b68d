package io.edgesched.api;

import java.util.Objects;
import java.util.Optional;

/**
 * A service whose arriving TCP connections a node observes: a local TCP port, optionally
 * narrowed to one local address. {@code serviceId} is the small number the kernel tags counters with.
 */
public record WatchedService(int serviceId, String name, Optional<ClientAddress> localAddress, int port) {
    public WatchedService {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(localAddress, "localAddress");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " outside 1..65535");
        }
        if (serviceId < 0) {
            throw new IllegalArgumentException("serviceId must be >= 0, got " + serviceId);
        }
    }

    /** Watch a port on every local address; the service id is the port itself. */
    public static WatchedService port(int port) {
        return new WatchedService(port, "port-" + port, Optional.empty(), port);
    }

    public static WatchedService of(int serviceId, String name, int port) {
        return new WatchedService(serviceId, name, Optional.empty(), port);
    }
}
