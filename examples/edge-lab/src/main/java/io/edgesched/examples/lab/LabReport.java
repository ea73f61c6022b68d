package io.edgesched.examples.lab;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogarithmicAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.IntervalMarker;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.Layer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The lab's outputs: requests.csv, response-time.png (like the thesis's Figure 4), table.md (like its
 * Table 2) and the printed summary.
 */
public final class LabReport {
    /** Thesis Table 2 (microseconds): edge -> {sidecar, eBPF}. */
    static final Map<String, long[]> THESIS_TABLE = Map.of("edge1", new long[]{2466, 1980}, "edge2", new long[]{2396, 1910});

    static final String BOTH_EDGES = "both edges";

    private final LabScenario scenario;
    private final Map<Method, List<RequestRecord>> requests = new EnumMap<>(Method.class);
    private final Map<Method, List<MoveRecord>> moves = new EnumMap<>(Method.class);
    private final List<String> notes = new ArrayList<>();
    private final Map<Method, List<LabRun.DeviceRtt>> deviceRtts = new EnumMap<>(Method.class);

    private int run = 1;

    public LabReport(LabScenario scenario) {
        this.scenario = scenario;
    }

    /** Which run of {@code --runs N} this report is (the {@code run} column of requests.csv); 1 by default. */
    void run(int number) {
        this.run = number;
    }

    public void add(Method method, List<RequestRecord> methodRequests, List<MoveRecord> methodMoves) {
        requests.put(method, List.copyOf(methodRequests));
        moves.put(method, List.copyOf(methodMoves));
    }

    void addDeviceRtts(Method method, List<LabRun.DeviceRtt> rtts) {
        deviceRtts.put(method, List.copyOf(rtts));
    }

    /** The device's RTT as the method's demand input reported it over the run (only eBPF measures one). */
    List<LabRun.DeviceRtt> deviceRtts(Method method) {
        return deviceRtts.getOrDefault(method, List.of());
    }

    /** The last RTT reading of {@code node} (any node when null) toward the device within [from, to) scenario seconds. */
    Optional<LabRun.DeviceRtt> lastDeviceRtt(Method method, String node, double from, double to) {
        LabRun.DeviceRtt last = null;
        for (LabRun.DeviceRtt r : deviceRtts(method)) {
            if ((node == null || r.node().equals(node)) && r.tSeconds() >= from && r.tSeconds() < to) {
                last = r;
            }
        }
        return Optional.ofNullable(last);
    }

    public void note(String line) {
        notes.add(line);
    }

    public List<RequestRecord> requests(Method method) {
        return requests.getOrDefault(method, List.of());
    }

    public List<MoveRecord> moves(Method method) {
        return moves.getOrDefault(method, List.of());
    }

    /**
     * One row of the table: the response times at an edge while the device is near it and served there.
     * Means as in the thesis's Table 2; medians too, because on a busy machine one stalled request can move a
     * mean of twenty by milliseconds.
     */
    public record EdgeRow(String edge, Stats ebpf, Stats sidecar, Stats direct) {
        /** How much less time eBPF takes than the sidecar, as a fraction of the sidecar's mean. */
        public OptionalDouble reduction() {
            return ratio(ebpf.mean(), sidecar.mean());
        }

        /** The same for the medians. */
        public OptionalDouble medianReduction() {
            return ratio(ebpf.median(), sidecar.median());
        }

        static EdgeRow of(String edge, Map<Method, List<RequestRecord>> requests) {
            return new EdgeRow(edge, Stats.of(requests.get(Method.EBPF)), Stats.of(requests.get(Method.SIDECAR)),
                    Stats.of(requests.get(Method.DIRECT)));
        }

        /** The stats of one method's column. */
        public Stats of(Method method) {
            return switch (method) {
                case EBPF -> ebpf;
                case SIDECAR -> sidecar;
                case DIRECT -> direct;
            };
        }

