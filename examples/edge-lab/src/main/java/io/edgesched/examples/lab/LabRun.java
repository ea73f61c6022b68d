package io.edgesched.examples.lab;

import io.edgesched.api.OriginSnapshot;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run of the scenario on a built topology with the chosen methods side by side: each method has its own
 * service (on its own NodePort), demand input, placement controller and rescheduler; one device sends each
 * request to every method's service in turn, so both see the same moment, load and delays. When the run
 * ends, everything it started is stopped.
 */
final class LabRun {
    private static final Logger log = LoggerFactory.getLogger(LabRun.class);
    static final String INITIAL_NODE = "cloud1";

    /** Starts whatever decides moves from demand; closing it stops it. */
    @FunctionalInterface
    interface ControllerStarter {
        AutoCloseable start(Method method, Supplier<List<OriginSnapshot>> demand, LabRescheduler rescheduler,
                            LabScenario scenario, LabTopology topology, Consumer<String> progress, DoubleSupplier scenarioClock);
    }

    /** Opens the demand input of a method; closing it detaches whatever it attached. */
    interface DemandOpener {
        DemandHandle open(Method method, LabTopology topology, Path workDir);
    }

    interface DemandHandle extends AutoCloseable {
        List<OriginSnapshot> latest();

        @Override
        void close();
    }

    /** What one node's demand input said about the device at one moment (eBPF: the kernel's smoothed handshake RTT). */
    record DeviceRtt(double tSeconds, String node, long rttMicros, long samples) {
    }

    record Result(Method method, List<RequestRecord> requests, List<MoveRecord> moves, List<DeviceRtt> deviceRtts) {
    }

    /** Everything one method runs: closed in reverse order of opening. */
    private final class Lane implements AutoCloseable {
        final Method method;
        final List<RequestRecord> requests = Collections.synchronizedList(new ArrayList<>());
        final List<DeviceRtt> deviceRtts = Collections.synchronizedList(new ArrayList<>());
        LabRescheduler rescheduler;
        DemandHandle demand;
        AutoCloseable controller;

        Lane(Method method) {
            this.method = method;
        }

        void open(DemandOpener demandOpener, ControllerStarter controllerStarter, boolean withDirect) {
            if (!method.placesItself()) {
                return; // the eBPF lane's rescheduler points this lane's NodePort at its service
            }
            rescheduler = new LabRescheduler(topology, method, workDir,
                    method == Method.EBPF && withDirect ? Method.DIRECT : null);
            progress.accept(String.format(Locale.ROOT, "[%s] starting its service on %s (NodePort %d)", method.label(),
                    INITIAL_NODE, method.nodePort()));
            rescheduler.deployInitial(topology.node(INITIAL_NODE));
            demand = demandOpener.open(method, topology, workDir);
            String deviceAddress = topology.node("device").address();
            Supplier<List<OriginSnapshot>> tracing = () -> {
                List<OriginSnapshot> latest = demand.latest();
                double t = scenarioNow();
                if (t > 0) {
                    for (OriginSnapshot s : latest) {
                        s.records().stream().filter(r -> r.rttSamples() > 0 && r.client().toString().equals(deviceAddress))
                                .forEach(r -> deviceRtts.add(new DeviceRtt(t, s.node().name(), r.rttMicros(), r.rttSamples())));
                    }
                }
                return latest;
            };
            controller = controllerStarter.start(method, tracing, rescheduler, scenario, topology, progress, LabRun.this::scenarioNow);
        }

        Result result() {
            List<MoveRecord> moves = rescheduler == null ? List.of() : rescheduler.moves().stream().map(m -> new MoveRecord(method,
                    m.from() == null ? "-" : m.from().name(), m.to().name(),
                    scenarioSeconds(m.issued()), scenarioSeconds(m.switched()), m.reason())).toList();
            return new Result(method, List.copyOf(requests), moves, List.copyOf(deviceRtts));
        }

        @Override
        public void close() {
            try {
                if (controller != null) {
                    controller.close();
                }
            } catch (Exception e) {
                log.warn("[{}] stopping the controller: {}", method.label(), e.toString());
            }
            if (demand != null) {
                demand.close();
            }
            if (rescheduler != null) {
                rescheduler.close();
            }
        }
    }

    private final LabTopology topology;
    private final LabScenario scenario;
    private final Path workDir;
    private final Consumer<String> progress;
    private volatile long startEpochMs;

    LabRun(LabTopology topology, LabScenario scenario, Path workDir, Consumer<String> progress) {
        this.topology = topology;
        this.scenario = scenario;
        this.workDir = workDir;
        this.progress = progress;
    }

    /** Scenario seconds since the device started; 0 before. */
    double scenarioNow() {
        long start = startEpochMs;
        return start == 0 ? 0 : (System.currentTimeMillis() - start) / 1000.0 / scenario.timeScale();
    }

    private double scenarioSeconds(Instant at) {
        return (at.toEpochMilli() - startEpochMs) / 1000.0 / scenario.timeScale();
    }

