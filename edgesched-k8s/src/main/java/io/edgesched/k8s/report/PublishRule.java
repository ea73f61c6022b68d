package io.edgesched.k8s.report;

import io.edgesched.k8s.report.OriginReportSpec.ClientDemand;
import io.edgesched.k8s.report.OriginReportSpec.NodeRtt;
import io.edgesched.k8s.report.OriginReportSpec.WorkloadOrigins;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * When the agent writes its report: a report whose demand moved less than the tolerances since the last one
 * written is skipped (the controller keeps using the last one: decayed rates of steady clients stay put), and
 * one is written at least every {@code heartbeat} so the controller's report TTL never runs out. Keeps a node's
 * etcd write load near one report per heartbeat while a new heavy client or a handoff still goes out at the
 * next interval (docs/k8s-reports.md, "Write load").
 *
 * @param heartbeat      longest time between two written reports (by their generatedAt); zero writes every report
 * @param workloadChange a workload's total rate moving by more than this fraction of the larger of old and new
 *                       is material
 * @param entryShare     one entry (client address or tail prefix) or the unlisted rest moving by more than this
 *                       fraction of its workload's total is material
 * @param heavyShare     an entry of at least this fraction of its workload's total that appeared, left, or grew
 *                       or shrank by half is material: a heavy client arriving or handing off shows at once,
 *                       while the store's decayed rate for it is still ramping up or down
 * @param minRate        rate changes at or below this (per second) are never material (idle workloads' noise)
 */
public record PublishRule(Duration heartbeat, double workloadChange, double entryShare, double heavyShare,
                          double minRate) {
    public PublishRule {
        Objects.requireNonNull(heartbeat, "heartbeat");
        if (heartbeat.isNegative()) {
            throw new IllegalArgumentException("heartbeat must not be negative, got " + heartbeat);
        }
        if (!(workloadChange >= 0) || !(entryShare >= 0) || !(heavyShare >= 0) || !(minRate >= 0)) {
            throw new IllegalArgumentException("tolerances must be >= 0, got workloadChange " + workloadChange
                    + ", entryShare " + entryShare + ", heavyShare " + heavyShare + ", minRate " + minRate);
        }
    }

    /** Every report is written (the behaviour before change-only publishing). */
    public static PublishRule everyReport() {
        return new PublishRule(Duration.ZERO, 0, 0, 0, 0);
    }

    /**
     * Heartbeat 30 s (half the controller's default 60 s report TTL, so one failed write is retried in time),
     * a workload's total moving 20 %, one entry moving 10 % of its workload's total, an entry of 2 % or more of it
     * appearing, leaving or changing by half; changes under 0.5/s ignored.
     */
    public static PublishRule defaults() {
        return new PublishRule(Duration.ofSeconds(30), 0.20, 0.10, 0.02, 0.5);
    }

    public PublishRule withHeartbeat(Duration d) {
        return new PublishRule(d, workloadChange, entryShare, heavyShare, minRate);
    }

    /**
     * Why {@code next} should be written after {@code last} (the last report written), or empty to skip it.
     * Reasons: "first", "metric", "heartbeat", "workloads" (one appeared or left), "workload rate", "client"
     * (an entry or the unlisted rest moved), "node rtts" (the set of measured nodes changed).
     */
    public Optional<String> reasonToWrite(OriginReport last, OriginReport next) {
        return reasonToWrite(last, next, false);
    }

    /**
     * The same, while the agent's demand store may still be ramping up ({@code rampingUp}: the first few half-lives
     * after it started, when every rate climbs from zero toward its true value). Then a workload's total moving is
     * the estimator converging, not demand changing, so "workload rate" is not a reason and entries are compared by
     * their share of the workload (a uniform climb changes no share); the heartbeat carries the converged totals,
     * and an entry whose share appears, leaves or moves ("client") still writes at once.
     */
    public Optional<String> reasonToWrite(OriginReport last, OriginReport next, boolean rampingUp) {
        if (last == null || heartbeat.isZero()) {
            return Optional.of(last == null ? "first" : "every report");
        }
        OriginReportSpec before = last.getSpec();
        OriginReportSpec now = next.getSpec();
        if (!Objects.equals(before.metric(), now.metric())) {
            return Optional.of("metric");
        }
        if (Duration.between(Instant.parse(before.generatedAt()), Instant.parse(now.generatedAt()))
                .compareTo(heartbeat) >= 0) {
            return Optional.of("heartbeat");
        }
        Map<String, WorkloadOrigins> old = byKey(before);
        Map<String, WorkloadOrigins> fresh = byKey(now);
        if (!old.keySet().equals(fresh.keySet())) {
            return Optional.of("workloads");
        }
        String metric = now.metric();
        for (Map.Entry<String, WorkloadOrigins> e : fresh.entrySet()) {
            WorkloadOrigins a = old.get(e.getKey());
            WorkloadOrigins b = e.getValue();
            double totalA = total(a, metric);
            double totalB = total(b, metric);
            double scale = Math.max(totalA, totalB);
            double moved = Math.abs(totalB - totalA);
            if (!rampingUp && moved > minRate && moved > workloadChange * scale) {
                return Optional.of("workload rate");
            }
            Map<String, Double> entriesA = entries(a, metric);
            Map<String, Double> entriesB = entries(b, metric);
            if (rampingUp && totalA > 0 && totalB > 0) {
                // compare shapes: every rate climbing by the same factor is the ramp, a share that moves is news
                double toOldScale = totalA / totalB;
                entriesB.replaceAll((k, v) -> v * toOldScale);
                scale = totalA;
            }
            double threshold = Math.max(minRate, entryShare * scale);
            double heavy = Math.max(minRate, heavyShare * scale);
            for (Map.Entry<String, Double> entry : entriesB.entrySet()) {
                if (moved(entriesA.getOrDefault(entry.getKey(), 0.0), entry.getValue(), threshold, heavy)) {
                    return Optional.of("client");
                }
            }
            for (Map.Entry<String, Double> entry : entriesA.entrySet()) {
                if (!entriesB.containsKey(entry.getKey()) && moved(entry.getValue(), 0, threshold, heavy)) {
                    return Optional.of("client");
                }
            }
        }
        if (!nodes(before).equals(nodes(now))) {
            return Optional.of("node rtts");
        }
        return Optional.empty();
    }

    /**
     * Why {@code next} should be written at once, between periodic reports, or empty: "arrival" (a heavy client's
     * visit began here), "arrival evidence" (an arrival reached {@code evidenceReads} reads), "departure" (a listed
     * heavy client stopped arriving), "return" (a departed client arrives again). Each may complete or end a
     * handoff at the controller, which waits for exactly these (docs/k8s-reports.md, "Handoff across nodes").
     */
    public Optional<String> eventReason(OriginReport last, OriginReport next, int evidenceReads) {
        if (last == null) {
            return Optional.empty(); // the first report is written by the periodic turn
        }
        return eventReason(Movements.of(last), Movements.of(next), evidenceReads);
    }

    /**
     * The same on the reports' movements alone: the agent's fast reads take {@code next} from
     * {@link OriginReportBuilder#movements} without building a report, and keep {@code last} from the one written.
     */
    public Optional<String> eventReason(Movements last, Movements next, int evidenceReads) {
        for (Map.Entry<String, Movements.Workload> e : next.workloads().entrySet()) {
            Movements.Workload before = last.workloads().get(e.getKey());
            Map<String, OriginReportSpec.Arrival> arrivedBefore = new HashMap<>();
            Set<String> departedBefore = new HashSet<>();
            if (before != null) {
                before.arrivals().forEach(a -> arrivedBefore.put(a.client(), a));
                before.departures().forEach(d -> departedBefore.add(d.client()));
            }
            for (OriginReportSpec.Arrival a : e.getValue().arrivals()) {
                OriginReportSpec.Arrival earlier = arrivedBefore.get(a.client());
                if (earlier == null || !sameVisit(last.at().minusMillis(earlier.arrivedMillisAgo()),
                        next.at().minusMillis(a.arrivedMillisAgo()))) {
                    return Optional.of("arrival");
                }
                if (earlier.reads() < evidenceReads && a.reads() >= evidenceReads) {
                    return Optional.of("arrival evidence");
                }
            }
            Set<String> departedNow = new HashSet<>();
            for (OriginReportSpec.Departure d : e.getValue().departures()) {
                departedNow.add(d.client());
                if (!departedBefore.contains(d.client())) {
                    return Optional.of("departure");
                }
            }
            for (String client : departedBefore) {
                if (!departedNow.contains(client) && e.getValue().listed().test(client)) {
                    return Optional.of("return");
                }
            }
        }
        return Optional.empty();
    }

    /**
     * What {@link #eventReason} looks at in a report: when it was generated and, per workload port
     * ({@code namespace/name:port}), its arrivals, departures and which clients it lists.
     */
    public record Movements(Instant at, Map<String, Workload> workloads) {
        public Movements {
            Objects.requireNonNull(at, "at");
            workloads = Map.copyOf(workloads);
        }

        /** @param listed whether a client (by address) is among the workload's listed clients */
        public record Workload(List<OriginReportSpec.Arrival> arrivals, List<OriginReportSpec.Departure> departures,
                               Predicate<String> listed) {
            public Workload {
                arrivals = List.copyOf(arrivals);
                departures = List.copyOf(departures);
                Objects.requireNonNull(listed, "listed");
            }
        }

        public static Movements of(OriginReport report) {
            Map<String, Workload> m = new HashMap<>();
            for (WorkloadOrigins w : report.getSpec().workloads()) {
                m.put(key(w.namespace(), w.workload(), w.port()),
                        new Workload(w.arrivals(), w.departures(), client -> listed(w, client)));
            }
            return new Movements(Instant.parse(report.getSpec().generatedAt()), m);
        }

        static String key(String namespace, String workload, int port) {
            return namespace + "/" + workload + ":" + port;
        }
    }

    /**
     * Two reports' arrival times of one client name the same visit: a visit's start, counted back from each report's
     * time in whole milliseconds from the store's 0.1 s ticks, wobbles by a tick or two.
     */
    public static boolean sameVisit(Instant a, Instant b) {
        return Duration.between(a, b).abs().compareTo(SAME_VISIT) <= 0;
    }

    /** See {@link #sameVisit}: far below the 5 s gap that separates two visits. */
    static final Duration SAME_VISIT = Duration.ofSeconds(1);

    private static boolean listed(WorkloadOrigins w, String client) {
        for (ClientDemand c : w.clients()) {
            if (c.prefix().equals(client)) {
                return true;
            }
        }
        return false;
    }

    /** Moved by more than {@code threshold}, or a heavy entry (either side) that doubled or halved. */
    private static boolean moved(double before, double after, double threshold, double heavy) {
        double larger = Math.max(before, after);
        return Math.abs(after - before) > threshold || (larger > heavy && Math.min(before, after) <= larger / 2);
    }

    private static Map<String, WorkloadOrigins> byKey(OriginReportSpec spec) {
        Map<String, WorkloadOrigins> m = new HashMap<>();
        for (WorkloadOrigins w : spec.workloads()) {
            m.put(Movements.key(w.namespace(), w.workload(), w.port()), w);
        }
        return m;
    }

    /** Listed entries by prefix, plus the unlisted rest under a key no address can have. */
    private static Map<String, Double> entries(WorkloadOrigins w, String metric) {
        Map<String, Double> m = new HashMap<>(w.clients().size() * 2 + 2);
        for (ClientDemand c : w.clients()) {
            m.merge(c.prefix(), rate(c.ratePerSecond(), c.packetsPerSecond(), c.bytesPerSecond(), metric), Double::sum);
        }
        m.put("(other)", rate(w.otherClients().ratePerSecond(), w.otherClients().packetsPerSecond(),
                w.otherClients().bytesPerSecond(), metric));
        return m;
    }

    private static double total(WorkloadOrigins w, String metric) {
        double t = rate(w.otherClients().ratePerSecond(), w.otherClients().packetsPerSecond(),
                w.otherClients().bytesPerSecond(), metric);
        for (ClientDemand c : w.clients()) {
            t += rate(c.ratePerSecond(), c.packetsPerSecond(), c.bytesPerSecond(), metric);
        }
        return t;
    }

    /** The report's one metric; without one (all columns filled), packets, the controller's default. */
    private static double rate(double connections, double packets, double bytes, String metric) {
        if ("connections".equals(metric)) {
            return connections;
        }
        if ("bytes".equals(metric)) {
            return bytes;
        }
        return packets;
    }

    private static Set<String> nodes(OriginReportSpec spec) {
        Set<String> s = new HashSet<>();
        for (NodeRtt r : spec.nodeRtts()) {
            s.add(r.node());
        }
        return s;
    }
}