        private static OptionalDouble ratio(OptionalDouble ours, OptionalDouble theirs) {
            return ours.isEmpty() || theirs.isEmpty() ? OptionalDouble.empty()
                    : OptionalDouble.of(1 - ours.getAsDouble() / theirs.getAsDouble());
        }
    }

    /** Count, mean and median of response times in microseconds. */
    public record Stats(int count, OptionalDouble mean, OptionalDouble median) {
        static Stats of(List<RequestRecord> requests) {
            long[] us = requests.stream().mapToLong(RequestRecord::responseUs).sorted().toArray();
            OptionalDouble median = us.length == 0 ? OptionalDouble.empty()
                    : OptionalDouble.of(us.length % 2 == 1 ? us[us.length / 2] : (us[us.length / 2 - 1] + us[us.length / 2]) / 2.0);
            return new Stats(us.length, java.util.Arrays.stream(us).average(), median);
        }
    }

    /**
     * Requests in the edge's window that entered at the edge and were served there, from the moment every
     * method's service serves there: while one method's new replica is still starting (a JVM warming up takes
     * a CPU for a second), the other method's requests would pay for it.
     */
    public List<RequestRecord> atEdge(Method method, LabScenario.NearWindow window) {
        double from = comparedFrom(window);
        return servedAtEdge(method, window).stream().filter(r -> r.tSeconds() >= from).toList();
    }

    /** When the comparison at this edge starts: the latest of the methods' first requests served there. */
    public double comparedFrom(LabScenario.NearWindow window) {
        double from = window.fromSeconds();
        for (Method m : requests.keySet()) {
            OptionalDouble first = firstServedAt(m, window);
            if (first.isPresent()) {
                from = Math.max(from, first.getAsDouble());
            }
        }
        return from;
    }

    private List<RequestRecord> servedAtEdge(Method method, LabScenario.NearWindow window) {
        return requests(method).stream()
                .filter(r -> r.ok() && window.contains(r.tSeconds()) && window.edge().equals(r.entryNode())
                        && window.edge().equals(r.servingNode()))
                .toList();
    }

    /** One row per edge node, then one over both edges together (more requests, steadier numbers). */
    public List<EdgeRow> table() {
        List<EdgeRow> rows = new ArrayList<>();
        Map<Method, List<RequestRecord>> all = new EnumMap<>(Method.class);
        for (LabScenario.NearWindow w : scenario.nearWindows()) {
            Map<Method, List<RequestRecord>> here = new EnumMap<>(Method.class);
            for (Method m : Method.values()) {
                here.put(m, atEdge(m, w));
                all.computeIfAbsent(m, k -> new ArrayList<>()).addAll(here.get(m));
            }
            rows.add(EdgeRow.of(w.edge(), here));
        }
        rows.add(EdgeRow.of(BOTH_EDGES, all));
        return rows;
    }

    /**
     * The sidecar's cost seen request by request. The device sends each tick's requests back to back, so
     * pairing them cancels whatever slowed both; but the first request of a tick also pays for waking an idle
     * machine, and the order goes through every permutation. So the pairs are split by which went first, and the
     * cost is the mean of the two groups' medians of (sidecar - eBPF): the wake-up cost enters one with a plus, the
     * other with a minus, and cancels.
     *
     * @param pairs             pairs found (ticks with both methods served at the edge)
     * @param medianMicros      the order-balanced estimate
     * @param sidecarFirstMicros median of (sidecar - eBPF) over ticks where the sidecar's request went first
     * @param ebpfFirstMicros   the same where the eBPF request went first
     */
    public record PairedDifference(int pairs, OptionalDouble medianMicros, OptionalDouble sidecarFirstMicros,
                                   OptionalDouble ebpfFirstMicros) {
        /** From runs' {@link #tickDifferences}, pooled: the medians over every run's ticks of each order. */
        static PairedDifference of(List<TickDifferences> runs) {
            List<Long> slowerFirst = new ArrayList<>();
            List<Long> fasterFirst = new ArrayList<>();
            for (TickDifferences run : runs) {
                slowerFirst.addAll(run.slowerFirst());
                fasterFirst.addAll(run.fasterFirst());
            }
            OptionalDouble a = medianOf(slowerFirst);
            OptionalDouble b = medianOf(fasterFirst);
            OptionalDouble balanced = a.isPresent() && b.isPresent()
                    ? OptionalDouble.of((a.getAsDouble() + b.getAsDouble()) / 2) : OptionalDouble.empty();
            return new PairedDifference(slowerFirst.size() + fasterFirst.size(), balanced, a, b);
        }

        /** How far the two orders' medians are apart, in us. */
        OptionalDouble orderSpread() {
            return sidecarFirstMicros.isPresent() && ebpfFirstMicros.isPresent()
                    ? OptionalDouble.of(Math.abs(sidecarFirstMicros.getAsDouble() - ebpfFirstMicros.getAsDouble()))
                    : OptionalDouble.empty();
        }
    }

