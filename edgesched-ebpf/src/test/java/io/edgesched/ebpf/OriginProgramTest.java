package io.edgesched.ebpf;

import static io.edgesched.ebpf.TcpFrames.ACK;
import static io.edgesched.ebpf.TcpFrames.FIN;
import static io.edgesched.ebpf.TcpFrames.PSH;
import static io.edgesched.ebpf.TcpFrames.SYN;
import static org.assertj.core.api.Assertions.assertThat;

import io.edgesched.api.ClientAddress;
import io.edgesched.ebpf.OriginHarness.Client;
import io.edgesched.ebpf.OriginMapLayouts.Stat;
import io.edgesched.ebpf.libbpf.KernelClock;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The origin tc programs run on crafted frames through BPF_PROG_TEST_RUN; counters are checked exactly. */
@RequiresBpf
class OriginProgramTest {
    static final int PORT = 8080;
    static final int SERVICE = 42;
    static final String LOCAL4 = "192.0.2.10";
    static final String CLIENT4 = "198.51.100.7";
    static final String LOCAL6 = "2001:db8::10";
    static final String CLIENT6 = "2001:db8:1::7";

    private OriginHarness h;

    @BeforeEach
    void load() {
        h = OriginHarness.load();
        h.watchPort(PORT, SERVICE);
    }

    @AfterEach
    void close() {
        if (h != null) {
            h.close();
        }
    }

    private static String local(boolean ipv4) {
        return ipv4 ? LOCAL4 : LOCAL6;
    }

    private static String client(boolean ipv4) {
        return ipv4 ? CLIENT4 : CLIENT6;
    }

    private static TcpFrames.Builder toService(boolean ipv4) {
        return TcpFrames.tcp(client(ipv4), 40000, local(ipv4), PORT);
    }

    private static TcpFrames.Builder fromService(boolean ipv4) {
        return TcpFrames.tcp(local(ipv4), PORT, client(ipv4), 40000);
    }

    /** The client of {@link #toService} becomes known the way an older connection does (our ACK to it). */
    private void establish(boolean ipv4) {
        h.establish(local(ipv4), PORT, client(ipv4), 40000);
    }

    /** Stats an {@link #establish} adds. */
    private static Map<Stat, Long> plusEstablished(int clients, Map<Stat, Long> stats) {
        Map<Stat, Long> all = new EnumMap<>(Stat.class);
        all.putAll(stats);
        all.merge(Stat.EGRESS_PACKETS_SEEN, (long) clients, Long::sum);
        all.merge(Stat.CLIENTS_ESTABLISHED, (long) clients, Long::sum);
        return all;
    }

    /** Stats that must be zero unless a test says otherwise. */
    private void assertStats(Map<Stat, Long> expected) {
        Map<Stat, Long> all = new EnumMap<>(Stat.class);
        for (Stat stat : Stat.values()) {
            all.put(stat, expected.getOrDefault(stat, 0L));
        }
        assertThat(h.stats()).isEqualTo(all);
    }

    @ParameterizedTest(name = "ipv4={0}")
    @ValueSource(booleans = {true, false})
    void connectionIsCountedPacketByPacket(boolean ipv4) {
        TcpFrames.Builder syn = toService(ipv4).flags(SYN).seq(1000);
        TcpFrames.Builder ack = toService(ipv4).flags(ACK).seq(1001).ack(5001);
        TcpFrames.Builder data = toService(ipv4).flags(ACK | PSH).seq(1001).ack(5001).payload(100);
        TcpFrames.Builder fin = toService(ipv4).flags(FIN | ACK).seq(1101).ack(5001);
        h.ingress(syn.build());
        assertThat(h.clients()).as("a SYN alone makes no client").isEmpty();
        h.egress(fromService(ipv4).flags(SYN | ACK).seq(5000).ack(1001).build());
        h.ingress(ack.build());
        h.ingress(data.build());
        h.ingress(fin.build());

        Client c = h.client(SERVICE, PORT, client(ipv4)).orElseThrow();
        int ipHeader = ipv4 ? 20 : 40;
        assertThat(c.connections()).isEqualTo(1);
        assertThat(c.packets()).as("the SYN joins the entry with its completing ACK").isEqualTo(4);
        assertThat(c.bytes()).isEqualTo(4L * (ipHeader + 20) + 100);
        assertThat(c.bytes()).isEqualTo(syn.ipLength() + ack.ipLength() + data.ipLength() + fin.ipLength());
        assertThat(c.firstSeenNs()).isPositive();
        assertThat(c.lastSeenNs()).isGreaterThanOrEqualTo(c.firstSeenNs());
        assertThat(c.lastSynNs()).isEqualTo(c.firstSeenNs());
        assertThat(c.rttSamples()).isEqualTo(1);
        assertThat(c.forwarded()).isFalse();
        assertThat(h.clients()).hasSize(1);
        assertStats(Map.of(Stat.PACKETS_SEEN, 4L, Stat.HANDSHAKES_PENDING, 1L,
                Stat.EGRESS_PACKETS_SEEN, 1L, Stat.HANDSHAKES_TRACKED, 1L, Stat.HANDSHAKES_COMPLETED, 1L,
                Stat.CLIENTS_NEW, 1L, Stat.MATCHED, 4L, Stat.RTT_SAMPLES, 1L));
    }

