package io.edgesched.ebpf;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgesched.ebpf.libbpf.MapSnapshotReader;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The copier program's rows equal a batch read of the same table, entry by entry. */
@RequiresBpf
class OriginClientCopierTest {
    private static final int PORT = 8080;

    @Test
    void copyEqualsBatchSnapshotOfTheLiveTable() {
        try (OriginHarness h = OriginHarness.load(4096, 0)) {
            h.watchPort(PORT, 7);
            try (OriginClientCopier copier = OriginClientCopier.open(h.clients)) {
                assertThat(copier.copy()).isZero();
                assertThat(copier.entries().byteSize()).isZero();
                assertThat(copier.capacity()).isEqualTo(4096);

                for (int i = 0; i < 3000; i++) {
                    byte[] source = {11, 0, (byte) (i >> 8), (byte) i};
                    h.connect(source, 40000, new byte[] {(byte) 192, 0, 2, 10}, PORT);
                }
                int n = copier.copy();
                assertThat(n).isEqualTo(3000);
                long entrySize = OriginMapLayouts.CLIENT_ENTRY.byteSize();
                long keySize = OriginMapLayouts.CLIENT_KEY.byteSize();
                Map<String, String> copied = new HashMap<>();
                MemorySegment rows = copier.entries();
                for (int i = 0; i < n; i++) {
                    MemorySegment row = rows.asSlice(i * entrySize, entrySize);
                    copied.put(hex(row.asSlice(0, keySize)), hex(row.asSlice(keySize)));
                }
                Map<String, String> batched = new HashMap<>();
                try (MapSnapshotReader reader = h.clients.snapshotReader()) {
                    for (int i = 0, m = reader.read(); i < m; i++) {
                        batched.put(hex(reader.key(i)), hex(reader.value(i)));
                    }
                }
                assertThat(copied).hasSize(3000).isEqualTo(batched);
            }
        }
    }

    @Test
    void readerUsesTheCopierAndDecodesLikeTheBatchPath() {
        try (OriginHarness h = OriginHarness.load(1024, 0)) {
            h.watchPort(PORT, 9);
            h.connect("198.51.100.7", 40000, "192.0.2.10", PORT);
            h.connect("2001:db8:1::7", 40000, "2001:db8::10", PORT);
            try (OriginMapReader reader = new OriginMapReader(h.clients, h.stats)) {
                assertThat(reader.usesCopier()).as("kernel 5.14+ runs the copier").isTrue();
                var clients = reader.readClients();
                assertThat(clients).hasSize(2).allSatisfy(c -> {
                    assertThat(c.serviceId()).isEqualTo(9);
                    assertThat(c.port()).isEqualTo(PORT);
                    assertThat(c.connections()).isEqualTo(1);
                });
                assertThat(clients).extracting(c -> io.edgesched.api.ClientAddress.of(c.address()).toString())
                        .containsExactlyInAnyOrder("198.51.100.7", "2001:db8:1::7");
                assertThat(reader.hasBatchBuffers()).as("the copier answered: no batch buffers made").isFalse();
            }
        }
    }

    @Test
    void systemPropertyFallsBackToBatchReadsWithTheSameResult() {
        try (OriginHarness h = OriginHarness.load(1024, 0)) {
            h.watchPort(PORT, 9);
            h.connect("198.51.100.7", 40000, "192.0.2.10", PORT);
            String previous = System.setProperty(OriginMapReader.COPIER_PROPERTY, "false");
            try (OriginMapReader batch = new OriginMapReader(h.clients, h.stats)) {
                restore(previous);
                try (OriginMapReader copying = new OriginMapReader(h.clients, h.stats)) {
                    assertThat(batch.usesCopier()).isFalse();
                    assertThat(copying.usesCopier()).isTrue();
                    assertThat(batch.readClients()).usingRecursiveFieldByFieldElementComparator()
                            .isEqualTo(copying.readClients()).hasSize(1);
                    assertThat(batch.hasBatchBuffers()).isTrue();
                    assertThat(copying.hasBatchBuffers()).isFalse();
                }
            } finally {
                restore(previous);
            }
        }
    }

    private static void restore(String previous) {
        if (previous == null) {
            System.clearProperty(OriginMapReader.COPIER_PROPERTY);
        } else {
            System.setProperty(OriginMapReader.COPIER_PROPERTY, previous);
        }
    }

    private static String hex(MemorySegment segment) {
        return HexFormat.of().formatHex(segment.toArray(ValueLayout.JAVA_BYTE));
    }
}
