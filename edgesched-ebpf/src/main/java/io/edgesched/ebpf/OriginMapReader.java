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
import java.util.function.IntPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads origin_clients and origin_stats (summed over CPUs). The client table is read with the
 * {@link OriginClientCopier} where the kernel accepts it (one program run, rows read through mmap), otherwise
 * batched into buffers reused across reads. Shared by the attached source and by {@link PinnedOriginReader}.
 *
 * <p>A whole read walks every bucket of the table however few entries it holds (~1.2 ms for an empty 65,536-entry
 * table), which is most of what a fast read costs on a node with a few clients. So while the last whole read held
 * at most {@link #keyedReadLimit()} entries and the kernel has inserted none since (its CLIENTS_NEW counter, read
 * before and unchanged), the table can only hold those same keys or fewer: a read then looks each of them up
 * instead ({@link #keyedReads()}), which returns exactly what a whole read would. Any insert brings the next read
 * back to a whole one. Not thread-safe; callers serialize.
 */
final class OriginMapReader implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OriginMapReader.class);
    /** System property: "false" reads the client table with batch lookups only (no copier program). */
    static final String COPIER_PROPERTY = "io.edgesched.ebpf.tableCopier";

    private final BpfMap clients;
    private final OriginClientCopier copier;
    private final DuplicateKeyFilter duplicateKeys = new DuplicateKeyFilter();
    private final BpfMap stats;
    /** Batch-lookup buffers for the whole table (~6.5 MiB at 65,536 entries); made on first need, as the copier
     * answers every read unless it is off or unavailable or the table outgrew its copy. */
    private MapSnapshotReader clientReader;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment statKey;
    private final MemorySegment statValues;
    private final MemorySegment clientKey;
    private final long generation;
    private static final int TRUNCATED_RETRIES = 2;
    private long truncatedReads;
    /** System property: "false" reads the whole table every time (no keyed reads). */
    static final String KEYED_READS_PROPERTY = "io.edgesched.ebpf.keyedReads";
    private final int keyedReadLimit;
    private final MemorySegment knownKeys;
    private final MemorySegment knownValues;
    /** Keys the last whole read returned, in knownKeys; -1 when it returned more than the limit or none yet. */
    private int knownCount = -1;
    private long insertsAtKnown;
    private long keyedReads;

    OriginMapReader(BpfMap clients, BpfMap stats) {
        this.clients = clients.requireLayouts(CLIENT_KEY, CLIENT_VALUE);
        this.stats = stats;
        if (stats.keySize() != Integer.BYTES || stats.valueSize() != Long.BYTES) {
            throw new IllegalArgumentException("map '" + stats.name() + "' is not origin_stats (key " + stats.keySize()
                    + ", value " + stats.valueSize() + " bytes): the object and OriginMapLayouts disagree");
        }
        try {
            this.statKey = arena.allocate(ValueLayout.JAVA_INT);
            this.statValues = arena.allocate(stats.valueStride(), 8);
            this.clientKey = arena.allocate(CLIENT_KEY);
            this.generation = clients.info().id();
            this.keyedReadLimit = keyedReadLimit(clients.maxEntries());
            this.knownKeys = arena.allocate(CLIENT_KEY.byteSize() * Math.max(1, keyedReadLimit), 8);
            this.knownValues = arena.allocate((long) clients.valueStride() * Math.max(1, keyedReadLimit), 8);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
        this.copier = openCopier(clients);
    }

    private static OriginClientCopier openCopier(BpfMap clients) {
        if (!Boolean.parseBoolean(System.getProperty(COPIER_PROPERTY, "true"))) {
            LOG.debug("{}=false: reading {} with batch lookups", COPIER_PROPERTY, clients.name());
            return null;
        }
        try {
            return OriginClientCopier.open(clients);
        } catch (BpfException e) {
            LOG.info("whole-table copier unavailable ({}); reading {} with batch lookups", e.getMessage(),
                    clients.name());
            return null;
        }
    }

    /**
     * Keyed reads pay one lookup per entry (~1 us: half the get_next_key loop's ~2 us per entry, two system calls,
     * docs/bench/binding.md), a whole read ~18 ns per bucket (the copier on an empty 65,536-entry table: 1.19 ms;
     * buckets are max entries rounded up to a power of two): they break even near one key per 55 buckets, so at
     * most maxEntries / 64 keys, at most 1,024. Zero turns keyed reads off.
     */
    private static int keyedReadLimit(int maxEntries) {
        if (!Boolean.parseBoolean(System.getProperty(KEYED_READS_PROPERTY, "true"))) {
            return 0;
        }
        return Math.min(1024, Math.max(16, maxEntries / 64));
    }

    /** The most entries a read looks up by key instead of walking the table; 0 if keyed reads are off. */
    int keyedReadLimit() {
        return keyedReadLimit;
    }

    /** Reads answered by looking up the known keys. */
    long keyedReads() {
        return keyedReads;
    }

    /** True if reads use the copier program rather than batch lookups. */
    boolean usesCopier() {
        return copier != null;
    }

    List<OriginKernel.RawClient> readClients() {
        long inserts = statSum(Stat.CLIENTS_NEW);
        if (knownCount >= 0 && inserts == insertsAtKnown) {
            keyedReads++;
            return readKnown();
        }
        knownCount = -1;
        List<OriginKernel.RawClient> result = readWhole(inserts);
        if (knownCount >= 0) {
            insertsAtKnown = inserts; // an insert during the walk changes the counter: the next read is whole
        }
        return result;
    }

    /** Looks up every known key; drops the ones gone (deleted by us; nothing else deletes without an insert). */
    private List<OriginKernel.RawClient> readKnown() {
        long keySize = CLIENT_KEY.byteSize();
        long valueStride = clients.valueStride();
        int found = 0;
        for (int i = 0; i < knownCount; i++) {
            MemorySegment key = knownKeys.asSlice(i * keySize, keySize);
            if (!clients.lookup(key, knownValues.asSlice(found * valueStride, valueStride))) {
                continue;
            }
            if (found != i) {
                MemorySegment.copy(key, 0, knownKeys, found * keySize, keySize);
            }
            found++;
        }
        knownCount = found;
        return decode(found, knownKeys, keySize, knownValues, valueStride, row -> false, null);
    }

    private List<OriginKernel.RawClient> readWhole(long insertedBefore) {
        if (copier != null) {
            int n = copier.copy();
            if (n == 0) {
                knownCount = keyedReadLimit > 0 ? 0 : -1;
                return new ArrayList<>();
            }
            if (n != OriginMapLayouts.SNAPSHOT_OVERFLOW) {
                long entrySize = OriginMapLayouts.CLIENT_ENTRY.byteSize();
                MemorySegment rows = copier.entries();
                // The walk can list an entry twice only if an entry was reused meanwhile, which only an insert
                // does (and every insert counts CLIENTS_NEW): otherwise skip the duplicate check (~30 ns/row).
                boolean inserted = statSum(Stat.CLIENTS_NEW) != insertedBefore;
                long before = duplicateKeys.duplicates();
                IntPredicate skip = row -> false;
                if (inserted) {
                    duplicateKeys.reset(rows, entrySize, n);
                    skip = duplicateKeys::seenBefore;
                }
                List<OriginKernel.RawClient> result = decode(n, rows, entrySize, rows.asSlice(CLIENT_KEY.byteSize()),
                        entrySize, skip, keyedReadLimit > 0 && n <= keyedReadLimit ? knownKeys : null);
                if (duplicateKeys.duplicates() != before) {
                    LOG.debug("{}: skipped {} entries the copier listed twice (LRU churn during the walk)",
                            clients.name(), duplicateKeys.duplicates() - before);
                }
                return result;
            }
            LOG.debug("{} outgrew its copy; reading it with batch lookups", clients.name());
        }
        MapSnapshotReader clientReader = batchReader();
        int n = clientReader.read();
        // Full buffers mean entries were inserted during the walk (the table holds at most the capacity): read
        // again rather than hand out a silently short table; if churn outruns that too, say so.
        for (int retry = 0; clientReader.truncated() && retry < TRUNCATED_RETRIES; retry++) {
            n = clientReader.read();
        }
        if (clientReader.truncated()) {
            truncatedReads++;
            LOG.warn("{}: batch read stopped at {} entries, the buffer's size, {} times in a row (inserts during"
                    + " the walk); this snapshot may miss clients (truncated reads so far: {})", clients.name(), n,
                    TRUNCATED_RETRIES + 1, truncatedReads);
        }
        boolean complete = keyedReadLimit > 0 && !clientReader.truncated() && n <= keyedReadLimit;
        // batch reads lock each bucket: no duplicates
        return decode(n, clientReader.keys(), CLIENT_KEY.byteSize(), clientReader.values(),
                clientReader.valueStride(), row -> false, complete ? knownKeys : null);
    }

    private MapSnapshotReader batchReader() {
        if (clientReader == null) {
            clientReader = clients.snapshotReader(clients.maxEntries());
        }
        return clientReader;
    }

    /** True once the batch-lookup buffers exist. */
    boolean hasBatchBuffers() {
        return clientReader != null;
    }

    /**
     * Decodes {@code n} rows; with {@code remember}, also copies each decoded row's key there and makes them the
     * known keys (from a whole read of the table only).
     */
    private List<OriginKernel.RawClient> decode(int n, MemorySegment keys, long keyStride,
            MemorySegment values, long valueStride, IntPredicate skip, MemorySegment remember) {
        List<OriginKernel.RawClient> result = new ArrayList<>(n);
        long keySize = CLIENT_KEY.byteSize();
        for (int i = 0; i < n; i++) {
            if (skip.test(i)) {
                continue;
            }
            long k = i * keyStride;
            long v = i * valueStride;
            byte family = (byte) OriginMapLayouts.CLIENT_KEY_FAMILY.get(keys, k);
            if (family != OriginMapLayouts.FAMILY_IPV4 && family != OriginMapLayouts.FAMILY_IPV6) {
                continue; // the programs never write another family; skip rather than fail a whole snapshot
            }
            if (remember != null) {
                MemorySegment.copy(keys, k, remember, result.size() * keySize, keySize);
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
        if (remember != null) {
            knownCount = result.size();
        }
        return result;
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

    /** One origin_stats counter summed over CPUs. */
    private long statSum(Stat stat) {
        return statSum(stat.index());
    }

    private long statSum(int index) {
        statKey.set(ValueLayout.JAVA_INT, 0, index);
        if (!stats.lookup(statKey, statValues)) {
            return 0;
        }
        long sum = 0;
        for (long offset = 0; offset < statValues.byteSize(); offset += Long.BYTES) {
            sum += statValues.get(ValueLayout.JAVA_LONG, offset);
        }
        return sum;
    }

    long[] readStats() {
        long[] sums = new long[Stat.COUNT];
        for (int index = 0; index < sums.length; index++) {
            sums[index] = statSum(index);
        }
        return sums;
    }

    /** Client reads that stayed truncated after the retries (each logged). */
    long truncatedReads() {
        return truncatedReads;
    }

    /** Changes with every load: the kernel's id of the clients map (unique until reboot). */
    long generation() {
        return generation;
    }

    @Override
    public void close() {
        if (copier != null) {
            copier.close();
        }
        if (clientReader != null) {
            clientReader.close();
        }
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