    @Test
    void onlyACompletedHandshakeCountsAConnection() {
        establish(true);
        h.ingress(toService(true).flags(SYN | ACK).build());
        h.ingress(toService(true).flags(SYN).seq(1000).build());
        h.ingress(toService(true).flags(SYN).seq(1000).build()); // retransmitted, never answered
        assertThat(h.client(SERVICE, PORT, CLIENT4).orElseThrow().connections()).isZero();
        h.egress(fromService(true).flags(SYN | ACK).seq(5000).ack(1001).build());
        h.ingress(toService(true).flags(ACK).seq(1001).ack(5001).build());
        h.ingress(toService(true).flags(ACK).seq(1001).ack(5001).build()); // duplicate: completes nothing
        Client c = h.client(SERVICE, PORT, CLIENT4).orElseThrow();
        assertThat(c.connections()).isEqualTo(1);
        assertThat(c.packets()).isEqualTo(5);
        assertThat(h.stat(Stat.HANDSHAKES_PENDING)).isEqualTo(1);
        assertThat(h.stat(Stat.HANDSHAKES_COMPLETED)).isEqualTo(1);
    }

    /** Off-path spoofing: SYNs from many addresses, their SYN-ACKs, guessed ACKs and our RSTs make no client. */
    @Test
    void spoofedSegmentsNeverCreateClients() {
        int spoofed = 2000;
        for (int i = 0; i < spoofed; i++) {
            String source = "203.0.113." + (i % 250) + "";
            int port = 1024 + i;
            h.ingress(TcpFrames.tcp(source, port, LOCAL4, PORT).flags(SYN).seq(i).build());
            h.egress(TcpFrames.tcp(LOCAL4, PORT, source, port).flags(SYN | ACK).seq(7 * i).ack(i + 1).build());
            h.ingress(TcpFrames.tcp(source, port, LOCAL4, PORT).flags(ACK).seq(i + 1).ack(7 * i + 2).build());
            h.ingress(TcpFrames.tcp(source, port + 1, LOCAL4, PORT).flags(ACK | PSH).payload(50).build());
            h.egress(TcpFrames.tcp(LOCAL4, PORT, source, port + 1).flags(TcpFrames.RST | ACK).build());
        }
        assertThat(h.clients()).isEmpty();
        assertThat(h.stat(Stat.UNVERIFIED)).isEqualTo(3L * spoofed);
        assertThat(h.stat(Stat.HANDSHAKES_PENDING)).isEqualTo(spoofed);
        assertThat(h.stat(Stat.HANDSHAKES_EXPIRED) + h.handshakeCount())
                .as("every pending handshake is either still in its slot or counted expired").isEqualTo(spoofed);
        assertThat(h.stat(Stat.HANDSHAKES_COMPLETED)).isZero();
        assertThat(h.stat(Stat.CLIENTS_NEW)).isZero();
        assertThat(h.stat(Stat.MATCHED)).isZero();
    }

