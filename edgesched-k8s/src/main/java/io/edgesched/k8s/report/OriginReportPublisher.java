package io.edgesched.k8s.report;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.NodeId;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.RequestOriginSource;
import io.edgesched.k8s.report.OriginRateComputer.RateWindow;
import io.edgesched.k8s.report.OriginRateComputer.RecordRate;
import io.edgesched.k8s.topology.ClusterSnapshot;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import java.net.HttpURLConnection;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Agent side: keeps the source's watch list in step with the topology, turns its cumulative snapshots into
 * rates and writes this node's {@link OriginReport} (create, then replace). Call {@link #publishOnce()} at
 * an interval from one thread.
 */
public final class OriginReportPublisher {
    private static final Logger LOG = LoggerFactory.getLogger(OriginReportPublisher.class);

    private final KubernetesClient client;
    private final String namespace;
    private final RequestOriginSource source;
    private final Supplier<ClusterSnapshot> topology;
    private final OriginReportBuilder builder;
    private final Clock clock;
    private final WatchPlan plan = new WatchPlan();
    private final OriginRateComputer rates = new OriginRateComputer();
    private boolean reportExists;
    private long published;

    public OriginReportPublisher(KubernetesClient client, String namespace, RequestOriginSource source,
                                 Supplier<ClusterSnapshot> topology, ReportLimits limits, Clock clock) {
        this.client = Objects.requireNonNull(client, "client");
        this.namespace = Objects.requireNonNull(namespace, "namespace");
        this.source = Objects.requireNonNull(source, "source");
        this.topology = Objects.requireNonNull(topology, "topology");
        this.builder = new OriginReportBuilder(limits);
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    public NodeId node() {
        return source.node();
    }

    public WatchPlan plan() {
        return plan;
    }

    /** Reports written so far. */
    public long published() {
        return published;
    }

    /** Updates the watch list from the topology (ports this node must watch). */
    public void syncWatches() {
        plan.apply(topology.get().bindingsOn(source.node()), source);
    }

    /**
     * Syncs watches, reads the source, and writes the report. Empty when there is no rate window yet
     * (first read, or the source restarted): the next call publishes.
     */
    public Optional<OriginReport> publishOnce() {
        ClusterSnapshot cluster = topology.get();
        plan.apply(cluster.bindingsOn(source.node()), source);
        OriginSnapshot snapshot = source.snapshot();
        Optional<RateWindow> window = rates.next(snapshot);
        if (window.isEmpty()) {
            return Optional.empty();
        }
        OriginReport report = build(window.get(), cluster);
        write(report);
        published++;
        return Optional.of(report);
    }

    OriginReport build(RateWindow window, ClusterSnapshot cluster) {
        Map<WorkloadPort, List<ClientRate>> demand = new HashMap<>();
        Map<NodeId, Long> nodeRtts = new HashMap<>();
        Map<ClientAddress, NodeId> nodes = cluster.nodeByAddress();
        long unmapped = 0;
        for (RecordRate r : window.rates()) {
            NodeId peer = nodes.get(r.client());
            if (peer != null || r.forwarded()) {
                // another node relaying traffic: not a client, but its RTT is this node's RTT to that node
                if (peer != null && !peer.equals(source.node()) && r.rttMicros() > 0) {
                    nodeRtts.merge(peer, r.rttMicros(), Math::min);
                }
                continue;
            }
            Optional<WorkloadPort> wp = plan.workloadFor(r.serviceId());
            if (wp.isEmpty()) {
                unmapped++;
                continue;
            }
            demand.computeIfAbsent(wp.get(), k -> new ArrayList<>()).add(r.toClientRate());
        }
        return builder.build(source.node(), namespace, window.snapshot().takenAt(), window.seconds(), demand, nodeRtts,
                unmapped, window.snapshot().stats());
    }

    private void write(OriginReport report) {
        var resources = client.resources(OriginReport.class).inNamespace(namespace);
        try {
            if (!reportExists) {
                resources.resource(report).createOr(NonDeletingOperation::update);
                reportExists = true;
                return;
            }
            try {
                resources.resource(report).update();
            } catch (KubernetesClientException e) {
                if (e.getCode() != HttpURLConnection.HTTP_NOT_FOUND) {
                    throw e;
                }
                resources.resource(report).create(); // someone deleted it: write it again
            }
        } catch (KubernetesClientException e) {
            reportExists = false;
            throw new KubernetesClientException("writing OriginReport " + namespace + "/" + report.getMetadata().getName()
                    + " failed (HTTP " + e.getCode() + "): " + e.getMessage()
                    + ". Is the CRD installed (kubectl apply -f deploy/crd-originreport.yaml) and may the agent's"
                    + " service account create/update originreports in " + namespace + "?", e);
        }
    }
}