    public PairedDifference pairedDifference() {
        return pairedDifference(Method.SIDECAR, Method.EBPF);
    }

    /**
     * The same for any two lanes: the median of ({@code slower} - {@code faster}) per order, averaged (for
     * {@link #pairedDifference()}'s fields read {@code slower} for "sidecar", {@code faster} for "eBPF").
     */
    public PairedDifference pairedDifference(Method slower, Method faster) {
        return PairedDifference.of(List.of(tickDifferences(slower, faster)));
    }

    /**
     * Per tick at the edges, the mean of one method's samples minus the other's, in us, split by which method's
     * first sample went first.
     */
    record TickDifferences(List<Long> slowerFirst, List<Long> fasterFirst) {
    }

    TickDifferences tickDifferences(Method slower, Method faster) {
        List<Long> slowerFirst = new ArrayList<>();
        List<Long> fasterFirst = new ArrayList<>();
        for (LabScenario.NearWindow w : scenario.nearWindows()) {
            List<RequestRecord> both = new ArrayList<>(atEdge(slower, w));
            both.addAll(atEdge(faster, w));
            for (List<RequestRecord> tick : byTick(both)) { // two samples of each near a node: in order, mirrored
                List<RequestRecord> s = tick.stream().filter(r -> r.method() == slower).toList();
                List<RequestRecord> f = tick.stream().filter(r -> r.method() == faster).toList();
                if (!s.isEmpty() && !f.isEmpty()) {
                    long difference = Math.round(meanMicros(s) - meanMicros(f));
                    (s.getFirst().tSeconds() < f.getFirst().tSeconds() ? slowerFirst : fasterFirst).add(difference);
                }
            }
        }
        return new TickDifferences(slowerFirst, fasterFirst);
    }

    /**
     * Requests split into the device's ticks, in time order: a tick's requests go back to back, ticks are
     * {@link LabScenario#REQUEST_INTERVAL_SECONDS} apart, so a gap of half that starts the next (robust to the ticks
     * drifting when slow requests across the WAN made one late).
     */
    private static List<List<RequestRecord>> byTick(List<RequestRecord> requests) {
        List<List<RequestRecord>> ticks = new ArrayList<>();
        double last = Double.NEGATIVE_INFINITY;
        for (RequestRecord r : requests.stream().sorted(java.util.Comparator.comparingDouble(RequestRecord::tSeconds)).toList()) {
            if (r.tSeconds() - last > LabScenario.REQUEST_INTERVAL_SECONDS / 2) {
                ticks.add(new ArrayList<>());
            }
            ticks.getLast().add(r);
            last = r.tSeconds();
        }
        return ticks;
    }

    private static double meanMicros(List<RequestRecord> requests) {
        return requests.stream().mapToLong(RequestRecord::responseUs).average().orElseThrow();
    }

    private static OptionalDouble medianOf(List<Long> values) {
        long[] sorted = values.stream().mapToLong(Long::longValue).sorted().toArray();
        if (sorted.length == 0) {
            return OptionalDouble.empty();
        }
        return OptionalDouble.of(sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2.0);
    }