    /** A connection older than the programs: our own reply is the evidence, but not a SYN-ACK and not an RST. */
    @Test
    void anEstablishedConnectionBecomesAClientOnTheNodesOwnReplyOnly() {
        h.egress(fromService(true).flags(SYN | ACK).seq(5000).ack(1001).build());
        h.egress(fromService(true).flags(TcpFrames.RST | ACK).build());
        h.egress(fromService(true).flags(TcpFrames.RST).build());
        h.egress(fromService(true).flags(SYN).build());
        h.ingress(toService(true).flags(ACK | PSH).seq(1).ack(1).payload(10).build());
        assertThat(h.clients()).isEmpty();

        h.egress(fromService(true).flags(ACK | PSH).payload(20).build());
        Client c = h.client(SERVICE, PORT, CLIENT4).orElseThrow();
        assertThat(c.packets()).as("our own segment is not the client's traffic").isZero();
        assertThat(c.connections()).isZero();
        h.ingress(toService(true).flags(ACK | PSH).seq(1).ack(1).payload(10).build());
        assertThat(h.client(SERVICE, PORT, CLIENT4).orElseThrow().packets()).isEqualTo(1);
        assertThat(h.stat(Stat.CLIENTS_ESTABLISHED)).isEqualTo(1);
        assertThat(h.stat(Stat.UNVERIFIED)).isEqualTo(1);
    }

    /** An IP length field that claims more than the frame holds counts only what the frame holds. */
    @ParameterizedTest(name = "ipv4={0}")
    @ValueSource(booleans = {true, false})
    void byteCountsAreClampedToTheFrame(boolean ipv4) {
        establish(ipv4);
        byte[] frame = toService(ipv4).payload(40).build();
        int lengthField = TcpFrames.ETHERNET_HEADER + (ipv4 ? 2 : 4);
        frame[lengthField] = (byte) 0xff;
        frame[lengthField + 1] = (byte) 0xf0;
        h.ingress(frame);
        assertThat(h.client(SERVICE, PORT, client(ipv4)).orElseThrow().bytes())
                .isEqualTo(frame.length - TcpFrames.ETHERNET_HEADER);
    }

    @Test
    void ipv4OptionsOfEveryLengthAreSkipped() {
        establish(true);
        long expectedBytes = 0;
        for (int words = 1; words <= 10; words++) {
            byte[] options = new byte[words * 4];
            options[0] = 1; // NOP, rest end-of-list
            TcpFrames.Builder frame = TcpFrames.tcp(CLIENT4, 40000 + words, LOCAL4, PORT).ipv4Options(options)
                    .payload(words);
            h.ingress(frame.build());
            expectedBytes += frame.ipLength();
        }
        Client c = h.client(SERVICE, PORT, CLIENT4).orElseThrow();
        assertThat(c.packets()).isEqualTo(10);
        assertThat(c.bytes()).isEqualTo(expectedBytes);
        assertStats(plusEstablished(1, Map.of(Stat.PACKETS_SEEN, 10L, Stat.MATCHED, 10L, Stat.CLIENTS_NEW, 1L)));
    }

    @Test
    void ipv6ExtensionHeadersAreWalkedUpToTheLimit() {
        establish(false);
        TcpFrames.Builder six = toService(false)
                .ipv6OptionsHeader(TcpFrames.IPV6_HOP_BY_HOP, 0)
                .ipv6OptionsHeader(TcpFrames.IPV6_DEST_OPTS, 3)
                .ipv6OptionsHeader(TcpFrames.IPV6_ROUTING, 1)
                .ipv6Fragment(0, true)
                .ipv6AuthenticationHeader(3)
                .ipv6OptionsHeader(TcpFrames.IPV6_DEST_OPTS, 0);
        h.ingress(six.build());
        Client c = h.client(SERVICE, PORT, CLIENT6).orElseThrow();
        assertThat(c.packets()).isEqualTo(1);
        assertThat(c.bytes()).isEqualTo(six.ipLength());

        TcpFrames.Builder seven = toService(false);
        for (int i = 0; i <= OriginMapLayouts.MAX_IPV6_EXT_HEADERS; i++) {
            seven.ipv6OptionsHeader(TcpFrames.IPV6_DEST_OPTS, 0);
        }
        h.ingress(seven.build());
        h.ingress(toService(false).ipv6Fragment(100, false).build());
        assertThat(h.client(SERVICE, PORT, CLIENT6).orElseThrow().packets()).isEqualTo(1);
        assertStats(plusEstablished(1, Map.of(Stat.PACKETS_SEEN, 3L, Stat.MATCHED, 1L, Stat.CLIENTS_NEW, 1L,
                Stat.UNPARSED, 2L, Stat.UNPARSED_IPV6_EXT, 1L, Stat.UNPARSED_FRAGMENT, 1L)));
    }

