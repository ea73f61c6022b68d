package io.edgesched.examples.bench;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.NodeId;
import io.edgesched.api.OriginRecord;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.OriginStats;
import io.edgesched.api.WorkloadId;
import io.edgesched.api.demand.DemandConfig;
import io.edgesched.k8s.report.AgentDemand;
import io.edgesched.k8s.report.OriginReport;
import io.edgesched.k8s.report.OriginReportBuilder;
import io.edgesched.k8s.report.ReportLimits;
import io.edgesched.k8s.report.WorkloadPort;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * Agent-side cost of one report: cumulative kernel records -> the agent's demand store -> bounded report -> JSON
 * size check,
 * for growing client counts spread over 20 workloads. Prints a table.
 *
 * <p>Usage: bench-report-build [top-n=64] [repeats=5]
 */
public final class ReportBuildBench {
    public static void main(String[] args) {
        BenchArgs parsed = BenchArgs.of("usage: bench-report-build [top-n=64] [repeats=5]", args);
        int topN = parsed.intAt(0, 64);
        int repeats = parsed.intAt(1, 5);
        ReportLimits limits = ReportLimits.DEFAULT.withTopClients(topN);
        OriginReportBuilder builder = new OriginReportBuilder(limits);
        System.out.printf("%nreport build (top-n %d, /%d and /%d tails, budget %d KiB, 20 workloads), best of %d%n",
                topN, limits.prefixV4(), limits.prefixV6(), limits.maxBytes() / 1024, repeats);
        System.out.println("| clients | demand store ms | build+size ms | report KiB | top-n used |");
        System.out.println("|---|---|---|---|---|");
        for (int clients : new int[] {1_000, 10_000, 65_536, 262_144, 1_000_000}) {
            Random random = new Random(clients);
            List<OriginRecord> before = new ArrayList<>(clients);
            List<OriginRecord> after = new ArrayList<>(clients);
            for (int i = 0; i < clients; i++) {
                int service = 1 + i % 20;
                ClientAddress a = ClientAddress.of(new byte[] {(byte) (1 + random.nextInt(223)), (byte) random.nextInt(256),
                        (byte) random.nextInt(256), (byte) random.nextInt(256)});
                long p = random.nextInt(1000);
                before.add(new OriginRecord(service, 30000 + service, a, p / 10, p, p * 100, 500 + p, 1, 0, 0, false));
                long q = p + random.nextInt(2000);
                after.add(new OriginRecord(service, 30000 + service, a, q / 10, q, q * 100, 500 + q, 2, 0, 0, false));
            }
            NodeId node = NodeId.of("edge-1");
            Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
            OriginSnapshot s0 = new OriginSnapshot(node, t0, 1_000_000_000L, 1, before, OriginStats.EMPTY);
            OriginSnapshot s1 = new OriginSnapshot(node, t0.plusSeconds(10), 11_000_000_000L, 1, after, OriginStats.EMPTY);
            long bestRates = Long.MAX_VALUE;
            long bestBuild = Long.MAX_VALUE;
            OriginReport report = null;
            for (int r = 0; r < repeats; r++) {
                AgentDemand agent = new AgentDemand(node, service -> Optional.of(
                        new WorkloadPort(WorkloadId.of("shop", "app-" + service), 30000 + service)), DemandConfig.defaults());
                agent.next(s0, Map.of());
                long a = System.nanoTime();
                AgentDemand.Window window = agent.next(s1, Map.of()).orElseThrow();
                long b = System.nanoTime();
                report = builder.build(node, "edgesched", s1.takenAt(), window.seconds(), window.demand(), Map.of(), 0,
                        OriginStats.EMPTY, agent.config().metric());
                long c = System.nanoTime();
                bestRates = Math.min(bestRates, b - a);
                bestBuild = Math.min(bestBuild, c - b);
            }
            System.out.printf("| %,d | %.1f | %.1f | %.1f | %d |%n", clients, bestRates / 1e6, bestBuild / 1e6,
                    report.getStatus().serializedBytes() / 1024.0, report.getStatus().clientsPerWorkload());
        }
    }
}
