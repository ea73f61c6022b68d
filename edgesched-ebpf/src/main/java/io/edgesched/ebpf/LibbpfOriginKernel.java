package io.edgesched.ebpf;

import io.edgesched.api.ClientAddress;
import io.edgesched.ebpf.libbpf.BpfMap;
import io.edgesched.ebpf.libbpf.BpfObject;
import io.edgesched.ebpf.libbpf.Bpffs;
import io.edgesched.ebpf.libbpf.NetworkNamespaces;
import io.edgesched.ebpf.libbpf.TcAttachment;
import io.edgesched.ebpf.libbpf.TcDirection;
import io.edgesched.ebpf.libbpf.UpdateFlag;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link OriginKernel} on libbpf: origin.bpf.o loaded from the jar, attached with tc to ingress and egress. */
final class LibbpfOriginKernel implements OriginKernel {
    private static final Logger LOG = LoggerFactory.getLogger(LibbpfOriginKernel.class);
    /** The maps pinned when a pin directory is configured (all of them: bpftool users like to look). */
    static final List<String> PINNED_MAPS = List.of(OriginMapLayouts.CLIENTS_MAP, OriginMapLayouts.STATS_MAP,
            OriginMapLayouts.SERVICES_MAP, OriginMapLayouts.PORTS_MAP, OriginMapLayouts.NODES_MAP,
            OriginMapLayouts.HANDSHAKES_MAP);

    record Config(String interfaceName, Optional<String> networkNamespace, int clientTableSize, int handshakeTableSize,
                  List<ClientAddress> clusterNodes, Optional<Path> pinDirectory, boolean perCpuClientLru) {
        String description() {
            return interfaceName + networkNamespace.map(ns -> " in netns " + ns).orElse("");
        }
    }

    private final Config config;
    private final BpfObject object;
    private final BpfMap services;
    private final BpfMap ports;
    private final BpfMap nodes;
    private final BpfMap nodeFilter;
    private final OriginMapReader reader;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment serviceKey = arena.allocate(OriginMapLayouts.SERVICE_KEY);
    private final MemorySegment serviceValue = arena.allocate(OriginMapLayouts.SERVICE_VALUE);
    private final MemorySegment portKey = arena.allocate(ValueLayout.JAVA_INT);
    private final MemorySegment portValue = arena.allocate(OriginMapLayouts.PORT_VALUE);
    private final List<TcAttachment> attachments = new ArrayList<>();
    private final List<Path> pins = new ArrayList<>();
    private boolean closed;

    private LibbpfOriginKernel(Config config, BpfObject object) {
        this.config = config;
        this.object = object;
        this.services = object.map(OriginMapLayouts.SERVICES_MAP)
                .requireLayouts(OriginMapLayouts.SERVICE_KEY, OriginMapLayouts.SERVICE_VALUE);
        this.ports = object.map(OriginMapLayouts.PORTS_MAP)
                .requireLayouts(OriginMapLayouts.PORT_KEY, OriginMapLayouts.PORT_VALUE);
        this.nodes = object.map(OriginMapLayouts.NODES_MAP)
                .requireLayouts(OriginMapLayouts.NODE_KEY, OriginMapLayouts.NODE_VALUE);
        this.nodeFilter = object.map(OriginMapLayouts.NODE_FILTER_MAP)
                .requireLayouts(ValueLayout.JAVA_INT, OriginMapLayouts.NODE_FILTER_VALUE);
        this.reader = new OriginMapReader(object.map(OriginMapLayouts.CLIENTS_MAP),
                object.map(OriginMapLayouts.STATS_MAP));
    }

