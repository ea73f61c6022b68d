package io.edgesched.ebpf;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Java mirror of {@code bpf/origin.h}: the key/value layouts, map names and statistics indices of the
 * request-origin tc programs. A description only (no native calls). Integers are in host (native) byte
 * order, addresses are raw network-order bytes; an IPv4 address fills the first 4 bytes of a 16-byte
 * field and the rest stays zero. The sizes and offsets here are pinned by a unit test against the same
 * numbers the C header checks with {@code _Static_assert}.
 *
 * <p>VarHandles take {@code (MemorySegment segment, long baseOffset)}: pass {@code 0L} for a single
 * struct, or {@code i * layout.byteSize()} to address element {@code i} of a batch buffer.
 */
public final class OriginMapLayouts {
    private OriginMapLayouts() {
    }

    // ---- object and map names -------------------------------------------------------------------

    /** Jar resource of the compiled object. */
    public static final String OBJECT_RESOURCE = "/io/edgesched/ebpf/bpf/origin.bpf.o";
    public static final String INGRESS_PROGRAM = "origin_ingress";
    public static final String EGRESS_PROGRAM = "origin_egress";

    /** Jar resource of the optional whole-table copier (bpf/origin_snapshot.bpf.c), see {@link OriginClientCopier}. */
    public static final String SNAPSHOT_OBJECT_RESOURCE = "/io/edgesched/ebpf/bpf/origin_snapshot.bpf.o";
    public static final String SNAPSHOT_PROGRAM = "origin_snapshot";
    public static final String CLIENTS_COPY_MAP = "origin_clients_copy";
    /** origin_snapshot's return value when the copy array had no room for every entry. */
    public static final int SNAPSHOT_OVERFLOW = -1;

    public static final String PORTS_MAP = "origin_ports";
    public static final String SERVICES_MAP = "origin_services";
    public static final String NODES_MAP = "origin_nodes";
    public static final String NODE_FILTER_MAP = "origin_node_filter";
    public static final String CLIENTS_MAP = "origin_clients";
    public static final String HANDSHAKES_MAP = "origin_handshakes";
    /** One bit per origin_handshakes slot (internal to the programs; sized with it). */
    public static final String HANDSHAKE_HINTS_MAP = "origin_handshake_hints";
    public static final String STATS_MAP = "origin_stats";

    public static final int PORTS_MAX_ENTRIES = 65536;
    public static final int SERVICES_MAX_ENTRIES = 1024;
    public static final int NODES_MAX_ENTRIES = 4096;
    public static final int CLIENTS_MAX_ENTRIES = 65536;
    public static final int HANDSHAKES_MAX_ENTRIES = 16384;

    // ---- constants -------------------------------------------------------------------------------

    /**
     * What both programs always return: TC_ACT_UNSPEC (-1), "no opinion, next filter". Never a verdict that
     * changes the packet's fate, and unlike TC_ACT_OK it does not skip filters behind ours on the hook.
     */
    public static final int VERDICT = -1;

    public static final byte FAMILY_IPV4 = 4;
    public static final byte FAMILY_IPV6 = 6;

    /** origin_port.flags bit: wildcard_service_id[0] watches the port on every local IPv4 address. */
    public static final int PORT_ANY_IPV4 = 1;
    /** origin_port.flags bit: wildcard_service_id[1] watches the port on every local IPv6 address. */
    public static final int PORT_ANY_IPV6 = 1 << 1;
    /** origin_port.flags bit: origin_services holds keys with a specific local address for the port. */
    public static final int PORT_EXACT = 1 << 2;
    /**
     * origin_port.flags bit: new clients on the port are looked up in origin_nodes (about 60 ns per new client).
     * Set it on every watched port while origin_nodes is not empty, or only on ports that receive relayed
     * traffic (NodePorts).
     */
    public static final int PORT_CHECK_NODES = 1 << 3;

    /** origin_client_value.flags bit: the client address is a cluster node (relayed traffic). */
    public static final int CLIENT_FORWARDED = 1;

    /** origin_handshake.flags bit: the SYN-ACK was retransmitted; no RTT sample is taken (Karn). */
    public static final int HANDSHAKE_RETRANSMITTED = 1;
    /** origin_handshake.flags bit: our SYN-ACK was seen; expected_ack and synack_ns are set. */
    public static final int HANDSHAKE_SYNACK = 1 << 1;
    /** origin_handshake.state: pending (SYN or SYN-ACK seen, ACK not yet). */
    public static final int HANDSHAKE_PENDING = 1;
    /** origin_handshake.state: completed. */
    public static final int HANDSHAKE_DONE = 2;
    /** Name of the programs' .rodata map (one {@link #CONFIG}). */
    public static final String CONFIG_MAP = ".rodata";


