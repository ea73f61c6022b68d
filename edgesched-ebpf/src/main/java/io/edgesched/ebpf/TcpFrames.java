package io.edgesched.ebpf;

import io.edgesched.api.ClientAddress;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Crafts Ethernet frames carrying IPv4/IPv6 TCP (or another protocol), with correct IP and TCP checksums,
 * to feed BPF programs through {@code BPF_PROG_TEST_RUN} in tests and cost benchmarks. Pure Java: no
 * packet is ever sent anywhere.
 *
 * <pre>{@code
 * byte[] syn = TcpFrames.tcp("10.0.0.1", 40000, "10.0.0.2", 80).flags(TcpFrames.SYN).seq(1000).build();
 * }</pre>
 */
public final class TcpFrames {
    public static final int FIN = 0x01;
    public static final int SYN = 0x02;
    public static final int RST = 0x04;
    public static final int PSH = 0x08;
    public static final int ACK = 0x10;

    public static final int ETHERTYPE_IPV4 = 0x0800;
    public static final int ETHERTYPE_IPV6 = 0x86DD;
    public static final int ETHERTYPE_ARP = 0x0806;
    public static final int ETHERTYPE_VLAN = 0x8100;

    public static final int PROTO_TCP = 6;
    public static final int PROTO_UDP = 17;
    public static final int PROTO_ICMP = 1;
    public static final int IPV6_HOP_BY_HOP = 0;
    public static final int IPV6_ROUTING = 43;
    public static final int IPV6_FRAGMENT = 44;
    public static final int IPV6_AH = 51;
    public static final int IPV6_DEST_OPTS = 60;
    public static final int IPV6_NO_NEXT = 59;

    public static final int ETHERNET_HEADER = 14;

    private TcpFrames() {
    }

    /** A TCP segment from {@code source:sourcePort} to {@code destination:destinationPort}; both the same family. */
    public static Builder tcp(String source, int sourcePort, String destination, int destinationPort) {
        return new Builder(ClientAddress.parse(source).toBytes(), sourcePort,
                ClientAddress.parse(destination).toBytes(), destinationPort);
    }

    public static Builder tcp(byte[] source, int sourcePort, byte[] destination, int destinationPort) {
        return new Builder(source.clone(), sourcePort, destination.clone(), destinationPort);
    }

    /** A bare Ethernet frame of any ethertype (e.g. ARP) with the given payload. */
    public static byte[] ethernet(int ethertype, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(ETHERNET_HEADER + payload.length);
        putEthernetAddresses(b);
        b.putShort((short) ethertype).put(payload);
        return b.array();
    }

    private static void putEthernetAddresses(ByteBuffer b) {
        b.put(new byte[] {0x02, 0, 0, 0, 0, 0x02}); // destination (locally administered)
        b.put(new byte[] {0x02, 0, 0, 0, 0, 0x01}); // source
    }

    /** One IPv6 extension header, as raw bytes including its next-header and length fields (patched on build). */
    private record Extension(int type, byte[] body) {
    }

    /** Builds one frame; every setter returns {@code this}. */
    public static final class Builder {
        private final byte[] source;
        private final byte[] destination;
        private final int sourcePort;
        private final int destinationPort;
        private int flags = ACK;
        private long seq = 1;
        private long ack;
        private int window = 65535;
        private byte[] payload = new byte[0];
        private byte[] tcpOptions = new byte[0];
        private byte[] ipv4Options = new byte[0];
        private int protocol = PROTO_TCP;
        private int ipv4FragmentOffset;
        private boolean moreFragments;
        private final List<Extension> extensions = new ArrayList<>();
        private final List<Integer> vlanTags = new ArrayList<>();

        private Builder(byte[] source, int sourcePort, byte[] destination, int destinationPort) {
            if (source.length != destination.length || (source.length != 4 && source.length != 16)) {
                throw new IllegalArgumentException("source and destination must both be IPv4 or both IPv6");
            }
            this.source = source;
            this.destination = destination;
            this.sourcePort = checkPort(sourcePort);
            this.destinationPort = checkPort(destinationPort);
        }

        private static int checkPort(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port " + port + " outside 0..65535");
            }
            return port;
        }

        public boolean isIpv4() {
            return source.length == 4;
        }

        /** TCP flags, e.g. {@code SYN | ACK}. */
        public Builder flags(int tcpFlags) {
            this.flags = tcpFlags & 0xff;
            return this;
        }

        public Builder seq(long sequence) {
            this.seq = sequence & 0xffffffffL;
            return this;
        }

        public Builder ack(long acknowledgement) {
            this.ack = acknowledgement & 0xffffffffL;
            return this;
        }