    /**
     * Loads, fills the cluster nodes, pins (if asked), attaches ingress then egress. On any failure everything
     * done so far is undone and the binding's typed exception is thrown.
     */
    static OriginKernel open(Config config) {
        if (!Privileges.hasBpfCapabilities()) {
            throw new PermissionDeniedException("cannot load eBPF programs: " + withoutHint(Privileges.describe()),
                    1 /* EPERM */);
        }
        BpfObject object = BpfObject.openResource(LibbpfOriginKernel.class, OriginMapLayouts.OBJECT_RESOURCE);
        LibbpfOriginKernel kernel = null;
        try {
            BpfMap clients = object.map(OriginMapLayouts.CLIENTS_MAP).setMaxEntries(config.clientTableSize());
            if (config.perCpuClientLru()) {
                clients.setMapFlags(clients.mapFlags() | BpfMap.NO_COMMON_LRU);
            }
            configureHandshakes(object, config.handshakeTableSize());
            object.load();
            kernel = new LibbpfOriginKernel(config, object);
            for (ClientAddress node : config.clusterNodes()) {
                kernel.putNode(node.toBytes());
            }
            config.pinDirectory().ifPresent(kernel::pinAll);
            kernel.attach(TcDirection.INGRESS, OriginMapLayouts.INGRESS_PROGRAM);
            kernel.attach(TcDirection.EGRESS, OriginMapLayouts.EGRESS_PROGRAM);
            return kernel;
        } catch (RuntimeException | Error e) {
            if (kernel != null) {
                try {
                    kernel.close();
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
            } else {
                object.close();
            }
            throw e;
        }
    }

    /**
     * Sizes the pending-handshake array to {@code slots} rounded up to a power of two and writes the programs'
     * origin_config (.rodata): the slot mask and a fresh random seed. Before load.
     */
    static void configureHandshakes(BpfObject object, int slots) {
        int entries = handshakeSlots(slots);
        object.map(OriginMapLayouts.HANDSHAKES_MAP).setMaxEntries(entries);
        object.map(OriginMapLayouts.HANDSHAKE_HINTS_MAP).setMaxEntries(Math.max(1, entries / 64));
        BpfMap rodata = object.map(OriginMapLayouts.CONFIG_MAP);
        if (rodata.valueSize() != OriginMapLayouts.CONFIG.byteSize()) {
            throw new BpfException(".rodata of " + OriginMapLayouts.OBJECT_RESOURCE + " is " + rodata.valueSize()
                    + " bytes, origin_config is " + OriginMapLayouts.CONFIG.byteSize() + " (object and loader"
                    + " out of step: rebuild)", 0);
        }
        try (Arena call = Arena.ofConfined()) {
            MemorySegment config = call.allocate(OriginMapLayouts.CONFIG);
            OriginMapLayouts.CONFIG_HANDSHAKE_SLOT_MASK.set(config, 0L, entries - 1);
            OriginMapLayouts.CONFIG_HANDSHAKE_SEED.set(config, 0L, SEEDS.nextInt());
            rodata.setInitialValue(config.toArray(ValueLayout.JAVA_BYTE));
        }
    }

    /** {@code requested} rounded up to a power of two (the array is indexed by a masked hash). */
    static int handshakeSlots(int requested) {
        if (requested < 1 || requested > 1 << 30) {
            throw new IllegalArgumentException("handshake slots must be 1..2^30, got " + requested);
        }
        return requested == 1 ? 1 : Integer.highestOneBit(requested - 1) << 1;
    }

    private static final SecureRandom SEEDS = new SecureRandom();

    private static String withoutHint(String describe) {
        int hint = describe.indexOf("; " + PermissionDeniedException.HINT);
        return hint < 0 ? describe : describe.substring(0, hint);
    }

    private void attach(TcDirection direction, String program) {
        // Kernel-chosen handle and priority: several observers (or other tc users) can share the interface.
        NetworkNamespaces.Action<TcAttachment, RuntimeException> attach =
                () -> TcAttachment.attach(object.program(program), config.interfaceName(), direction, 0, 0);
        TcAttachment attachment = config.networkNamespace().isPresent()
                ? NetworkNamespaces.runIn(config.networkNamespace().get(), attach)
                : attach.run();
        attachments.add(attachment);
    }

    private void pinAll(Path directory) {
        Bpffs.ensureFor(directory);
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new BpfException("create pin directory " + directory + ": " + e.getMessage()
                    + " (check the permissions of its parent directory)", 0, e);
        }
        for (String name : PINNED_MAPS) {
            Path pin = directory.resolve(name);
            try {
                if (Files.deleteIfExists(pin)) {
                    LOG.warn("replaced a stale pin {} (left by an earlier run that did not close)", pin);
                }
            } catch (IOException e) {
                throw new BpfException("remove stale pin " + pin + ": " + e.getMessage(), 0, e);
            }
            object.map(name).pin(pin.toString());
            pins.add(pin);
        }
    }

