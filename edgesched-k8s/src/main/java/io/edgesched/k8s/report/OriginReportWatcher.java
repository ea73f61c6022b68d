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
 * A report's age counts from its {@code generatedAt}, but never from later than when it arrived here
 * (a node clock ahead of ours must not make a report look younger).
 */
public final class OriginReportWatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OriginReportWatcher.class);

    /** A report and when it was generated (clamped to its arrival). */
    public record ReceivedReport(OriginReport report, Instant generatedAt, Instant receivedAt) {
        public NodeId node() {
            return NodeId.of(report.getSpec().node());
        }

        public Duration age(Instant now) {
            return Duration.between(generatedAt, now);
        }
    }

    private final Map<String, ReceivedReport> byNode = new ConcurrentHashMap<>();
    private final List<Consumer<ReceivedReport>> listeners = new CopyOnWriteArrayList<>();
    private final Duration ttl;
    private final Clock clock;
    private final SharedIndexInformer<OriginReport> informer;
    private final java.util.concurrent.atomic.AtomicLong rejected = new java.util.concurrent.atomic.AtomicLong();

    private OriginReportWatcher(KubernetesClient client, String namespace, Duration ttl, Clock clock) {
        this.ttl = Objects.requireNonNull(ttl, "ttl");
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
        return new OriginReportWatcher(client, namespace, ttl, clock);
    }

    /** Called on an informer thread for every new or changed valid report: keep it short. */
    public void addListener(Consumer<ReceivedReport> listener) {
        listeners.add(listener);
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
            if (r.age(now).compareTo(ttl) <= 0) {
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

    @Override
    public void close() {
        informer.close();
    }
}
