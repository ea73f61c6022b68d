package io.edgesched.examples.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunsReportTest {
    private static final LabScenario SCENARIO = new LabScenario(1);

    /** One run: at each edge, eBPF answers in {@code ebpfUs} and the sidecar in {@code sidecarUs} every tick. */
    static LabReport run(long ebpfUs, long sidecarUs) {
        LabReport report = new LabReport(SCENARIO);
        List<RequestRecord> ebpf = new ArrayList<>();
        List<RequestRecord> sidecar = new ArrayList<>();
        for (LabScenario.NearWindow w : SCENARIO.nearWindows()) {
            for (double t = w.fromSeconds() + 0.05; t < w.toSeconds(); t += 2) {
                ebpf.add(new RequestRecord(t, Method.EBPF, w.edge(), w.edge(), ebpfUs, "200"));
                sidecar.add(new RequestRecord(t + 0.01, Method.SIDECAR, w.edge(), w.edge(), sidecarUs, "200"));
            }
        }
        report.add(Method.EBPF, ebpf, List.of());
        report.add(Method.SIDECAR, sidecar, List.of());
        return report;
    }

    @Test
    void theIntervalIsStudentsTOverTheRunsMeans(@TempDir Path dir) throws Exception {
        RunsReport report = new RunsReport(SCENARIO, List.of(run(1000, 2000), run(1200, 2100), run(1400, 2200)));
        RunsReport.MeanInterval ebpf = report.interval("edge1", Method.EBPF);
        // means 1000, 1200, 1400: sd 200, t(2) = 4.303, half-width 4.303 * 200 / sqrt(3)
        assertThat(ebpf.n()).isEqualTo(3);
        assertThat(ebpf.mean()).isCloseTo(1200, within(1e-9));
        assertThat(ebpf.halfWidth()).isCloseTo(4.303 * 200 / Math.sqrt(3), within(1e-6));
        assertThat(report.interval(LabReport.BOTH_EDGES, Method.SIDECAR).mean()).isCloseTo(2100, within(1e-9));
        assertThat(report.tableMarkdown()).contains("| edge1 | 3 | 2100 +- 248 us | 1200 +- 497 us | 43% |");

        report.writePlot(dir.resolve("plot.png"));
        report.writeTable(dir.resolve("table.md"));
        assertThat(Files.size(dir.resolve("plot.png"))).isGreaterThan(1000);
        assertThat(Files.readString(dir.resolve("table.md"))).contains("over 3 runs");
        // the band: per tick, the three runs' values
        var ticks = report.byTick().get(Method.EBPF);
        assertThat(ticks.get(30)).containsExactlyInAnyOrder(1.0, 1.2, 1.4);
    }

    @Test
    void oneRunHasNoInterval() {
        RunsReport report = new RunsReport(SCENARIO, List.of(run(1000, 2000)));
        assertThat(report.interval("edge2", Method.EBPF).halfWidth()).isNaN();
        assertThat(report.tableMarkdown()).contains("| edge2 | 1 | 2000 us | 1000 us | 50% |");
        assertThat(RunsReport.t95(1)).hasValue(12.706);
        assertThat(RunsReport.t95(100)).hasValue(1.96);
        assertThat(RunsReport.t95(0)).isEmpty();
    }

    @Test
    void theDirectBaselineGetsItsColumnAndItsLine(@TempDir Path dir) throws Exception {
        List<LabReport> runs = new ArrayList<>();
        for (long directUs : new long[] {900, 1100}) {
            LabReport run = run(1000, 2000);
            List<RequestRecord> direct = new ArrayList<>();
            for (LabScenario.NearWindow w : SCENARIO.nearWindows()) {
                for (double t = w.fromSeconds() + 0.05; t < w.toSeconds(); t += 2) {
                    direct.add(new RequestRecord(t + 0.02, Method.DIRECT, w.edge(), w.edge(), directUs, "200"));
                }
            }
            run.add(Method.DIRECT, direct, List.of());
            runs.add(run);
        }
        RunsReport report = new RunsReport(SCENARIO, runs);
        assertThat(report.interval("edge1", Method.DIRECT).mean()).isCloseTo(1000, within(1e-9));
        assertThat(report.tableMarkdown()).contains("| direct (no observer) |")
                .contains("| edge1 | 2 | 2000 +- 0 us | 1000 +- 0 us | 50% | 1000 +- 1271 us |");
        assertThat(report.byTick()).containsKeys(Method.EBPF, Method.SIDECAR, Method.DIRECT);
        report.writePlot(dir.resolve("plot.png"));
        assertThat(Files.size(dir.resolve("plot.png"))).isGreaterThan(1000);
        assertThat(new RunsReport(SCENARIO, List.of(run(1000, 2000))).tableMarkdown()).doesNotContain("direct");
    }

    @Test
    void ticksArePooledOverRunsForTheOrderComparison() {
        // run 1: the sidecar's request always first, 400 us slower; run 2: eBPF's first, the sidecar 600 us slower
        List<LabReport> runs = new ArrayList<>();
        for (boolean sidecarFirst : new boolean[] {true, false}) {
            LabReport report = new LabReport(SCENARIO);
            List<RequestRecord> ebpf = new ArrayList<>();
            List<RequestRecord> sidecar = new ArrayList<>();
            for (LabScenario.NearWindow w : SCENARIO.nearWindows()) {
                for (double t = w.fromSeconds() + 0.05; t < w.toSeconds(); t += 2) {
                    ebpf.add(new RequestRecord(sidecarFirst ? t + 0.01 : t, Method.EBPF, w.edge(), w.edge(), 1000, "200"));
                    sidecar.add(new RequestRecord(sidecarFirst ? t : t + 0.01, Method.SIDECAR, w.edge(), w.edge(),
                            sidecarFirst ? 1400 : 1600, "200"));
                }
            }
            report.add(Method.EBPF, ebpf, List.of());
            report.add(Method.SIDECAR, sidecar, List.of());
            assertThat(report.pairedDifference().medianMicros()).as("one order per run").isEmpty();
            runs.add(report);
        }
        RunsReport report = new RunsReport(SCENARIO, runs);
        LabReport.PairedDifference pooled = report.pooledDifference(Method.SIDECAR, Method.EBPF);
        assertThat(pooled.sidecarFirstMicros()).hasValue(400.0);
        assertThat(pooled.ebpfFirstMicros()).hasValue(600.0);
        assertThat(pooled.medianMicros()).hasValue(500.0);
        assertThat(report.tableMarkdown()).contains("- sidecar - ebpf: +500 us (").contains("200 us apart)");
    }
}
