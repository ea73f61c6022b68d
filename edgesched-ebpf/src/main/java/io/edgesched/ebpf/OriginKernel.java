package io.edgesched.ebpf;

import java.util.List;

/**
 * The kernel side of the request-origin source: the loaded tc programs and their maps.
 * {@link EbpfRequestOriginSource} holds the logic, this holds the handles, so that the logic can be tested
 * against an in-memory kernel and the libbpf one can stay thin.
 */
interface OriginKernel extends AutoCloseable {

    /** A client entry as the kernel holds it (origin_client_key + origin_client_value). */
    record RawClient(int serviceId, int port, byte[] address, long connections, long packets, long bytes,
                     long firstSeenNanos, long lastSeenNanos, long srttNanos, long rttMinNanos, long rttSamples,
                     int flags) {
    }

    void putService(ServiceTable.Key key, int serviceId);

    void deleteService(ServiceTable.Key key);

    /** Writes the origin_ports entry of a port; {@link ServiceTable.PortEntry#NONE} stops matching it. */
    void setPort(int port, ServiceTable.PortEntry entry);

    /** Marks an address (4 or 16 bytes) as a cluster node: its traffic is flagged as forwarded. */
    void putNode(byte[] address);

    /** Every client entry, read in batches. */
    List<RawClient> readClients();

    /** Deletes one client entry; false when it was already gone (evicted). */
    boolean deleteClient(RawClient client);

    /** origin_stats summed over CPUs, indexed by {@link OriginMapLayouts.Stat#index()}. */
    long[] readStats();

    /** Changes whenever the programs and maps were loaded anew (counters restarted from zero). */
    long generation();

    /**
     * Checks that the programs are still attached and attaches again what vanished (interface re-created, link or
     * filter removed by someone). Returns how many attachments were made anew by this call.
     */
    default int ensureAttached() {
        return 0;
    }

    /** What it is attached to, for messages: "eth0" or "eth0 in netns lab-1". */
    String description();

    /** Detaches and unloads; idempotent. */
    @Override
    void close();
}