    @Test
    void ipv4FirstFragmentIsCountedLaterFragmentsAreNot() {
        establish(true);
        h.ingress(toService(true).ipv4Fragment(0, true).payload(64).build());
        h.ingress(toService(true).ipv4Fragment(10, false).payload(64).build());
        assertThat(h.client(SERVICE, PORT, CLIENT4).orElseThrow().packets()).isEqualTo(1);
        assertStats(plusEstablished(1, Map.of(Stat.PACKETS_SEEN, 2L, Stat.MATCHED, 1L, Stat.CLIENTS_NEW, 1L,
                Stat.UNPARSED, 1L, Stat.UNPARSED_FRAGMENT, 1L)));
    }

    @ParameterizedTest(name = "ipv4={0}")
    @ValueSource(booleans = {true, false})
    void framesCutInsideTheHeadersAreCountedTruncated(boolean ipv4) {
        long cuts = 0;
        for (boolean tagged : new boolean[] {false, true}) {
            TcpFrames.Builder builder = toService(ipv4).flags(SYN).payload(30);
            if (ipv4) {
                builder.ipv4Options(new byte[8]);
            } else {
                builder.ipv6OptionsHeader(TcpFrames.IPV6_HOP_BY_HOP, 1);
            }
            if (tagged) {
                builder.vlan(1); // lets the test run reach cuts inside the fixed IP header, see testRunAccepts
            }
            byte[] full = builder.build();
            int headersEnd = full.length - 30;
            for (int length = TcpFrames.ETHERNET_HEADER; length < headersEnd; length++) {
                byte[] cut = java.util.Arrays.copyOf(full, length);
                if (OriginHarness.testRunAccepts(cut)) {
                    h.ingress(cut);
                    cuts++;
                }
            }
        }
        int ipHeader = ipv4 ? 20 : 40;
        int extra = ipv4 ? 8 : 16;
        // untagged: from the fixed IP header to the end of TCP; tagged: from the tag (4 bytes) onwards.
        assertThat(cuts).isEqualTo((extra + 20) + (4 + ipHeader + extra + 20));
        assertThat(h.clients()).isEmpty();
        assertStats(Map.of(Stat.PACKETS_SEEN, cuts, Stat.UNPARSED, cuts, Stat.UNPARSED_TRUNCATED, cuts));
    }

    @Test
    void badHeaderFieldsAreCountedUnparsed() {
        byte[] base = toService(true).build();
        int ip = TcpFrames.ETHERNET_HEADER;
        List<byte[]> bad = new ArrayList<>();
        for (int ihl = 0; ihl < 5; ihl++) {
            byte[] f = base.clone();
            f[ip] = (byte) (0x40 | ihl);
            bad.add(f);
        }
        byte[] version = base.clone();
        version[ip] = 0x65; // version 6 behind the IPv4 ethertype
        bad.add(version);
        byte[] shortTotal = base.clone();
        shortTotal[ip + 2] = 0;
        shortTotal[ip + 3] = 19; // total length smaller than the header
        bad.add(shortTotal);
        byte[] dataOffset = base.clone();
        dataOffset[ip + 20 + 12] = 0x40; // TCP data offset 4
        bad.add(dataOffset);
        byte[] ipv6Version = toService(false).build();
        ipv6Version[ip] = 0x40;
        bad.add(ipv6Version);
        bad.forEach(h::ingress);

        long n = bad.size();
        assertThat(h.clients()).isEmpty();
        assertStats(Map.of(Stat.PACKETS_SEEN, n, Stat.UNPARSED, n, Stat.UNPARSED_BAD_HEADER, n));
    }

