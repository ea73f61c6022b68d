package io.edgesched.k8s.report;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.NodeId;
import io.edgesched.api.WorkloadId;
import io.edgesched.api.demand.Handoff;
import io.edgesched.api.demand.HandoffRule;
import io.edgesched.k8s.report.OriginReportSpec.Arrival;
import io.edgesched.k8s.report.OriginReportSpec.ClientDemand;
import io.edgesched.k8s.report.OriginReportSpec.Departure;
import io.edgesched.k8s.report.OriginReportSpec.WorkloadOrigins;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller's end of a handoff across nodes (docs/k8s-reports.md, "Handoff across nodes"). Each agent only
 * sees its own node, so it lists heavy clients whose visit began recently ({@link Arrival}) and listed clients
 * that stopped arriving ({@link Departure}); this matches them, with the same {@link HandoffRule} the in-process
 * store applies: a client whose visit at N began after its last packet at every old entry M, where M has reported
 * since that arrival (its silence is a statement, not a report not yet written), is handed off M -> N once N saw
 * it in {@code evidenceReads} reads, or in one when its RTT at N is at most {@code closerRatio} of its RTT at M
 * (and it was not handed off within the window). Its rate listed at M then counts at N, round after round, until
 * M reports it active again (then it arrives through both: split), M no longer lists it, or N's report is gone.
 *
 * <p>Times compared across nodes are the agents' clocks; a handoff needs them closer than the client's gap
 * between its last packet at M and its first at N, else it stays split (the safe side). Not thread-safe: the
 * controller's round thread owns it.
 */
public final class ReportHandoffs {
    private static final Logger LOG = LoggerFactory.getLogger(ReportHandoffs.class);
    /** A handoff's demand has decayed at its old entry long before this (ten half-lives of the default store). */
    static final Duration MAX_AGE = Duration.ofMinutes(10);
    /**
     * How far the old entry's last packet may trail the new entry's first one: the last request's closing
     * handshake and retransmits still reach the old entry after the client's first packet at the new one, and
     * the two agents' clocks differ. A client arriving through both keeps being seen at the old entry and never
     * makes its departure list there, so this does not turn two paths into a handoff.
     */
    static final Duration OVERLAP = Duration.ofSeconds(1);
    private static final int MAX_RECENT = 4096;

    private final HandoffRule rule;
    private final Map<Key, Active> active = new HashMap<>();
    private final ArrayDeque<Handoff> recent = new ArrayDeque<>();
    private volatile long handoffs;
    private volatile long ended;

    public ReportHandoffs(HandoffRule rule) {
        this.rule = Objects.requireNonNull(rule, "rule");
    }

    public HandoffRule rule() {
        return rule;
    }

    /** One client's rate listed at {@code from} that counts at {@code to}; RTTs in us, 0 = unknown. */
    public record Transfer(WorkloadId workload, ClientAddress client, NodeId from, NodeId to, double ratePerSecond,
                           long fromRttMicros, long toRttMicros) {
    }

    private record Key(WorkloadId workload, String client) {
    }

    private record Active(NodeId to, Instant arrivedAt, long toRttMicros, List<NodeId> from, Instant at) {
    }

    /** What one node's report says about one client of one workload. */
    private static final class Seen {
        double rate;
        long rtt;
        Arrival arrival;
        Departure departure;
    }

    /** Handoffs decided so far. */
    public long handoffCount() {
        return handoffs;
    }

    /** Handoffs ended because the client showed up at its old entry again, or its old entry stopped listing it. */
    public long endedCount() {
        return ended;
    }

    /** Handoffs decided within the rule's window before {@code now}, oldest first (for decision explanations). */
    public List<Handoff> recent(Instant now) {
        Instant since = now.minus(rule.window());
        return recent.stream().filter(h -> h.at().isAfter(since) && !h.at().isAfter(now)).toList();
    }

