package io.edgesched.examples.lab;

import io.edgesched.api.OriginRecord;
import io.edgesched.api.OriginSnapshot;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/** Connects the lab to the library: demand inputs per method and the placement controller. */
final class LabWiring {
    static final int SERVICE_ID = 1;

    private LabWiring() {
    }

    static LabRun.DemandHandle openDemand(Method method, LabTopology topology, Path workDir) {
        return switch (method) {
            case SIDECAR -> {
                SidecarDemand sidecar = new SidecarDemand(workDir, topology.clusterNodes(), SERVICE_ID, NodePortForwarding.NODE_PORT);
                yield new LabRun.DemandHandle() {
                    @Override
                    public List<OriginSnapshot> latest() {
                        return sidecar.latest();
                    }

                    @Override
                    public void close() {
                    }
                };
            }
            case EBPF -> throw new LabException("the eBPF demand input is not wired yet");
        };
    }

    static AutoCloseable startController(Method method, Supplier<List<OriginSnapshot>> demand, LabRescheduler rescheduler,
                                         LabScenario scenario) {
        return InterimEntryFollower.start(demand, rescheduler, scenario);
    }

    /** Lines for the summary: what each node's kernel measured as the round trip to the device. */
    static List<String> describeKernelRtt(LabRun.Result result, LabTopology topology) {
        List<String> lines = new ArrayList<>();
        if (result.method() != Method.EBPF) {
            return lines;
        }
        String device = topology.node("device").address();
        for (OriginSnapshot s : result.lastSnapshots()) {
            for (OriginRecord r : s.records()) {
                if (r.client().toString().equals(device) && r.rttSamples() > 0) {
                    lines.add(String.format(Locale.ROOT, "  kernel RTT %s <-> device: %.1f ms (smoothed over %d handshakes)",
                            s.node().name(), r.rttMicros() / 1000.0, r.rttSamples()));
                }
            }
        }
        return lines;
    }
}
