package io.edgesched.ebpf;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgesched.api.ClientAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Reads by known keys return what a whole read of the table returns, and give way to one after any insert. */
@RequiresBpf
class OriginMapReaderKeyedReadTest {
    private static final int PORT = 8080;
    private static final String LOCAL = "192.0.2.10";

    @Test
    void keyedReadsFollowTheTableUntilAnInsert() {
        try (OriginHarness h = OriginHarness.load(1024, 0);
             OriginMapReader reader = new OriginMapReader(h.clients, h.stats)) {
            h.watchPort(PORT, 7);
            assertThat(reader.keyedReadLimit()).as("1024 / 64").isEqualTo(16);
            h.connect("198.51.100.1", 40000, LOCAL, PORT);
            h.connect("198.51.100.2", 40000, LOCAL, PORT);
            h.connect("2001:db8:1::3", 40000, "2001:db8::10", PORT);
            assertThat(reader.readClients()).hasSize(3);
            assertThat(reader.keyedReads()).as("the first read walks the table").isZero();

            // more traffic from a known client: no insert, so the next read looks the three keys up
            h.connect("198.51.100.1", 40001, LOCAL, PORT);
            List<OriginKernel.RawClient> keyed = reader.readClients();
            assertThat(reader.keyedReads()).isEqualTo(1);
            assertThat(connections(keyed, "198.51.100.1")).isEqualTo(2);
            assertSameAsWholeRead(h, keyed, 3);

            // a new client is an insert: the next read walks the table again, and finds it
            h.connect("198.51.100.4", 40000, LOCAL, PORT);
            List<OriginKernel.RawClient> whole = reader.readClients();
            assertThat(reader.keyedReads()).isEqualTo(1);
            assertSameAsWholeRead(h, whole, 4);
            assertThat(reader.readClients()).hasSize(4);
            assertThat(reader.keyedReads()).isEqualTo(2);

            // a client we delete (unwatch) drops out of the keyed reads
            OriginKernel.RawClient gone = whole.stream()
                    .filter(c -> ClientAddress.of(c.address()).toString().equals("198.51.100.2")).findFirst().orElseThrow();
            assertThat(reader.deleteClient(gone)).isTrue();
            List<OriginKernel.RawClient> afterDelete = reader.readClients();
            assertThat(reader.keyedReads()).isEqualTo(3);
            assertThat(afterDelete).extracting(c -> ClientAddress.of(c.address()).toString())
                    .containsExactlyInAnyOrder("198.51.100.1", "2001:db8:1::3", "198.51.100.4");
            assertSameAsWholeRead(h, afterDelete, 3);
        }
    }

    @Test
    void aTableLargerThanTheLimitIsAlwaysWalked() {
        try (OriginHarness h = OriginHarness.load(1024, 0);
             OriginMapReader reader = new OriginMapReader(h.clients, h.stats)) {
            h.watchPort(PORT, 7);
            for (int i = 0; i < 17; i++) {
                h.connect(new byte[] {(byte) 198, 51, 100, (byte) (10 + i)}, 40000, new byte[] {(byte) 192, 0, 2, 10},
                        PORT);
            }
            assertThat(reader.readClients()).hasSize(17);
            assertThat(reader.readClients()).hasSize(17);
            assertThat(reader.keyedReads()).isZero();
        }
    }

    @Test
    void systemPropertyTurnsKeyedReadsOff() {
        try (OriginHarness h = OriginHarness.load(1024, 0)) {
            h.watchPort(PORT, 7);
            h.connect("198.51.100.1", 40000, LOCAL, PORT);
            String previous = System.setProperty(OriginMapReader.KEYED_READS_PROPERTY, "false");
            try (OriginMapReader reader = new OriginMapReader(h.clients, h.stats)) {
                assertThat(reader.keyedReadLimit()).isZero();
                assertThat(reader.readClients()).hasSize(1);
                assertThat(reader.readClients()).hasSize(1);
                assertThat(reader.keyedReads()).isZero();
            } finally {
                restore(OriginMapReader.KEYED_READS_PROPERTY, previous);
            }
        }
    }

    @Test
    void batchReadsOfAnEmptyTableHonourTheSwitchToo() {
        try (OriginHarness h = OriginHarness.load(1024, 0)) {
            String copier = System.setProperty(OriginMapReader.COPIER_PROPERTY, "false");
            String keyed = System.setProperty(OriginMapReader.KEYED_READS_PROPERTY, "false");
            try (OriginMapReader off = new OriginMapReader(h.clients, h.stats)) {
                restore(OriginMapReader.KEYED_READS_PROPERTY, keyed);
                try (OriginMapReader on = new OriginMapReader(h.clients, h.stats)) {
                    assertThat(off.usesCopier()).isFalse();
                    for (int i = 0; i < 2; i++) {
                        assertThat(off.readClients()).isEmpty();
                        assertThat(on.readClients()).isEmpty();
                    }
                    assertThat(off.keyedReads()).isZero();
                    assertThat(on.keyedReads()).as("an empty table is known too").isEqualTo(1);
                }
            } finally {
                restore(OriginMapReader.COPIER_PROPERTY, copier);
                restore(OriginMapReader.KEYED_READS_PROPERTY, keyed);
            }
        }
    }

    private static void restore(String property, String previous) {
        if (previous == null) {
            System.clearProperty(property);
        } else {
            System.setProperty(property, previous);
        }
    }

    private static void assertSameAsWholeRead(OriginHarness h, List<OriginKernel.RawClient> read, int size) {
        try (OriginMapReader fresh = new OriginMapReader(h.clients, h.stats)) {
            assertThat(read).hasSize(size).usingRecursiveFieldByFieldElementComparator()
                    .containsExactlyInAnyOrderElementsOf(fresh.readClients());
            assertThat(fresh.keyedReads()).isZero();
        }
    }

    private static long connections(List<OriginKernel.RawClient> clients, String address) {
        return clients.stream().filter(c -> ClientAddress.of(c.address()).toString().equals(address))
                .mapToLong(OriginKernel.RawClient::connections).sum();
    }
}