    /**
     * Decides new handoffs and ends finished ones from the reports of this round, and returns the transfers that
     * hold now.
     *
     * @param reports fresh reports (sanitised by the watcher), at most one per node
     * @param rate    the rate that counts as demand
     */
    public List<Transfer> resolve(Collection<OriginReportWatcher.ReceivedReport> reports, ReportedDemand.Rate rate,
                                  Instant now) {
        if (!rule.enabled()) {
            return List.of();
        }
        Map<Key, Map<NodeId, Seen>> byClient = new HashMap<>();
        Map<NodeId, Instant> generatedAt = new HashMap<>();
        for (OriginReportWatcher.ReceivedReport r : reports) {
            OriginReportSpec spec = r.report().getSpec();
            if (spec.metric() != null && !spec.metric().equalsIgnoreCase(rate.name())) {
                continue;
            }
            NodeId node = r.node();
            generatedAt.put(node, r.generatedAt());
            for (WorkloadOrigins w : spec.workloads()) {
                WorkloadId id = WorkloadId.of(w.namespace(), w.workload());
                for (ClientDemand c : w.clients()) {
                    String client = c.clients() == 1 ? canonical(c.prefix()) : null;
                    if (client != null) {
                        Seen s = seen(byClient, id, client, node);
                        s.rate += pick(rate, c);
                        s.rtt = c.rttMicros();
                    }
                }
                for (Arrival a : w.arrivals()) {
                    String client = canonical(a.client());
                    if (client != null) {
                        seen(byClient, id, client, node).arrival = a;
                    }
                }
                for (Departure d : w.departures()) {
                    String client = canonical(d.client());
                    if (client != null) {
                        seen(byClient, id, client, node).departure = d;
                    }
                }
            }
        }
        endFinished(byClient, generatedAt, now);
        decideNew(byClient, generatedAt, now);
        List<Transfer> out = new ArrayList<>();
        active.forEach((k, h) -> {
            Map<NodeId, Seen> at = byClient.get(k);
            ClientAddress client = ClientAddress.parse(k.client());
            for (NodeId m : h.from()) {
                Seen s = at.get(m);
                out.add(new Transfer(k.workload(), client, m, h.to(), s.rate, s.rtt, h.toRttMicros()));
            }
        });
        return out;
    }

    private void endFinished(Map<Key, Map<NodeId, Seen>> byClient, Map<NodeId, Instant> generatedAt, Instant now) {
        var it = active.entrySet().iterator();
        while (it.hasNext()) {
            var e = it.next();
            Active h = e.getValue();
            Map<NodeId, Seen> at = byClient.getOrDefault(e.getKey(), Map.of());
            List<NodeId> still = new ArrayList<>();
            String why = null;
            for (NodeId m : h.from()) {
                Seen s = at.get(m);
                // still listed at M, and M still says it has been silent since before the visit at N began
                Instant seenAt = s == null || s.departure == null ? null : lastSeen(generatedAt.get(m), s.departure);
                if (s == null || !(s.rate > 0)) {
                    why = m + " no longer lists it";
                } else if (seenAt == null) {
                    why = m + " sees it again";
                } else if (!seenAt.isBefore(h.arrivedAt().plus(OVERLAP))) {
                    why = m + " saw it at " + seenAt + ", after its arrival at " + h.to() + " (" + h.arrivedAt() + ")";
                } else {
                    still.add(m);
                }
            }
            String end = !generatedAt.containsKey(h.to()) ? h.to() + "'s report is gone"
                    : Duration.between(h.at(), now).compareTo(MAX_AGE) > 0 ? "older than " + MAX_AGE
                    : still.isEmpty() ? why : null;
            if (end != null) {
                ended++;
                LOG.debug("handoff of {} to {} ended: {}", e.getKey(), h.to(), end);
                it.remove();
            } else if (still.size() < h.from().size()) {
                e.setValue(new Active(h.to(), h.arrivedAt(), h.toRttMicros(), List.copyOf(still), h.at()));
            }
        }
    }

