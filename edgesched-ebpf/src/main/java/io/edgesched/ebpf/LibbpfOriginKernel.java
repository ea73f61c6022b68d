package io.edgesched.ebpf;

import io.edgesched.api.ClientAddress;
import io.edgesched.ebpf.libbpf.BpfMap;
import io.edgesched.ebpf.libbpf.BpfObject;
import io.edgesched.ebpf.libbpf.Bpffs;
import io.edgesched.ebpf.libbpf.NetworkNamespaces;
import io.edgesched.ebpf.libbpf.Attachment;
import io.edgesched.ebpf.libbpf.TcAttachment;
import io.edgesched.ebpf.libbpf.TcDirection;
import io.edgesched.ebpf.libbpf.TcxLink;
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
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link OriginKernel} on libbpf: origin.bpf.o loaded from the jar, attached to ingress and egress through tcx links
 * (kernel 6.6+; they die with the process) or, as the fallback, tc filters at a fixed handle and priority.
 */
final class LibbpfOriginKernel implements OriginKernel {
    private static final Logger LOG = LoggerFactory.getLogger(LibbpfOriginKernel.class);
    /** The maps pinned when a pin directory is configured (all of them: bpftool users like to look). */
    static final List<String> PINNED_MAPS = List.of(OriginMapLayouts.CLIENTS_MAP, OriginMapLayouts.STATS_MAP,
            OriginMapLayouts.SERVICES_MAP, OriginMapLayouts.PORTS_MAP, OriginMapLayouts.NODES_MAP,
            OriginMapLayouts.HANDSHAKES_MAP);

    /** tc fallback filter handle ("ed5c") and priority (1: before filters at higher numbers), fixed so that a
     * restart finds and replaces what a crashed run left. */
    static final int TC_HANDLE = 0xed5c;
    static final int TC_PRIORITY = 1;
    private static final Set<String> OUR_PROGRAMS = Set.of(OriginMapLayouts.INGRESS_PROGRAM,
            OriginMapLayouts.EGRESS_PROGRAM);