    public String tableMarkdown() {
        StringBuilder sb = new StringBuilder();
        boolean direct = !requests(Method.DIRECT).isEmpty();
        sb.append("| edge node | sidecar (prior work) | eBPF (edgesched) | reduction | median: sidecar / eBPF | reduction |")
                .append(direct ? " direct (no observer) | median over direct: sidecar / eBPF |" : "")
                .append(" thesis: sidecar / eBPF |\n");
        sb.append("|---|---:|---:|---:|---:|---:|").append(direct ? "---:|---:|" : "").append("---:|\n");
        for (EdgeRow row : table()) {
            long[] thesis = THESIS_TABLE.get(row.edge());
            sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s / %s | %s |", row.edge(),
                    cell(row.sidecar().mean(), row.sidecar().count()), cell(row.ebpf().mean(), row.ebpf().count()),
                    percent(row.reduction()), micros(row.sidecar().median()), micros(row.ebpf().median()),
                    percent(row.medianReduction())));
            if (direct) {
                sb.append(String.format(Locale.ROOT, " %s | %s / %s |", cell(row.direct().mean(), row.direct().count()),
                        overDirect(row.sidecar(), row.direct()), overDirect(row.ebpf(), row.direct())));
            }
            sb.append(String.format(Locale.ROOT, " %s |%n", thesis == null ? "" : String.format(Locale.ROOT,
                    "%d us / %d us (%.0f%% less)", thesis[0], thesis[1], 100.0 * (thesis[0] - thesis[1]) / thesis[0])));
        }
        PairedDifference paired = pairedDifference();
        if (paired.medianMicros().isPresent()) {
            sb.append(String.format(Locale.ROOT, "%nRequest by request (each tick's requests go back to back, in every"
                            + " order in turn; near a node, with ticks >= %d ms apart, after an unrecorded round in reverse,"
                            + " twice: in order and mirrored, each method's two averaged): the sidecar's request"
                            + " took %+.0f us longer than the eBPF one (%d pairs; median of sidecar - eBPF %+.0f us when the"
                            + " sidecar's went first and %+.0f us when the eBPF one did; the two are averaged).%n",
                    DeviceClient.WARM_UP_FROM_INTERVAL_MS, paired.medianMicros().getAsDouble(), paired.pairs(),
                    paired.sidecarFirstMicros().getAsDouble(),
                    paired.ebpfFirstMicros().getAsDouble()));
        }
        if (direct) {
            PairedDifference ebpfCost = pairedDifference(Method.EBPF, Method.DIRECT);
            PairedDifference sidecarCost = pairedDifference(Method.SIDECAR, Method.DIRECT);
            if (ebpfCost.medianMicros().isPresent() && sidecarCost.medianMicros().isPresent()) {
                sb.append(String.format(Locale.ROOT, "Against the direct request of the same tick (same service, a NodePort"
                                + " nothing counts), the same way: eBPF %+.0f us (%d pairs; %+.0f / %+.0f us by order),"
                                + " sidecar %+.0f us (%d pairs; %+.0f / %+.0f us by order).%n",
                        ebpfCost.medianMicros().getAsDouble(), ebpfCost.pairs(),
                        ebpfCost.sidecarFirstMicros().getAsDouble(), ebpfCost.ebpfFirstMicros().getAsDouble(),
                        sidecarCost.medianMicros().getAsDouble(), sidecarCost.pairs(),
                        sidecarCost.sidecarFirstMicros().getAsDouble(), sidecarCost.ebpfFirstMicros().getAsDouble()));
            }
        }
        sb.append("\nMean response time of the device's requests while it is near the edge node and the service runs there")
                .append(" (entry node = serving node = the edge), counted from when both methods' services serve there;")
                .append(" n = requests; reduction = how much less time eBPF takes.\n");
        return sb.toString();
    }

    private static String percent(OptionalDouble fraction) {
        return fraction.isPresent() ? String.format(Locale.ROOT, "%.1f%%", fraction.getAsDouble() * 100) : "n/a";
    }

    private static String micros(OptionalDouble us) {
        return us.isPresent() ? String.format(Locale.ROOT, "%.0f us", us.getAsDouble()) : "-";
    }

    /** How much longer a method's median took than the direct median, in us. */
    private static String overDirect(Stats method, Stats direct) {
        return method.median().isPresent() && direct.median().isPresent()
                ? String.format(Locale.ROOT, "%+.0f us", method.median().getAsDouble() - direct.median().getAsDouble())
                : "-";
    }

    private static String cell(OptionalDouble meanUs, int n) {
        return meanUs.isPresent() ? String.format(Locale.ROOT, "%.0f us (n=%d)", meanUs.getAsDouble(), n) : "no requests (n=0)";
    }

    /** When the device moved near {@code window.edge()}: the first move to that edge at or after the shift. */
    public Optional<MoveRecord> moveInto(Method method, LabScenario.NearWindow window) {
        return moves(method).stream()
                .filter(m -> m.to().equals(window.edge()) && m.issuedSeconds() >= window.fromSeconds() - 1e-9)
                .findFirst();
    }

    /** Scenario time of the first request served by the edge after the device shifted there. */
    public OptionalDouble firstServedAt(Method method, LabScenario.NearWindow window) {
        return servedAtEdge(method, window).stream().mapToDouble(RequestRecord::tSeconds).min();
    }

    public String summary() {
        StringBuilder sb = new StringBuilder();
        sb.append("Edge lab summary (scenario time; time scale ").append(scenario.timeScale()).append(")\n");
        for (Method method : requests.keySet()) {
            List<RequestRecord> list = requests(method);
            long ok = list.stream().filter(RequestRecord::ok).count();
            if (!method.placesItself()) {
                sb.append(String.format(Locale.ROOT, "%n[%s] %d requests, %d ok, %d failed; no moves of its own (it follows"
                        + " the eBPF method's service)%n", method.label(), list.size(), ok, list.size() - ok));
                continue;
            }
            sb.append(String.format(Locale.ROOT, "%n[%s] %d requests, %d ok, %d failed; %d moves%n", method.label(),
                    list.size(), ok, list.size() - ok, moves(method).size()));
            for (MoveRecord m : moves(method)) {
                sb.append(String.format(Locale.ROOT, "  move %s -> %s issued t=%.1f s, serving from t=%.1f s  (%s)%n",
                        m.from(), m.to(), m.issuedSeconds(), m.switchedSeconds(), m.reason()));
            }
            if (!deviceRtts(method).isEmpty()) {
                sb.append("  kernel-measured RTT toward the device (smoothed handshake RTT at the node's uplink):\n");
                double firstShift = scenario.nearWindows().getFirst().fromSeconds();
                lastDeviceRtt(method, null, 0, firstShift).ifPresent(r -> sb.append(String.format(Locale.ROOT,
                        "    before the device moves (t=%.0f s): %s %.1f ms (configured 60 +- 10 ms)%n", r.tSeconds(), r.node(),
                        r.rttMicros() / 1000.0)));
                for (LabScenario.NearWindow w : scenario.nearWindows()) {
                    lastDeviceRtt(method, w.edge(), w.fromSeconds(), w.toSeconds()).ifPresent(r -> sb.append(String.format(Locale.ROOT,
                            "    device near %s (t=%.0f s): %s %.2f ms (configured 0 ms)%n", w.edge(), r.tSeconds(), w.edge(), r.rttMicros() / 1000.0)));
                }
            }
            for (LabScenario.NearWindow w : scenario.nearWindows()) {
                Optional<MoveRecord> move = moveInto(method, w);
                OptionalDouble served = firstServedAt(method, w);
                sb.append(String.format(Locale.ROOT, "  device near %s at t=%.0f s: move issued %s, first request served there %s%n",
                        w.edge(), w.fromSeconds(),
                        move.map(m -> String.format(Locale.ROOT, "+%.1f s", m.issuedSeconds() - w.fromSeconds())).orElse("never"),
                        served.isPresent() ? String.format(Locale.ROOT, "+%.1f s", served.getAsDouble() - w.fromSeconds()) : "never"));
            }
        }
        notes.forEach(n -> sb.append(n).append('\n'));
        sb.append('\n').append(tableMarkdown());
        return sb.toString();
    }

    public void writeCsv(Path file) {
        List<String> lines = new ArrayList<>();
        lines.add(RequestRecord.CSV_HEADER + ",run");
        requests.values().forEach(list -> list.forEach(r -> lines.add(r.csv() + "," + run)));
        write(file, String.join("\n", lines) + "\n");
    }

    public void writeTable(Path file) {
        write(file, "# Edge lab: response time at the edge nodes\n\n" + tableMarkdown());
    }

    /** Response time over scenario time, both methods, log scale; moves as vertical lines, near windows shaded. */
    public void writePlot(Path file) {
        XYSeriesCollection data = new XYSeriesCollection();
        List<Method> methods = new ArrayList<>(requests.keySet());
        for (Method method : methods) {
            XYSeries series = new XYSeries(method.title());
            for (RequestRecord r : requests(method)) {
                if (r.ok()) {
                    series.add(r.tSeconds(), Math.max(0.01, r.responseUs() / 1000.0));
                }
            }
            data.addSeries(series);
        }
        NumberAxis time = new NumberAxis("time (s)");
        time.setRange(0, LabScenario.LENGTH_SECONDS);
        LogarithmicAxis response = new LogarithmicAxis("response time (ms, log scale)");
        response.setStrictValuesFlag(false);
        response.setLog10TickLabelsFlag(false);
        response.setExpTickLabelsFlag(false);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        for (int i = 0; i < methods.size(); i++) {
            renderer.setSeriesPaint(i, methods.get(i).color());
            renderer.setSeriesStroke(i, new BasicStroke(1.2f));
            renderer.setSeriesShape(i, new java.awt.geom.Ellipse2D.Double(-2, -2, 4, 4));
        }
        XYPlot plot = new XYPlot(data, time, response, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        for (LabScenario.NearWindow w : scenario.nearWindows()) {
            IntervalMarker near = new IntervalMarker(w.fromSeconds(), w.toSeconds(), new Color(0, 160, 0, 28));
            near.setLabel("device near " + w.edge());
            near.setLabelAnchor(RectangleAnchor.TOP);
            near.setLabelTextAnchor(TextAnchor.TOP_CENTER);
            near.setLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
            plot.addDomainMarker(near, Layer.BACKGROUND);
        }
        for (Method method : methods) {
            for (MoveRecord m : moves(method)) {
                ValueMarker marker = new ValueMarker(m.switchedSeconds(), method.color(),
                        new BasicStroke(1.0f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[]{4f, 3f}, 0f));
                marker.setLabel(method.label() + " -> " + m.to());
                marker.setLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
                marker.setLabelPaint(method.color());
                marker.setLabelAnchor(method == Method.EBPF ? RectangleAnchor.BOTTOM_RIGHT : RectangleAnchor.BOTTOM_LEFT);
                marker.setLabelTextAnchor(method == Method.EBPF ? TextAnchor.BOTTOM_LEFT : TextAnchor.BOTTOM_RIGHT);
                plot.addDomainMarker(marker);
            }
        }
        savePlot("Response time of the end device's requests (moves marked)", plot, file);
    }

    /** The lab's plots: one title, white, 1000 x 560 PNG. */
    static void savePlot(String title, XYPlot plot, Path file) {
        JFreeChart chart = new JFreeChart(title, new Font(Font.SANS_SERIF, Font.BOLD, 14), plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        try {
            ChartUtils.saveChartAsPNG(file.toFile(), chart, 1000, 560);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the plot " + file, e);
        }
    }

    private static void write(Path file, String text) {
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
