package io.edgesched.ebpf;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** An {@link OriginKernel} in plain Java maps, to test the source's logic without a kernel. */
final class InMemoryOriginKernel implements OriginKernel {
    final Map<ServiceTable.Key, Integer> services = new HashMap<>();
    final Map<Integer, ServiceTable.PortEntry> ports = new TreeMap<>();
    final List<byte[]> nodes = new ArrayList<>();
    final List<RawClient> clients = new ArrayList<>();
    final long[] stats = new long[OriginMapLayouts.Stat.COUNT];
    long generation = 1;
    int closeCalls;

    /** Plays the tc program: a packet from {@code address} to {@code port}, counted if the port is watched. */
    void packet(int port, byte[] address, int bytes, boolean syn) {
        stats[OriginMapLayouts.Stat.PACKETS_SEEN.index()]++;
        int family = address.length == 4 ? 4 : 6;
        // Only services on every local address (the port entry's wildcard ids) match in these tests.
        ServiceTable.PortEntry entry = ports.getOrDefault(port, ServiceTable.PortEntry.NONE);
        int anyBit = family == 4 ? OriginMapLayouts.PORT_ANY_IPV4 : OriginMapLayouts.PORT_ANY_IPV6;
        Integer serviceId = (entry.flags() & anyBit) == 0 ? null
                : Integer.valueOf(family == 4 ? entry.ipv4ServiceId() : entry.ipv6ServiceId());
        if (serviceId == null) {
            stats[OriginMapLayouts.Stat.NOT_WATCHED.index()]++;
            return;
        }
        for (int i = 0; i < clients.size(); i++) {
            RawClient c = clients.get(i);
            if (c.serviceId() == serviceId && c.port() == port && Arrays.equals(c.address(), address)) {
                clients.set(i, new RawClient(c.serviceId(), port, address, c.connections() + (syn ? 1 : 0),
                        c.packets() + 1, c.bytes() + bytes, c.firstSeenNanos(), System.nanoTime(), c.srttNanos(),
                        c.rttMinNanos(), c.rttSamples(), c.flags()));
                return;
            }
        }
        stats[OriginMapLayouts.Stat.CLIENTS_NEW.index()]++;
        long now = System.nanoTime();
        clients.add(new RawClient(serviceId, port, address, syn ? 1 : 0, 1, bytes, now, now, 0, 0, 0, 0));
    }

    @Override
    public void putService(ServiceTable.Key key, int serviceId) {
        services.put(key, serviceId);
    }

    @Override
    public void deleteService(ServiceTable.Key key) {
        services.remove(key);
    }

    @Override
    public void setPort(int port, ServiceTable.PortEntry entry) {
        if (entry.flags() == 0) {
            ports.remove(port);
        } else {
            ports.put(port, entry);
        }
    }

    @Override
    public void putNode(byte[] address) {
        nodes.add(address.clone());
    }

    @Override
    public List<RawClient> readClients() {
        return List.copyOf(clients);
    }

    @Override
    public boolean deleteClient(RawClient client) {
        return clients.removeIf(c -> c.serviceId() == client.serviceId() && c.port() == client.port()
                && Arrays.equals(c.address(), client.address()));
    }

    @Override
    public long[] readStats() {
        return stats.clone();
    }

    @Override
    public long generation() {
        return generation;
    }

    @Override
    public String description() {
        return "mem0";
    }

    @Override
    public void close() {
        closeCalls++;
    }
}