    public static final int MAX_IPV6_EXT_HEADERS = 6;

    // ---- layouts ---------------------------------------------------------------------------------

    private static final ValueLayout.OfByte U8 = ValueLayout.JAVA_BYTE;
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG;

    private static MemoryLayout address(String name) {
        return MemoryLayout.sequenceLayout(16, U8).withName(name);
    }

    /** origin_ports key: the u32 port (0..65535). */
    public static final ValueLayout.OfInt PORT_KEY = U32;

    /** struct origin_port (16 bytes), the origin_ports value. */
    public static final StructLayout PORT_VALUE = MemoryLayout.structLayout(
            U32.withName("flags"),
            MemoryLayout.sequenceLayout(2, U32).withName("wildcard_service_id"), // [0] IPv4, [1] IPv6
            U32.withName("reserved")).withName("origin_port");

    /** struct origin_service_key (20 bytes). */
    public static final StructLayout SERVICE_KEY = MemoryLayout.structLayout(
            U8.withName("family"),
            U8.withName("pad"),
            U16.withName("port"),
            address("addr")).withName("origin_service_key");

    /** struct origin_service_value (8 bytes). */
    public static final StructLayout SERVICE_VALUE = MemoryLayout.structLayout(
            U32.withName("service_id"),
            U32.withName("reserved")).withName("origin_service_value");

    /** struct origin_node_key (20 bytes); the value is a u32 of flags, non-zero. */
    public static final StructLayout NODE_KEY = MemoryLayout.structLayout(
            U8.withName("family"),
            MemoryLayout.sequenceLayout(3, U8).withName("pad"),
            address("addr")).withName("origin_node_key");

    public static final ValueLayout.OfInt NODE_VALUE = U32;

    /** Bits of the origin_nodes pre-filter (ORIGIN_NODE_FILTER_BITS). */
    public static final int NODE_FILTER_BITS = 4096;

