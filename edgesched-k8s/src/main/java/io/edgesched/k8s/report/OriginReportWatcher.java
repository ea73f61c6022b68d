package io.edgesched.k8s.report;

import io.edgesched.api.NodeId;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Controller side: an informer on the OriginReports of one namespace. Keeps the latest report per node
 * with its age; reports older than the TTL are stale and left out of {@link #fresh()}.
 *
 * <p>What it believes: a report's age counts from when it arrived here (this controller's clock), not
 * from the node's {@code generatedAt}, so a node whose clock is behind is not dropped as stale. The
 * node's clock counts only beyond {@code maxClockSkew}: a report whose own time is older than TTL plus
 * that (a replay, a dead node's last report at start-up) is stale. Every number is checked per entry:
 * non-finite, negative or implausibly large rates and RTTs are dropped with a counted, logged reason,
 * so one bad report never stops a round (see docs/k8s.md, trust model).
 */
public final class OriginReportWatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OriginReportWatcher.class);

    /** Rates above this (per second) are not believed: 10^12 is beyond any single node's uplink. */
    public static final double MAX_RATE_PER_SECOND = 1e12;
    /** RTTs above a minute are not believed. */
    public static final long MAX_RTT_MICROS = 60_000_000L;
    /** Client counts above this are not believed. */
    public static final long MAX_CLIENTS = 1L << 32;
    /** Arrivals or departures per workload believed, at most (an agent lists at most 8 of each). */
    public static final int MAX_MOVEMENTS = 32;
    /** An arrival or departure older than a day is not believed. */
    public static final long MAX_MOVEMENT_AGE_MILLIS = 86_400_000L;
    /** How far behind a node's clock may be before its own timestamps make its report stale. */
    public static final Duration DEFAULT_MAX_CLOCK_SKEW = Duration.ofMinutes(5);

    /**
     * A report, when it was generated (the node's clock, clamped to its arrival) and when it arrived here.
     * Its age counts from its arrival; see the class comment for the node clock's part.
     */
    public record ReceivedReport(OriginReport report, Instant generatedAt, Instant receivedAt) {
        public NodeId node() {
            return NodeId.of(report.getSpec().node());
        }

        public Duration age(Instant now) {
            return Duration.between(receivedAt, now);
        }
    }

    private final Map<String, ReceivedReport> byNode = new ConcurrentHashMap<>();
    private final List<Consumer<ReceivedReport>> listeners = new CopyOnWriteArrayList<>();
    private final Duration ttl;
    private final Clock clock;
    private final SharedIndexInformer<OriginReport> informer;
    private final java.util.concurrent.atomic.AtomicLong rejected = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong droppedEntries = new java.util.concurrent.atomic.AtomicLong();
    private final Duration maxClockSkew;

    private OriginReportWatcher(KubernetesClient client, String namespace, Duration ttl, Duration maxClockSkew,
                                Clock clock) {
        this.ttl = Objects.requireNonNull(ttl, "ttl");
        this.maxClockSkew = Objects.requireNonNull(maxClockSkew, "maxClockSkew");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.informer = client.resources(OriginReport.class).inNamespace(namespace).inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(OriginReport r) {
                accept(r);
            }

            @Override
            public void onUpdate(OriginReport oldReport, OriginReport newReport) {
                accept(newReport);
            }

            @Override
            public void onDelete(OriginReport r, boolean unknownFinalState) {
                byNode.remove(r.getMetadata().getName());
            }
        }, 0);
    }

    /** Starts watching; {@code ttl} is how old a report may be and still count. */
    public static OriginReportWatcher start(KubernetesClient client, String namespace, Duration ttl, Clock clock) {
        return new OriginReportWatcher(client, namespace, ttl, DEFAULT_MAX_CLOCK_SKEW, clock);
    }

    /** As {@link #start(KubernetesClient, String, Duration, Clock)}, tolerating node clocks this far behind. */
    public static OriginReportWatcher start(KubernetesClient client, String namespace, Duration ttl,
                                            Duration maxClockSkew, Clock clock) {
        return new OriginReportWatcher(client, namespace, ttl, maxClockSkew, clock);
    }

    /** True once the informer listed the reports (part of the controller's health). */
    public boolean synced() {
        return informer.hasSynced() && informer.isRunning();
    }

    /** Called on an informer thread for every new or changed valid report: keep it short. */
    public void addListener(Consumer<ReceivedReport> listener) {
        listeners.add(listener);
    }

    /** Removes a listener added before (a controller closed at the end of its leadership term does). */
    public void removeListener(Consumer<ReceivedReport> listener) {
        listeners.remove(listener);
    }

    public void awaitSynced(Duration timeout) throws TimeoutException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!informer.hasSynced()) {
            if (System.nanoTime() > deadline) {
                throw new TimeoutException("OriginReport informer not synced after " + timeout
                        + " (is the CRD installed and may the controller list/watch originreports?)");
            }
            Thread.sleep(20);
        }
    }

    public Duration ttl() {
        return ttl;
    }

    /** Latest report of every node that is younger than the TTL, by node name. */
    public List<ReceivedReport> fresh() {
        Instant now = clock.instant();
        List<ReceivedReport> out = new ArrayList<>();
        for (ReceivedReport r : byNode.values()) {
            boolean arrivedRecently = r.age(now).compareTo(ttl) <= 0;
            boolean nodeTimeBelievable = Duration.between(r.generatedAt(), now).compareTo(ttl.plus(maxClockSkew)) <= 0;
            if (arrivedRecently && nodeTimeBelievable) {
                out.add(r);
            }
        }
        out.sort(Comparator.comparing(r -> r.report().getSpec().node()));
        return out;
    }

    /** Latest report of every node, stale or not. */
    public List<ReceivedReport> all() {
        return List.copyOf(byNode.values());
    }

    public Optional<ReceivedReport> report(NodeId node) {
        return Optional.ofNullable(byNode.get(node.name()));
    }

    /** Reports that were malformed (no spec, node not matching the name, bad time) and ignored. */
    public long rejected() {
        return rejected.get();
    }

    /** Entries (client rates, tails, node RTTs) dropped because their numbers could not be believed. */
    public long droppedEntries() {
        return droppedEntries.get();
    }

    void accept(OriginReport r) {
        Instant received = clock.instant();
        OriginReportSpec spec = r.getSpec();
        String name = r.getMetadata().getName();
        if (spec == null || spec.node() == null || !spec.node().equals(name) || spec.generatedAt() == null) {
            rejected.incrementAndGet();
            LOG.warn("ignoring OriginReport {}: spec.node must equal the object name and generatedAt must be set", name);
            return;
        }
        Instant generated;
        try {
            generated = Instant.parse(spec.generatedAt());
        } catch (DateTimeParseException e) {
            rejected.incrementAndGet();
            LOG.warn("ignoring OriginReport {}: generatedAt '{}' is not an RFC 3339 time", name, spec.generatedAt());
            return;
        }
        if (generated.isAfter(received)) {
            generated = received;
        }
        r = sanitized(r);
        ReceivedReport rr = new ReceivedReport(r, generated, received);
        byNode.put(name, rr);
        for (Consumer<ReceivedReport> l : listeners) {
            try {
                l.accept(rr);
            } catch (RuntimeException e) {
                LOG.warn("OriginReport listener failed for {}", name, e);
            }
        }
    }

    /**
     * The report with every entry whose numbers cannot be believed left out (non-finite, negative, above
     * the MAX_* bounds); each is counted and the report's first reason logged. The CRD bounds the same
     * numbers, so this only bites when the API server did not validate (an older CRD, a direct etcd write).
     */
    private OriginReport sanitized(OriginReport r) {
        OriginReportSpec spec = r.getSpec();
        List<String> reasons = new ArrayList<>();
        List<OriginReportSpec.WorkloadOrigins> workloads = new ArrayList<>();
        for (OriginReportSpec.WorkloadOrigins w : spec.workloads()) {
            List<OriginReportSpec.ClientDemand> clients = new ArrayList<>();
            for (OriginReportSpec.ClientDemand c : w.clients()) {
                String why = whyUnbelievable(c.ratePerSecond(), c.packetsPerSecond(), c.bytesPerSecond(), c.clients());
                if (why == null && (c.rttMicros() < 0 || c.rttMicros() > MAX_RTT_MICROS)) {
                    why = "rttMicros " + c.rttMicros() + " outside [0, " + MAX_RTT_MICROS + "]";
                }
                if (why != null) {
                    reasons.add(w.namespace() + "/" + w.workload() + " client " + c.prefix() + ": " + why);
                } else {
                    clients.add(c);
                }
            }
            OriginReportSpec.OtherClients other = w.otherClients();
            String why = whyUnbelievable(other.ratePerSecond(), other.packetsPerSecond(), other.bytesPerSecond(),
                    other.count());
            if (why != null) {
                reasons.add(w.namespace() + "/" + w.workload() + " otherClients: " + why);
                other = OriginReportSpec.OtherClients.NONE;
            }
            List<OriginReportSpec.Arrival> arrivals = new ArrayList<>();
            for (OriginReportSpec.Arrival a : w.arrivals()) {
                String bad = arrivals.size() >= MAX_MOVEMENTS ? "more than " + MAX_MOVEMENTS + " arrivals"
                        : !isAddress(a.client()) ? "not one client address"
                        : a.arrivedMillisAgo() < 0 || a.arrivedMillisAgo() > MAX_MOVEMENT_AGE_MILLIS
                                ? "arrivedMillisAgo " + a.arrivedMillisAgo() + " outside [0, " + MAX_MOVEMENT_AGE_MILLIS + "]"
                        : a.reads() < 1 ? "reads " + a.reads() + " < 1"
                        : a.rttMicros() < 0 || a.rttMicros() > MAX_RTT_MICROS ? "rttMicros " + a.rttMicros() + " outside [0, " + MAX_RTT_MICROS + "]"
                        : null;
                if (bad != null) {
                    reasons.add(w.namespace() + "/" + w.workload() + " arrival " + a.client() + ": " + bad);
                } else {
                    arrivals.add(a);
                }
            }
            List<OriginReportSpec.Departure> departures = new ArrayList<>();
            for (OriginReportSpec.Departure d : w.departures()) {
                String bad = departures.size() >= MAX_MOVEMENTS ? "more than " + MAX_MOVEMENTS + " departures"
                        : !isAddress(d.client()) ? "not one client address"
                        : d.lastSeenMillisAgo() < 0 || d.lastSeenMillisAgo() > MAX_MOVEMENT_AGE_MILLIS
                                ? "lastSeenMillisAgo " + d.lastSeenMillisAgo() + " outside [0, " + MAX_MOVEMENT_AGE_MILLIS + "]"
                        : null;
                if (bad != null) {
                    reasons.add(w.namespace() + "/" + w.workload() + " departure " + d.client() + ": " + bad);
                } else {
                    departures.add(d);
                }
            }
            workloads.add(new OriginReportSpec.WorkloadOrigins(w.workload(), w.namespace(), w.port(), clients, other,
                    arrivals, departures));
        }
        List<OriginReportSpec.NodeRtt> rtts = new ArrayList<>();
        for (OriginReportSpec.NodeRtt n : spec.nodeRtts()) {
            if (n.rttMicros() < 0 || n.rttMicros() > MAX_RTT_MICROS) {
                reasons.add("nodeRtt to " + n.node() + ": " + n.rttMicros() + " us outside [0, " + MAX_RTT_MICROS + "]");
            } else {
                rtts.add(n);
            }
        }
        if (reasons.isEmpty()) {
            return r;
        }
        droppedEntries.addAndGet(reasons.size());
        LOG.warn("OriginReport {}: dropped {} entr{} whose numbers cannot be believed, e.g. {}", r.getMetadata().getName(),
                reasons.size(), reasons.size() == 1 ? "y" : "ies", reasons.getFirst());
        OriginReport copy = new OriginReport();
        copy.setMetadata(r.getMetadata());
        copy.setStatus(r.getStatus());
        copy.setSpec(new OriginReportSpec(spec.node(), spec.generatedAt(), spec.windowSeconds(), workloads, rtts,
                spec.metric()));
        return copy;
    }

    /** A single address (an arrival or departure names one client, never a prefix). */
    private static boolean isAddress(String text) {
        if (text == null || text.length() > 64) {
            return false;
        }
        try {
            return !io.edgesched.api.ClientAddress.parse(text).isPrefix();
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static String whyUnbelievable(double connections, double packets, double bytes, long clients) {
        for (double v : new double[] {connections, packets, bytes}) {
            if (!Double.isFinite(v) || v < 0 || v > MAX_RATE_PER_SECOND) {
                return "rate " + v + " outside [0, " + MAX_RATE_PER_SECOND + "]";
            }
        }
        if (clients < 0 || clients > MAX_CLIENTS) {
            return "client count " + clients + " outside [0, " + MAX_CLIENTS + "]";
        }
        return null;
    }

    @Override
    public void close() {
        informer.close();
    }
}
