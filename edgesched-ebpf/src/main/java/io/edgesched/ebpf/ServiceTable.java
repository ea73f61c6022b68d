package io.edgesched.ebpf;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.WatchedService;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * The watched services as the kernel wants them: services on every local address live in the port's
 * origin_ports entry (one service id per family), services bound to one local address get an origin_services
 * key and the port's EXACT bit. Kept apart from the maps so that {@link #diff} can say exactly which entries
 * a change adds, replaces or removes. Not thread-safe; the source guards it.
 */
final class ServiceTable {
    /** A services-map key: family 4 or 6, port, 16 address bytes (IPv4 in the first 4). */
    record Key(int family, int port, byte[] address) {
        Key {
            Objects.requireNonNull(address);
            if (address.length != 16) {
                throw new IllegalArgumentException("key address must be 16 bytes");
            }
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && family == k.family && port == k.port && Arrays.equals(address, k.address);
        }

        @Override
        public int hashCode() {
            return (family * 31 + port) * 31 + Arrays.hashCode(address);
        }
    }

    /** An origin_ports value: OriginMapLayouts.PORT_* flags and the wildcard service id per family. */
    record PortEntry(int flags, int ipv4ServiceId, int ipv6ServiceId) {
        static final PortEntry NONE = new PortEntry(0, 0, 0);

        PortEntry merge(PortEntry other) {
            return new PortEntry(flags | other.flags,
                    (other.flags & OriginMapLayouts.PORT_ANY_IPV4) != 0 ? other.ipv4ServiceId : ipv4ServiceId,
                    (other.flags & OriginMapLayouts.PORT_ANY_IPV6) != 0 ? other.ipv6ServiceId : ipv6ServiceId);
        }
    }

    /** What the kernel maps should hold for a set of services. */
    record State(Map<Key, Integer> services, Map<Integer, PortEntry> ports) {
    }

    /** The entries to write and delete to go from one state to another. */
    record Diff(Map<Key, Integer> putServices, Set<Key> deleteServices,
                Map<Integer, PortEntry> putPorts, Set<Integer> clearPorts) {
        boolean isEmpty() {
            return putServices.isEmpty() && deleteServices.isEmpty() && putPorts.isEmpty() && clearPorts.isEmpty();
        }
    }

    private final Map<Integer, WatchedService> byId = new TreeMap<>();
    private final boolean checkNodes;

    /** @param checkNodes flag every watched port so new clients are looked up among the cluster nodes */
    ServiceTable(boolean checkNodes) {
        this.checkNodes = checkNodes;
    }

    ServiceTable() {
        this(false);
    }

    Map<Integer, WatchedService> services() {
        return byId;
    }

    /**
     * The state with {@code service} added. Equal service: unchanged. Same id with another shape, or a key
     * another service already holds: {@link IllegalArgumentException} naming the conflict.
     */
    State withWatched(WatchedService service) {
        WatchedService existing = byId.get(service.serviceId());
        if (existing != null && !existing.equals(service)) {
            throw new IllegalArgumentException("service id " + service.serviceId() + " is already watched as "
                    + describe(existing) + "; unwatch it first to watch " + describe(service));
        }
        Map<Integer, WatchedService> next = new TreeMap<>(byId);
        next.put(service.serviceId(), service);
        return stateOf(next, checkNodes);
    }

    State withoutWatched(int serviceId) {
        Map<Integer, WatchedService> next = new TreeMap<>(byId);
        next.remove(serviceId);
        return stateOf(next, checkNodes);
    }

    State current() {
        return stateOf(byId, checkNodes);
    }

    /** Records that the kernel now holds the state for this service set. */
    void commitWatched(WatchedService service) {
        byId.put(service.serviceId(), service);
    }

    void commitUnwatched(int serviceId) {
        byId.remove(serviceId);
    }

    static String describe(WatchedService s) {
        return s.name() + " (id " + s.serviceId() + ", port " + s.port()
                + s.localAddress().map(a -> " on " + a).orElse("") + ")";
    }

    static State stateOf(Map<Integer, WatchedService> services, boolean checkNodes) {
        Map<Key, Integer> keys = new LinkedHashMap<>();
        Map<Integer, PortEntry> ports = new TreeMap<>();
        Map<Integer, WatchedService> wildcardHolder = new HashMap<>();
        for (WatchedService s : services.values()) {
            if (s.localAddress().isEmpty()) {
                WatchedService holder = wildcardHolder.putIfAbsent(s.port(), s);
                if (holder != null) {
                    throw overlap(s, holder);
                }
                int bothFamilies = OriginMapLayouts.PORT_ANY_IPV4 | OriginMapLayouts.PORT_ANY_IPV6;
                ports.merge(s.port(), new PortEntry(bothFamilies, s.serviceId(), s.serviceId()), PortEntry::merge);
                continue;
            }
            Key key = exactKey(s);
            Integer holder = keys.putIfAbsent(key, s.serviceId());
            if (holder != null) {
                throw overlap(s, services.get(holder));
            }
            ports.merge(s.port(), new PortEntry(OriginMapLayouts.PORT_EXACT, 0, 0), PortEntry::merge);
        }
        if (checkNodes) {
            ports.replaceAll((port, e) -> e.merge(new PortEntry(OriginMapLayouts.PORT_CHECK_NODES, 0, 0)));
        }
        return new State(keys, ports);
    }

    private static IllegalArgumentException overlap(WatchedService s, WatchedService holder) {
        return new IllegalArgumentException(describe(s) + " overlaps " + describe(holder)
                + ": both would count the same connections; watch each port/address once");
    }

    static Key exactKey(WatchedService s) {
        ClientAddress local = s.localAddress().orElseThrow();
        if (local.isPrefix()) {
            throw new IllegalArgumentException(describe(s) + ": a local address must be a full address, not a prefix");
        }
        byte[] raw = local.toBytes();
        byte family = local.isIpv4() ? OriginMapLayouts.FAMILY_IPV4 : OriginMapLayouts.FAMILY_IPV6;
        return new Key(family, s.port(), Arrays.copyOf(raw, 16));
    }

    static Diff diff(State from, State to) {
        Map<Key, Integer> put = new LinkedHashMap<>();
        to.services().forEach((k, id) -> {
            if (!id.equals(from.services().get(k))) {
                put.put(k, id);
            }
        });
        Set<Key> delete = new java.util.LinkedHashSet<>(from.services().keySet());
        delete.removeAll(to.services().keySet());
        Map<Integer, PortEntry> putPorts = new TreeMap<>();
        to.ports().forEach((p, e) -> {
            if (!e.equals(from.ports().get(p))) {
                putPorts.put(p, e);
            }
        });
        Set<Integer> clear = new java.util.TreeSet<>(from.ports().keySet());
        clear.removeAll(to.ports().keySet());
        return new Diff(put, delete, putPorts, clear);
    }
}