    @Test
    void nonTcpAndNonIpAreCountedApart() {
        h.ingress(toService(true).protocol(TcpFrames.PROTO_UDP).payload(20).build());
        h.ingress(toService(true).protocol(TcpFrames.PROTO_ICMP).payload(20).build());
        h.ingress(toService(false).protocol(TcpFrames.PROTO_UDP).payload(20).build());
        h.ingress(toService(false).protocol(58).payload(20).build()); // ICMPv6
        h.ingress(toService(false).ipv6OptionsHeader(TcpFrames.IPV6_HOP_BY_HOP, 0)
                .protocol(TcpFrames.IPV6_NO_NEXT).build());
        h.ingress(TcpFrames.ethernet(TcpFrames.ETHERTYPE_ARP, new byte[28]));
        assertThat(h.clients()).isEmpty();
        assertStats(Map.of(Stat.PACKETS_SEEN, 6L, Stat.NOT_TCP, 5L, Stat.NOT_IP, 1L));
    }

    @Test
    void onlyWatchedPortsAndAddressesAreCounted() {
        h.watchExact(LOCAL4, 9090, 7);          // one address only
        h.watchExact(LOCAL4, PORT, 99);         // an exact service wins over the wildcard one
        h.watchPort(7070, 5, true);             // IPv4 only
        h.establish(LOCAL4, 9090, CLIENT4, 1);
        h.establish(LOCAL4, PORT, CLIENT4, 1);
        h.establish("192.0.2.11", PORT, CLIENT4, 1);
        h.establish(LOCAL4, 7070, CLIENT4, 1);
        h.establish(LOCAL6, 7070, CLIENT6, 1);                               // IPv6 not watched there: none

        h.ingress(TcpFrames.tcp(CLIENT4, 1, LOCAL4, 9999).build());          // no service
        h.ingress(TcpFrames.tcp(CLIENT4, 1, LOCAL4, 9090).build());          // 7
        h.ingress(TcpFrames.tcp(CLIENT4, 1, "192.0.2.11", 9090).build());    // other address: none
        h.ingress(TcpFrames.tcp(CLIENT4, 1, LOCAL4, PORT).build());          // 99
        h.ingress(TcpFrames.tcp(CLIENT4, 1, "192.0.2.11", PORT).build());    // wildcard 42
        h.ingress(TcpFrames.tcp(CLIENT4, 1, LOCAL4, 7070).build());          // 5
        h.ingress(TcpFrames.tcp(CLIENT6, 1, LOCAL6, 7070).build());          // IPv6: none

        assertThat(h.client(7, 9090, CLIENT4).orElseThrow().packets()).isEqualTo(1);
        assertThat(h.client(99, PORT, CLIENT4).orElseThrow().packets()).isEqualTo(1);
        assertThat(h.client(SERVICE, PORT, CLIENT4).orElseThrow().packets()).isEqualTo(1);
        assertThat(h.client(5, 7070, CLIENT4).orElseThrow().packets()).isEqualTo(1);
        assertThat(h.clients()).hasSize(4);
        Map<Stat, Long> expected = plusEstablished(4, Map.of(Stat.PACKETS_SEEN, 7L, Stat.NOT_WATCHED, 3L,
                Stat.MATCHED, 4L, Stat.CLIENTS_NEW, 4L));
        expected.merge(Stat.EGRESS_PACKETS_SEEN, 1L, Long::sum);
        assertStats(expected);
    }

    @Test
    void vlanTagsInTheFrameAreSkipped() {
        establish(true);
        establish(false);
        h.ingress(toService(true).vlan(10).build());
        h.ingress(toService(false).vlan(10).vlan(20).build());
        h.ingress(toService(true).vlan(10).vlan(20).vlan(30).build()); // a third tag is not looked into
        assertThat(h.client(SERVICE, PORT, CLIENT4).orElseThrow().packets()).isEqualTo(1);
        assertThat(h.client(SERVICE, PORT, CLIENT6).orElseThrow().packets()).isEqualTo(1);
        assertStats(plusEstablished(2, Map.of(Stat.PACKETS_SEEN, 3L, Stat.MATCHED, 2L, Stat.CLIENTS_NEW, 2L,
                Stat.NOT_IP, 1L)));
    }

