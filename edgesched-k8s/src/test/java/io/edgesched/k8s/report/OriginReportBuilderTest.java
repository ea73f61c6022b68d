package io.edgesched.k8s.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.NodeId;
import io.edgesched.api.OriginStats;
import io.edgesched.api.WorkloadId;
import io.edgesched.api.demand.ClientActivity;
import io.edgesched.k8s.report.OriginReportSpec.ClientDemand;
import io.edgesched.k8s.report.OriginReportSpec.WorkloadOrigins;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class OriginReportBuilderTest {
    static final NodeId NODE = NodeId.of("edge-1");
    static final Instant AT = Instant.parse("2026-01-02T03:04:05Z");
    static final WorkloadPort WEB = new WorkloadPort(WorkloadId.of("shop", "web"), 30080);

    static ClientAddress v4(int i) {
        return ClientAddress.of(new byte[] {10, (byte) (i >>> 16), (byte) (i >>> 8), (byte) i});
    }

    @Test
    void listsTopClientsThenTailPrefixesThenSumsTheRest() {
        List<ClientRate> clients = new ArrayList<>();
        clients.add(new ClientRate(ClientAddress.parse("192.0.2.9"), 5, 500, 50_000, 1200));
        clients.add(new ClientRate(ClientAddress.parse("192.0.2.10"), 4, 400, 40_000, 1300));
        clients.add(new ClientRate(ClientAddress.parse("198.51.100.1"), 1, 10, 1000, 3000));
        clients.add(new ClientRate(ClientAddress.parse("198.51.100.2"), 1, 30, 1000, 1000));
        clients.add(new ClientRate(ClientAddress.parse("203.0.113.5"), 1, 5, 100, 0));
        clients.add(new ClientRate(ClientAddress.parse("2001:db8:1:2::7"), 1, 1, 10, 900));
        clients.add(new ClientRate(ClientAddress.parse("203.0.113.6"), 0, 0, 0, 0)); // idle: skipped
        OriginReportBuilder builder = new OriginReportBuilder(ReportLimits.DEFAULT.withTopClients(2));

        OriginReport report = builder.build(NODE, "edgesched", AT, 10, Map.of(WEB, clients), Map.of(NodeId.of("edge-2"), 800L),
                3, new OriginStats(100, 1, 2, 3, 4));

        assertThat(report.getMetadata().getName()).isEqualTo("edge-1");
        assertThat(report.getMetadata().getNamespace()).isEqualTo("edgesched");
        assertThat(report.getSpec().generatedAt()).isEqualTo("2026-01-02T03:04:05Z");
        WorkloadOrigins w = report.getSpec().workloads().getFirst();
        assertThat(w.workload()).isEqualTo("web");
        assertThat(w.namespace()).isEqualTo("shop");
        assertThat(w.port()).isEqualTo(30080);
        assertThat(w.clients()).extracting(ClientDemand::prefix)
                .containsExactly("192.0.2.9", "192.0.2.10", "198.51.100.0/24", "203.0.113.0/24");
        ClientDemand tail = w.clients().get(2);
        assertThat(tail.clients()).isEqualTo(2);
        assertThat(tail.packetsPerSecond()).isEqualTo(40);
        assertThat(tail.rttMicros()).isEqualTo(1500); // packet-weighted: (3000*10 + 1000*30) / 40
        assertThat(w.clients().get(3).rttMicros()).isZero();
        assertThat(w.otherClients().count()).isEqualTo(1);
        assertThat(w.otherClients().packetsPerSecond()).isEqualTo(1);
        assertThat(report.getSpec().nodeRtts()).containsExactly(new OriginReportSpec.NodeRtt("edge-2", 800));
        assertThat(report.getStatus().unmappedRecords()).isEqualTo(3);
        assertThat(report.getStatus().clientTableFull()).isEqualTo(2);
        assertThat(report.getStatus().serializedBytes()).isEqualTo(builder.sizeOf(report));
    }

    @Test
    void limitsBeyondTheCrdListSizesAreRefused() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ReportLimits.DEFAULT.withTopClients(ReportLimits.MAX_TOP_CLIENTS + 1))
                .hasMessageContaining("CRD allows");
    }

    @Test
    void capsWorkloadsKeepingTheHeaviest() {
        Map<WorkloadPort, List<ClientRate>> demand = new HashMap<>();
        for (int i = 0; i < 10; i++) {
            demand.put(new WorkloadPort(WorkloadId.of("ns", "w" + i), 8000 + i),
                    List.of(new ClientRate(v4(i), 1, i + 1, 1, 1)));
        }
        ReportLimits limits = new ReportLimits(8, 24, 48, 3, 10, 64 * 1024);
        OriginReport report = new OriginReportBuilder(limits).build(NODE, "e", AT, 5, demand, Map.of(), 0, OriginStats.EMPTY);
        assertThat(report.getSpec().workloads()).extracting(WorkloadOrigins::workload).containsExactly("w9", "w8", "w7");
        assertThat(report.getStatus().workloadsOmitted()).isEqualTo(7);
    }

    @Test
    void oneMillionClientsStayUnderTheBudgetAndNothingIsLost() {
        int n = 1_000_000;
        Random random = new Random(42);
        List<ClientRate> clients = new ArrayList<>(n);
        double totalPackets = 0;
        for (int i = 0; i < n; i++) {
            double packets = 1 + random.nextInt(1000);
            totalPackets += packets;
            clients.add(new ClientRate(v4(random.nextInt(1 << 24)), 1, packets, packets * 100, 100 + random.nextInt(50_000)));
        }
        // Ask for far more than fits: the builder must halve N until the JSON is within 512 KiB.
        ReportLimits limits = ReportLimits.DEFAULT.withTopClients(ReportLimits.MAX_TOP_CLIENTS);
        OriginReportBuilder builder = new OriginReportBuilder(limits);
        OriginReport report = builder.build(NODE, "edgesched", AT, 10, Map.of(WEB, clients), Map.of(), 0, OriginStats.EMPTY);

        long size = builder.sizeOf(report);
        assertThat(size).isLessThanOrEqualTo(limits.maxBytes()).isEqualTo(report.getStatus().serializedBytes());
        int usedN = report.getStatus().clientsPerWorkload();
        assertThat(usedN).isLessThan(ReportLimits.MAX_TOP_CLIENTS).isGreaterThan(500);
        WorkloadOrigins w = report.getSpec().workloads().getFirst();
        long represented = w.otherClients().count() + w.clients().stream().mapToLong(ClientDemand::clients).sum();
        assertThat(represented).isEqualTo(n);
        double packets = w.otherClients().packetsPerSecond() + w.clients().stream().mapToDouble(ClientDemand::packetsPerSecond).sum();
        assertThat(packets).isCloseTo(totalPackets, within(totalPackets * 1e-9));
        // the heaviest listed client is at least as heavy as any other listed client
        assertThat(w.clients().getFirst().packetsPerSecond()).isEqualTo(1000);
    }

    @Test
    void manyWorkloadsWithManyClientsAlsoFit() {
        Map<WorkloadPort, List<ClientRate>> demand = new HashMap<>();
        for (int wl = 0; wl < 400; wl++) {
            List<ClientRate> clients = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                clients.add(new ClientRate(v4(wl * 1000 + i * 37), 1, 1 + i, 100, 500));
            }
            demand.put(new WorkloadPort(WorkloadId.of("ns", "workload-" + wl), 30000 + wl), clients);
        }
        ReportLimits limits = ReportLimits.DEFAULT.withTopClients(500);
        OriginReportBuilder builder = new OriginReportBuilder(limits);
        OriginReport report = builder.build(NODE, "edgesched", AT, 10, demand, Map.of(), 0, OriginStats.EMPTY);
        assertThat(builder.sizeOf(report)).isLessThanOrEqualTo(limits.maxBytes());
        assertThat(report.getSpec().workloads()).hasSize(400);
        for (WorkloadOrigins w : report.getSpec().workloads()) {
            assertThat(w.otherClients().count() + w.clients().stream().mapToLong(ClientDemand::clients).sum()).isEqualTo(500);
        }
    }

    @Test
    void theFastReadsMovementsAreTheOnesTheWrittenReportCarries() {
        Random random = new Random(11);
        OriginReportBuilder builder = new OriginReportBuilder(new ReportLimits(8, 24, 56, 2, 32, 512 * 1024));
        for (int n = 0; n < 200; n++) {
            int sample = n;
            Map<WorkloadPort, List<ClientRate>> demand = new HashMap<>();
            for (int wl = 0; wl < 1 + random.nextInt(3); wl++) {
                List<ClientRate> clients = new ArrayList<>();
                for (int i = 0; i < 1 + random.nextInt(40); i++) {
                    double rate = random.nextInt(4) == 0 ? 50 + random.nextInt(50) : random.nextDouble();
                    // arrivals of up to 90 s ago, last packets of up to 8 s ago, 1 to 30 reads
                    Instant arrived = AT.minusMillis(random.nextInt(90_000));
                    Instant last = AT.minusMillis(random.nextInt(8_000));
                    ClientActivity activity = new ClientActivity(arrived, last.isBefore(arrived) ? arrived : last,
                            1 + random.nextInt(30), rate * random.nextDouble() * 2);
                    clients.add(new ClientRate(v4(wl * 1000 + i), 1, rate, rate * 100, 100, activity));
                }
                demand.put(new WorkloadPort(WorkloadId.of("shop", "web-" + wl), 30080 + wl), clients);
            }
            OriginReport report = builder.build(NODE, "edgesched", AT, 10, demand, Map.of(), 0,
                    new OriginStats(0, 0, 0, 0, 0));
            PublishRule.Movements fromReport = PublishRule.Movements.of(report);
            PublishRule.Movements fast = builder.movements(AT, demand, report.getStatus().clientsPerWorkload());
            assertThat(fast.at()).isEqualTo(fromReport.at());
            assertThat(fast.workloads().keySet()).isEqualTo(fromReport.workloads().keySet());
            fromReport.workloads().forEach((key, w) -> {
                PublishRule.Movements.Workload f = fast.workloads().get(key);
                assertThat(f.arrivals()).as("sample %d %s", sample, key).isEqualTo(w.arrivals());
                assertThat(f.departures()).isEqualTo(w.departures());
                for (int i = 0; i < 45; i++) {
                    String client = v4(Integer.parseInt(key.replaceAll(".*web-(\\d+):.*", "$1")) * 1000 + i)
                            .toString();
                    assertThat(f.listed().test(client)).as("%s listed", client).isEqualTo(w.listed().test(client));
                }
            });
        }
    }
}
