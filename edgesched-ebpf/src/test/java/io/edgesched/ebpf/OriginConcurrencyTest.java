package io.edgesched.ebpf;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgesched.ebpf.OriginHarness.Client;
import io.edgesched.ebpf.OriginMapLayouts.Stat;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Two threads run the ingress program at once (BPF_PROG_TEST_RUN runs on the caller's CPU): no count may be
 * lost, whether clients already exist (atomic adds) or both threads create the same new clients (one insert
 * wins, the other gets EEXIST, looks the entry up again and adds to it).
 */
@RequiresBpf
class OriginConcurrencyTest {
    private static final int PORT = 8080;
    private static final int THREADS = 2;

    @Test
    void concurrentPacketsOfOneClientAreAllCounted() throws Exception {
        byte[] frame = TcpFrames.tcp("198.51.100.7", 40000, "192.0.2.10", PORT).payload(10).build();
        int repeat = 200_000;
        try (OriginHarness h = OriginHarness.load()) {
            h.watchPort(PORT, 1);
            h.establish("192.0.2.10", PORT, "198.51.100.7", 40000);
            h.ingress(frame);
            runConcurrently(() -> OriginHarness.run(h.ingress, frame, repeat));
            Client c = h.client(1, PORT, "198.51.100.7").orElseThrow();
            assertThat(c.packets()).isEqualTo(1 + (long) THREADS * repeat);
            assertThat(c.bytes()).isEqualTo((1 + (long) THREADS * repeat) * (frame.length - 14));
        }
    }

    @Test
    void concurrentlyCreatedClientsLoseNoPacket() throws Exception {
        int clients = 5000;
        List<byte[]> replies = new ArrayList<>();
        List<byte[]> frames = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            byte[] source = {10, 7, (byte) (i >> 8), (byte) i};
            byte[] local = {(byte) 192, 0, 2, 10};
            // Our own reply creates the entry (both threads race to insert it), then the client's data counts.
            replies.add(TcpFrames.tcp(local, PORT, source, 40000).flags(TcpFrames.ACK).build());
            frames.add(TcpFrames.tcp(source, 40000, local, PORT).flags(TcpFrames.ACK).payload(5).build());
        }
        try (OriginHarness h = OriginHarness.load()) {
            h.watchPort(PORT, 1);
            runConcurrently(() -> {
                for (int i = 0; i < clients; i++) {
                    OriginHarness.run(h.egress, replies.get(i), 1);
                    OriginHarness.run(h.ingress, frames.get(i), 1);
                }
            });
            List<Client> all = h.clients();
            assertThat(all).hasSize(clients);
            assertThat(all).allSatisfy(c -> assertThat(c.packets()).isEqualTo(THREADS));
            assertThat(h.stat(Stat.CLIENTS_ESTABLISHED)).isEqualTo(clients);
            assertThat(h.stat(Stat.CLIENTS_NEW)).isEqualTo(clients);
            assertThat(h.stat(Stat.MATCHED)).isEqualTo((long) THREADS * clients);
            assertThat(h.stat(Stat.CLIENTS_FULL)).isZero();
            // Races may or may not have happened on this run; each one must have been counted once.
            assertThat(h.stat(Stat.CLIENTS_RACE)).isBetween(0L, (long) clients);
        }
    }

    private static void runConcurrently(Runnable work) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            CyclicBarrier start = new CyclicBarrier(THREADS);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                futures.add(pool.submit(() -> {
                    start.await();
                    work.run();
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