    @Test
    void trafficFromClusterNodesIsMarkedForwarded() {
        String node = "198.51.100.99";
        h.addNode(node, PORT);
        h.ingress(TcpFrames.tcp(node, 30000, LOCAL4, PORT).flags(SYN).seq(1).build());
        h.egress(TcpFrames.tcp(LOCAL4, PORT, node, 30000).flags(SYN | ACK).seq(100).ack(2).build());
        h.ingress(TcpFrames.tcp(node, 30000, LOCAL4, PORT).flags(ACK).seq(2).ack(101).build());
        h.ingress(TcpFrames.tcp(node, 30000, LOCAL4, PORT).payload(10).build());
        String oldNode = "198.51.100.98";
        h.addNode(oldNode, PORT);
        h.establish(LOCAL4, PORT, oldNode, 30000);
        establish(true);
        h.ingress(toService(true).flags(SYN).build());

        assertThat(h.client(SERVICE, PORT, node).orElseThrow().forwarded()).isTrue();
        assertThat(h.client(SERVICE, PORT, oldNode).orElseThrow().forwarded()).isTrue();
        assertThat(h.client(SERVICE, PORT, CLIENT4).orElseThrow().forwarded()).isFalse();
        assertStats(Map.ofEntries(Map.entry(Stat.PACKETS_SEEN, 4L), Map.entry(Stat.UNVERIFIED, 1L),
                Map.entry(Stat.HANDSHAKES_PENDING, 2L), Map.entry(Stat.EGRESS_PACKETS_SEEN, 3L),
                Map.entry(Stat.HANDSHAKES_TRACKED, 1L), Map.entry(Stat.HANDSHAKES_COMPLETED, 1L),
                Map.entry(Stat.CLIENTS_NEW, 3L), Map.entry(Stat.CLIENTS_ESTABLISHED, 2L), Map.entry(Stat.MATCHED, 3L),
                Map.entry(Stat.FORWARDED_PACKETS, 3L), Map.entry(Stat.RTT_SAMPLES, 1L)));
    }

    /**
     * The programs consult origin_nodes only when the address's pre-filter bit is set: proves the filter gates
     * the lookup and that Java and C compute the same bit for IPv6 (the test above covers IPv4).
     */
    @Test
    void nodeLookupIsGatedByTheFilterBit() {
        String hidden = "198.51.100.98";
        String node6 = "2001:db8:1::99";
        h.addNode(node6, PORT);
        h.addNodeWithoutFilterBit(hidden);
        h.establish(LOCAL6, PORT, node6, 30000);
        h.establish(LOCAL4, PORT, hidden, 30000);
        h.ingress(TcpFrames.tcp(node6, 30000, LOCAL6, PORT).build());
        h.ingress(TcpFrames.tcp(hidden, 30000, LOCAL4, PORT).build());

        assertThat(h.client(SERVICE, PORT, node6).orElseThrow().forwarded()).isTrue();
        assertThat(h.client(SERVICE, PORT, hidden).orElseThrow().forwarded())
                .as("bit clear (unless it collides with the IPv6 node's)")
                .isEqualTo(OriginMapLayouts.nodeFilterBit(ClientAddress.parse(hidden).toBytes())
                        == OriginMapLayouts.nodeFilterBit(ClientAddress.parse(node6).toBytes()));
        assertThat(h.stat(Stat.FORWARDED_PACKETS)).isEqualTo(1);
    }

    @Test
    void nodeCheckIsSkippedOnPortsWithoutTheFlag() {
        String node = "198.51.100.99";
        h.watchPort(9000, 3);
        h.addNode(node, PORT);
        h.establish(LOCAL4, 9000, node, 30000);
        h.ingress(TcpFrames.tcp(node, 30000, LOCAL4, 9000).build());
        assertThat(h.client(3, 9000, node).orElseThrow().forwarded()).isFalse();
        assertThat(h.stat(Stat.FORWARDED_PACKETS)).isZero();
    }

    @ParameterizedTest(name = "ipv4={0}")
    @ValueSource(booleans = {true, false})
    void handshakeGivesOneRttSample(boolean ipv4) {
        h.ingress(toService(ipv4).flags(SYN).seq(1000).build());
        h.egress(TcpFrames.tcp(local(ipv4), PORT, client(ipv4), 40000).flags(SYN | ACK).seq(5000).ack(1001).build());
        assertThat(h.handshakeCount()).isEqualTo(1);
        h.ingress(toService(ipv4).flags(ACK).seq(1001).ack(5001).build());
        h.ingress(toService(ipv4).flags(ACK | PSH).seq(1001).ack(5001).payload(10).build());

        Client c = h.client(SERVICE, PORT, client(ipv4)).orElseThrow();
        assertThat(c.rttSamples()).isEqualTo(1);
        assertThat(c.srttNs()).isPositive().isLessThan(1_000_000_000L);
        assertThat(c.rttMinNs()).isEqualTo(c.srttNs());
        assertThat(c.packets()).isEqualTo(3);
        assertThat(h.handshakeCount()).isZero();
        assertStats(Map.of(Stat.PACKETS_SEEN, 3L, Stat.HANDSHAKES_PENDING, 1L,
                Stat.MATCHED, 3L, Stat.CLIENTS_NEW, 1L, Stat.EGRESS_PACKETS_SEEN, 1L, Stat.HANDSHAKES_TRACKED, 1L,
                Stat.HANDSHAKES_COMPLETED, 1L, Stat.RTT_SAMPLES, 1L));
    }