        public Builder payload(byte[] bytes) {
            this.payload = bytes.clone();
            return this;
        }

        /** A payload of {@code length} bytes of a repeating pattern. */
        public Builder payload(int length) {
            byte[] bytes = new byte[length];
            for (int i = 0; i < length; i++) {
                bytes[i] = (byte) ('a' + i % 26);
            }
            this.payload = bytes;
            return this;
        }

        /** TCP options, zero-padded (end-of-list) to a multiple of 4 bytes; at most 40. */
        public Builder tcpOptions(byte[] options) {
            this.tcpOptions = pad4(options, 40, "TCP options");
            return this;
        }

        /** IPv4 options, padded with end-of-list to a multiple of 4 bytes; at most 40 (IHL 15). */
        public Builder ipv4Options(byte[] options) {
            requireIpv4("IPv4 options");
            this.ipv4Options = pad4(options, 40, "IPv4 options");
            return this;
        }

        /** IPv4 fragment offset in 8-byte units, and the more-fragments bit. */
        public Builder ipv4Fragment(int offsetUnits, boolean more) {
            requireIpv4("an IPv4 fragment");
            this.ipv4FragmentOffset = offsetUnits & 0x1fff;
            this.moreFragments = more;
            return this;
        }

        /**
         * Another transport protocol (UDP gets an 8-byte header, others the payload only); the ports are
         * used for UDP.
         */
        public Builder protocol(int ipProtocol) {
            this.protocol = ipProtocol;
            return this;
        }

        /** A hop-by-hop, routing or destination options header of {@code (lengthUnits + 1) * 8} bytes. */
        public Builder ipv6OptionsHeader(int type, int lengthUnits) {
            requireIpv6("an IPv6 extension header");
            if (type != IPV6_HOP_BY_HOP && type != IPV6_ROUTING && type != IPV6_DEST_OPTS) {
                throw new IllegalArgumentException("not an options-style extension header: " + type);
            }
            // (hdrlen + 1) * 8 bytes: 2 fixed + PadN option filling the rest.
            byte[] body = new byte[(lengthUnits + 1) * 8];
            body[1] = (byte) lengthUnits;
            if (type == IPV6_ROUTING) {
                body[2] = 4; // routing type: deprecated/unknown, segments left 0, ignorable
            } else {
                body[2] = 1; // PadN
                body[3] = (byte) (body.length - 4);
            }
            extensions.add(new Extension(type, body));
            return this;
        }

        /** An IPv6 fragment header with the given offset (8-byte units) and more-fragments bit. */
        public Builder ipv6Fragment(int offsetUnits, boolean more) {
            requireIpv6("an IPv6 fragment header");
            byte[] body = new byte[8];
            int field = (offsetUnits & 0x1fff) << 3 | (more ? 1 : 0);
            body[2] = (byte) (field >> 8);
            body[3] = (byte) field;
            body[7] = 0x2a; // identification
            extensions.add(new Extension(IPV6_FRAGMENT, body));
            return this;
        }

        /** An IPv6 authentication header with an ICV of {@code icvWords} 32-bit words (12 + 4n bytes). */
        public Builder ipv6AuthenticationHeader(int icvWords) {
            requireIpv6("an IPv6 authentication header");
            byte[] body = new byte[12 + 4 * icvWords];
            body[1] = (byte) (body.length / 4 - 2);
            extensions.add(new Extension(IPV6_AH, body));
            return this;
        }

        /** An 802.1Q tag in the frame (outermost first when called repeatedly). */
        public Builder vlan(int vlanId) {
            vlanTags.add(vlanId & 0x0fff);
            return this;
        }

        private void requireIpv4(String what) {
            if (!isIpv4()) {
                throw new IllegalStateException(what + " needs IPv4 addresses");
            }
        }

        private void requireIpv6(String what) {
            if (isIpv4()) {
                throw new IllegalStateException(what + " needs IPv6 addresses");
            }
        }

        /** Length of the IP packet (header, options/extensions, transport header, payload). */
        public int ipLength() {
            return ipHeaderLength() + transport().length;
        }

        private int ipHeaderLength() {
            return isIpv4() ? 20 + ipv4Options.length
                    : 40 + extensions.stream().mapToInt(e -> e.body().length).sum();
        }

        public byte[] build() {
            byte[] l4 = transport();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteBuffer eth = ByteBuffer.allocate(ETHERNET_HEADER + 4 * vlanTags.size());
            putEthernetAddresses(eth);
            for (int tag : vlanTags) {
                eth.putShort((short) ETHERTYPE_VLAN).putShort((short) tag);
            }
            eth.putShort((short) (isIpv4() ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6));
            out.writeBytes(eth.array());
            out.writeBytes(isIpv4() ? ipv4Header(l4.length) : ipv6Header(l4.length));
            out.writeBytes(l4);
            return out.toByteArray();
        }

