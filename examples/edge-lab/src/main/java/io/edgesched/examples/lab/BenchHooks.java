package io.edgesched.examples.lab;

import io.edgesched.ebpf.OriginMapLayouts;
import io.edgesched.ebpf.libbpf.BpfObject;
import io.edgesched.ebpf.libbpf.NetworkNamespaces;
import io.edgesched.ebpf.libbpf.TcAttachment;
import io.edgesched.ebpf.libbpf.TcDirection;
import io.edgesched.ebpf.libbpf.UpdateFlag;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The latency bench's control cases, attached to an edge's uplink the way {@link LabWiring#attachObserver}
 * attaches the observer (kernel-chosen handle and priority, in the edge's namespace): a tc program that does
 * nothing (ingress + egress), and the origin ingress program alone (no egress program, so no SYN-ACK
 * handshake tracking). Together with the full observer they split its cost into "any tc hook", "our
 * ingress" and "our egress".
 */
final class BenchHooks {
    static final String NOOP_RESOURCE = "/io/edgesched/ebpf/bpf/noop_bench.bpf.o";
    static final String NOOP_PROGRAM = "noop_tc";

    private BenchHooks() {
    }

    /** The do-nothing tc program on ingress and egress of {@code eth0} in {@code namespace}. */
    static AutoCloseable attachNoop(String namespace) {
        BpfObject object = BpfObject.openResource(BenchHooks.class, NOOP_RESOURCE);
        try {
            object.load();
            return attach(namespace, object, List.of(TcDirection.INGRESS, TcDirection.EGRESS), NOOP_PROGRAM, NOOP_PROGRAM);
        } catch (RuntimeException e) {
            object.close();
            throw e;
        }
    }

    /** edgesched's ingress program alone, watching {@code port} on any address as {@code watch(port)} would. */
    static AutoCloseable attachIngressOnly(String namespace, int port, int serviceId) {
        BpfObject object = BpfObject.openResource(BenchHooks.class, OriginMapLayouts.OBJECT_RESOURCE);
        try {
            object.load();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment key = arena.allocate(OriginMapLayouts.PORT_KEY);
                key.set(OriginMapLayouts.PORT_KEY, 0, port);
                MemorySegment value = arena.allocate(OriginMapLayouts.PORT_VALUE);
                OriginMapLayouts.PORT_FLAGS.set(value, 0L, OriginMapLayouts.PORT_ANY_IPV4 | OriginMapLayouts.PORT_ANY_IPV6);
                OriginMapLayouts.PORT_WILDCARD_SERVICE_ID_IPV4.set(value, 0L, serviceId);
                OriginMapLayouts.PORT_WILDCARD_SERVICE_ID_IPV6.set(value, 0L, serviceId);
                object.map(OriginMapLayouts.PORTS_MAP).update(key, value, UpdateFlag.ANY);
            }
            return attach(namespace, object, List.of(TcDirection.INGRESS), OriginMapLayouts.INGRESS_PROGRAM, null);
        } catch (RuntimeException e) {
            object.close();
            throw e;
        }
    }

    /** Attaches and returns a handle that detaches, then closes the object; on failure undoes what it did. */
    private static AutoCloseable attach(String namespace, BpfObject object, List<TcDirection> directions,
                                        String ingressProgram, String egressProgram) {
        List<TcAttachment> attachments = new ArrayList<>();
        AutoCloseable detach = () -> {
            RuntimeException failure = null;
            for (TcAttachment attachment : attachments.reversed()) {
                try {
                    attachment.close();
                } catch (RuntimeException e) {
                    failure = failure == null ? e : failure;
                }
            }
            object.close();
            if (failure != null) {
                throw failure;
            }
        };
        try {
            for (TcDirection direction : directions) {
                String program = direction == TcDirection.INGRESS ? ingressProgram : egressProgram;
                attachments.add(NetworkNamespaces.runIn(namespace,
                        () -> TcAttachment.attach(object.program(program), LabTopology.UPLINK, direction, 0, 0)));
            }
            return detach;
        } catch (RuntimeException e) {
            for (TcAttachment attachment : attachments.reversed()) {
                try {
                    attachment.close();
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }
}
