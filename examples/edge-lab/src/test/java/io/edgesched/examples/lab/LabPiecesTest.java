package io.edgesched.examples.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The lab's pure parts: schedule, served file, table arithmetic. */
class LabPiecesTest {
    @Test
    void scheduleScalesTimeButNotDelays() {
        LabScenario scenario = new LabScenario(0.1);
        assertThat(scenario.length().toMillis()).isEqualTo(30_000);
        assertThat(scenario.requestInterval().toMillis()).isEqualTo(200);
        assertThat(scenario.delayChanges()).extracting(LabScenario.DelayChange::atSeconds).containsExactly(60.0, 120.0, 180.0, 240.0);
        assertThat(scenario.delayChanges().getFirst().rtt()).isZero();
        assertThat(scenario.delayChanges().get(1).rtt()).isEqualTo(LabScenario.WAN_RTT);
        assertThat(scenario.scenarioSeconds(6_000_000_000L)).isEqualTo(60.0);
    }

    @Test
    void cloudNodesShareASiteEverythingElseIsAcrossTheWan() {
        List<LabNode> nodes = LabTopology.thesisNodes();
        assertThat(nodes).extracting(LabNode::name)
                .containsExactly("cloud1", "cloud2", "cloud3", "cloud4", "edge1", "edge2", "device");
        assertThat(LabScenario.baseRtt(nodes.get(0), nodes.get(1))).isZero();
        assertThat(LabScenario.baseRtt(nodes.get(0), nodes.get(4)).toMillis()).isEqualTo(60);
        assertThat(LabScenario.baseRtt(nodes.get(4), nodes.get(5)).toMillis()).isEqualTo(60);
        assertThat(LabScenario.baseRtt(nodes.get(6), nodes.get(4)).toMillis()).isEqualTo(60);
    }

    @Test
    void servedFileIsExactlyOneKibibyte() {
        assertThat(LabService.fileContent("edge1")).hasSize(1024);
        assertThat(new String(LabService.fileContent("edge1"))).contains("edge1");
    }

