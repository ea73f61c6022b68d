package io.edgesched.k8s.report;

import io.edgesched.api.NodeId;
import io.edgesched.api.WorkloadId;
import io.edgesched.api.demand.Handoff;
import io.edgesched.k8s.report.OriginReportSpec.ClientDemand;
import io.edgesched.k8s.report.OriginReportSpec.NodeRtt;
import io.edgesched.k8s.report.OriginReportSpec.WorkloadOrigins;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.SortedMap;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Demand read from fresh OriginReports: per workload, the rate entering at each node with the
 * demand-weighted mean client RTT there, plus the node-to-node RTTs the agents measured. The rates are the
 * agents' {@code DemandStore} views as of each report (see docs/engine.md, "One demand pipeline").
 *
 * @param wrongMetric nodes whose report measures another counter than the one asked for: their demand is left
 *                    out (adding packets to bytes means nothing), their node RTTs still count
 */
public record ReportedDemand(SortedMap<WorkloadId, SortedMap<NodeId, Entry>> workloads, List<Link> links,
                             List<NodeId> wrongMetric, List<Handoff> handoffs) {
    private static final Logger LOG = LoggerFactory.getLogger(ReportedDemand.class);

    public ReportedDemand {
        wrongMetric = List.copyOf(wrongMetric);
        handoffs = List.copyOf(handoffs);
    }

    public ReportedDemand(SortedMap<WorkloadId, SortedMap<NodeId, Entry>> workloads, List<Link> links,
                          List<NodeId> wrongMetric) {
        this(workloads, links, wrongMetric, List.of());
    }

    public ReportedDemand(SortedMap<WorkloadId, SortedMap<NodeId, Entry>> workloads, List<Link> links) {
        this(workloads, links, List.of(), List.of());
    }

    /** Which reported rate counts as demand. */
    public enum Rate { CONNECTIONS, PACKETS, BYTES }

    /**
     * @param meanRttMicros demand-weighted mean over clients with a known RTT; NaN when none has one
     * @param clients       client addresses behind the rate (listed, aggregated and the tail)
     */
    public record Entry(double ratePerSecond, double meanRttMicros, long clients) {
    }

    /** A measured RTT from one node to another. */
    public record Link(NodeId from, NodeId to, long rttMicros) {
    }

    /** Without handoffs across nodes: each node's listed rates count where they were measured. */
    public static ReportedDemand from(Collection<OriginReportWatcher.ReceivedReport> reports, Rate rate) {
        return from(reports, rate, null, null);
    }

    /**
     * The same, with the clients {@code handoffs} finds handed off from one node to another counted at their new
     * entry node (their rate listed at the old one moves, with the new node's RTT to them).
     */
    public static ReportedDemand from(Collection<OriginReportWatcher.ReceivedReport> reports, Rate rate,
                                      ReportHandoffs handoffs, Instant now) {
        SortedMap<WorkloadId, SortedMap<NodeId, double[]>> acc = new TreeMap<>();
        List<Link> links = new ArrayList<>();
        List<NodeId> wrongMetric = new ArrayList<>();
        for (OriginReportWatcher.ReceivedReport received : reports) {
            OriginReportSpec spec = received.report().getSpec();
            NodeId node = NodeId.of(spec.node());
            boolean sameMetric = spec.metric() == null || spec.metric().equalsIgnoreCase(rate.name());
            if (!sameMetric) {
                wrongMetric.add(node);
            }
            for (WorkloadOrigins w : sameMetric ? spec.workloads() : List.<WorkloadOrigins>of()) {
                WorkloadId id = WorkloadId.of(w.namespace(), w.workload());
                // [rate, rtt*rate over known, rate with known rtt, clients]
                double[] a = acc.computeIfAbsent(id, k -> new TreeMap<>()).computeIfAbsent(node, k -> new double[4]);
                for (ClientDemand c : w.clients()) {
                    double r = pick(rate, c.ratePerSecond(), c.packetsPerSecond(), c.bytesPerSecond());
                    if (!believable(r)) {
                        continue; // OriginReportWatcher counts and logs these; other callers get the same rule
                    }
                    a[0] += r;
                    if (c.rttMicros() > 0) {
                        a[1] += c.rttMicros() * r;
                        a[2] += r;
                    }
                    a[3] += c.clients();
                }
                double tail = pick(rate, w.otherClients().ratePerSecond(), w.otherClients().packetsPerSecond(),
                        w.otherClients().bytesPerSecond());
                a[0] += believable(tail) ? tail : 0;
                a[3] += w.otherClients().count();
            }
            for (NodeRtt r : spec.nodeRtts()) {
                links.add(new Link(node, NodeId.of(r.node()), r.rttMicros()));
            }
        }
        if (!wrongMetric.isEmpty()) {
            LOG.warn("ignoring the demand in {} OriginReport(s) that measure another counter than this controller's {} "
                    + "(e.g. {}): give the agents' --metric and the controller's --demand the same value",
                    wrongMetric.size(), rate.name().toLowerCase(Locale.ROOT),
                    wrongMetric.subList(0, Math.min(3, wrongMetric.size())));
        }
        List<Handoff> recentHandoffs = List.of();
        if (handoffs != null) {
            for (ReportHandoffs.Transfer t : handoffs.resolve(reports, rate, now)) {
                SortedMap<NodeId, double[]> perNode = acc.get(t.workload());
                double[] from = perNode == null ? null : perNode.get(t.from());
                if (from == null || !believable(t.ratePerSecond())) {
                    continue;
                }
                double r = Math.min(t.ratePerSecond(), from[0]);
                double[] to = perNode.computeIfAbsent(t.to(), k -> new double[4]);
                from[0] -= r;
                to[0] += r;
                if (t.fromRttMicros() > 0) {
                    from[1] = Math.max(0, from[1] - t.fromRttMicros() * r);
                    from[2] = Math.max(0, from[2] - r);
                }
                if (t.toRttMicros() > 0) {
                    to[1] += t.toRttMicros() * r;
                    to[2] += r;
                }
                from[3] = Math.max(0, from[3] - 1);
                to[3] += 1;
            }
            recentHandoffs = handoffs.recent(now);
        }
        SortedMap<WorkloadId, SortedMap<NodeId, Entry>> out = new TreeMap<>();
        acc.forEach((w, perNode) -> {
            SortedMap<NodeId, Entry> entries = new TreeMap<>();
            perNode.forEach((n, a) -> entries.put(n, new Entry(a[0], a[2] > 0 ? a[1] / a[2] : Double.NaN, (long) a[3])));
            out.put(w, java.util.Collections.unmodifiableSortedMap(entries));
        });
        return new ReportedDemand(java.util.Collections.unmodifiableSortedMap(out), List.copyOf(links), wrongMetric,
                recentHandoffs);
    }

    private static boolean believable(double rate) {
        return Double.isFinite(rate) && rate >= 0 && rate <= OriginReportWatcher.MAX_RATE_PER_SECOND;
    }

    private static double pick(Rate rate, double connections, double packets, double bytes) {
        return switch (rate) {
            case CONNECTIONS -> connections;
            case PACKETS -> packets;
            case BYTES -> bytes;
        };
    }

    /** Nodes that appear anywhere (as entry or in a link). */
    public java.util.SortedSet<NodeId> nodes() {
        java.util.TreeSet<NodeId> nodes = new java.util.TreeSet<>();
        workloads.values().forEach(m -> nodes.addAll(m.keySet()));
        links.forEach(l -> {
            nodes.add(l.from());
            nodes.add(l.to());
        });
        return nodes;
    }

}
