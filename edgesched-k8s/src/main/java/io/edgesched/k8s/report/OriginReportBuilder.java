package io.edgesched.k8s.report;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.NodeId;
import io.edgesched.api.OriginStats;
import io.edgesched.api.demand.ClientActivity;
import io.edgesched.api.demand.DemandMetric;
import io.edgesched.k8s.report.OriginReportSpec.Arrival;
import io.edgesched.k8s.report.OriginReportSpec.ClientDemand;
import io.edgesched.k8s.report.OriginReportSpec.Departure;
import io.edgesched.k8s.report.OriginReportSpec.NodeRtt;
import io.edgesched.k8s.report.OriginReportSpec.OtherClients;
import io.edgesched.k8s.report.OriginReportSpec.WorkloadOrigins;
import io.edgesched.k8s.lite.OriginReportJson;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Turns per-client rates into an {@link OriginReport} that fits {@link ReportLimits#maxBytes()}:
 * the top-N clients by address, the next N tail prefixes, the rest as one sum; the lightest workloads
 * beyond the cap are omitted; after serialising, N is halved (then the workload cap) until the report fits.
 */
public final class OriginReportBuilder {
    private static final Comparator<ClientRate> HEAVIEST_FIRST =
            Comparator.comparingDouble(ClientRate::weight).reversed().thenComparing(ClientRate::client);

    /** A client's recent rate of at least this share of its workload's total makes it a heavy mover. */
    static final double HEAVY_SHARE = 0.02;
    /** Arrivals and departures listed per workload, at most. */
    static final int MAX_MOVEMENTS = 8;
    /** How long an arrival stays listed: the controller decides a handoff well within it. */
    static final Duration ARRIVALS_LISTED_FOR = Duration.ofSeconds(60);
    /** A client silent for less than this has not left, whatever its pace. */
    static final Duration MIN_QUIET = Duration.ofMillis(500);

    private final ReportLimits limits;

    public OriginReportBuilder(ReportLimits limits) {
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    public ReportLimits limits() {
        return limits;
    }

    /**
     * Builds the report.
     *
     * @param demand          active clients per workload port (inactive ones are skipped)
     * @param nodeRtts        measured RTT to other nodes
     * @param unmappedRecords records that matched no workload (counted in the status)
     */
    public OriginReport build(NodeId node, String namespace, Instant generatedAt, double windowSeconds,
                              Map<WorkloadPort, List<ClientRate>> demand, Map<NodeId, Long> nodeRtts,
                              long unmappedRecords, OriginStats stats) {
        return build(node, namespace, generatedAt, windowSeconds, demand, nodeRtts, unmappedRecords, stats, null);
    }

    /**
     * The same, naming the one rate the report carries ({@code metric}: the agent's demand metric; null leaves
     * the field out, for rates that fill all three columns).
     */
    public OriginReport build(NodeId node, String namespace, Instant generatedAt, double windowSeconds,
                              Map<WorkloadPort, List<ClientRate>> demand, Map<NodeId, Long> nodeRtts,
                              long unmappedRecords, OriginStats stats, DemandMetric metric) {
        String metricName = metric == null ? null : metric.name().toLowerCase(Locale.ROOT);
        List<RankedWorkload> ranked = rank(demand);

        List<NodeRtt> rtts = nodeRtts.entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .limit(limits.maxNodeRtts())
                .map(e -> new NodeRtt(e.getKey().name(), Math.max(0, e.getValue())))
                .toList();

        int topN = limits.topClients();
        int workloadCap = Math.min(limits.maxWorkloads(), ranked.size());
        while (true) {
            List<WorkloadOrigins> origins = new ArrayList<>(workloadCap);
            for (int i = 0; i < workloadCap; i++) {
                origins.add(summarise(ranked.get(i), topN, generatedAt));
            }
            OriginReport report = new OriginReport();
            report.setMetadata(metadata(node.name(), namespace));
            report.setSpec(new OriginReportSpec(node.name(), DateTimeFormatter.ISO_INSTANT.format(generatedAt),
                    windowSeconds, origins, rtts, metricName));
            report.setStatus(status(topN, ranked.size() - workloadCap, unmappedRecords, 0, stats));
            long size = sizedIncludingItself(sizeOf(report));
            report.setStatus(status(topN, ranked.size() - workloadCap, unmappedRecords, size, stats));
            if (size <= limits.maxBytes() || (topN == 0 && workloadCap == 0)) {
                return report;
            }
            if (topN > 0) {
                topN /= 2;
            } else {
                workloadCap /= 2;
            }
        }
    }

    /**
     * Only what {@link PublishRule#eventReason(PublishRule.Movements, PublishRule.Movements, int)} compares, as
     * {@link #build} would list it with {@code clientsPerWorkload} clients per workload (the last written report's):
     * the agent's fast reads run it four times a second, and building the whole report for it cost twice as much.
     */
    public PublishRule.Movements movements(Instant generatedAt, Map<WorkloadPort, List<ClientRate>> demand,
                                           int clientsPerWorkload) {
        List<RankedWorkload> ranked = rank(demand);
        Map<String, PublishRule.Movements.Workload> workloads = new HashMap<>();
        for (RankedWorkload w : ranked.subList(0, Math.min(limits.maxWorkloads(), ranked.size()))) {
            List<ClientRate> sorted = w.clients();
            int listed = Math.min(clientsPerWorkload, sorted.size());
            workloads.put(PublishRule.Movements.key(w.key().workload().namespace(), w.key().workload().name(),
                            w.key().port()),
                    new PublishRule.Movements.Workload(arrivals(sorted, w.total(), generatedAt),
                            departures(sorted, listed, w.total(), generatedAt), client -> isListed(sorted, listed, client)));
        }
        return new PublishRule.Movements(generatedAt, workloads);
    }

    /** Whether {@code client} (an address as a report writes it) is among the first {@code listed} of {@code sorted}. */
    private static boolean isListed(List<ClientRate> sorted, int listed, String client) {
        ClientAddress address;
        try {
            address = ClientAddress.parse(client);
        } catch (IllegalArgumentException notAnAddress) {
            return false;
        }
        for (int i = 0; i < listed; i++) {
            if (sorted.get(i).client().equals(address)) {
                return true;
            }
        }
        return false;
    }

    /** Active clients per workload, heaviest first; workloads by total, heaviest first. */
    private static List<RankedWorkload> rank(Map<WorkloadPort, List<ClientRate>> demand) {
        List<RankedWorkload> ranked = new ArrayList<>(demand.size());
        demand.forEach((key, clients) -> {
            List<ClientRate> active = new ArrayList<>(clients.size());
            double total = 0;
            for (ClientRate c : clients) {
                if (c.isActive()) {
                    active.add(c);
                    total += c.weight();
                }
            }
            if (!active.isEmpty()) {
                active.sort(HEAVIEST_FIRST);
                ranked.add(new RankedWorkload(key, active, total));
            }
        });
        ranked.sort(Comparator.comparingDouble(RankedWorkload::total).reversed().thenComparing(RankedWorkload::key));
        return ranked;
    }

    /**
     * The status carries the size itself: {@code sizeWithZero} was measured with the one digit "0" there, so
     * the real size only swaps that digit for the size's own digits (no second serialisation needed).
     */
    private static long sizedIncludingItself(long sizeWithZero) {
        long size = sizeWithZero;
        while (true) {
            long next = sizeWithZero - 1 + Long.toString(size).length();
            if (next == size) {
                return size;
            }
            size = next;
        }
    }

    /** Setters rather than ObjectMetaBuilder: the agent then loads no builder classes for it. */
    private static ObjectMeta metadata(String name, String namespace) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("app.kubernetes.io/managed-by", "edgesched-agent");
        ObjectMeta meta = new ObjectMeta();
        meta.setName(name);
        meta.setNamespace(namespace);
        meta.setLabels(labels);
        return meta;
    }

    /**
     * JSON size of the object as it would be sent to the API server: {@link OriginReportJson} writes what
     * fabric8's serialization writes, without loading Jackson.
     */
    public long sizeOf(OriginReport report) {
        return OriginReportJson.encode(report).getBytes(StandardCharsets.UTF_8).length;
    }

    private static OriginReportStatus status(int topN, int omitted, long unmapped, long size, OriginStats s) {
        return new OriginReportStatus(topN, omitted, unmapped, size, s.packetsSeen(), s.unparsed(),
                s.clientTableFull(), s.rttTableFull(), s.forwardedPackets());
    }

    private WorkloadOrigins summarise(RankedWorkload workload, int topN, Instant now) {
        List<ClientRate> sorted = workload.clients();
        int listed = Math.min(topN, sorted.size());
        List<ClientDemand> clients = new ArrayList<>(listed * 2);
        for (int i = 0; i < listed; i++) {
            ClientRate c = sorted.get(i);
            clients.add(new ClientDemand(c.client().toString(), 1, round(c.connectionsPerSecond()), round(c.packetsPerSecond()),
                    round(c.bytesPerSecond()), c.rttMicros()));
        }
        long otherCount = 0;
        double otherConn = 0;
        double otherPackets = 0;
        double otherBytes = 0;
        if (listed < sorted.size()) {
            Map<ClientAddress, PrefixSum> tail = new HashMap<>();
            for (int i = listed; i < sorted.size(); i++) {
                ClientRate c = sorted.get(i);
                ClientAddress prefix = c.client().prefix(c.client().isIpv4() ? limits.prefixV4() : limits.prefixV6());
                tail.computeIfAbsent(prefix, PrefixSum::new).add(c);
            }
            List<PrefixSum> prefixes = new ArrayList<>(tail.values());
            prefixes.sort(Comparator.comparingDouble(PrefixSum::weight).reversed().thenComparing(p -> p.prefix));
            int listedPrefixes = Math.min(topN, prefixes.size());
            for (int i = 0; i < prefixes.size(); i++) {
                PrefixSum p = prefixes.get(i);
                if (i < listedPrefixes) {
                    clients.add(p.toDemand());
                } else {
                    otherCount += p.clients;
                    otherConn += p.connections;
                    otherPackets += p.packets;
                    otherBytes += p.bytes;
                }
            }
        }
        return new WorkloadOrigins(workload.key().workload().name(), workload.key().workload().namespace(),
                workload.key().port(), clients, new OtherClients(otherCount, round(otherConn), round(otherPackets), round(otherBytes)),
                arrivals(sorted, workload.total(), now), departures(sorted, listed, workload.total(), now));
    }

    /**
     * Heavy clients (by their latest rate: a newcomer's decayed rate is still ramping up) whose visit here began
     * within {@link #ARRIVALS_LISTED_FOR} and goes on, heaviest first, at most {@link #MAX_MOVEMENTS}.
     */
    static List<Arrival> arrivals(List<ClientRate> clients, double total, Instant now) {
        // a newcomer's latest rate is compared with the others' latest rates too: against the decayed total alone,
        // a burst of the whole workload would make everyone in it look heavy
        double recentTotal = 0;
        for (ClientRate c : clients) {
            ClientActivity a = c.activity();
            if (a != null && !a.lastSeenAt().isBefore(now.minus(ClientActivity.VISIT_GAP))) {
                recentTotal += a.recentRatePerSecond();
            }
        }
        double heavy = HEAVY_SHARE * Math.max(total, recentTotal);
        List<ClientRate> picked = new ArrayList<>();
        for (ClientRate c : clients) {
            ClientActivity a = c.activity();
            if (a != null && !c.client().isPrefix() && a.recentRatePerSecond() >= heavy
                    && !a.arrivedAt().isBefore(now.minus(ARRIVALS_LISTED_FOR))
                    && !a.lastSeenAt().isBefore(now.minus(ClientActivity.VISIT_GAP))) {
                picked.add(c);
            }
        }
        picked.sort(Comparator.comparingDouble((ClientRate c) -> c.activity().recentRatePerSecond()).reversed()
                .thenComparing(ClientRate::client));
        List<Arrival> out = new ArrayList<>();
        for (ClientRate c : picked.subList(0, Math.min(MAX_MOVEMENTS, picked.size()))) {
            out.add(new Arrival(c.client().toString(), millisBetween(c.activity().arrivedAt(), now),
                    c.activity().reads(), c.rttMicros()));
        }
        return out;
    }

    /**
     * Listed heavy clients silent here for longer than their own pace suggests: two of their mean gaps between
     * reads with an increase, at least {@link #MIN_QUIET} and at most the visit gap (after which the visit is over).
     */
    static List<Departure> departures(List<ClientRate> sorted, int listed, double total, Instant now) {
        List<Departure> out = new ArrayList<>();
        for (int i = 0; i < listed && out.size() < MAX_MOVEMENTS; i++) {
            ClientRate c = sorted.get(i);
            ClientActivity a = c.activity();
            // heavy while it came (its latest rate stays as it was when it went quiet): a departed client's
            // decaying rate must not drop it from the list, which would read as "it is back"
            if (a == null || c.client().isPrefix() || Math.max(c.weight(), a.recentRatePerSecond()) < HEAVY_SHARE * total) {
                continue;
            }
            long quietMillis = millisBetween(a.lastSeenAt(), now);
            if (quietMillis >= quietAfter(a).toMillis()) {
                out.add(new Departure(c.client().toString(), quietMillis));
            }
        }
        return out;
    }

    static Duration quietAfter(ClientActivity a) {
        if (a.reads() < 2) {
            return MIN_QUIET.multipliedBy(2); // one read of evidence says nothing about its pace
        }
        Duration span = Duration.between(a.arrivedAt(), a.lastSeenAt());
        Duration gap = span.isNegative() ? Duration.ZERO : span.dividedBy(a.reads() - 1);
        Duration quiet = gap.multipliedBy(2); // it missed two of its own beats
        return quiet.compareTo(MIN_QUIET) < 0 ? MIN_QUIET
                : quiet.compareTo(ClientActivity.VISIT_GAP) > 0 ? ClientActivity.VISIT_GAP : quiet;
    }

    private static long millisBetween(Instant from, Instant to) {
        return Math.max(0, Duration.between(from, to).toMillis());
    }

    /** Three decimals are plenty for a rate and keep the JSON short (a double prints up to 17 digits). */
    static double round(double rate) {
        return Math.round(rate * 1000.0) / 1000.0;
    }

    private record RankedWorkload(WorkloadPort key, List<ClientRate> clients, double total) {
    }

    /** Sums of a tail prefix; RTT is the packet-weighted mean over clients that have one. */
    private static final class PrefixSum {
        final ClientAddress prefix;
        long clients;
        double connections;
        double packets;
        double bytes;
        double rttWeighted;
        double rttWeight;

        PrefixSum(ClientAddress prefix) {
            this.prefix = prefix;
        }

        void add(ClientRate c) {
            clients++;
            connections += c.connectionsPerSecond();
            packets += c.packetsPerSecond();
            bytes += c.bytesPerSecond();
            if (c.rttMicros() > 0) {
                double w = Math.max(c.weight(), 1e-9);
                rttWeighted += c.rttMicros() * w;
                rttWeight += w;
            }
        }

        double weight() {
            return packets + connections * 1e-6 + bytes * 1e-12;
        }

        ClientDemand toDemand() {
            long rtt = rttWeight > 0 ? Math.round(rttWeighted / rttWeight) : 0;
            return new ClientDemand(prefix.toString(), clients, round(connections), round(packets), round(bytes), rtt);
        }
    }
}