        private byte[] transport() {
            if (protocol == PROTO_TCP) {
                int headerLength = 20 + tcpOptions.length;
                ByteBuffer t = ByteBuffer.allocate(headerLength + payload.length);
                t.putShort((short) sourcePort).putShort((short) destinationPort);
                t.putInt((int) seq).putInt((int) ack);
                t.put((byte) ((headerLength / 4) << 4)).put((byte) flags).putShort((short) window);
                t.putShort((short) 0).putShort((short) 0); // checksum, urgent pointer
                t.put(tcpOptions).put(payload);
                byte[] segment = t.array();
                int sum = checksum(pseudoHeader(segment.length), segment);
                segment[16] = (byte) (sum >> 8);
                segment[17] = (byte) sum;
                return segment;
            }
            if (protocol == PROTO_UDP) {
                ByteBuffer u = ByteBuffer.allocate(8 + payload.length);
                u.putShort((short) sourcePort).putShort((short) destinationPort);
                u.putShort((short) (8 + payload.length)).putShort((short) 0).put(payload);
                byte[] datagram = u.array();
                int sum = checksum(pseudoHeader(datagram.length), datagram);
                datagram[6] = (byte) (sum >> 8);
                datagram[7] = (byte) sum;
                return datagram;
            }
            return payload.clone();
        }

        private byte[] pseudoHeader(int transportLength) {
            ByteBuffer p = ByteBuffer.allocate(isIpv4() ? 12 : 40);
            p.put(source).put(destination);
            if (isIpv4()) {
                p.put((byte) 0).put((byte) protocol).putShort((short) transportLength);
            } else {
                p.putInt(transportLength).put(new byte[3]).put((byte) protocol);
            }
            return p.array();
        }

        private byte[] ipv4Header(int transportLength) {
            int headerLength = 20 + ipv4Options.length;
            ByteBuffer h = ByteBuffer.allocate(headerLength);
            h.put((byte) (0x40 | headerLength / 4)).put((byte) 0);
            h.putShort((short) (headerLength + transportLength));
            h.putShort((short) 0x1234); // identification
            h.putShort((short) ((moreFragments ? 0x2000 : 0) | ipv4FragmentOffset));
            h.put((byte) 64).put((byte) protocol).putShort((short) 0);
            h.put(source).put(destination).put(ipv4Options);
            byte[] header = h.array();
            int sum = checksum(new byte[0], header);
            header[10] = (byte) (sum >> 8);
            header[11] = (byte) sum;
            return header;
        }

        private byte[] ipv6Header(int transportLength) {
            int extensionLength = extensions.stream().mapToInt(e -> e.body().length).sum();
            ByteBuffer h = ByteBuffer.allocate(40 + extensionLength);
            h.putInt(0x60000000);
            h.putShort((short) (extensionLength + transportLength));
            h.put((byte) (extensions.isEmpty() ? protocol : extensions.get(0).type()));
            h.put((byte) 64).put(source).put(destination);
            for (int i = 0; i < extensions.size(); i++) {
                byte[] body = extensions.get(i).body().clone();
                body[0] = (byte) (i + 1 < extensions.size() ? extensions.get(i + 1).type() : protocol);
                h.put(body);
            }
            return h.array();
        }

        @Override
        public String toString() {
            return "TcpFrame[" + ClientAddress.of(source) + ":" + sourcePort + " -> " + ClientAddress.of(destination)
                    + ":" + destinationPort + " flags=0x" + Integer.toHexString(flags) + "]";
        }
    }

    private static byte[] pad4(byte[] options, int max, String what) {
        Objects.requireNonNull(options, what);
        int padded = (options.length + 3) / 4 * 4;
        if (padded > max) {
            throw new IllegalArgumentException(what + " take " + padded + " bytes, at most " + max + " fit");
        }
        byte[] out = new byte[padded];
        System.arraycopy(options, 0, out, 0, options.length);
        return out;
    }

    /** RFC 1071 Internet checksum over {@code prefix} then {@code data}. */
    static int checksum(byte[] prefix, byte[] data) {
        long sum = 0;
        byte[][] parts = {prefix, data};
        for (byte[] part : parts) {
            for (int i = 0; i < part.length; i += 2) {
                int hi = part[i] & 0xff;
                int lo = i + 1 < part.length ? part[i + 1] & 0xff : 0;
                sum += hi << 8 | lo;
            }
        }
        while (sum >> 16 != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (int) (~sum & 0xffff);
    }
}