    record Config(String interfaceName, Optional<String> networkNamespace, int clientTableSize, int handshakeTableSize,
                  List<ClientAddress> clusterNodes, Optional<Path> pinDirectory, boolean perCpuClientLru,
                  EbpfRequestOriginSource.AttachMode attachMode, TcxLink.Position position, boolean handOver) {
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
    /** One per direction; an entry's attachment is null while re-attaching failed (interface missing). */
    private final List<Hook> hooks = new ArrayList<>();
    private final Thread shutdownHook = new Thread(this::closeOnShutdown, "edgesched-origin-detach");
    private boolean tcxMissingLogged;
    private boolean shuttingDown;
    private boolean reattachLogged;
    private long reattachments;
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
            if (config.handOver()) {
                reusePinnedMaps(object, config.pinDirectory().orElseThrow());
            }
            object.load();
            kernel = new LibbpfOriginKernel(config, object);
            for (ClientAddress node : config.clusterNodes()) {
                kernel.putNode(node.toBytes());
            }
            if (!config.handOver()) {
                config.pinDirectory().ifPresent(kernel::pinAll);
            }
            // SIGTERM while (or after) attaching: detach in the shutdown hook; tc filters would outlive the JVM.
            Runtime.getRuntime().addShutdownHook(kernel.shutdownHook);
            kernel.attachNew(TcDirection.INGRESS, OriginMapLayouts.INGRESS_PROGRAM);
            kernel.attachNew(TcDirection.EGRESS, OriginMapLayouts.EGRESS_PROGRAM);
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

    /** What one direction needs: the program, and the attachment currently holding it (null if none). */
    private static final class Hook {
        final TcDirection direction;
        final String program;
        Attachment attachment;

        Hook(TcDirection direction, String program) {
            this.direction = direction;
            this.program = program;
        }
    }

    private synchronized void attachNew(TcDirection direction, String program) {
        if (closed || shuttingDown) {
            throw new BpfException("attach " + program + " to " + config.description()
                    + ": the source is closing (shutdown)", 0);
        }
        Hook hook = new Hook(direction, program);
        hook.attachment = config.handOver() ? takeOverOrAttachPinned(direction, program) : attach(direction, program);
        hooks.add(hook);
    }

    /** Hand-over: update the pinned link a previous agent left (no gap), or attach and pin a new one. */
    private Attachment takeOverOrAttachPinned(TcDirection direction, String program) {
        Path pin = config.pinDirectory().orElseThrow().resolve(linkPin(direction));
        NetworkNamespaces.Action<Attachment, RuntimeException> action = () -> {
            if (Files.exists(pin)) {
                TcxLink link = TcxLink.openPinned(pin.toString(), config.interfaceName());
                try {
                    if (link.isAttached()) {
                        link.update(object.program(program));
                        LOG.info("took over the pinned {} link {} and updated its program", direction, pin);
                        return link;
                    }
                    link.close();
                    Files.delete(pin); // its interface is gone: start anew
                } catch (IOException e) {
                    link.close();
                    throw new BpfException("remove stale pin " + pin + ": " + e.getMessage(), 0, e);
                } catch (RuntimeException e) {
                    link.close();
                    throw e;
                }
            }
            TcxLink link = TcxLink.attach(object.program(program), config.interfaceName(), direction,
                    config.position());
            try {
                link.pin(pin.toString());
            } catch (RuntimeException e) {
                link.close();
                throw e;
            }
            return link;
        };
        return config.networkNamespace().isPresent()
                ? NetworkNamespaces.runIn(config.networkNamespace().get(), action)
                : action.run();
    }

    /** tcx unless forced to tc; AUTO falls back to tc on kernels without tcx (logged once). */
    private Attachment attach(TcDirection direction, String program) {
        NetworkNamespaces.Action<Attachment, RuntimeException> attach = () -> {
            if (config.attachMode() != EbpfRequestOriginSource.AttachMode.TC) {
                try {
                    return TcxLink.attach(object.program(program), config.interfaceName(), direction,
                            config.position());
                } catch (KernelFeatureMissingException e) {
                    if (config.attachMode() == EbpfRequestOriginSource.AttachMode.TCX) {
                        throw e;
                    }
                    if (!tcxMissingLogged) {
                        tcxMissingLogged = true;
                        LOG.info("no tcx links on this kernel ({}); attaching tc filters (handle 0x{}, priority {})",
                                e.getMessage(), Integer.toHexString(TC_HANDLE), TC_PRIORITY);
                    }
                }
            }
            return TcAttachment.attachReplacing(object.program(program), config.interfaceName(), direction,
                    TC_HANDLE, TC_PRIORITY, OUR_PROGRAMS);
        };
        return config.networkNamespace().isPresent()
                ? NetworkNamespaces.runIn(config.networkNamespace().get(), attach)
                : attach.run();
    }

    @Override
    public synchronized int ensureAttached() {
        if (closed || shuttingDown) {
            return 0;
        }
        int made = 0;
        for (Hook hook : hooks) {
            Attachment current = hook.attachment;
            if (current != null && current.isAttached()) {
                continue;
            }
            if (current != null) {
                try {
                    current.close();
                } catch (RuntimeException e) {
                    LOG.debug("closing the vanished {} attachment: {}", hook.direction, e.toString());
                }
                hook.attachment = null;
            }
            try {
                hook.attachment = attach(hook.direction, hook.program);
                made++;
                reattachments++;
                if (!reattachLogged) {
                    reattachLogged = true;
                    LOG.warn("the {} program on {} was no longer attached (interface re-created, or detached by"
                            + " someone): attached it again (counted; logged once)", hook.direction,
                            config.description());
                }
            } catch (BpfException e) {
                if (!reattachLogged) {
                    reattachLogged = true;
                    LOG.warn("the {} program on {} is no longer attached and cannot be attached again yet: {}"
                            + " (retrying at every snapshot; logged once)", hook.direction, config.description(),
                            e.getMessage());
                }
            }
        }
        return made;
    }

    /** Attachments made anew since open because the previous one had vanished. */
    synchronized long reattachments() {
        return reattachments;
    }

    /** The kinds of the current attachments, for tests and messages ("TcxLink", "TcAttachment"). */
    synchronized List<Attachment> attachments() {
        List<Attachment> current = new ArrayList<>();
        for (Hook hook : hooks) {
            if (hook.attachment != null) {
                current.add(hook.attachment);
            }
        }
        return current;
    }

    /** JVM shutdown (SIGTERM, System.exit): detach only; unloading is left to close() and process exit. */
    private synchronized void closeOnShutdown() {
        shuttingDown = true;
        for (Hook hook : hooks.reversed()) {
            try {
                if (hook.attachment != null) {
                    hook.attachment.close();
                }
            } catch (RuntimeException e) {
                System.err.println("edgesched: detaching " + hook.program + " on shutdown failed: " + e.getMessage());
            }
        }
    }

    /** Link pins of the hand-over, per direction. */
    static String linkPin(TcDirection direction) {
        return "link_" + direction.name().toLowerCase(java.util.Locale.ROOT);
    }

    private static void createPinDirectory(Path directory) {
        Bpffs.ensureFor(directory);
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new BpfException("create pin directory " + directory + ": " + e.getMessage()
                    + " (check the permissions of its parent directory)", 0, e);
        }
    }