    @Test
    void tableComparesEdgeMeansOnlyWhileTheDeviceIsNearAndServedThere() {
        LabScenario scenario = new LabScenario(1);
        LabReport report = new LabReport(scenario);
        report.add(Method.EBPF, List.of(
                new RequestRecord(61, Method.EBPF, "edge1", "cloud1", 120_000, "200"), // before the move: not counted
                new RequestRecord(70, Method.EBPF, "edge1", "edge1", 1_000, "200"),
                new RequestRecord(72, Method.EBPF, "edge1", "edge1", 3_000, "200"),
                new RequestRecord(130, Method.EBPF, "edge1", "edge1", 120_000, "200")), List.of()); // outside the window
        report.add(Method.SIDECAR, List.of(
                new RequestRecord(70, Method.SIDECAR, "edge1", "edge1", 2_500, "200"),
                new RequestRecord(71, Method.SIDECAR, "edge1", "edge1", 9_000, "error:SocketTimeoutException")), List.of());
        LabReport.EdgeRow edge1 = report.table().getFirst();
        assertThat(edge1.ebpf().mean().getAsDouble()).isEqualTo(2_000.0);
        assertThat(edge1.ebpf().median().getAsDouble()).isEqualTo(2_000.0);
        assertThat(edge1.sidecar().mean().getAsDouble()).isEqualTo(2_500.0);
        assertThat(edge1.reduction().getAsDouble()).isCloseTo(0.2, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(report.table().get(1).ebpf().mean()).isEmpty();
        assertThat(report.tableMarkdown()).contains("| edge1 | 2500 us (n=1) | 2000 us (n=2) | 20.0% | 2500 us / 2000 us | 20.0% |");
    }

    @Test
    void methodsAreComparedOnlyOnceBothServeAtTheEdge() {
        LabReport report = new LabReport(new LabScenario(1));
        report.add(Method.EBPF, List.of(
                new RequestRecord(70, Method.EBPF, "edge1", "edge1", 9_000, "200"), // the sidecar's replica still starting
                new RequestRecord(76, Method.EBPF, "edge1", "edge1", 1_000, "200"),
                new RequestRecord(78, Method.EBPF, "edge1", "edge1", 1_200, "200")), List.of());
        report.add(Method.SIDECAR, List.of(
                new RequestRecord(70.1, Method.SIDECAR, "edge1", "cloud1", 120_000, "200"),
                new RequestRecord(76.1, Method.SIDECAR, "edge1", "edge1", 1_500, "200"),
                new RequestRecord(78.1, Method.SIDECAR, "edge1", "edge1", 1_400, "200")), List.of());
        LabScenario.NearWindow edge1 = new LabScenario(1).nearWindows().getFirst();
        assertThat(report.comparedFrom(edge1)).isEqualTo(76.1);
        assertThat(report.firstServedAt(Method.EBPF, edge1)).hasValue(70.0);
        assertThat(report.atEdge(Method.EBPF, edge1)).extracting(RequestRecord::responseUs).containsExactly(1_200L);
        LabReport.PairedDifference paired = report.pairedDifference();
        assertThat(paired.pairs()).isEqualTo(1);
        assertThat(paired.ebpfFirstMicros()).hasValue(200.0);
        assertThat(paired.medianMicros()).as("needs both orders").isEmpty();
    }

    @Test
    void sidecarLogsBecomeCumulativeSnapshotsPerEntryNode(@org.junit.jupiter.api.io.TempDir java.nio.file.Path work)
            throws Exception {
        List<LabNode> cluster = LabTopology.thesisNodes().stream().filter(LabNode::isClusterNode).toList();
        SidecarDemand demand = new SidecarDemand(work, cluster, 1, 30081);
        java.nio.file.Path log = work.resolve("sidecar-edge1/access.log");
        java.nio.file.Files.createDirectories(log.getParent());
        double now = System.currentTimeMillis() / 1000.0;
        // Forwarded by cloud3 (masqueraded), then twice straight from the device; the last line is still being written.
        java.nio.file.Files.writeString(log, String.format(java.util.Locale.ROOT,
                "%.3f 10.77.0.13 200 0.001%n%.3f 10.77.0.100 200 0.001%n%.3f 10.77.0.100 200 0.001%n%.3f 10.77.0.1",
                now - 3, now - 2, now - 1, now));
        var snapshots = demand.latest();
        assertThat(snapshots).extracting(s -> s.node().name()).containsExactlyInAnyOrder("cloud3", "edge1");
        var edge1 = snapshots.stream().filter(s -> s.node().name().equals("edge1")).findFirst().orElseThrow();
        assertThat(edge1.records()).singleElement().satisfies(r -> {
            assertThat(r.client().toString()).isEqualTo("10.77.0.100");
            assertThat(r.connections()).isEqualTo(2);
            assertThat(r.rttSamples()).as("a proxy cannot see RTTs").isZero();
            assertThat(r.localPort()).isEqualTo(30081);
        });
        java.nio.file.Files.writeString(log, "00 200 0.001\n", java.nio.file.StandardOpenOption.APPEND);
        var later = demand.latest().stream().filter(s -> s.node().name().equals("edge1")).findFirst().orElseThrow();
        assertThat(later.records().getFirst().connections()).as("counters are cumulative").isEqualTo(3);
    }

    @Test
    void pairedDifferenceCancelsTheFirstRequestsWakeUpCost() {
        LabReport report = new LabReport(new LabScenario(1));
        List<RequestRecord> ebpf = new java.util.ArrayList<>();
        List<RequestRecord> sidecar = new java.util.ArrayList<>();
        // Sidecar costs 100 us; whichever request goes first in a tick pays 300 us for waking the machine.
        for (int tick = 0; tick < 10; tick++) {
            double t = 70 + 2 * tick;
            boolean sidecarFirst = tick % 2 == 0;
            double ebpfAt = sidecarFirst ? t + 0.01 : t;
            double sidecarAt = sidecarFirst ? t : t + 0.01;
            ebpf.add(new RequestRecord(ebpfAt, Method.EBPF, "edge1", "edge1", 1_000 + (sidecarFirst ? 0 : 300), "200"));
            sidecar.add(new RequestRecord(sidecarAt, Method.SIDECAR, "edge1", "edge1", 1_100 + (sidecarFirst ? 300 : 0), "200"));
        }
        report.add(Method.EBPF, ebpf, List.of());
        report.add(Method.SIDECAR, sidecar, List.of());
        LabReport.PairedDifference paired = report.pairedDifference();
        assertThat(paired.pairs()).as("the first tick's sidecar request precedes the comparison's start").isEqualTo(9);
        assertThat(paired.sidecarFirstMicros()).hasValue(400.0);
        assertThat(paired.ebpfFirstMicros()).hasValue(-200.0);
        assertThat(paired.medianMicros()).hasValue(100.0);
    }

    @Test
    void theDirectBaselineGetsItsColumnAndTheMethodsCostOverIt() {
        LabReport report = new LabReport(new LabScenario(1));
        List<RequestRecord> ebpf = new java.util.ArrayList<>();
        List<RequestRecord> sidecar = new java.util.ArrayList<>();
        List<RequestRecord> direct = new java.util.ArrayList<>();
        // direct 1,000 us, eBPF 20 us more, the sidecar 500 us more; three requests a tick, the order rotating
        for (int tick = 0; tick < 12; tick++) {
            double t = 70 + 2 * tick;
            double[] at = new double[3];
            for (int k = 0; k < 3; k++) {
                at[(k + tick) % 3] = t + 0.01 * k;
            }
            ebpf.add(new RequestRecord(at[0], Method.EBPF, "edge1", "edge1", 1_020, "200"));
            sidecar.add(new RequestRecord(at[1], Method.SIDECAR, "edge1", "edge1", 1_500, "200"));
            direct.add(new RequestRecord(at[2], Method.DIRECT, "edge1", "edge1", 1_000, "200"));
        }
        report.add(Method.EBPF, ebpf, List.of());
        report.add(Method.SIDECAR, sidecar, List.of());
        report.add(Method.DIRECT, direct, List.of());
        LabReport.EdgeRow edge1 = report.table().getFirst();
        assertThat(edge1.direct().median()).hasValue(1_000.0);
        assertThat(report.pairedDifference(Method.EBPF, Method.DIRECT).medianMicros()).hasValue(20.0);
        assertThat(report.pairedDifference(Method.SIDECAR, Method.DIRECT).medianMicros()).hasValue(500.0);
        assertThat(report.tableMarkdown()).contains("direct (no observer)").contains("+500 us / +20 us")
                .contains("eBPF +20 us");
        assertThat(report.summary()).contains("[direct] 12 requests, 12 ok, 0 failed; no moves of its own");

        LabReport withoutDirect = new LabReport(new LabScenario(1));
        withoutDirect.add(Method.EBPF, ebpf, List.of());
        withoutDirect.add(Method.SIDECAR, sidecar, List.of());
        assertThat(withoutDirect.tableMarkdown()).doesNotContain("direct");
    }

    @Test
    void theDeviceGoesThroughEveryOrderSoEachTargetFollowsEachOtherEquallyOften() {
        List<List<String>> orders = DeviceClient.orders(List.of("ebpf", "sidecar", "direct"));
        assertThat(orders).hasSize(6).doesNotHaveDuplicates();
        java.util.Map<String, Integer> firsts = new java.util.HashMap<>();
        java.util.Map<String, Integer> follows = new java.util.HashMap<>();
        for (List<String> order : orders) {
            firsts.merge(order.getFirst(), 1, Integer::sum);
            for (int i = 1; i < order.size(); i++) {
                follows.merge(order.get(i - 1) + ">" + order.get(i), 1, Integer::sum);
            }
        }
        assertThat(firsts).containsOnlyKeys("ebpf", "sidecar", "direct").allSatisfy((k, n) -> assertThat(n).isEqualTo(2));
        assertThat(follows).hasSize(6).allSatisfy((k, n) -> assertThat(n).isEqualTo(2));
        assertThat(DeviceClient.orders(List.of("ebpf", "sidecar")))
                .containsExactly(List.of("ebpf", "sidecar"), List.of("sidecar", "ebpf"));
    }

    @Test
    void mirroredSamplesCancelATrendAlongTheTickInBothOrders() {
        LabReport report = new LabReport(new LabScenario(1));
        java.util.Map<Method, List<RequestRecord>> byMethod = new java.util.EnumMap<>(Method.class);
        List<Method> lanes = List.of(Method.EBPF, Method.SIDECAR, Method.DIRECT);
        java.util.Map<Method, Long> cost = java.util.Map.of(Method.DIRECT, 1_000L, Method.EBPF, 1_020L,
                Method.SIDECAR, 1_500L);
        List<List<String>> orders = DeviceClient.orders(lanes.stream().map(Method::label).toList());
        for (int tick = 0; tick < 24; tick++) {
            List<String> order = new java.util.ArrayList<>(orders.get(tick % orders.size()));
            List<String> mirrored = new java.util.ArrayList<>(order);
            mirrored.addAll(order.reversed());
            for (int position = 0; position < mirrored.size(); position++) {
                Method m = Method.parse(mirrored.get(position));
                // each request in the tick is 150 us faster than the one before: a warming machine
                long us = cost.get(m) + 900 - 150L * position;
                byMethod.computeIfAbsent(m, k -> new java.util.ArrayList<>())
                        .add(new RequestRecord(70 + 2 * tick + 0.005 * position, m, "edge1", "edge1", us, "200"));
            }
        }
        byMethod.forEach((m, list) -> report.add(m, list, List.of()));
        LabReport.PairedDifference ebpfOverDirect = report.pairedDifference(Method.EBPF, Method.DIRECT);
        LabReport.PairedDifference sidecarOverEbpf = report.pairedDifference();
        assertThat(ebpfOverDirect.sidecarFirstMicros()).as("eBPF's samples first").hasValue(20.0);
        assertThat(ebpfOverDirect.ebpfFirstMicros()).as("direct's first").hasValue(20.0);
        assertThat(sidecarOverEbpf.sidecarFirstMicros()).hasValue(480.0);
        assertThat(sidecarOverEbpf.ebpfFirstMicros()).hasValue(480.0);
    }

    @Test
    void requestsCsvNamesTheRun(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        LabReport report = new LabReport(new LabScenario(1));
        report.run(3);
        report.add(Method.EBPF, List.of(new RequestRecord(12.5, Method.EBPF, "edge1", "edge1", 1_234, "200")), List.of());
        java.nio.file.Path csv = dir.resolve("requests.csv");
        report.writeCsv(csv);
        List<String> lines = java.nio.file.Files.readAllLines(csv);
        assertThat(lines).containsExactly("t_seconds,method,entry_node,serving_node,response_us,status,run",
                "12.500,ebpf,edge1,edge1,1234,200,3");
        assertThat(RequestRecord.parseCsv(lines.get(1))).isEqualTo(
                new RequestRecord(12.5, Method.EBPF, "edge1", "edge1", 1_234, "200"));
    }

    @Test
    void csvRoundTrips() {
        RequestRecord r = new RequestRecord(12.5, Method.SIDECAR, "edge2", "cloud1", 61_234, "200");
        assertThat(RequestRecord.parseCsv(r.csv())).isEqualTo(r);
    }
}
