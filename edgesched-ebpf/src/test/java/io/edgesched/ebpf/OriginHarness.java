package io.edgesched.ebpf;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgesched.api.ClientAddress;
import io.edgesched.ebpf.OriginMapLayouts.Stat;
import io.edgesched.ebpf.libbpf.BpfMap;
import io.edgesched.ebpf.libbpf.BpfObject;
import io.edgesched.ebpf.libbpf.BpfProgram;
import io.edgesched.ebpf.libbpf.TestRunResult;
import io.edgesched.ebpf.libbpf.UpdateFlag;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The origin programs loaded for BPF_PROG_TEST_RUN: configures watched services and nodes, runs frames
 * (asserting the pass-through verdict and an unchanged frame every time) and reads the maps back through the layouts of
 * {@link OriginMapLayouts}.
 */
final class OriginHarness implements AutoCloseable {

    final BpfObject object;
    final BpfProgram ingress;
    final BpfProgram egress;
    final BpfMap ports;
    final BpfMap services;
    final BpfMap nodes;
    final BpfMap clients;
    final BpfMap handshakes;
    final BpfMap stats;

    /** A client entry read back from origin_clients. */
    record Client(int serviceId, int port, ClientAddress address, long connections, long packets, long bytes,
            long firstSeenNs, long lastSeenNs, long lastSynNs, long srttNs, long rttMinNs, long rttSamples,
            int flags) {
        boolean forwarded() {
            return (flags & OriginMapLayouts.CLIENT_FORWARDED) != 0;
        }
    }

    private OriginHarness(BpfObject object) {
        this.object = object;
        this.ingress = object.program(OriginMapLayouts.INGRESS_PROGRAM);
        this.egress = object.program(OriginMapLayouts.EGRESS_PROGRAM);
        this.ports = object.map(OriginMapLayouts.PORTS_MAP)
                .requireLayouts(OriginMapLayouts.PORT_KEY, OriginMapLayouts.PORT_VALUE);
        this.services = object.map(OriginMapLayouts.SERVICES_MAP)
                .requireLayouts(OriginMapLayouts.SERVICE_KEY, OriginMapLayouts.SERVICE_VALUE);
        this.nodes = object.map(OriginMapLayouts.NODES_MAP)
                .requireLayouts(OriginMapLayouts.NODE_KEY, OriginMapLayouts.NODE_VALUE);
        this.clients = object.map(OriginMapLayouts.CLIENTS_MAP)
                .requireLayouts(OriginMapLayouts.CLIENT_KEY, OriginMapLayouts.CLIENT_VALUE);
        this.handshakes = object.map(OriginMapLayouts.HANDSHAKES_MAP)
                .requireLayouts(OriginMapLayouts.HANDSHAKE_KEY, OriginMapLayouts.HANDSHAKE_VALUE);
        this.stats = object.map(OriginMapLayouts.STATS_MAP);
    }

    static OriginHarness load() {
        return load(0, 0);
    }

    /** Loads the shipped object; a positive entry count resizes that table before load. */
    static OriginHarness load(int clientEntries, int handshakeEntries) {
        BpfObject object = BpfObject.openResource(OriginMapLayouts.class, OriginMapLayouts.OBJECT_RESOURCE);
        try {
            if (clientEntries > 0) {
                object.map(OriginMapLayouts.CLIENTS_MAP).setMaxEntries(clientEntries);
            }
            LibbpfOriginKernel.configureHandshakes(object,
                    handshakeEntries > 0 ? handshakeEntries : OriginMapLayouts.HANDSHAKES_MAX_ENTRIES);
            object.load();
            return new OriginHarness(object);
        } catch (RuntimeException | Error e) {
            object.close();
            throw e;
        }
    }

    // ---- configuration ----

    /** Watches {@code port} on every local address of both families as {@code serviceId}. */
    void watchPort(int port, int serviceId) {
        int flags = portFlags(port) | OriginMapLayouts.PORT_ANY_IPV4 | OriginMapLayouts.PORT_ANY_IPV6;
        writePort(port, flags, serviceId, serviceId);
    }

