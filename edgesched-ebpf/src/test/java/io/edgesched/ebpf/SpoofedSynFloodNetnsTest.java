package io.edgesched.ebpf;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.NodeId;
import io.edgesched.api.OriginRecord;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.WatchedService;
import io.edgesched.ebpf.OriginMapLayouts.Stat;
import io.edgesched.ebpf.libbpf.RawFrameSender;
import io.edgesched.ebpf.netns.NetnsLab;
import io.edgesched.ebpf.netns.TcpLoadClient;
import io.edgesched.ebpf.netns.TcpSinkServer;
import java.net.InetAddress;
import java.util.HexFormat;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An off-path attacker floods the server with SYNs from spoofed IPv4 and IPv6 sources (raw frames on the client
 * side of the veth; the server answers each with a SYN-ACK that goes nowhere) while real clients connect: the
 * client table must hold exactly the real clients with their exact connection counts, and the flood must show
 * in the counters.
 */
@RequiresBpf
class SpoofedSynFloodNetnsTest {
    private static final Logger LOG = LoggerFactory.getLogger(SpoofedSynFloodNetnsTest.class);
    private static final int PORT = 8080;
    private static final int MAX_SPOOFED = 20_000;
    private static final String SPOOFED_V4_PREFIX = "198.18.";
    private static final String SPOOFED_V6_PREFIX = "fd00:dead::";

    @Test
    void spoofedSynsNeverBecomeClientsWhileRealClientsAreCountedExactly() throws Exception {
        try (NetnsLab lab = NetnsLab.create(3, 2); TcpSinkServer.Handle server = TcpSinkServer.Handle.start(lab, PORT)) {
            // SYN-ACKs to the spoofed ranges leave through the veth (so egress sees them) to a host that drops them.
            lab.ipIn(lab.serverNs(), "route", "add", SPOOFED_V4_PREFIX + "0.0/16", "via",
                    lab.clientV4().getFirst().getHostAddress());
            lab.ipIn(lab.serverNs(), "-6", "route", "add", SPOOFED_V6_PREFIX + "/64", "via",
                    lab.clientV6().getFirst().getHostAddress());
            try (EbpfRequestOriginSource source = EbpfRequestOriginSource.builder().node(NodeId.of("flooded"))
                    .interfaceName(lab.serverInterface()).networkNamespace(lab.serverNs())
                    .handshakeTableSize(1 << 18).open();
                    RawFrameSender raw = RawFrameSender.open(lab.clientNs(), lab.clientInterface())) {
                source.watch(WatchedService.port(PORT));
                AtomicInteger spoofed = new AtomicInteger();
                CompletableFuture<Void> flood = CompletableFuture.runAsync(
                        () -> flood(raw, lab, spoofed));
                while (spoofed.get() < 500 && !flood.isDone()) {
                    Thread.sleep(5);
                }
                int floodBefore = spoofed.get();
                Map<InetAddress, TcpLoadClient.SourceResult> sent = new HashMap<>();
                sent.putAll(TcpLoadClient.run(lab, lab.serverV4(), PORT, 4, 2000, lab.clientV4()));
                sent.putAll(TcpLoadClient.run(lab, lab.serverV6(), PORT, 3, 700, lab.clientV6()));
                int floodDuring = spoofed.get() - floodBefore;
                flood.get(60, TimeUnit.SECONDS);
                assertThat(floodDuring).as("the flood ran while the real clients connected").isPositive();

                OriginSnapshot snapshot = source.snapshot();
                assertThat(snapshot.records()).extracting(r -> r.client().toInetAddress())
                        .containsExactlyInAnyOrderElementsOf(sent.keySet());
                for (OriginRecord r : snapshot.records()) {
                    assertThat(r.client().toString()).doesNotStartWith(SPOOFED_V4_PREFIX)
                            .doesNotStartWith(SPOOFED_V6_PREFIX);
                    assertThat(r.connections()).as("connections of %s", r.client())
                            .isEqualTo(sent.get(r.client().toInetAddress()).connections());
                    assertThat(r.rttSamples()).isEqualTo(r.connections());
                }
                Map<Stat, Long> counters = source.counters();
                LOG.info("spoofed SYNs sent {} ({} while real clients connected); counters {}", spoofed.get(),
                        floodDuring, counters);
                long realConnections = sent.values().stream().mapToLong(TcpLoadClient.SourceResult::connections).sum();
                int flooded = spoofed.get();
                assertThat(flooded).isEqualTo(MAX_SPOOFED);
                assertThat(counters.get(Stat.HANDSHAKES_PENDING)).as("every SYN opened a pending handshake")
                        .isGreaterThanOrEqualTo(flooded + realConnections);
                assertThat(counters.get(Stat.HANDSHAKES_COMPLETED)).isEqualTo(realConnections);
                assertThat(counters.get(Stat.UNVERIFIED)).as("spoofed SYNs counted, not dropped silently")
                        .isGreaterThanOrEqualTo(flooded);
                assertThat(counters.get(Stat.HANDSHAKES_TRACKED)).as("the server answered the flood with SYN-ACKs")
                        .isGreaterThan(realConnections);
                assertThat(counters.get(Stat.CLIENTS_NEW)).isEqualTo(sent.size());
                assertThat(counters.get(Stat.CLIENTS_ESTABLISHED)).isZero();
            }
        }
    }

    /** {@value #MAX_SPOOFED} spoofed SYNs, IPv4 and IPv6 alternating, ~10000/s, each from its own 4-tuple. */
    private static void flood(RawFrameSender raw, NetnsLab lab, AtomicInteger sent) {
        Random random = new Random(8);
        byte[] serverMac = HexFormat.ofDelimiter(":").parseHex(NetnsLab.SERVER_MAC);
        byte[] clientMac = HexFormat.ofDelimiter(":").parseHex(NetnsLab.CLIENT_MAC);
        byte[] server4 = lab.serverV4().getAddress();
        byte[] server6 = lab.serverV6().getAddress();
        while (sent.get() < MAX_SPOOFED) {
            for (int burst = 0; burst < 100 && sent.get() < MAX_SPOOFED; burst++) {
                int i = sent.get();
                int j = i / 2; // a distinct 4-tuple per SYN
                byte[] frame;
                if (i % 2 == 0) {
                    byte[] spoof = ClientAddress.parse(SPOOFED_V4_PREFIX + (j >> 8) + "." + (j & 0xff)).toBytes();
                    frame = TcpFrames.tcp(spoof, 1024 + j, server4, PORT).flags(TcpFrames.SYN)
                            .seq(random.nextInt()).build();
                } else {
                    byte[] spoof = ClientAddress.parse(SPOOFED_V6_PREFIX + Integer.toHexString(j + 1)).toBytes();
                    frame = TcpFrames.tcp(spoof, 1024 + j, server6, PORT).flags(TcpFrames.SYN)
                            .seq(random.nextInt()).build();
                }
                System.arraycopy(serverMac, 0, frame, 0, 6);
                System.arraycopy(clientMac, 0, frame, 6, 6);
                raw.send(frame);
                sent.incrementAndGet();
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
