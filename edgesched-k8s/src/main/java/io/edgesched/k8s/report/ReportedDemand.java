package io.edgesched.k8s.report;

import io.edgesched.api.NodeId;
import io.edgesched.api.WorkloadId;
import io.edgesched.k8s.report.OriginReportSpec.ClientDemand;
import io.edgesched.k8s.report.OriginReportSpec.NodeRtt;
import io.edgesched.k8s.report.OriginReportSpec.WorkloadOrigins;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Demand read from fresh OriginReports: per workload, the rate entering at each node with the
 * demand-weighted mean client RTT there, plus the node-to-node RTTs the agents measured.
 */
public record ReportedDemand(SortedMap<WorkloadId, SortedMap<NodeId, Entry>> workloads, List<Link> links) {

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

    public static ReportedDemand from(Collection<OriginReportWatcher.ReceivedReport> reports, Rate rate) {
        SortedMap<WorkloadId, SortedMap<NodeId, double[]>> acc = new TreeMap<>();
        List<Link> links = new ArrayList<>();
        for (OriginReportWatcher.ReceivedReport received : reports) {
            OriginReportSpec spec = received.report().getSpec();
            NodeId node = NodeId.of(spec.node());
            for (WorkloadOrigins w : spec.workloads()) {
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
        SortedMap<WorkloadId, SortedMap<NodeId, Entry>> out = new TreeMap<>();
        acc.forEach((w, perNode) -> {
            SortedMap<NodeId, Entry> entries = new TreeMap<>();
            perNode.forEach((n, a) -> entries.put(n, new Entry(a[0], a[2] > 0 ? a[1] / a[2] : Double.NaN, (long) a[3])));
            out.put(w, java.util.Collections.unmodifiableSortedMap(entries));
        });
        return new ReportedDemand(java.util.Collections.unmodifiableSortedMap(out), List.copyOf(links));
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
