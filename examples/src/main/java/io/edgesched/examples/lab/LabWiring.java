package io.edgesched.examples.lab;

import io.edgesched.api.OriginSnapshot;
import java.nio.file.Path;
import java.util.List;
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
                                         LabScenario scenario, LabTopology topology, java.util.function.Consumer<String> progress,
                                         java.util.function.DoubleSupplier scenarioClock) {
        return LabController.start(method, demand, rescheduler, scenario, topology, progress, scenarioClock);
    }

    /** Attaches the eBPF observer to a namespace's eth0 watching {@code port}; closing detaches it. */
    static AutoCloseable attachObserver(String namespace, String nodeName, int port) {
        throw new LabException("the eBPF observer is not wired yet");
    }
}