    /**
     * Hand-over: the maps a previous agent pinned there are reused (counters continue, same generation), the
     * missing ones pinned on load. The handshake slots start afresh: their index depends on this load's seed.
     */
    private static void reusePinnedMaps(BpfObject object, Path directory) {
        createPinDirectory(directory);
        for (String name : PINNED_MAPS) {
            Path pin = directory.resolve(name);
            if (name.equals(OriginMapLayouts.HANDSHAKES_MAP)) {
                try {
                    Files.deleteIfExists(pin);
                } catch (IOException e) {
                    throw new BpfException("remove pin " + pin + ": " + e.getMessage(), 0, e);
                }
            }
            if (Files.exists(pin)) {
                LOG.info("taking over pinned map {}", pin);
            }
            object.map(name).setPinPath(pin.toString());
        }
    }

    private void pinAll(Path directory) {
        createPinDirectory(directory);
        for (TcDirection direction : TcDirection.values()) {
            Path link = directory.resolve(linkPin(direction));
            try {
                if (Files.deleteIfExists(link)) {
                    // without a pin and an fd the kernel detaches it: no second copy of our program stays
                    LOG.warn("removed the pinned {} link of an earlier hand-over run ({})", direction, link);
                }
            } catch (IOException e) {
                throw new BpfException("remove stale pin " + link + ": " + e.getMessage(), 0, e);
            }
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

    /**
     * Detaches egress and ingress, removes the pins, unloads. Tries every step; throws the first failure. With
     * hand-over the pinned links and maps stay: the programs keep counting until the next agent takes over.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (Thread.currentThread() != shutdownHook) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException | IllegalArgumentException e) {
                // shutting down already, or never registered (failed before attaching)
            }
        }
        RuntimeException failure = null;
        for (Hook hook : hooks.reversed()) {
            try {
                if (hook.attachment != null) {
                    hook.attachment.close();
                }
            } catch (RuntimeException e) {
                failure = addTo(failure, e);
            }
        }
        for (Path pin : config.handOver() ? List.<Path>of() : pins) {
            try {
                Files.deleteIfExists(pin);
            } catch (IOException e) {
                failure = addTo(failure, new BpfException("remove pin " + pin + ": " + e.getMessage(), 0, e));
            }
        }
        config.pinDirectory().filter(dir -> !config.handOver()).ifPresent(dir -> {
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