    /** struct origin_node_filter (512 bytes), the single value of origin_node_filter. */
    public static final StructLayout NODE_FILTER_VALUE = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(NODE_FILTER_BITS / 64, U64).withName("bits")).withName("origin_node_filter");

    /**
     * The pre-filter bit of a node address (origin.h, node_filter_bit in origin.bpf.c): XOR of the address's
     * four 32-bit words as the kernel loads them (little-endian here, as on every supported host) and the family,
     * times 0x9E3779B1 (wrapping), top 12 bits.
     */
    public static int nodeFilterBit(byte[] address) {
        byte[] padded = Arrays.copyOf(address, 16);
        ByteBuffer words = ByteBuffer.wrap(padded).order(ByteOrder.nativeOrder());
        int family = address.length == 4 ? FAMILY_IPV4 : FAMILY_IPV6;
        int h = (words.getInt(0) ^ words.getInt(4) ^ words.getInt(8) ^ words.getInt(12) ^ family) * 0x9E3779B1;
        return h >>> (32 - Integer.numberOfTrailingZeros(NODE_FILTER_BITS));
    }

    /** Sets the filter bit of {@code address} in a {@link #NODE_FILTER_VALUE} segment. */
    public static void setNodeFilterBit(MemorySegment filter, byte[] address) {
        int bit = nodeFilterBit(address);
        long offset = (long) (bit / 64) * Long.BYTES;
        filter.set(ValueLayout.JAVA_LONG, offset, filter.get(ValueLayout.JAVA_LONG, offset) | (1L << (bit % 64)));
    }

    /** struct origin_client_key (24 bytes). */
    public static final StructLayout CLIENT_KEY = MemoryLayout.structLayout(
            U32.withName("service_id"),
            U16.withName("port"),
            U8.withName("family"),
            U8.withName("pad"),
            address("addr")).withName("origin_client_key");

    /** struct origin_client_value (80 bytes). */
    public static final StructLayout CLIENT_VALUE = MemoryLayout.structLayout(
            U64.withName("connections"),
            U64.withName("packets"),
            U64.withName("bytes"),
            U64.withName("first_seen_ns"),
            U64.withName("last_seen_ns"),
            U64.withName("last_syn_ns"),
            U64.withName("srtt_ns"),
            U64.withName("rtt_min_ns"),
            U64.withName("rtt_samples"),
            U32.withName("flags"),
            U32.withName("seen_tick")).withName("origin_client_value");

    /** struct origin_client_entry (104 bytes): one packed row of origin_clients_copy. */
    public static final StructLayout CLIENT_ENTRY = MemoryLayout.structLayout(
            CLIENT_KEY.withName("key"),
            CLIENT_VALUE.withName("value")).withName("origin_client_entry");

    /** struct origin_flow_key (40 bytes). */
    public static final StructLayout FLOW_KEY = MemoryLayout.structLayout(
            U8.withName("family"),
            U8.withName("pad"),
            U16.withName("local_port"),
            U16.withName("remote_port"),
            U16.withName("pad2"),
            address("local_addr"),
            address("remote_addr")).withName("origin_flow_key");

    /** struct origin_handshake (80 bytes): one slot of the direct-mapped origin_handshakes array. */
    public static final StructLayout HANDSHAKE_VALUE = MemoryLayout.structLayout(
            FLOW_KEY.withName("flow"),
            U64.withName("synack_ns"),
            U64.withName("syn_bytes"),
            U32.withName("syn_packets"),
            U32.withName("expected_ack"),
            U32.withName("service_id"),
            U32.withName("flags"),
            U32.withName("state"),
            U32.withName("reserved")).withName("origin_handshake");

    /** Key of origin_handshakes: the slot index. */
    public static final ValueLayout.OfInt HANDSHAKE_KEY = U32;

    /** struct origin_config (8 bytes): the programs' whole .rodata, written before load. */
    public static final StructLayout CONFIG = MemoryLayout.structLayout(
            U32.withName("handshake_slot_mask"),
            U32.withName("handshake_seed")).withName("origin_config");

    /** One per-CPU slot of origin_stats. */
    public static final ValueLayout.OfLong STAT_VALUE = U64;

    // ---- accessors -------------------------------------------------------------------------------

    private static VarHandle field(StructLayout layout, String name) {
        return layout.varHandle(PathElement.groupElement(name));
    }

    private static long offset(StructLayout layout, String name) {
        return layout.byteOffset(PathElement.groupElement(name));
    }

    public static final VarHandle PORT_FLAGS = field(PORT_VALUE, "flags");
    public static final VarHandle PORT_WILDCARD_SERVICE_ID_IPV4 = PORT_VALUE.varHandle(
            PathElement.groupElement("wildcard_service_id"), PathElement.sequenceElement(0));
    public static final VarHandle PORT_WILDCARD_SERVICE_ID_IPV6 = PORT_VALUE.varHandle(
            PathElement.groupElement("wildcard_service_id"), PathElement.sequenceElement(1));

    public static final VarHandle SERVICE_KEY_FAMILY = field(SERVICE_KEY, "family");
    public static final VarHandle SERVICE_KEY_PORT = field(SERVICE_KEY, "port");
    public static final long SERVICE_KEY_ADDR_OFFSET = offset(SERVICE_KEY, "addr");
    public static final VarHandle SERVICE_VALUE_SERVICE_ID = field(SERVICE_VALUE, "service_id");

    public static final VarHandle NODE_KEY_FAMILY = field(NODE_KEY, "family");
    public static final long NODE_KEY_ADDR_OFFSET = offset(NODE_KEY, "addr");

    public static final VarHandle CLIENT_KEY_SERVICE_ID = field(CLIENT_KEY, "service_id");
    public static final VarHandle CLIENT_KEY_PORT = field(CLIENT_KEY, "port");
    public static final VarHandle CLIENT_KEY_FAMILY = field(CLIENT_KEY, "family");
    public static final long CLIENT_KEY_ADDR_OFFSET = offset(CLIENT_KEY, "addr");

    public static final VarHandle CLIENT_CONNECTIONS = field(CLIENT_VALUE, "connections");
    public static final VarHandle CLIENT_PACKETS = field(CLIENT_VALUE, "packets");
    public static final VarHandle CLIENT_BYTES = field(CLIENT_VALUE, "bytes");
    public static final VarHandle CLIENT_FIRST_SEEN_NS = field(CLIENT_VALUE, "first_seen_ns");
    public static final VarHandle CLIENT_LAST_SEEN_NS = field(CLIENT_VALUE, "last_seen_ns");
    public static final VarHandle CLIENT_LAST_SYN_NS = field(CLIENT_VALUE, "last_syn_ns");
    public static final VarHandle CLIENT_SRTT_NS = field(CLIENT_VALUE, "srtt_ns");
    public static final VarHandle CLIENT_RTT_MIN_NS = field(CLIENT_VALUE, "rtt_min_ns");
    public static final VarHandle CLIENT_RTT_SAMPLES = field(CLIENT_VALUE, "rtt_samples");
    public static final VarHandle CLIENT_FLAGS = field(CLIENT_VALUE, "flags");

    public static final VarHandle FLOW_KEY_FAMILY = field(FLOW_KEY, "family");
    public static final VarHandle FLOW_KEY_LOCAL_PORT = field(FLOW_KEY, "local_port");
    public static final VarHandle FLOW_KEY_REMOTE_PORT = field(FLOW_KEY, "remote_port");
    public static final long FLOW_KEY_LOCAL_ADDR_OFFSET = offset(FLOW_KEY, "local_addr");
    public static final long FLOW_KEY_REMOTE_ADDR_OFFSET = offset(FLOW_KEY, "remote_addr");

    public static final long HANDSHAKE_FLOW_OFFSET = offset(HANDSHAKE_VALUE, "flow");
    public static final VarHandle HANDSHAKE_SYNACK_NS = field(HANDSHAKE_VALUE, "synack_ns");
    public static final VarHandle HANDSHAKE_SYN_BYTES = field(HANDSHAKE_VALUE, "syn_bytes");
    public static final VarHandle HANDSHAKE_SYN_PACKETS = field(HANDSHAKE_VALUE, "syn_packets");
    public static final VarHandle HANDSHAKE_STATE = field(HANDSHAKE_VALUE, "state");
    public static final VarHandle CONFIG_HANDSHAKE_SLOT_MASK = field(CONFIG, "handshake_slot_mask");
    public static final VarHandle CONFIG_HANDSHAKE_SEED = field(CONFIG, "handshake_seed");
    public static final VarHandle HANDSHAKE_EXPECTED_ACK = field(HANDSHAKE_VALUE, "expected_ack");
    public static final VarHandle HANDSHAKE_SERVICE_ID = field(HANDSHAKE_VALUE, "service_id");
    public static final VarHandle HANDSHAKE_FLAGS = field(HANDSHAKE_VALUE, "flags");

    /**
     * Reads a 16-byte address field as 4 bytes (IPv4) or 16 bytes (IPv6).
     *
     * @throws IllegalArgumentException for a family other than 4 or 6
     */
    public static byte[] readAddress(MemorySegment segment, long offset, byte family) {
        int length = switch (family) {
            case FAMILY_IPV4 -> 4;
            case FAMILY_IPV6 -> 16;
            default -> throw new IllegalArgumentException("address family " + family + " is neither 4 nor 6");
        };
        return segment.asSlice(offset, length).toArray(U8);
    }

    /** Writes a 4- or 16-byte address into a 16-byte field, zero-filling the rest; returns the family. */
    public static byte writeAddress(MemorySegment segment, long offset, byte[] address) {
        if (address.length != 4 && address.length != 16) {
            throw new IllegalArgumentException("address must be 4 or 16 bytes, got " + address.length);
        }
        MemorySegment field = segment.asSlice(offset, 16);
        field.fill((byte) 0);
        MemorySegment.copy(MemorySegment.ofArray(address), 0, field, 0, address.length);
        return address.length == 4 ? FAMILY_IPV4 : FAMILY_IPV6;
    }

    // ---- statistics ------------------------------------------------------------------------------

    /** origin_stats indices (enum origin_stat in origin.h). Append only; never renumber. */
    public enum Stat {
        PACKETS_SEEN(0),
        NOT_IP(1),
        NOT_TCP(2),
        /** Sum of the UNPARSED_* reasons. */
        UNPARSED(3),
        UNPARSED_TRUNCATED(4),
        UNPARSED_BAD_HEADER(5),
        UNPARSED_IPV6_EXT(6),
        UNPARSED_FRAGMENT(7),
        NOT_WATCHED(8),
        MATCHED(9),
        CLIENTS_NEW(10),
        CLIENTS_FULL(11),
        FORWARDED_PACKETS(12),
        HANDSHAKES_TRACKED(13),
        HANDSHAKES_FULL(14),
        HANDSHAKES_RETRANSMITTED(15),
        RTT_SAMPLES(16),
        EGRESS_PACKETS_SEEN(17),
        EGRESS_UNPARSED(18),
        CLIENTS_RACE(19),
        HANDSHAKES_PENDING(20),
        HANDSHAKES_COMPLETED(21),
        /** Pending handshakes whose slot another 4-tuple took before they completed (a SYN flood shows here). */
        HANDSHAKES_EXPIRED(22),
        /** Ingress packets from addresses not in the client table that completed no handshake. */
        UNVERIFIED(23),
        /** Clients created by the node's own egress segment to them (connections older than the programs). */
        CLIENTS_ESTABLISHED(24);

        /** Number of slots in origin_stats (ORIGIN_STAT_COUNT). */
        public static final int COUNT = 25;

        private final int index;

        Stat(int index) {
            this.index = index;
        }

        /** The u32 key of this counter in origin_stats. */
        public int index() {
            return index;
        }
    }
}
