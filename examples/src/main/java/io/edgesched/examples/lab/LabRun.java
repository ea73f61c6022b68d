package io.edgesched.examples.lab;

import io.edgesched.api.OriginSnapshot;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One method's run of the scenario on a built topology: deploy the service on cloud1, start the demand
 * input and the placement controller, let the device run for the scenario's length while the delay
 * schedule plays, then stop everything this run started.
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

    record Result(Method method, List<RequestRecord> requests, List<MoveRecord> moves, List<OriginSnapshot> lastSnapshots,
                  List<DeviceRtt> deviceRtts) {
    }

    private final LabTopology topology;
    private final LabScenario scenario;
    private final Path workDir;
    private final Consumer<String> progress;

    LabRun(LabTopology topology, LabScenario scenario, Path workDir, Consumer<String> progress) {
        this.topology = topology;
        this.scenario = scenario;
        this.workDir = workDir;
        this.progress = progress;
    }

    Result run(Method method, DemandOpener demandOpener, ControllerStarter controllerStarter) throws InterruptedException {
        resetDelays();
        List<RequestRecord> requests = Collections.synchronizedList(new ArrayList<>());
        List<OriginSnapshot> lastSnapshots = Collections.synchronizedList(new ArrayList<>());
        List<DeviceRtt> deviceRtts = Collections.synchronizedList(new ArrayList<>());
        String deviceAddress = topology.node("device").address();
        long[] startNanos = {0};
        long[] startEpochMs = {0};
        try (LabRescheduler rescheduler = new LabRescheduler(topology, method, workDir)) {
            progress.accept(String.format(Locale.ROOT, "[%s] starting the service on %s", method.label(), INITIAL_NODE));
            rescheduler.deployInitial(topology.node(INITIAL_NODE));
            try (DemandHandle demand = demandOpener.open(method, topology, workDir)) {
                Supplier<List<OriginSnapshot>> capturing = () -> {
                    List<OriginSnapshot> latest = demand.latest();
                    synchronized (lastSnapshots) {
                        lastSnapshots.clear();
                        lastSnapshots.addAll(latest);
                    }
                    if (startEpochMs[0] != 0) {
                        double t = (System.currentTimeMillis() - startEpochMs[0]) / 1000.0 / scenario.timeScale();
                        for (OriginSnapshot s : latest) {
                            s.records().stream().filter(r -> r.rttSamples() > 0 && r.client().toString().equals(deviceAddress))
                                    .forEach(r -> deviceRtts.add(new DeviceRtt(t, s.node().name(), r.rttMicros(), r.rttSamples())));
                        }
                    }
                    return latest;
                };
                try (AutoCloseable controller = controllerStarter.start(method, capturing, rescheduler, scenario, topology, progress,
                        () -> startEpochMs[0] == 0 ? 0 : (System.currentTimeMillis() - startEpochMs[0]) / 1000.0 / scenario.timeScale());
                     ChildProcess device = startDevice(method, requests, startNanos, startEpochMs)) {
                    startNanos[0] = System.nanoTime() - (System.currentTimeMillis() - startEpochMs[0]) * 1_000_000L;
                    playSchedule(method, startNanos[0], rescheduler);
                    if (!device.waitFor(Duration.ofSeconds(30))) {
                        log.warn("the device did not finish on time; stopping it");
                    }
                } catch (InterruptedException e) {
                    throw e;
                } catch (Exception e) {
                    throw e instanceof RuntimeException r ? r : new LabException("stopping the controller failed: " + e, e);
                }
            }
            List<MoveRecord> moves = rescheduler.moves().stream().map(m -> new MoveRecord(method,
                    m.from() == null ? "-" : m.from().name(), m.to().name(),
                    scenarioSeconds(m.issued(), startEpochMs[0]), scenarioSeconds(m.switched(), startEpochMs[0]),
                    m.reason())).toList();
            return new Result(method, List.copyOf(requests), moves, List.copyOf(lastSnapshots), List.copyOf(deviceRtts));
        }
    }

    private double scenarioSeconds(Instant at, long startEpochMs) {
        return (at.toEpochMilli() - startEpochMs) / 1000.0 / scenario.timeScale();
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

    private ChildProcess startDevice(Method method, List<RequestRecord> requests, long[] startNanos, long[] startEpochMs) {
        LabNode device = topology.nodes().stream().filter(n -> n.role() == LabNode.Role.DEVICE).findFirst().orElseThrow();
        String nodes = topology.clusterNodes().stream().map(n -> n.name() + "=" + n.address()).collect(Collectors.joining(","));
        ChildProcess child = ChildProcess.startInNamespace("device", topology.namespace(device),
                LabFiles.javaCommand(DeviceClient.class, List.of("-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"),
                        List.of(nodes, String.valueOf(NodePortForwarding.NODE_PORT),
                                String.valueOf(scenario.requestInterval().toMillis()),
                                String.valueOf(scenario.length().toMillis()), INITIAL_NODE)),
                line -> {
                    if (line.startsWith("READY ")) {
                        startEpochMs[0] = Long.parseLong(line.substring(6).strip()); // before any REQ line is read
                        return true;
                    }
                    return false;
                },
                line -> onDeviceLine(method, line, requests, startEpochMs), true);
        child.awaitReady(Duration.ofSeconds(30));
        return child;
    }

    private void onDeviceLine(Method method, String line, List<RequestRecord> requests, long[] startEpochMs) {
        String[] f = line.split(" ");
        if (f[0].equals("REQ") && f.length >= 6) {
            double t = startEpochMs[0] == 0 ? 0 : Math.max(0, (Long.parseLong(f[1]) - startEpochMs[0]) / 1000.0 / scenario.timeScale());
            RequestRecord r = new RequestRecord(t, method, f[2], f[3], Long.parseLong(f[4]), f[5]);
            requests.add(r);
            if (requests.size() % 5 == 1 || !r.ok()) {
                progress.accept(String.format(Locale.ROOT, "[%s] t=%5.1f s  request via %-6s served by %-6s %8.2f ms %s",
                        method.label(), t, r.entryNode(), r.servingNode(), r.responseUs() / 1000.0, r.ok() ? "" : r.status()));
            }
        } else if (f[0].equals("ENTRY") && f.length >= 4) {
            double t = startEpochMs[0] == 0 ? 0 : Math.max(0, (Long.parseLong(f[1]) - startEpochMs[0]) / 1000.0 / scenario.timeScale());
            progress.accept(String.format(Locale.ROOT, "[%s] t=%5.1f s  device now sends to %s (probe %.1f ms)",
                    method.label(), t, f[2], Long.parseLong(f[3]) / 1000.0));
        } else {
            log.info("[device] {}", line);
        }
    }

    private void playSchedule(Method method, long startNanos, LabRescheduler rescheduler) throws InterruptedException {
        LabNode device = topology.nodes().stream().filter(n -> n.role() == LabNode.Role.DEVICE).findFirst().orElseThrow();
        for (LabScenario.DelayChange change : scenario.delayChanges()) {
            long due = startNanos + scenario.real(change.atSeconds()).toNanos();
            long wait = due - System.nanoTime();
            if (wait > 0) {
                Thread.sleep(Duration.ofNanos(wait));
            }
            topology.setRtt(device, topology.node(change.node()), change.rtt(), change.jitter());
            progress.accept(String.format(Locale.ROOT, "[%s] t=%5.1f s  device <-> %s round trip now %d ms (service on %s)",
                    method.label(), change.atSeconds(), change.node(), change.rtt().toMillis(), rescheduler.currentNode()));
        }
    }
}