    /** Watches {@code port} on every local address of one family only. */
    void watchPort(int port, int serviceId, boolean ipv4) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = readPort(arena, port);
            int flags = (int) OriginMapLayouts.PORT_FLAGS.get(value, 0L)
                    | (ipv4 ? OriginMapLayouts.PORT_ANY_IPV4 : OriginMapLayouts.PORT_ANY_IPV6);
            OriginMapLayouts.PORT_FLAGS.set(value, 0L, flags);
            (ipv4 ? OriginMapLayouts.PORT_WILDCARD_SERVICE_ID_IPV4 : OriginMapLayouts.PORT_WILDCARD_SERVICE_ID_IPV6)
                    .set(value, 0L, serviceId);
            ports.update(portKey(arena, port), value, UpdateFlag.ANY);
        }
    }

    /** Watches {@code localAddress:port} only. */
    void watchExact(String localAddress, int port, int serviceId) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(OriginMapLayouts.SERVICE_KEY);
            byte family = OriginMapLayouts.writeAddress(key, OriginMapLayouts.SERVICE_KEY_ADDR_OFFSET,
                    ClientAddress.parse(localAddress).toBytes());
            OriginMapLayouts.SERVICE_KEY_FAMILY.set(key, 0L, family);
            OriginMapLayouts.SERVICE_KEY_PORT.set(key, 0L, (short) port);
            MemorySegment value = arena.allocate(OriginMapLayouts.SERVICE_VALUE);
            OriginMapLayouts.SERVICE_VALUE_SERVICE_ID.set(value, 0L, serviceId);
            services.update(key, value, UpdateFlag.ANY);
            MemorySegment portValue = readPort(arena, port);
            OriginMapLayouts.PORT_FLAGS.set(portValue, 0L,
                    (int) OriginMapLayouts.PORT_FLAGS.get(portValue, 0L) | OriginMapLayouts.PORT_EXACT);
            ports.update(portKey(arena, port), portValue, UpdateFlag.ANY);
        }
    }

    /** Registers a cluster node and turns on the node check for {@code port}. */
    void addNode(String address, int port) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment portValue = readPort(arena, port);
            OriginMapLayouts.PORT_FLAGS.set(portValue, 0L,
                    (int) OriginMapLayouts.PORT_FLAGS.get(portValue, 0L) | OriginMapLayouts.PORT_CHECK_NODES);
            ports.update(portKey(arena, port), portValue, UpdateFlag.ANY);
        }
        addNode(address);
    }

    void addNode(String address) {
        setNodeFilterBit(address);
        addNodeWithoutFilterBit(address);
    }

    /** Sets the pre-filter bit of {@code address} (as the agent does before adding a node). */
    void setNodeFilterBit(String address) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment zero = arena.allocate(ValueLayout.JAVA_INT);
            MemorySegment filter = arena.allocate(OriginMapLayouts.NODE_FILTER_VALUE);
            BpfMap nodeFilter = object.map(OriginMapLayouts.NODE_FILTER_MAP);
            if (!nodeFilter.lookup(zero, filter)) {
                filter.fill((byte) 0);
            }
            OriginMapLayouts.setNodeFilterBit(filter, ClientAddress.parse(address).toBytes());
            nodeFilter.update(zero, filter, UpdateFlag.ANY);
        }
    }

    /** Only the origin_nodes entry: the programs must not find the node (its filter bit is clear). */
    void addNodeWithoutFilterBit(String address) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(OriginMapLayouts.NODE_KEY);
            byte family = OriginMapLayouts.writeAddress(key, OriginMapLayouts.NODE_KEY_ADDR_OFFSET,
                    ClientAddress.parse(address).toBytes());
            OriginMapLayouts.NODE_KEY_FAMILY.set(key, 0L, family);
            MemorySegment value = arena.allocate(OriginMapLayouts.NODE_VALUE);
            value.set(OriginMapLayouts.NODE_VALUE, 0, 1);
            nodes.update(key, value, UpdateFlag.ANY);
        }
    }

    /** Writes a client entry from user space (to give a test a known starting point). */
    void putClient(int serviceId, int port, String address, long srttNs, long rttMinNs, long rttSamples,
            long lastSynNs) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = clientKey(arena, serviceId, port, address);
            MemorySegment value = arena.allocate(OriginMapLayouts.CLIENT_VALUE);
            OriginMapLayouts.CLIENT_SRTT_NS.set(value, 0L, srttNs);
            OriginMapLayouts.CLIENT_RTT_MIN_NS.set(value, 0L, rttMinNs);
            OriginMapLayouts.CLIENT_RTT_SAMPLES.set(value, 0L, rttSamples);
            OriginMapLayouts.CLIENT_LAST_SYN_NS.set(value, 0L, lastSynNs);
            OriginMapLayouts.CLIENT_FIRST_SEEN_NS.set(value, 0L, lastSynNs);
            OriginMapLayouts.CLIENT_LAST_SEEN_NS.set(value, 0L, lastSynNs);
            clients.update(key, value, UpdateFlag.ANY);
        }
    }

    /**
     * Moves the SYN-ACK time of the pending handshake of this 4-tuple (found by scanning the slots: their index
     * depends on the load's random seed) to {@code synAckNs}, as if the SYN-ACK had left then.
     */
    void backdateSynAck(String local, int localPort, String remote, int remotePort, long synAckNs) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment flow = arena.allocate(OriginMapLayouts.FLOW_KEY);
            byte family = OriginMapLayouts.writeAddress(flow, OriginMapLayouts.FLOW_KEY_LOCAL_ADDR_OFFSET,
                    ClientAddress.parse(local).toBytes());
            OriginMapLayouts.writeAddress(flow, OriginMapLayouts.FLOW_KEY_REMOTE_ADDR_OFFSET,
                    ClientAddress.parse(remote).toBytes());
            OriginMapLayouts.FLOW_KEY_FAMILY.set(flow, 0L, family);
            OriginMapLayouts.FLOW_KEY_LOCAL_PORT.set(flow, 0L, (short) localPort);
            OriginMapLayouts.FLOW_KEY_REMOTE_PORT.set(flow, 0L, (short) remotePort);
            int[] found = {0};
            handshakes.forEach((key, value) -> {
                MemorySegment slotFlow = value.asSlice(OriginMapLayouts.HANDSHAKE_FLOW_OFFSET,
                        OriginMapLayouts.FLOW_KEY.byteSize());
                if ((int) OriginMapLayouts.HANDSHAKE_STATE.get(value, 0L) == OriginMapLayouts.HANDSHAKE_PENDING
                        && slotFlow.mismatch(flow) < 0) {
                    OriginMapLayouts.HANDSHAKE_SYNACK_NS.set(value, 0L, synAckNs);
                    handshakes.update(key, value, UpdateFlag.ANY);
                    found[0]++;
                }
            });
            assertThat(found[0]).as("pending handshake %s:%d <- %s:%d", local, localPort, remote, remotePort)
                    .isEqualTo(1);
        }
    }

    private static MemorySegment clientKey(Arena arena, int serviceId, int port, String address) {
        MemorySegment key = arena.allocate(OriginMapLayouts.CLIENT_KEY);
        byte family = OriginMapLayouts.writeAddress(key, OriginMapLayouts.CLIENT_KEY_ADDR_OFFSET,
                ClientAddress.parse(address).toBytes());
        OriginMapLayouts.CLIENT_KEY_SERVICE_ID.set(key, 0L, serviceId);
        OriginMapLayouts.CLIENT_KEY_PORT.set(key, 0L, (short) port);
        OriginMapLayouts.CLIENT_KEY_FAMILY.set(key, 0L, family);
        return key;
    }

    private int portFlags(int port) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) OriginMapLayouts.PORT_FLAGS.get(readPort(arena, port), 0L);
        }
    }

    private void writePort(int port, int flags, int serviceIdV4, int serviceIdV6) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(OriginMapLayouts.PORT_VALUE);
            OriginMapLayouts.PORT_FLAGS.set(value, 0L, flags);
            OriginMapLayouts.PORT_WILDCARD_SERVICE_ID_IPV4.set(value, 0L, serviceIdV4);
            OriginMapLayouts.PORT_WILDCARD_SERVICE_ID_IPV6.set(value, 0L, serviceIdV6);
            ports.update(portKey(arena, port), value, UpdateFlag.ANY);
        }
    }

    private MemorySegment readPort(Arena arena, int port) {
        MemorySegment value = arena.allocate(OriginMapLayouts.PORT_VALUE);
        assertThat(ports.lookup(portKey(arena, port), value)).as("array slot of port %d", port).isTrue();
        return value;
    }

    private static MemorySegment portKey(Arena arena, int port) {
        MemorySegment key = arena.allocate(OriginMapLayouts.PORT_KEY);
        key.set(OriginMapLayouts.PORT_KEY, 0, port);
        return key;
    }

    // ---- running ----

    TestRunResult ingress(byte[] frame) {
        return run(ingress, frame, 1);
    }

    TestRunResult egress(byte[] frame) {
        return run(egress, frame, 1);
    }

    /**
     * BPF_PROG_TEST_RUN refuses (EINVAL) a frame whose outer ethertype is IPv4/IPv6 but that is too short for
     * the fixed IP header; a real interface would still show it to tc. Tests reach those cases behind a VLAN tag.
     */
    static boolean testRunAccepts(byte[] frame) {
        if (frame.length < TcpFrames.ETHERNET_HEADER) {
            return false;
        }
        int ethertype = (frame[12] & 0xff) << 8 | frame[13] & 0xff;
        return switch (ethertype) {
            case TcpFrames.ETHERTYPE_IPV4 -> frame.length >= TcpFrames.ETHERNET_HEADER + 20;
            case TcpFrames.ETHERTYPE_IPV6 -> frame.length >= TcpFrames.ETHERNET_HEADER + 40;
            default -> true;
        };
    }

    /** Runs a program and checks the contract: TC_ACT_UNSPEC (OriginMapLayouts.VERDICT), frame unchanged. */
    static TestRunResult run(BpfProgram program, byte[] frame, int repeat) {
        TestRunResult result = program.testRun(frame, repeat);
        assertThat(result.retval()).as("%s return code", program.name()).isEqualTo(OriginMapLayouts.VERDICT);
        assertThat(result.dataOut()).as("%s must not change the frame", program.name()).isEqualTo(frame);
        return result;
    }

    // ---- reading ----

    long stat(Stat stat) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(ValueLayout.JAVA_INT);
            key.set(ValueLayout.JAVA_INT, 0, stat.index());
            MemorySegment value = arena.allocate(stats.valueStride(), 8);
            assertThat(stats.lookup(key, value)).isTrue();
            long sum = 0;
            for (long offset = 0; offset < value.byteSize(); offset += 8) {
                sum += value.get(ValueLayout.JAVA_LONG, offset);
            }
            return sum;
        }
    }

    Map<Stat, Long> stats() {
        Map<Stat, Long> all = new EnumMap<>(Stat.class);
        for (Stat stat : Stat.values()) {
            all.put(stat, stat(stat));
        }
        return all;
    }

    Optional<Client> client(int serviceId, int port, String address) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = clientKey(arena, serviceId, port, address);
            MemorySegment value = arena.allocate(OriginMapLayouts.CLIENT_VALUE);
            return clients.lookup(key, value) ? Optional.of(decode(key, value)) : Optional.empty();
        }
    }

    List<Client> clients() {
        List<Client> all = new ArrayList<>();
        clients.forEach((key, value) -> all.add(decode(key, value)));
        return all;
    }

    /** Handshakes pending in their slots (SYN or SYN-ACK seen, not completed). */
    int handshakeCount() {
        int[] pending = {0};
        handshakes.forEach((key, value) -> {
            if ((int) OriginMapLayouts.HANDSHAKE_STATE.get(value, 0L) == OriginMapLayouts.HANDSHAKE_PENDING) {
                pending[0]++;
            }
        });
        return pending[0];
    }

    /** A complete handshake (SYN, our SYN-ACK, the client's ACK): one connection, two packets. */
    void connect(byte[] client, int clientPort, byte[] local, int port) {
        ingress(TcpFrames.tcp(client, clientPort, local, port).flags(TcpFrames.SYN).seq(1000).build());
        egress(TcpFrames.tcp(local, port, client, clientPort).flags(TcpFrames.SYN | TcpFrames.ACK).seq(5000).ack(1001)
                .build());
        ingress(TcpFrames.tcp(client, clientPort, local, port).flags(TcpFrames.ACK).seq(1001).ack(5001).build());
    }

    void connect(String client, int clientPort, String local, int port) {
        connect(ClientAddress.parse(client).toBytes(), clientPort, ClientAddress.parse(local).toBytes(), port);
    }

    /**
     * Makes {@code client} a known client of {@code local:port} the way a connection older than the programs
     * does: the node's own ACK to it leaves on egress (entry with zero counters).
     */
    void establish(String local, int port, String client, int clientPort) {
        egress(TcpFrames.tcp(local, port, client, clientPort).flags(TcpFrames.ACK).seq(1).ack(1).build());
    }

    static Client decode(MemorySegment key, MemorySegment value) {
        byte family = (byte) OriginMapLayouts.CLIENT_KEY_FAMILY.get(key, 0L);
        return new Client(
                (int) OriginMapLayouts.CLIENT_KEY_SERVICE_ID.get(key, 0L),
                Short.toUnsignedInt((short) OriginMapLayouts.CLIENT_KEY_PORT.get(key, 0L)),
                ClientAddress.of(OriginMapLayouts.readAddress(key, OriginMapLayouts.CLIENT_KEY_ADDR_OFFSET, family)),
                (long) OriginMapLayouts.CLIENT_CONNECTIONS.get(value, 0L),
                (long) OriginMapLayouts.CLIENT_PACKETS.get(value, 0L),
                (long) OriginMapLayouts.CLIENT_BYTES.get(value, 0L),
                (long) OriginMapLayouts.CLIENT_FIRST_SEEN_NS.get(value, 0L),
                (long) OriginMapLayouts.CLIENT_LAST_SEEN_NS.get(value, 0L),
                (long) OriginMapLayouts.CLIENT_LAST_SYN_NS.get(value, 0L),
                (long) OriginMapLayouts.CLIENT_SRTT_NS.get(value, 0L),
                (long) OriginMapLayouts.CLIENT_RTT_MIN_NS.get(value, 0L),
                (long) OriginMapLayouts.CLIENT_RTT_SAMPLES.get(value, 0L),
                (int) OriginMapLayouts.CLIENT_FLAGS.get(value, 0L));
    }

    @Override
    public void close() {
        object.close();
    }
}
