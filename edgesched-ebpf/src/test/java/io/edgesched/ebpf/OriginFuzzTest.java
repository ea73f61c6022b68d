package io.edgesched.ebpf;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgesched.api.ClientAddress;
import io.edgesched.ebpf.OriginHarness.Client;
import io.edgesched.ebpf.OriginMapLayouts.Stat;
import io.edgesched.ebpf.ReferenceParser.Outcome;
import io.edgesched.ebpf.ReferenceParser.Parsed;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Thousands of seeded random and mutated frames: each must leave the program with TC_ACT_UNSPEC and unchanged,
 * move exactly the counter {@link ReferenceParser} predicts, and the client table must end up holding exactly
 * the traffic the reference attributes to each client.
 */
@RequiresBpf
class OriginFuzzTest {
    private static final long SEED = 20261127L;
    private static final int FRAMES = 3000;
    private static final byte[] EXACT_LOCAL = ClientAddress.parse("192.0.2.10").toBytes();

    private record ClientKey(int serviceId, int port, ClientAddress address) {
    }

    private record Totals(long connections, long packets, long bytes) {
        Totals plus(boolean syn, long ipBytes) {
            return new Totals(connections + (syn ? 1 : 0), packets + 1, bytes + ipBytes);
        }
    }

    @Test
    void mutatedFramesLandInThePredictedCounterAndNeverChangeFate() {
        Random random = new Random(SEED);
        List<byte[]> seeds = List.of(
                TcpFrames.tcp("198.51.100.7", 40000, "192.0.2.10", 8080).flags(TcpFrames.SYN).build(),
                TcpFrames.tcp("198.51.100.8", 40001, "192.0.2.10", 8080).ipv4Options(new byte[12]).payload(33).build(),
                TcpFrames.tcp("198.51.100.9", 40002, "192.0.2.10", 9090).vlan(5).payload(7).build(),
                TcpFrames.tcp("198.51.100.9", 40003, "192.0.2.10", 7070).ipv4Fragment(0, true).build(),
                TcpFrames.tcp("2001:db8:1::7", 40004, "2001:db8::10", 8080).flags(TcpFrames.SYN).build(),
                TcpFrames.tcp("2001:db8:1::8", 40005, "2001:db8::10", 8080)
                        .ipv6OptionsHeader(TcpFrames.IPV6_HOP_BY_HOP, 0).ipv6Fragment(0, true)
                        .ipv6AuthenticationHeader(1).payload(12).build(),
                TcpFrames.tcp("2001:db8:1::9", 40006, "2001:db8::10", 7070)
                        .ipv6OptionsHeader(TcpFrames.IPV6_DEST_OPTS, 2).build());

        Map<Outcome, Integer> outcomes = new EnumMap<>(Outcome.class);
        int notWatched = 0;
        int refused = 0;
        int matched = 0;
        Map<ClientKey, Totals> expectedClients = new HashMap<>();
        // Egress runs in an object of its own: its evidence path would otherwise create clients from mutants.
        try (OriginHarness h = OriginHarness.load(); OriginHarness egressOnly = OriginHarness.load()) {
            h.watchPort(8080, 42);
            h.watchExact("192.0.2.10", 9090, 7);
            h.watchPort(7070, 5, true);
            egressOnly.watchPort(8080, 42);
            egressOnly.watchExact("192.0.2.10", 9090, 7);
            egressOnly.watchPort(7070, 5, true);
            // The seeds' clients are known (as if connected before the programs); mutants of other addresses are not.
            for (byte[] seed : seeds) {
                Parsed parsed = ReferenceParser.parse(seed);
                int service = serviceOf(parsed);
                if (parsed.outcome() == Outcome.TCP && service >= 0) {
                    String source = ClientAddress.of(parsed.source()).toString();
                    String destination = ClientAddress.of(parsed.destination()).toString();
                    h.establish(destination, parsed.destinationPort(), source, parsed.sourcePort());
                    expectedClients.put(new ClientKey(service, parsed.destinationPort(), ClientAddress.of(parsed.source())),
                            new Totals(0, 0, 0));
                }
            }
            assertThat(expectedClients).hasSizeGreaterThanOrEqualTo(4);
            Map<Stat, Long> before = h.stats();
            for (int i = 0; i < FRAMES; i++) {
                byte[] frame = mutate(seeds.get(random.nextInt(seeds.size())), random);
                if (!OriginHarness.testRunAccepts(frame)) {
                    refused++;
                    continue;
                }
                Parsed parsed = ReferenceParser.parse(frame);
                outcomes.merge(parsed.outcome(), 1, Integer::sum);

                Map<Stat, Long> expectedDelta = new EnumMap<>(Stat.class);
                expectedDelta.put(Stat.PACKETS_SEEN, 1L);
                switch (parsed.outcome()) {
                    case NOT_IP -> expectedDelta.put(Stat.NOT_IP, 1L);
                    case NOT_TCP -> expectedDelta.put(Stat.NOT_TCP, 1L);
                    case TRUNCATED -> unparsed(expectedDelta, Stat.UNPARSED_TRUNCATED);
                    case BAD_HEADER -> unparsed(expectedDelta, Stat.UNPARSED_BAD_HEADER);
                    case IPV6_EXT -> unparsed(expectedDelta, Stat.UNPARSED_IPV6_EXT);
                    case FRAGMENT -> unparsed(expectedDelta, Stat.UNPARSED_FRAGMENT);
                    case TCP -> {
                        int service = serviceOf(parsed);
                        if (service < 0) {
                            expectedDelta.put(Stat.NOT_WATCHED, 1L);
                            notWatched++;
                        } else {
                            ClientKey key = new ClientKey(service, parsed.destinationPort(),
                                    ClientAddress.of(parsed.source()));
                            boolean syn = (parsed.tcpFlags() & (TcpFrames.SYN | TcpFrames.ACK)) == TcpFrames.SYN;
                            if (syn || !expectedClients.containsKey(key)) {
                                // a SYN waits for its handshake; others are from unknown addresses (none completes)
                                expectedDelta.put(Stat.UNVERIFIED, 1L);
                            } else {
                                matched++;
                                expectedDelta.put(Stat.MATCHED, 1L);
                                // connections count completed handshakes only: none here
                                expectedClients.merge(key, new Totals(0, 0, 0).plus(false, parsed.ipBytes()),
                                        (a, b) -> new Totals(0, a.packets() + 1, a.bytes() + b.bytes()));
                            }
                        }
                    }
                    default -> throw new AssertionError(parsed.outcome());
                }

                OriginHarness.run(h.ingress, frame, 1);
                Map<Stat, Long> after = h.stats();
                Map<Stat, Long> delta = new EnumMap<>(Stat.class);
                for (Stat stat : Stat.values()) {
                    long d = after.get(stat) - before.get(stat);
                    // Which SYN opens, refreshes or overwrites a handshake slot depends on the load's random seed.
                    if (d != 0 && stat != Stat.HANDSHAKES_PENDING && stat != Stat.HANDSHAKES_EXPIRED) {
                        delta.put(stat, d);
                    }
                }
                assertThat(delta).as("frame %d (%s): %s", i, parsed.outcome(), HexFormat.of().formatHex(frame))
                        .isEqualTo(expectedDelta);
                before = after;
                OriginHarness.run(egressOnly.egress, frame, 1); // egress too must never change a frame
                before = after;
            }

            Map<ClientKey, Totals> actualClients = new HashMap<>();
            for (Client c : h.clients()) {
                actualClients.put(new ClientKey(c.serviceId(), c.port(), c.address()),
                        new Totals(c.connections(), c.packets(), c.bytes()));
            }
            assertThat(actualClients).isEqualTo(expectedClients);
        }
        // The mutations must have reached every branch, or this test proves little.
        assertThat(outcomes.keySet()).containsExactlyInAnyOrder(Outcome.values());
        assertThat(refused).isLessThan(FRAMES / 10);
        assertThat(matched).isGreaterThan(100);
        assertThat(notWatched).isGreaterThan(10);
        assertThat(outcomes.get(Outcome.IPV6_EXT)).isGreaterThan(0);
    }

