package io.edgesched.examples.lab;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.TreeMap;
import java.util.function.Function;
import org.jfree.chart.axis.LogarithmicAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.IntervalMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.DeviationRenderer;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;

/**
 * What {@code --runs N} adds over the runs' own reports: the mean per edge over runs with a 95 % confidence
 * interval (Student's t over the runs' means, as the thesis averaged 10 runs), and a plot of the mean response
 * time per request tick with a band from the fastest to the slowest run at that tick.
 */
final class RunsReport {
    /** Two-sided 95 % quantiles of Student's t for 1..30 degrees of freedom; 1.96 beyond. */
    private static final double[] T95 = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
            2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060,
            2.056, 2.052, 2.048, 2.045, 2.042};

    private final LabScenario scenario;
    private final List<LabReport> runs;

    RunsReport(LabScenario scenario, List<LabReport> runs) {
        if (runs.isEmpty()) {
            throw new IllegalArgumentException("no runs");
        }
        this.scenario = scenario;
        this.runs = List.copyOf(runs);
    }

    /** Mean of the values and the half-width of its 95 % interval (NaN with fewer than two values). */
    record MeanInterval(int n, double mean, double halfWidth) {
        static MeanInterval of(List<Double> values) {
            int n = values.size();
            double mean = values.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
            if (n < 2) {
                return new MeanInterval(n, mean, Double.NaN);
            }
            double ss = values.stream().mapToDouble(v -> (v - mean) * (v - mean)).sum();
            double sd = Math.sqrt(ss / (n - 1));
            double t = n - 1 <= T95.length ? T95[n - 2] : 1.96;
            return new MeanInterval(n, mean, t * sd / Math.sqrt(n));
        }

        String cell() {
            if (n == 0 || Double.isNaN(mean)) {
                return "-";
            }
            return Double.isNaN(halfWidth) ? String.format(Locale.ROOT, "%.0f us", mean)
                    : String.format(Locale.ROOT, "%.0f +- %.0f us", mean, halfWidth);
        }
    }

    /** One per-run mean per run that has requests in that row, for the row's edge and the given side. */
    private List<Double> perRun(String edge, Function<LabReport.EdgeRow, LabReport.Stats> side) {
        List<Double> values = new ArrayList<>();
        for (LabReport run : runs) {
            run.table().stream().filter(r -> r.edge().equals(edge)).findFirst()
                    .map(side).flatMap(s -> s.mean().isPresent() ? java.util.Optional.of(s.mean().getAsDouble())
                            : java.util.Optional.empty())
                    .ifPresent(values::add);
        }
        return values;
    }

    String tableMarkdown() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "# Edge lab: response time at the edge nodes over %d runs%n%n", runs.size()));
        sb.append("Each cell: the mean over runs of each run's mean response time at that edge (device near it, service"
                + " there), +- the half-width of its 95 % confidence interval (Student's t over the runs' means).\n\n");
        boolean direct = runs.stream().anyMatch(r -> !r.requests(Method.DIRECT).isEmpty());
        sb.append("| edge node | runs | sidecar (prior work) | eBPF (edgesched) | reduction of the means |")
                .append(direct ? " direct (no observer) |" : "").append("\n");
        sb.append("|---|---:|---:|---:|---:|").append(direct ? "---:|" : "").append("\n");
        List<String> edges = new ArrayList<>();
        scenario.nearWindows().forEach(w -> edges.add(w.edge()));
        edges.add(LabReport.BOTH_EDGES);
        for (String edge : edges) {
            MeanInterval sidecar = interval(edge, Method.SIDECAR);
            MeanInterval ebpf = interval(edge, Method.EBPF);
            String reduction = sidecar.n() == 0 || ebpf.n() == 0 ? "-"
                    : String.format(Locale.ROOT, "%.0f%%", 100 * (1 - ebpf.mean() / sidecar.mean()));
            sb.append(String.format(Locale.ROOT, "| %s | %d | %s | %s | %s |", edge, Math.max(sidecar.n(), ebpf.n()),
                    sidecar.cell(), ebpf.cell(), reduction));
            sb.append(direct ? " " + interval(edge, Method.DIRECT).cell() + " |" : "").append('\n');
        }
        sb.append(String.format(Locale.ROOT, "%nRequest by request, every run's ticks pooled (per tick the mean of a"
                + " method's samples; medians by which method's request went first, then averaged):%n"));
        List<Method[]> comparisons = new ArrayList<>();
        comparisons.add(new Method[] {Method.SIDECAR, Method.EBPF});
        if (direct) {
            comparisons.add(new Method[] {Method.EBPF, Method.DIRECT});
            comparisons.add(new Method[] {Method.SIDECAR, Method.DIRECT});
        }
        for (Method[] pair : comparisons) {
            LabReport.PairedDifference pooled = pooledDifference(pair[0], pair[1]);
            if (pooled.medianMicros().isPresent()) {
                sb.append(String.format(Locale.ROOT, "- %s - %s: %+.0f us (%d ticks; %+.0f us when %s went first, %+.0f"
                                + " us when %s did: %.0f us apart)%n", pair[0].label(), pair[1].label(),
                        pooled.medianMicros().getAsDouble(), pooled.pairs(), pooled.sidecarFirstMicros().getAsDouble(),
                        pair[0].label(), pooled.ebpfFirstMicros().getAsDouble(), pair[1].label(),
                        pooled.orderSpread().getAsDouble()));
            }
        }
        return sb.toString();
    }

    /** {@link LabReport#pairedDifference(Method, Method)} over every run's ticks together. */
    LabReport.PairedDifference pooledDifference(Method slower, Method faster) {
        return LabReport.PairedDifference.of(runs.stream().map(r -> r.tickDifferences(slower, faster)).toList());
    }

    /** Per method, tick (request slot of the scenario) -> the runs' response times in ms at that tick. */
    Map<Method, TreeMap<Integer, List<Double>>> byTick() {
        Map<Method, TreeMap<Integer, List<Double>>> out = new java.util.EnumMap<>(Method.class);
        for (LabReport run : runs) {
            for (Method method : Method.values()) {
                for (RequestRecord r : run.requests(method)) {
                    if (r.ok()) {
                        int tick = (int) Math.floor(r.tSeconds() / LabScenario.REQUEST_INTERVAL_SECONDS);
                        out.computeIfAbsent(method, m -> new TreeMap<>())
                                .computeIfAbsent(tick, t -> new ArrayList<>()).add(r.responseUs() / 1000.0);
                    }
                }
            }
        }
        return out;
    }

    /** Mean per tick as a line, the band from the fastest to the slowest run at that tick, log scale. */
    void writePlot(Path file) {
        YIntervalSeriesCollection data = new YIntervalSeriesCollection();
        DeviationRenderer renderer = new DeviationRenderer(true, false);
        int i = 0;
        for (var e : byTick().entrySet()) {
            YIntervalSeries series = new YIntervalSeries(e.getKey().title()
                    + ": mean of " + runs.size() + " runs, band min..max");
            for (var tick : e.getValue().entrySet()) {
                List<Double> v = tick.getValue();
                double mean = v.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
                double min = v.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
                double max = v.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
                series.add(tick.getKey() * LabScenario.REQUEST_INTERVAL_SECONDS, Math.max(0.01, mean),
                        Math.max(0.01, min), Math.max(0.01, max));
            }
            data.addSeries(series);
            Color c = e.getKey().color();
            renderer.setSeriesPaint(i, c);
            renderer.setSeriesFillPaint(i, new Color(c.getRed(), c.getGreen(), c.getBlue(), 60));
            renderer.setSeriesStroke(i, new BasicStroke(1.2f));
            i++;
        }
        renderer.setAlpha(0.35f);
        NumberAxis time = new NumberAxis("time (s)");
        time.setRange(0, LabScenario.LENGTH_SECONDS);
        LogarithmicAxis response = new LogarithmicAxis("response time (ms, log scale)");
        response.setStrictValuesFlag(false);
        XYPlot plot = new XYPlot(data, time, response, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        for (LabScenario.NearWindow w : scenario.nearWindows()) {
            plot.addDomainMarker(new IntervalMarker(w.fromSeconds(), w.toSeconds(), new Color(0, 160, 0, 28)),
                    org.jfree.chart.ui.Layer.BACKGROUND);
        }
        LabReport.savePlot("Response time over " + runs.size() + " runs (mean per tick, band: fastest..slowest run)", plot, file);
    }

    void writeTable(Path file) {
        try {
            Files.writeString(file, tableMarkdown());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** The interval of one edge and method, for tests and the summary. */
    MeanInterval interval(String edge, Method method) {
        return MeanInterval.of(perRun(edge, row -> row.of(method)));
    }

    static OptionalDouble t95(int degreesOfFreedom) {
        return degreesOfFreedom < 1 ? OptionalDouble.empty()
                : OptionalDouble.of(degreesOfFreedom <= T95.length ? T95[degreesOfFreedom - 1] : 1.96);
    }
}