    private void decideNew(Map<Key, Map<NodeId, Seen>> byClient, Map<NodeId, Instant> generatedAt, Instant now) {
        for (Map.Entry<Key, Map<NodeId, Seen>> e : byClient.entrySet()) {
            NodeId to = null;
            Instant arrivedAt = null;
            Arrival arrival = null;
            for (Map.Entry<NodeId, Seen> n : e.getValue().entrySet()) {
                Arrival a = n.getValue().arrival;
                if (a != null) {
                    Instant t = generatedAt.get(n.getKey()).minusMillis(a.arrivedMillisAgo());
                    if (arrivedAt == null || t.isAfter(arrivedAt)) {
                        to = n.getKey();
                        arrivedAt = t;
                        arrival = a;
                    }
                }
            }
            if (to == null) {
                continue;
            }
            Active current = active.get(e.getKey());
            if (current != null && current.to().equals(to) && PublishRule.sameVisit(current.arrivedAt(), arrivedAt)) {
                continue; // this visit was handed off already
            }
            List<NodeId> from = new ArrayList<>();
            boolean silentEverywhere = true;
            boolean closer = true;
            for (Map.Entry<NodeId, Seen> m : e.getValue().entrySet()) {
                Seen s = m.getValue();
                if (m.getKey().equals(to) || !(s.rate > 0)) {
                    continue;
                }
                Instant reportedAt = generatedAt.get(m.getKey());
                boolean silentSince = s.departure != null && !reportedAt.isBefore(arrivedAt)
                        && lastSeen(reportedAt, s.departure).isBefore(arrivedAt.plus(OVERLAP));
                silentEverywhere &= silentSince;
                closer &= s.rtt > 0 && arrival.rttMicros() > 0 && rule.closer(arrival.rttMicros(), s.rtt);
                from.add(m.getKey());
            }
            if (from.isEmpty() || !silentEverywhere) {
                continue; // nothing listed elsewhere to move, or an old entry saw it since / has not reported since
            }
            boolean evidence = arrival.reads() >= rule.evidenceReads()
                    || closer && !handedOffRecently(e.getKey(), now);
            if (!evidence) {
                continue;
            }
            from.sort(null);
            active.put(e.getKey(), new Active(to, arrivedAt, arrival.rttMicros(), List.copyOf(from), now));
            ClientAddress client = ClientAddress.parse(e.getKey().client());
            for (NodeId m : from) {
                handoffs++;
                Handoff h = new Handoff(e.getKey().workload(), client, m, to, now, e.getValue().get(m).rate);
                LOG.info("{} (reports)", h);
                recent.addLast(h);
                if (recent.size() > MAX_RECENT) {
                    recent.pollFirst();
                }
            }
        }
    }

    private boolean handedOffRecently(Key key, Instant now) {
        Instant since = now.minus(rule.window());
        for (Handoff h : recent) {
            if (h.at().isAfter(since) && h.workload().equals(key.workload())
                    && h.client().toString().equals(key.client())) {
                return true;
            }
        }
        return false;
    }

    /** One address in its canonical text, or null for a prefix or anything that does not parse. */
    private static String canonical(String text) {
        try {
            ClientAddress a = ClientAddress.parse(text);
            return a.isPrefix() ? null : a.toString();
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static Instant lastSeen(Instant reportedAt, Departure d) {
        return reportedAt.minusMillis(d.lastSeenMillisAgo());
    }

    private static Seen seen(Map<Key, Map<NodeId, Seen>> byClient, WorkloadId w, String client, NodeId node) {
        return byClient.computeIfAbsent(new Key(w, client), k -> new HashMap<>()).computeIfAbsent(node, n -> new Seen());
    }

    private static double pick(ReportedDemand.Rate rate, ClientDemand c) {
        return switch (rate) {
            case CONNECTIONS -> c.ratePerSecond();
            case PACKETS -> c.packetsPerSecond();
            case BYTES -> c.bytesPerSecond();
        };
    }
}
