package io.edgesched.k8s.report;

/**
 * Bounds that keep an {@link OriginReport} small whatever the traffic (etcd refuses objects over 1.5 MB).
 *
 * @param topClients     clients listed by address per workload (also the number of tail prefixes listed)
 * @param prefixV4       prefix length the IPv4 tail is aggregated to
 * @param prefixV6       prefix length the IPv6 tail is aggregated to
 * @param maxWorkloads   workloads per report; the lightest beyond this are omitted and counted
 * @param maxNodeRtts    node RTT entries per report
 * @param maxBytes       serialized size budget; top-N is halved until the report fits
 */
public record ReportLimits(int topClients, int prefixV4, int prefixV6, int maxWorkloads, int maxNodeRtts,
                           int maxBytes) {
    /** etcd's default request limit is 1.5 MiB; stay well clear of it. */
    public static final int HARD_MAX_BYTES = 1024 * 1024;

    /**
     * 16 addresses and 16 tail prefixes per workload (per-node sums stay exact; only the tail's RTT detail is
     * coarser), 512 KiB hard budget. The agent's own size budget is 64 KiB (its {@code --max-report-bytes}): what
     * keeps a node's write load near 2 KiB/s with a 30 s heartbeat (docs/k8s-reports.md, "Write load").
     */
    public static final ReportLimits DEFAULT = new ReportLimits(16, 24, 48, 512, 2048, 512 * 1024);

    /** The CRD's maxItems: clients (top-N addresses plus N prefixes), workloads, nodeRtts. */
    public static final int CRD_MAX_CLIENT_ENTRIES = 10_000;
    public static final int CRD_MAX_WORKLOADS = 4096;
    public static final int CRD_MAX_NODE_RTTS = 10_000;
    /** Largest top-N whose addresses and tail prefixes fit the CRD's list limit. */
    public static final int MAX_TOP_CLIENTS = CRD_MAX_CLIENT_ENTRIES / 2;

    public ReportLimits {
        if (topClients < 0 || topClients > MAX_TOP_CLIENTS) {
            throw new IllegalArgumentException("topClients must be in 0.." + MAX_TOP_CLIENTS
                    + " (the CRD allows " + CRD_MAX_CLIENT_ENTRIES + " client entries: N addresses + N prefixes), got " + topClients);
        }
        if (maxWorkloads > CRD_MAX_WORKLOADS || maxNodeRtts > CRD_MAX_NODE_RTTS) {
            throw new IllegalArgumentException("maxWorkloads must be <= " + CRD_MAX_WORKLOADS + " and maxNodeRtts <= "
                    + CRD_MAX_NODE_RTTS + " (the CRD's list limits)");
        }
        if (prefixV4 < 0 || prefixV4 > 32) {
            throw new IllegalArgumentException("prefixV4 must be in 0..32, got " + prefixV4);
        }
        if (prefixV6 < 0 || prefixV6 > 128) {
            throw new IllegalArgumentException("prefixV6 must be in 0..128, got " + prefixV6);
        }
        if (maxWorkloads < 1 || maxNodeRtts < 0) {
            throw new IllegalArgumentException("maxWorkloads must be >= 1 and maxNodeRtts >= 0");
        }
        if (maxBytes < 4096 || maxBytes > HARD_MAX_BYTES) {
            throw new IllegalArgumentException("maxBytes must be in 4096.." + HARD_MAX_BYTES + " (etcd limit is 1.5 MiB), got " + maxBytes);
        }
    }

    public ReportLimits withTopClients(int n) {
        return new ReportLimits(n, prefixV4, prefixV6, maxWorkloads, maxNodeRtts, maxBytes);
    }

    public ReportLimits withPrefixes(int v4, int v6) {
        return new ReportLimits(topClients, v4, v6, maxWorkloads, maxNodeRtts, maxBytes);
    }
}
