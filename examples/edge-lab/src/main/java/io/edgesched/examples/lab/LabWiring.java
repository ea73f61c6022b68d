package io.edgesched.examples.lab;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.WatchedService;
import io.edgesched.api.control.DemandInput;
import io.edgesched.ebpf.EbpfRequestOriginSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Connects the lab to the library: the demand input of each method and the placement controller. */
final class LabWiring {
    private static final Logger log = LoggerFactory.getLogger(LabWiring.class);
    static final int SERVICE_ID = 1;

    private LabWiring() {
    }

    static LabRun.DemandHandle openDemand(Method method, LabTopology topology, Path workDir) {
        return switch (method) {
            case SIDECAR -> {
                SidecarDemand sidecar = new SidecarDemand(workDir, topology.clusterNodes(), SERVICE_ID, Method.SIDECAR.nodePort());
                yield handle(sidecar::latest, () -> { });
            }
            case EBPF -> {
                // One kernel observer per node uplink, watching the NodePort: it sees where each request enters,
                // from which client, and the handshake RTT to that client. Traffic relayed between nodes is
                // marked forwarded because every node address is known.
                List<ClientAddress> nodeAddresses = topology.clusterNodes().stream()
                        .map(n -> ClientAddress.parse(n.address())).toList();
                List<EbpfRequestOriginSource> sources = new ArrayList<>();
                try {
                    for (LabNode node : topology.clusterNodes()) {
                        EbpfRequestOriginSource source = EbpfRequestOriginSource.builder()
                                .node(node.id())
                                .interfaceName(LabTopology.UPLINK)
                                .networkNamespace(topology.namespace(node))
                                .clusterNodes(nodeAddresses)
                                .open();
                        sources.add(source);
                        source.watch(new WatchedService(SERVICE_ID, "lab-service", Optional.empty(), Method.EBPF.nodePort()));
                    }
                } catch (RuntimeException e) {
                    sources.forEach(EbpfRequestOriginSource::close);
                    throw e;
                }
                DemandInput input = DemandInput.fromSources(sources);
                yield handle(input::latest, () -> sources.forEach(EbpfRequestOriginSource::close));
            }
            case DIRECT -> throw new IllegalArgumentException("the direct baseline has no demand input: it follows the"
                    + " eBPF method's service");
        };
    }

    private static LabRun.DemandHandle handle(Supplier<List<OriginSnapshot>> latest, Runnable close) {
        return new LabRun.DemandHandle() {
            @Override
            public List<OriginSnapshot> latest() {
                return latest.get();
            }

            @Override
            public void close() {
                close.run();
            }
        };
    }

    static AutoCloseable startController(Method method, Supplier<List<OriginSnapshot>> demand, LabRescheduler rescheduler,
                                         LabScenario scenario, LabTopology topology, Consumer<String> progress,
                                         DoubleSupplier scenarioClock) {
        return LabController.start(method, demand, rescheduler, scenario, topology, progress, scenarioClock);
    }

    /** Attaches the eBPF observer to {@code eth0} in a namespace, watching {@code port}; closing detaches it. */
    static AutoCloseable attachObserver(String namespace, String nodeName, int port) {
        EbpfRequestOriginSource source = EbpfRequestOriginSource.builder()
                .node(io.edgesched.api.NodeId.of(nodeName))
                .interfaceName(LabTopology.UPLINK)
                .networkNamespace(namespace)
                .open();
        try {
            source.watch(new WatchedService(SERVICE_ID, "bench-service", Optional.empty(), port));
        } catch (RuntimeException e) {
            source.close();
            throw e;
        }
        log.debug("observer attached: {}", source.attachedTo());
        return source::close;
    }
}
