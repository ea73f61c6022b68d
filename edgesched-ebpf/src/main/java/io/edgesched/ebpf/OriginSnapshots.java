package io.edgesched.ebpf;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.NodeId;
import io.edgesched.api.OriginRecord;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.OriginStats;
import io.edgesched.ebpf.OriginMapLayouts.Stat;
import io.edgesched.ebpf.libbpf.KernelClock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;

/** Turns raw kernel entries and counters into the API's {@link OriginSnapshot}. */
final class OriginSnapshots {
    private OriginSnapshots() {
    }

    static OriginSnapshot build(NodeId node, long generation, List<OriginKernel.RawClient> clients, long[] stats,
                                long clientsDeletedByUs, IntPredicate watchedServiceId) {
        List<OriginRecord> records = new ArrayList<>(clients.size());
        for (OriginKernel.RawClient c : clients) {
            if (!watchedServiceId.test(c.serviceId())) {
                continue; // unwatched while we read: its entries are being deleted
            }
            records.add(toRecord(c));
        }
        // CLOCK_MONOTONIC: the clock of bpf_ktime_get_ns and (advanced once per tick) of the coarse
        // first/last-seen times, which therefore are never ahead of it.
        return new OriginSnapshot(node, Instant.now(), KernelClock.monotonicNanos(), generation, records,
                toStats(stats, clients.size(), clientsDeletedByUs));
    }

    static OriginRecord toRecord(OriginKernel.RawClient c) {
        long rttMicros = c.rttSamples() > 0 ? Math.max(1, (c.srttNanos() + 500) / 1000) : 0;
        return new OriginRecord(c.serviceId(), c.port(), ClientAddress.of(c.address()), c.connections(), c.packets(),
                c.bytes(), rttMicros, c.rttSamples(), c.firstSeenNanos(), c.lastSeenNanos(),
                (c.flags() & OriginMapLayouts.CLIENT_FORWARDED) != 0);
    }

    /**
     * The API's health counters. The kernel LRU table evicts old clients silently; the programs count every
     * insert, so evicted = inserted - present - deleted by us. Stats are read before the clients, so a
     * client inserted in between makes this an under-estimate, never a false alarm.
     */
    static OriginStats toStats(long[] stats, long clientsPresent, long clientsDeletedByUs) {
        long evicted = Math.max(0, stat(stats, Stat.CLIENTS_NEW) - clientsPresent - clientsDeletedByUs);
        return new OriginStats(
                stat(stats, Stat.PACKETS_SEEN),
                stat(stats, Stat.UNPARSED) + stat(stats, Stat.EGRESS_UNPARSED),
                stat(stats, Stat.CLIENTS_FULL) + evicted,
                stat(stats, Stat.HANDSHAKES_FULL) + stat(stats, Stat.HANDSHAKES_EXPIRED),
                stat(stats, Stat.FORWARDED_PACKETS));
    }

    static long stat(long[] stats, Stat stat) {
        return stat.index() < stats.length ? stats[stat.index()] : 0;
    }
}