    /** The RTT is the time from the SYN-ACK leaving to the ACK arriving; later samples are smoothed 7/8 + 1/8. */
    @Test
    void rttIsMeasuredFromSynAckAndSmoothed() {
        long synAckAgo = 80_000_000L;
        long now = System.nanoTime(); // CLOCK_MONOTONIC, the clock of bpf_ktime_get_ns
        // The last SYN a second ago: inside the handshake window, and safely before the coarse clock's "now".
        h.putClient(SERVICE, PORT, CLIENT4, 8_000_000L, 8_000_000L, 1, now - 1_000_000_000L);
        h.ingress(toService(true).flags(SYN).seq(1000).build());
        h.egress(fromService(true).flags(SYN | ACK).seq(5000).ack(1001).build());
        h.backdateSynAck(LOCAL4, PORT, CLIENT4, 40000, now - synAckAgo);
        h.ingress(toService(true).flags(ACK).seq(1001).ack(5001).build());
        long elapsed = System.nanoTime() - now;

        Client c = h.client(SERVICE, PORT, CLIENT4).orElseThrow();
        assertThat(c.rttSamples()).isEqualTo(2);
        long smoothedLow = (7 * 8_000_000L + synAckAgo) / 8;
        assertThat(c.srttNs()).isBetween(smoothedLow, smoothedLow + elapsed / 8 + 1);
        assertThat(c.rttMinNs()).isEqualTo(8_000_000L);
    }

    /**
     * KernelClock reads the programs' clocks: bpf_ktime_get_ns (RTT) is CLOCK_MONOTONIC exactly, and the
     * seen-times (coarse clock, read at most once per jiffy) trail it by at most two ticks.
     */
    @Test
    void programTimestampsAreOnTheClocksKernelClockReads() {
        long tick = KernelClock.coarseResolutionNanos();
        long synAckAgo = 50_000_000L;
        long before = KernelClock.monotonicNanos();
        h.ingress(toService(true).flags(SYN).seq(1000).build());
        h.egress(fromService(true).flags(SYN | ACK).seq(5000).ack(1001).build());
        h.backdateSynAck(LOCAL4, PORT, CLIENT4, 40000, before - synAckAgo);
        h.ingress(toService(true).flags(ACK).seq(1001).ack(5001).build());
        long after = KernelClock.monotonicNanos();

        Client c = h.client(SERVICE, PORT, CLIENT4).orElseThrow();
        // rtt = bpf_ktime_get_ns() - (before - synAckAgo), taken between the two readings
        assertThat(c.srttNs()).isBetween(synAckAgo, synAckAgo + (after - before));
        assertThat(c.firstSeenNs()).isBetween(before - 2 * tick, after);
        assertThat(c.lastSeenNs()).isBetween(c.firstSeenNs(), after);
        assertThat(tick).isBetween(100_000L, 100_000_000L); // HZ between 10 and 10000
    }

    @Test
    void retransmittedSynAckGivesNoSample() {
        h.ingress(toService(true).flags(SYN).seq(1000).build());
        byte[] synAck = TcpFrames.tcp(LOCAL4, PORT, CLIENT4, 40000).flags(SYN | ACK).seq(5000).ack(1001).build();
        h.egress(synAck);
        h.egress(synAck);
        h.ingress(toService(true).flags(ACK).seq(1001).ack(5001).build());

        assertThat(h.client(SERVICE, PORT, CLIENT4).orElseThrow().rttSamples()).isZero();
        assertThat(h.handshakeCount()).isZero();
        assertThat(h.stat(Stat.HANDSHAKES_RETRANSMITTED)).isEqualTo(1);
        assertThat(h.stat(Stat.RTT_SAMPLES)).isZero();
    }