    private static void unparsed(Map<Stat, Long> delta, Stat reason) {
        delta.put(Stat.UNPARSED, 1L);
        delta.put(reason, 1L);
    }

    /** The services configured above: 8080 any address, 9090 on 192.0.2.10 only, 7070 IPv4 any address. */
    private static int serviceOf(Parsed p) {
        if (p.destinationPort() == 9090 && p.family() == 4 && Arrays.equals(p.destination(), EXACT_LOCAL)) {
            return 7;
        }
        if (p.destinationPort() == 8080) {
            return 42;
        }
        if (p.destinationPort() == 7070 && p.family() == 4) {
            return 5;
        }
        return -1;
    }

    private static final int[] EXT_TYPES = {0, 43, 44, 51, 60, 6, 17, 59};

    private static byte[] mutate(byte[] seed, Random random) {
        byte[] f = seed.clone();
        switch (random.nextInt(8)) {
            case 0 -> { // flip a few bytes in the headers
                for (int n = 1 + random.nextInt(4); n > 0; n--) {
                    int at = 12 + random.nextInt(Math.min(f.length, 100) - 12);
                    f[at] ^= (byte) (1 << random.nextInt(8));
                }
            }
            case 1 -> f = Arrays.copyOf(f, 14 + random.nextInt(f.length - 13)); // cut anywhere
            case 2 -> f[14] = (byte) random.nextInt(256); // version / IHL
            case 3 -> { // random next-header chain in an IPv6 frame, or random protocol in IPv4
                if (f[12] == (byte) 0x86) {
                    f[14 + 6] = (byte) EXT_TYPES[random.nextInt(EXT_TYPES.length)];
                    for (int at = 54; at < f.length; at += 8) {
                        if (random.nextBoolean()) {
                            f[at] = (byte) EXT_TYPES[random.nextInt(EXT_TYPES.length)];
                        }
                    }
                } else if (f.length > 23) {
                    f[23] = (byte) (random.nextBoolean() ? 6 : random.nextInt(256));
                }
            }
            case 4 -> { // an entirely random frame behind a plausible ethertype
                f = new byte[14 + random.nextInt(120)];
                random.nextBytes(f);
                int[] types = {0x0800, 0x86DD, 0x8100, 0x88A8, random.nextInt(65536)};
                int type = types[random.nextInt(types.length)];
                f[12] = (byte) (type >> 8);
                f[13] = (byte) type;
            }
            case 5 -> { // a chain of many extension headers
                TcpFrames.Builder b = TcpFrames.tcp("2001:db8:1::" + random.nextInt(50), 1, "2001:db8::10", 8080);
                for (int n = random.nextInt(9); n > 0; n--) {
                    b.ipv6OptionsHeader(TcpFrames.IPV6_DEST_OPTS, random.nextInt(3));
                }
                f = b.build();
            }
            case 6 -> { // many distinct clients, SYN or not
                f = TcpFrames.tcp("198.51.100." + random.nextInt(200), 1, "192.0.2.10", 8080)
                        .flags(random.nextBoolean() ? TcpFrames.SYN : TcpFrames.ACK).payload(random.nextInt(40)).build();
            }
            default -> { // the seed itself, with a zeroed length field now and then (BIG TCP style)
                if (random.nextInt(4) == 0 && f.length > 19) {
                    int at = f[12] == (byte) 0x86 ? 18 : 16;
                    f[at] = 0;
                    f[at + 1] = 0;
                }
            }
        }
        return f;
    }
}
