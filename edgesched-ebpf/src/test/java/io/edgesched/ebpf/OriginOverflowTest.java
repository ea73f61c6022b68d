package io.edgesched.ebpf;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgesched.ebpf.OriginMapLayouts.Stat;
import org.junit.jupiter.api.Test;

/**
 * Bounded tables: the client and handshake tables are LRU maps, so a full table evicts its least recently
 * used entry to admit a new one. The program counts every insert, so evictions = inserts - entries present.
 */
@RequiresBpf
class OriginOverflowTest {
    private static final int PORT = 8080;

    @Test
    void fullClientTableEvictsOldClientsAndEveryInsertIsCounted() {
        int capacity = 64;
        int clients = 1000;
        try (OriginHarness h = OriginHarness.load(capacity, 0)) {
            h.watchPort(PORT, 1);
            for (int i = 0; i < clients; i++) {
                String source = "10.1." + (i >> 8) + "." + (i & 0xff);
                // Each client completes its handshake: SYN, our SYN-ACK, its ACK.
                h.ingress(TcpFrames.tcp(source, 40000, "192.0.2.10", PORT).flags(TcpFrames.SYN).seq(10).build());
                h.egress(TcpFrames.tcp("192.0.2.10", PORT, source, 40000).flags(TcpFrames.SYN | TcpFrames.ACK)
                        .seq(99).ack(11).build());
                h.ingress(TcpFrames.tcp(source, 40000, "192.0.2.10", PORT).flags(TcpFrames.ACK).seq(11).ack(100)
                        .build());
            }
            int present = h.clients().size();
            assertThat(present).isPositive().isLessThanOrEqualTo(capacity);
            assertThat(h.stat(Stat.CLIENTS_NEW)).isEqualTo(clients);
            assertThat(h.stat(Stat.MATCHED)).isEqualTo(2L * clients); // SYN + ACK each
            assertThat(h.stat(Stat.CLIENTS_FULL)).isZero();
            long evicted = h.stat(Stat.CLIENTS_NEW) - present;
            assertThat(evicted).isGreaterThanOrEqualTo(clients - capacity);
            // The newest client always got in.
            assertThat(h.client(1, PORT, "10.1.3.231")).isPresent();
            h.clients().forEach(c -> assertThat(c.packets()).isEqualTo(2));
            h.clients().forEach(c -> assertThat(c.connections()).isEqualTo(1));
        }
    }

    @Test
    void fullHandshakeTableOverwritesOldHandshakesAndCountsThem() {
        int capacity = 16;
        try (OriginHarness h = OriginHarness.load(0, capacity)) {
            h.watchPort(PORT, 1);
            for (int port = 1; port <= 200; port++) {
                h.egress(TcpFrames.tcp("192.0.2.10", PORT, "198.51.100.7", port)
                        .flags(TcpFrames.SYN | TcpFrames.ACK).seq(port).build());
            }
            assertThat(h.stat(Stat.HANDSHAKES_TRACKED)).isEqualTo(200);
            assertThat(h.stat(Stat.HANDSHAKES_FULL)).isZero();
            assertThat(h.handshakeCount()).isPositive().isLessThanOrEqualTo(capacity);
            assertThat(h.stat(Stat.HANDSHAKES_EXPIRED)).as("every handshake not in a slot was counted")
                    .isEqualTo(200 - h.handshakeCount());
        }
    }
}