    @Test
    void ackNotAnsweringTheSynAckGivesNoSample() {
        h.ingress(toService(true).flags(SYN).seq(1000).build());
        h.egress(TcpFrames.tcp(LOCAL4, PORT, CLIENT4, 40000).flags(SYN | ACK).seq(5000).ack(1001).build());
        h.ingress(toService(true).flags(ACK).seq(1001).ack(4000).build());
        h.ingress(TcpFrames.tcp(CLIENT4, 40001, LOCAL4, PORT).flags(ACK).seq(1001).ack(5001).build());

        assertThat(h.clients()).as("no handshake completed: no client").isEmpty();
        assertThat(h.stat(Stat.UNVERIFIED)).isEqualTo(3);
        assertThat(h.stat(Stat.RTT_SAMPLES)).isZero();
        assertThat(h.handshakeCount()).isEqualTo(1);
    }

    @Test
    void newSynAckOnAReusedFourTupleReplacesTheStaleHandshake() {
        byte[] oldSynAck = TcpFrames.tcp(LOCAL4, PORT, CLIENT4, 40000).flags(SYN | ACK).seq(5000).build();
        h.egress(oldSynAck); // its ACK never came
        h.ingress(toService(true).flags(SYN).seq(9000).build());
        h.egress(TcpFrames.tcp(LOCAL4, PORT, CLIENT4, 40000).flags(SYN | ACK).seq(7000).ack(9001).build());
        h.ingress(toService(true).flags(ACK).seq(9001).ack(7001).build());

        assertThat(h.client(SERVICE, PORT, CLIENT4).orElseThrow().rttSamples()).isEqualTo(1);
        assertThat(h.stat(Stat.HANDSHAKES_TRACKED)).isEqualTo(2);
        assertThat(h.stat(Stat.HANDSHAKES_RETRANSMITTED)).isZero();
        assertThat(h.handshakeCount()).isZero();
    }

    /** BIG TCP / TSO packets carry 0 in the IP length field: the skb length is used instead. */
    @ParameterizedTest(name = "ipv4={0}")
    @ValueSource(booleans = {true, false})
    void zeroIpLengthFieldCountsTheSkbLength(boolean ipv4) {
        establish(ipv4);
        byte[] frame = toService(ipv4).payload(300).build();
        int lengthField = TcpFrames.ETHERNET_HEADER + (ipv4 ? 2 : 4);
        frame[lengthField] = 0;
        frame[lengthField + 1] = 0;
        h.ingress(frame);
        assertThat(h.client(SERVICE, PORT, client(ipv4)).orElseThrow().bytes())
                .isEqualTo(frame.length - TcpFrames.ETHERNET_HEADER);
    }

    @Test
    void egressTracksOnlySynAcksOfWatchedServices() {
        h.egress(TcpFrames.tcp(LOCAL4, 9999, CLIENT4, 40000).flags(SYN | ACK).build());   // unwatched port
        h.egress(TcpFrames.tcp(LOCAL4, 9999, CLIENT4, 40000).flags(ACK).payload(10).build()); // unwatched port
        h.egress(TcpFrames.tcp(LOCAL4, PORT, CLIENT4, 40000).flags(ACK).payload(10).build()); // established
        h.egress(TcpFrames.tcp(LOCAL4, PORT, CLIENT4, 40000).flags(SYN | ACK).build());
        h.egress(java.util.Arrays.copyOf(TcpFrames.tcp(LOCAL4, PORT, CLIENT4, 1).build(), 40)); // truncated TCP
        h.egress(TcpFrames.ethernet(TcpFrames.ETHERTYPE_ARP, new byte[28]));
        assertThat(h.handshakeCount()).isEqualTo(1);
        assertThat(h.clients()).singleElement().satisfies(c -> assertThat(c.port()).isEqualTo(PORT));
        assertStats(Map.of(Stat.EGRESS_PACKETS_SEEN, 6L, Stat.HANDSHAKES_TRACKED, 1L, Stat.EGRESS_UNPARSED, 1L,
                Stat.CLIENTS_NEW, 1L, Stat.CLIENTS_ESTABLISHED, 1L));
    }
}