    @Override
    public void putService(ServiceTable.Key key, int serviceId) {
        writeServiceKey(key);
        serviceValue.fill((byte) 0);
        OriginMapLayouts.SERVICE_VALUE_SERVICE_ID.set(serviceValue, 0L, serviceId);
        services.update(serviceKey, serviceValue, UpdateFlag.ANY);
    }

    @Override
    public void deleteService(ServiceTable.Key key) {
        writeServiceKey(key);
        services.delete(serviceKey);
    }

    private void writeServiceKey(ServiceTable.Key key) {
        serviceKey.fill((byte) 0);
        OriginMapLayouts.SERVICE_KEY_FAMILY.set(serviceKey, 0L, (byte) key.family());
        OriginMapLayouts.SERVICE_KEY_PORT.set(serviceKey, 0L, (short) key.port());
        MemorySegment.copy(MemorySegment.ofArray(key.address()), 0, serviceKey,
                OriginMapLayouts.SERVICE_KEY_ADDR_OFFSET, 16);
    }

    @Override
    public void setPort(int port, ServiceTable.PortEntry entry) {
        portKey.set(ValueLayout.JAVA_INT, 0, port);
        portValue.fill((byte) 0);
        OriginMapLayouts.PORT_FLAGS.set(portValue, 0L, entry.flags());
        OriginMapLayouts.PORT_WILDCARD_SERVICE_ID_IPV4.set(portValue, 0L, entry.ipv4ServiceId());
        OriginMapLayouts.PORT_WILDCARD_SERVICE_ID_IPV6.set(portValue, 0L, entry.ipv6ServiceId());
        ports.update(portKey, portValue, UpdateFlag.ANY);
    }

    @Override
    public void putNode(byte[] address) {
        try (Arena call = Arena.ofConfined()) {
            // The filter bit first: a node whose bit is clear would never be looked up.
            MemorySegment zero = call.allocate(ValueLayout.JAVA_INT);
            MemorySegment filter = call.allocate(OriginMapLayouts.NODE_FILTER_VALUE);
            if (!nodeFilter.lookup(zero, filter)) {
                filter.fill((byte) 0);
            }
            OriginMapLayouts.setNodeFilterBit(filter, address);
            nodeFilter.update(zero, filter, UpdateFlag.ANY);
            MemorySegment key = call.allocate(OriginMapLayouts.NODE_KEY);
            byte family = OriginMapLayouts.writeAddress(key, OriginMapLayouts.NODE_KEY_ADDR_OFFSET, address);
            OriginMapLayouts.NODE_KEY_FAMILY.set(key, 0L, family);
            MemorySegment value = call.allocate(OriginMapLayouts.NODE_VALUE);
            value.set(ValueLayout.JAVA_INT, 0, 1);
            nodes.update(key, value, UpdateFlag.ANY);
        }
    }

    @Override
    public List<RawClient> readClients() {
        return reader.readClients();
    }

    @Override
    public boolean deleteClient(RawClient client) {
        return reader.deleteClient(client);
    }

    @Override
    public long[] readStats() {
        return reader.readStats();
    }

    @Override
    public long generation() {
        return reader.generation();
    }

    @Override
    public String description() {
        return config.description();
    }

    /** Detaches egress and ingress, removes the pins, unloads. Tries every step; throws the first failure. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        RuntimeException failure = null;
        for (TcAttachment attachment : attachments.reversed()) {
            try {
                attachment.close();
            } catch (RuntimeException e) {
                failure = addTo(failure, e);
            }
        }
        for (Path pin : pins) {
            try {
                Files.deleteIfExists(pin);
            } catch (IOException e) {
                failure = addTo(failure, new BpfException("remove pin " + pin + ": " + e.getMessage(), 0, e));
            }
        }
        config.pinDirectory().ifPresent(dir -> {
            try (var left = Files.list(dir)) {
                if (left.findAny().isEmpty()) {
                    Files.delete(dir);
                }
            } catch (IOException e) {
                LOG.debug("pin directory {} not removed: {}", dir, e.toString());
            }
        });
        reader.close();
        object.close();
        arena.close();
        if (failure != null) {
            throw failure;
        }
    }

    private static RuntimeException addTo(RuntimeException first, RuntimeException next) {
        if (first == null) {
            return next;
        }
        first.addSuppressed(next);
        return first;
    }
}