    Map<Method, Result> run(List<Method> methods, DemandOpener demandOpener, ControllerStarter controllerStarter)
            throws InterruptedException {
        resetDelays();
        NodePortForwarding.installMasquerade(topology);
        if (methods.contains(Method.DIRECT) && !methods.contains(Method.EBPF)) {
            throw new IllegalArgumentException("the direct baseline follows the eBPF method's service: run both");
        }
        Map<Method, Lane> lanes = new EnumMap<>(Method.class);
        try {
            for (Method method : methods.stream().sorted().toList()) { // the eBPF lane first: direct follows it
                Lane lane = new Lane(method);
                lanes.put(method, lane);
                lane.open(demandOpener, controllerStarter, methods.contains(Method.DIRECT));
            }
            try (ChildProcess device = startDevice(lanes)) {
                playSchedule(lanes);
                long left = startEpochMs + scenario.length().toMillis() - System.currentTimeMillis();
                if (!device.waitFor(Duration.ofMillis(Math.max(0, left)).plusSeconds(30))) {
                    log.warn("the device did not finish on time; stopping it");
                }
            }
            Map<Method, Result> results = new EnumMap<>(Method.class);
            lanes.forEach((m, lane) -> results.put(m, lane.result()));
            return results;
        } finally {
            List<Lane> reverse = new ArrayList<>(lanes.values());
            Collections.reverse(reverse);
            reverse.forEach(Lane::close);
            NodePortForwarding.uninstallAll(topology);
        }
    }

    private void resetDelays() {
        List<LabNode> nodes = topology.nodes();
        for (int i = 0; i < nodes.size(); i++) {
            for (int j = i + 1; j < nodes.size(); j++) {
                topology.setRtt(nodes.get(i), nodes.get(j), LabScenario.baseRtt(nodes.get(i), nodes.get(j)),
                        LabScenario.baseJitter(nodes.get(i), nodes.get(j)));
            }
        }
    }

    private ChildProcess startDevice(Map<Method, Lane> lanes) {
        LabNode device = topology.node("device");
        String nodes = topology.clusterNodes().stream().map(n -> n.name() + "=" + n.address()).collect(Collectors.joining(","));
        String targets = lanes.keySet().stream().map(m -> m.label() + "=" + m.nodePort()).collect(Collectors.joining(","));
        ChildProcess child = ChildProcess.startInNamespace("device", topology.namespace(device),
                LabFiles.javaCommand(DeviceClient.class, List.of("-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"),
                        List.of(nodes, targets, String.valueOf(scenario.requestInterval().toMillis()),
                                String.valueOf(scenario.length().toMillis()), INITIAL_NODE)),
                line -> {
                    if (line.startsWith("READY ")) {
                        startEpochMs = Long.parseLong(line.substring(6).strip()); // before any REQ line is read
                        return true;
                    }
                    return false;
                },
                line -> onDeviceLine(line, lanes), true);
        child.awaitReady(Duration.ofSeconds(30));
        progress.accept("device started: one request every " + scenario.requestInterval().toMillis() + " ms to each of "
                + targets);
        return child;
    }

    private double scenarioTime(long epochMs) {
        return startEpochMs == 0 ? 0 : Math.max(0, (epochMs - startEpochMs) / 1000.0 / scenario.timeScale());
    }

    private void onDeviceLine(String line, Map<Method, Lane> lanes) {
        String[] f = line.split(" ");
        if (f[0].equals("REQ") && f.length >= 7) {
            Method method = Method.parse(f[2]);
            Lane lane = lanes.get(method);
            RequestRecord r = new RequestRecord(scenarioTime(Long.parseLong(f[1])), method, f[3], f[4], Long.parseLong(f[5]), f[6]);
            lane.requests.add(r);
            if (lane.requests.size() % 5 == 1 || !r.ok()) {
                progress.accept(String.format(Locale.ROOT, "[%-7s] t=%5.1f s  request via %-6s served by %-6s %8.2f ms %s",
                        method.label(), r.tSeconds(), r.entryNode(), r.servingNode(), r.responseUs() / 1000.0, r.ok() ? "" : r.status()));
            }
        } else if (f[0].equals("ENTRY") && f.length >= 4) {
            progress.accept(String.format(Locale.ROOT, "[device ] t=%5.1f s  device now sends to %s (probe %.1f ms)",
                    scenarioTime(Long.parseLong(f[1])), f[2], Long.parseLong(f[3]) / 1000.0));
        } else {
            log.info("[device] {}", line);
        }
    }

    private void playSchedule(Map<Method, Lane> lanes) throws InterruptedException {
        LabNode device = topology.node("device");
        long startNanos = System.nanoTime() - (System.currentTimeMillis() - startEpochMs) * 1_000_000L;
        for (LabScenario.DelayChange change : scenario.delayChanges()) {
            long wait = startNanos + scenario.real(change.atSeconds()).toNanos() - System.nanoTime();
            if (wait > 0) {
                Thread.sleep(Duration.ofNanos(wait));
            }
            topology.setRtt(device, topology.node(change.node()), change.rtt(), change.jitter());
            String where = lanes.values().stream().filter(l -> l.rescheduler != null)
                    .map(l -> l.method.label() + " on " + l.rescheduler.currentNode())
                    .collect(Collectors.joining(", "));
            progress.accept(String.format(Locale.ROOT, "[network] t=%5.1f s  device <-> %s round trip now %d ms (%s)",
                    change.atSeconds(), change.node(), change.rtt().toMillis(), where));
        }
    }
}
