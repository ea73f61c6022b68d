package com.example.placement;

import io.edgesched.api.NodeId;
import io.edgesched.api.Rescheduler;
import io.edgesched.api.WatchedService;
import io.edgesched.api.control.DemandInput;
import io.edgesched.api.control.PlacementController;
import io.edgesched.api.demand.ServiceCatalog;
import io.edgesched.api.policy.WorkloadSpec;
import io.edgesched.api.topology.Topology;
import io.edgesched.ebpf.EbpfRequestOriginSource;
import java.time.InstantSource;
import java.util.Collection;
import java.util.List;
import java.util.function.Supplier;

/**
 * Our controller fed by this node's kernel: an {@link EbpfRequestOriginSource} on the uplink (in a network
 * namespace when given) watching the services' ports, and {@link CustomController}'s fence and mover on top.
 * Closing it closes the controller, then detaches the eBPF programs.
 */
public final class KernelFedController implements AutoCloseable {
    private final EbpfRequestOriginSource source;
    private final PlacementController controller;

    private KernelFedController(EbpfRequestOriginSource source, PlacementController controller) {
        this.source = source;
        this.controller = controller;
    }

    public static KernelFedController open(NodeId node, String uplink, String networkNamespace,
                                           Collection<WatchedService> services, ServiceCatalog catalog,
                                           Supplier<Topology> topology, Collection<WorkloadSpec> workloads,
                                           String fencedRegion, Rescheduler mover, InstantSource clock) {
        EbpfRequestOriginSource.Builder builder = EbpfRequestOriginSource.builder().node(node).interfaceName(uplink);
        if (networkNamespace != null) {
            builder.networkNamespace(networkNamespace);
        }
        EbpfRequestOriginSource source = builder.open();
        try {
            services.forEach(source::watch);
            return new KernelFedController(source, CustomController.create(DemandInput.fromSources(List.of(source)),
                    catalog, topology, workloads, fencedRegion, mover, clock));
        } catch (RuntimeException e) {
            source.close();
            throw e;
        }
    }

    public EbpfRequestOriginSource source() {
        return source;
    }

    public PlacementController controller() {
        return controller;
    }

    @Override
    public void close() {
        try {
            controller.close();
        } finally {
            source.close();
        }
    }
}
