package io.edgesched.ebpf;

import static io.edgesched.ebpf.OriginMapLayouts.CLIENT_KEY;
import static io.edgesched.ebpf.OriginMapLayouts.CLIENT_VALUE;

import io.edgesched.ebpf.OriginMapLayouts.Stat;
import io.edgesched.ebpf.libbpf.BpfMap;
import io.edgesched.ebpf.libbpf.MapSnapshotReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads origin_clients (batched, into buffers reused across reads) and origin_stats (summed over CPUs).
 * Shared by the attached source and by {@link PinnedOriginReader}. Not thread-safe; callers serialize.
 */
final class OriginMapReader implements AutoCloseable {
    private final BpfMap clients;
    private final BpfMap stats;
    private final MapSnapshotReader clientReader;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment statKey;
    private final MemorySegment statValues;
    private final MemorySegment clientKey;
    private final long generation;

    OriginMapReader(BpfMap clients, BpfMap stats) {
        this.clients = clients.requireLayouts(CLIENT_KEY, CLIENT_VALUE);
        this.stats = stats;
        if (stats.keySize() != Integer.BYTES || stats.valueSize() != Long.BYTES) {
            throw new IllegalArgumentException("map '" + stats.name() + "' is not origin_stats (key " + stats.keySize()
                    + ", value " + stats.valueSize() + " bytes): the object and OriginMapLayouts disagree");
        }
        try {
            this.clientReader = clients.snapshotReader(clients.maxEntries());
            this.statKey = arena.allocate(ValueLayout.JAVA_INT);
            this.statValues = arena.allocate(stats.valueStride(), 8);
            this.clientKey = arena.allocate(CLIENT_KEY);
            this.generation = clients.info().id();
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    List<OriginKernel.RawClient> readClients() {
        int n = clientReader.read();
        List<OriginKernel.RawClient> result = new ArrayList<>(n);
        MemorySegment keys = clientReader.keys();
        MemorySegment values = clientReader.values();
        long keySize = CLIENT_KEY.byteSize();
        long valueStride = clientReader.valueStride();
        for (int i = 0; i < n; i++) {
            long k = i * keySize;
            long v = i * valueStride;
            byte family = (byte) OriginMapLayouts.CLIENT_KEY_FAMILY.get(keys, k);
            if (family != OriginMapLayouts.FAMILY_IPV4 && family != OriginMapLayouts.FAMILY_IPV6) {
                continue; // the programs never write another family; skip rather than fail a whole snapshot
            }
            result.add(new OriginKernel.RawClient(
                    (int) OriginMapLayouts.CLIENT_KEY_SERVICE_ID.get(keys, k),
                    Short.toUnsignedInt((short) OriginMapLayouts.CLIENT_KEY_PORT.get(keys, k)),
                    OriginMapLayouts.readAddress(keys, k + OriginMapLayouts.CLIENT_KEY_ADDR_OFFSET, family),
                    (long) OriginMapLayouts.CLIENT_CONNECTIONS.get(values, v),
                    (long) OriginMapLayouts.CLIENT_PACKETS.get(values, v),
                    (long) OriginMapLayouts.CLIENT_BYTES.get(values, v),
                    (long) OriginMapLayouts.CLIENT_FIRST_SEEN_NS.get(values, v),
                    (long) OriginMapLayouts.CLIENT_LAST_SEEN_NS.get(values, v),
                    (long) OriginMapLayouts.CLIENT_SRTT_NS.get(values, v),
                    (long) OriginMapLayouts.CLIENT_RTT_MIN_NS.get(values, v),
                    (long) OriginMapLayouts.CLIENT_RTT_SAMPLES.get(values, v),
                    (int) OriginMapLayouts.CLIENT_FLAGS.get(values, v)));
        }
        return result;
    }

    /** True if the last read stopped at the buffer's capacity (cannot happen while it matches max_entries). */
    boolean lastReadTruncated() {
        return clientReader.truncated();
    }

    boolean deleteClient(OriginKernel.RawClient client) {
        clientKey.fill((byte) 0);
        OriginMapLayouts.CLIENT_KEY_SERVICE_ID.set(clientKey, 0L, client.serviceId());
        OriginMapLayouts.CLIENT_KEY_PORT.set(clientKey, 0L, (short) client.port());
        byte family = OriginMapLayouts.writeAddress(clientKey, OriginMapLayouts.CLIENT_KEY_ADDR_OFFSET,
                client.address());
        OriginMapLayouts.CLIENT_KEY_FAMILY.set(clientKey, 0L, family);
        return clients.delete(clientKey);
    }

    long[] readStats() {
        long[] sums = new long[Stat.COUNT];
        int cpus = (int) (statValues.byteSize() / Long.BYTES);
        for (int index = 0; index < sums.length; index++) {
            statKey.set(ValueLayout.JAVA_INT, 0, index);
            if (!stats.lookup(statKey, statValues)) {
                continue;
            }
            long sum = 0;
            for (int cpu = 0; cpu < cpus; cpu++) {
                sum += statValues.get(ValueLayout.JAVA_LONG, (long) cpu * Long.BYTES);
            }
            sums[index] = sum;
        }
        return sums;
    }

    /** Changes with every load: the kernel's id of the clients map (unique until reboot). */
    long generation() {
        return generation;
    }

    @Override
    public void close() {
        clientReader.close();
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
