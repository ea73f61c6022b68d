package io.edgesched.ebpf.libbpf;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edgesched.ebpf.BpfException;
import io.edgesched.ebpf.RequiresBpf;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;

@RequiresBpf
class BpfMapTest {
    private static final int KEY = 24;
    private static final int VALUE = 64;

    static byte[] key(int i) {
        return ByteBuffer.allocate(KEY).putInt(0, i).putInt(20, ~i).array();
    }

    static byte[] value(int i) {
        ByteBuffer b = ByteBuffer.allocate(VALUE);
        for (int w = 0; w < 8; w++) {
            b.putLong(w * 8, (long) i * 31 + w);
        }
        return b.array();
    }

    @Test
    void updateLookupDeleteWithFlags() {
        try (BpfObject object = TestObjects.open("maps").load()) {
            BpfMap map = object.map("hash_map");
            assertThat(map.type()).isEqualTo(MapType.HASH);
            assertThat(map.lookup(key(1))).isEmpty();

            map.update(key(1), value(1), UpdateFlag.NOEXIST);
            assertThat(map.lookup(key(1))).hasValue(value(1));

            assertThatThrownBy(() -> map.update(key(1), value(2), UpdateFlag.NOEXIST))
                    .isInstanceOfSatisfying(BpfException.class, e -> assertThat(e.errno()).isEqualTo(17))
                    .hasMessageContaining("update map 'hash_map'").hasMessageContaining("EEXIST");
            map.update(key(1), value(2), UpdateFlag.EXIST);
            assertThat(map.lookup(key(1))).hasValue(value(2));
            assertThatThrownBy(() -> map.update(key(9), value(9), UpdateFlag.EXIST))
                    .isInstanceOfSatisfying(BpfException.class, e -> assertThat(e.errno()).isEqualTo(2));

            assertThat(map.delete(key(1))).isTrue();
            assertThat(map.delete(key(1))).isFalse();
            assertThat(map.lookup(key(1))).isEmpty();
        }
    }

    @Test
    void wrongSizesAreRejectedBeforeTheKernelSeesThem() {
        try (BpfObject object = TestObjects.open("maps").load()) {
            BpfMap map = object.map("hash_map");
            assertThatThrownBy(() -> map.lookup(new byte[3]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expects 24");
            assertThatThrownBy(() -> map.requireLayouts(ValueLayout.JAVA_LONG, MemoryLayout.sequenceLayout(8,
                    ValueLayout.JAVA_LONG))).hasMessageContaining("disagree");
            assertThat(map.requireLayouts(MemoryLayout.sequenceLayout(24, ValueLayout.JAVA_BYTE),
                    MemoryLayout.sequenceLayout(8, ValueLayout.JAVA_LONG))).isSameAs(map);
        }
    }

    @Test
    void fullMapSaysSo() {
        try (BpfObject object = TestObjects.open("maps")) {
            object.map("hash_map").setMaxEntries(2);
            object.load();
            BpfMap map = object.map("hash_map");
            assertThat(map.maxEntries()).isEqualTo(2);
            map.update(key(1), value(1), UpdateFlag.ANY);
            map.update(key(2), value(2), UpdateFlag.ANY);
            assertThatThrownBy(() -> map.update(key(3), value(3), UpdateFlag.ANY))
                    .hasMessageContaining("E2BIG").hasMessageContaining("max_entries 2");
        }
    }

    @Test
    void mapFlagsAndTypeSetBeforeLoadReachTheKernel() throws IOException {
        try (BpfObject object = TestObjects.open("maps")) {
            BpfMap lru = object.map("lru_map");
            assertThat(lru.mapFlags() & BpfMap.NO_COMMON_LRU).isZero();
            lru.setMapFlags(lru.mapFlags() | BpfMap.NO_COMMON_LRU);
            assertThat(lru.mapFlags() & BpfMap.NO_COMMON_LRU).isEqualTo(BpfMap.NO_COMMON_LRU);
            object.map("hash_map").setType(MapType.LRU_HASH);
            object.load();
            assertThat(fdinfo(lru.fd())).containsEntry("map_flags", "0x2");
            assertThat(object.map("hash_map").info().type()).isEqualTo(MapType.LRU_HASH);
            assertThatThrownBy(() -> lru.setMapFlags(0)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void mmapableArrayIsReadThroughTheMapping() {
        int entries = 1000; // 1000 x 64 bytes: not a whole number of pages
        try (BpfMap array = BpfMap.create(MapType.ARRAY, "mmap_test", 4, VALUE, entries, BpfMap.MMAPABLE);
             BpfMap plain = BpfMap.create(MapType.ARRAY, "plain_test", 4, VALUE, 4, 0);
             Arena arena = Arena.ofConfined()) {
            MemorySegment values = array.mapValuesReadOnly(arena);
            assertThat(values.byteSize()).isEqualTo((long) VALUE * entries);
            array.update(ByteBuffer.allocate(4).order(java.nio.ByteOrder.nativeOrder()).putInt(0, 999).array(),
                    value(7), UpdateFlag.ANY);
            // written after mapping, seen without any further call
            assertThat(values.asSlice((long) 999 * VALUE, VALUE).toArray(ValueLayout.JAVA_BYTE)).isEqualTo(value(7));
            assertThat(values.get(JAVA_LONG, 0)).isZero();
            assertThatThrownBy(() -> plain.mapValuesReadOnly(arena))
                    .isInstanceOfSatisfying(BpfException.class, e -> assertThat(e.errno()).isEqualTo(22))
                    .hasMessageContaining("BPF_F_MMAPABLE");
        }
    }

    private static Map<String, String> fdinfo(int fd) throws IOException {
        Map<String, String> fields = new HashMap<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo/" + fd))) {
            String[] parts = line.split(":\\s*", 2);
            if (parts.length == 2) {
                fields.put(parts[0], parts[1].trim());
            }
        }
        return fields;
    }

    @Test
    void batchAndSnapshotEqualGetNextKeyFor64kEntries() {
        int entries = 65536;
        for (String mapName : new String[] {"hash_map", "lru_map"}) {
            try (BpfObject object = TestObjects.open("maps")) {
                // LRU maps evict early when full (per-CPU free lists), so give them slack.
                object.map(mapName).setMaxEntries(mapName.equals("lru_map") ? entries * 2 : entries);
                object.load();
                BpfMap map = object.map(mapName);
                fill(map, entries);

                Map<String, String> viaNextKey = new HashMap<>();
                int visited = map.forEach((k, v) -> viaNextKey.put(hex(k), hex(v)));

                Map<String, String> viaSnapshot = new HashMap<>();
                try (MapSnapshotReader reader = map.snapshotReader()) {
                    int n = reader.read();
                    assertThat(reader.truncated()).isFalse();
                    assertThat(reader.usesFallback()).isFalse();
                    for (int i = 0; i < n; i++) {
                        viaSnapshot.put(hex(reader.key(i)), hex(reader.value(i)));
                    }
                    assertThat(n).as(mapName).isEqualTo(visited);
                    // a second read into the same buffers gives the same answer
                    assertThat(reader.read()).isEqualTo(n);
                }

                Map<String, String> viaSmallBatches = new HashMap<>();
                try (Arena arena = Arena.ofConfined()) {
                    MapBatchCursor cursor = map.batchCursor(arena);
                    int chunk = 1000;
                    MemorySegment keys = arena.allocate((long) KEY * chunk);
                    MemorySegment values = arena.allocate((long) VALUE * chunk);
                    while (!cursor.isDone()) {
                        int n = map.batchLookup(cursor, keys, values, chunk);
                        for (int i = 0; i < n; i++) {
                            viaSmallBatches.put(hex(keys.asSlice((long) i * KEY, KEY)),
                                    hex(values.asSlice((long) i * VALUE, VALUE)));
                        }
                    }
                }

                assertThat(visited).as(mapName).isEqualTo(entries);
                assertThat(viaSnapshot).as(mapName).isEqualTo(viaNextKey);
                assertThat(viaSmallBatches).as(mapName).isEqualTo(viaNextKey);
                assertThat(viaNextKey).containsEntry(hex(key(12345)), hex(value(12345)));
            }
        }
    }

    @Test
    void snapshotOfTooSmallReaderIsMarkedTruncated() {
        try (BpfObject object = TestObjects.open("maps").load()) {
            BpfMap map = object.map("hash_map");
            fill(map, 100);
            try (MapSnapshotReader reader = map.snapshotReader(40)) {
                int n = reader.read();
                assertThat(n).isLessThanOrEqualTo(40).isPositive();
                assertThat(reader.truncated()).isTrue();
            }
            try (MapSnapshotReader reader = map.snapshotReader()) {
                assertThat(reader.read()).isEqualTo(100);
                assertThat(reader.truncated()).isFalse();
                assertThat(reader.calls()).isEqualTo(1);
            }
        }
    }

    @Test
    void emptyMapSnapshotIsEmpty() {
        try (BpfObject object = TestObjects.open("maps").load();
                MapSnapshotReader reader = object.map("lru_map").snapshotReader()) {
            assertThat(reader.read()).isZero();
            assertThat(reader.keys().byteSize()).isZero();
        }
    }

    @Test
    void perCpuValuesHaveOneSlotPerPossibleCpu() {
        try (BpfObject object = TestObjects.open("maps").load(); Arena arena = Arena.ofConfined()) {
            BpfMap map = object.map("percpu_map");
            int cpus = BpfMap.possibleCpus();
            assertThat(cpus).isPositive();
            assertThat(map.valueStride()).isEqualTo(8 * cpus);

            MemorySegment key = arena.allocate(JAVA_INT);
            MemorySegment value = arena.allocate(map.valueStride());
            for (int cpu = 0; cpu < cpus; cpu++) {
                value.set(JAVA_INT, cpu * 8L, 100 + cpu);
            }
            for (int k = 0; k < 10; k++) {
                key.set(JAVA_INT, 0, k);
                map.update(key, value, UpdateFlag.ANY);
            }
            try (MapSnapshotReader reader = map.snapshotReader()) {
                assertThat(reader.read()).isEqualTo(10);
                assertThat(reader.value(3).get(JAVA_INT, (cpus - 1) * 8L)).isEqualTo(100 + cpus - 1);
            }
        }
    }

    @Test
    void nextKeyFallbackGivesTheSameSnapshotAsBatch() {
        try (BpfObject object = TestObjects.open("maps")) {
            object.map("hash_map").setMaxEntries(5000);
            object.load();
            BpfMap map = object.map("hash_map");
            fill(map, 5000);
            Map<String, String> batch = new HashMap<>();
            Map<String, String> fallback = new HashMap<>();
            try (MapSnapshotReader reader = map.snapshotReader()) {
                reader.read();
                for (int i = 0; i < reader.count(); i++) {
                    batch.put(hex(reader.key(i)), hex(reader.value(i)));
                }
                assertThat(reader.usesFallback()).isFalse();

                map.useNextKeyFallback();
                assertThat(reader.read()).isEqualTo(5000);
                assertThat(reader.usesFallback()).isTrue();
                for (int i = 0; i < reader.count(); i++) {
                    fallback.put(hex(reader.key(i)), hex(reader.value(i)));
                }
            }
            assertThat(batch).hasSize(5000).isEqualTo(fallback);
        }
    }

    @Test
    void lpmTrieIsReadWhetherOrNotTheKernelBatchesIt() {
        try (BpfObject object = TestObjects.open("maps").load(); Arena arena = Arena.ofConfined()) {
            BpfMap trie = object.map("trie_map");
            assertThat(trie.type()).isEqualTo(MapType.LPM_TRIE);
            MemorySegment key = arena.allocate(JAVA_LONG);
            MemorySegment value = arena.allocate(JAVA_INT);
            for (int i = 0; i < 20; i++) {
                key.set(JAVA_INT, 0, 32); // prefix length
                key.set(JAVA_INT, 4, 0x0a000000 + i);
                value.set(JAVA_INT, 0, i);
                trie.update(key, value, UpdateFlag.ANY);
            }
            try (MapSnapshotReader reader = trie.snapshotReader()) {
                assertThat(reader.read()).isEqualTo(20);
                int sum = 0;
                for (int i = 0; i < 20; i++) {
                    sum += reader.value(i).get(JAVA_INT, 0);
                }
                assertThat(sum).isEqualTo(190);
            }
        }
    }

    @Test
    void arrayMapIteratesAllSlots() {
        try (BpfObject object = TestObjects.open("maps").load()) {
            BpfMap array = object.map("array_map");
            array.update(ByteBuffer.allocate(4).order(java.nio.ByteOrder.nativeOrder()).putInt(0, 5).array(),
                    ByteBuffer.allocate(8).order(java.nio.ByteOrder.nativeOrder()).putLong(0, 77).array(),
                    UpdateFlag.ANY);
            try (MapSnapshotReader reader = array.snapshotReader()) {
                assertThat(reader.read()).isEqualTo(16);
                assertThat(reader.value(5).get(JAVA_LONG, 0)).isEqualTo(77);
            }
        }
    }

    @Test
    void pinnedMapIsSharedWithAnotherOpener() throws IOException {
        Bpffs.ensureFor(Path.of(Bpffs.DEFAULT_MOUNT));
        Path dir = Files.createTempDirectory(Path.of("/sys/fs/bpf"), "edgesched-test-");
        Path pin = dir.resolve("hash_map");
        try {
            try (BpfObject object = TestObjects.open("maps").load()) {
                BpfMap map = object.map("hash_map");
                map.update(key(7), value(7), UpdateFlag.ANY);
                map.pin(pin.toString());
                assertThatThrownBy(() -> map.pin(pin.toString())).hasMessageContaining("EEXIST");
            }
            // the object is closed; the pin keeps the map alive for a separate reader
            BpfMap reopened = BpfMap.openPinned(pin.toString());
            try {
                assertThat(reopened.type()).isEqualTo(MapType.HASH);
                assertThat(reopened.keySize()).isEqualTo(KEY);
                assertThat(reopened.valueSize()).isEqualTo(VALUE);
                assertThat(reopened.maxEntries()).isEqualTo(1024);
                assertThat(reopened.lookup(key(7))).hasValue(value(7));
                try (MapSnapshotReader reader = reopened.snapshotReader()) {
                    assertThat(reader.read()).isEqualTo(1);
                }
            } finally {
                reopened.close();
            }
            assertThatThrownBy(reopened::fd).isInstanceOf(IllegalStateException.class);
            // a second object can reuse the pinned map instead of creating its own
            try (BpfMap pinned = BpfMap.openPinned(pin.toString());
                    BpfObject second = TestObjects.open("maps")) {
                second.map("hash_map").reuse(pinned);
                second.load();
                assertThat(second.map("hash_map").lookup(key(7))).hasValue(value(7));
            }
        } finally {
            Files.deleteIfExists(pin);
            Files.deleteIfExists(dir);
        }
        assertThatThrownBy(() -> BpfMap.openPinned(pin.toString()))
                .isInstanceOf(BpfException.class).hasMessageContaining("ENOENT")
                .hasMessageContaining("nothing pinned there");
    }

    @Test
    void setPinPathPinsOnLoadAndReusesNextTime() throws IOException {
        Bpffs.ensureFor(Path.of(Bpffs.DEFAULT_MOUNT));
        Path dir = Files.createTempDirectory(Path.of("/sys/fs/bpf"), "edgesched-test-");
        Path pin = dir.resolve("lru");
        try {
            try (BpfObject first = TestObjects.open("maps")) {
                first.map("lru_map").setPinPath(pin.toString());
                first.load();
                first.map("lru_map").update(key(3), value(3), UpdateFlag.ANY);
            }
            assertThat(pin).exists();
            try (BpfObject second = TestObjects.open("maps")) {
                second.map("lru_map").setPinPath(pin.toString());
                second.load();
                assertThat(second.map("lru_map").lookup(key(3))).hasValue(value(3));
            }
        } finally {
            Files.deleteIfExists(pin);
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void batchDeleteSkipsAbsentKeys() {
        try (BpfObject object = TestObjects.open("maps").load(); Arena arena = Arena.ofConfined()) {
            BpfMap map = object.map("hash_map");
            fill(map, 10);
            MemorySegment keys = arena.allocate(KEY * 4L);
            int[] toDelete = {2, 500, 5, 7}; // 500 is not in the map
            for (int i = 0; i < toDelete.length; i++) {
                MemorySegment.copy(key(toDelete[i]), 0, keys, ValueLayout.JAVA_BYTE, (long) i * KEY, KEY);
            }

            assertThat(map.deleteBatch(keys, 4)).isEqualTo(3);

            assertThat(map.lookup(key(2))).isEmpty();
            assertThat(map.lookup(key(5))).isEmpty();
            assertThat(map.lookup(key(7))).isEmpty();
            assertThat(map.lookup(key(3))).isPresent();
            try (MapSnapshotReader reader = map.snapshotReader()) {
                assertThat(reader.read()).isEqualTo(7);
            }
        }
    }

    @Test
    void standaloneMapIsCreatedReadAndClosed() {
        BpfMap map = BpfMap.create(MapType.LRU_HASH, "test_standalone", KEY, 80, 128, 0);
        try (map) {
            assertThat(map.type()).isEqualTo(MapType.LRU_HASH);
            assertThat(map.valueSize()).isEqualTo(80);
            assertThat(map.maxEntries()).isEqualTo(128);
            assertThat(map.info().kernelName()).isEqualTo("test_standalone");
            map.update(key(1), new byte[80], UpdateFlag.ANY);
            assertThat(map.lookup(key(1))).hasValue(new byte[80]);
        }
        assertThatThrownBy(map::fd).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> BpfMap.create(MapType.HASH, "name with spaces", 4, 4, 1, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BpfMap.create(MapType.HASH, "zero_key", 0, 4, 1, 0))
                .isInstanceOf(BpfException.class).hasMessageContaining("EINVAL")
                .hasMessageContaining("create HASH map 'zero_key'");
    }

    private static void fill(BpfMap map, int entries) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment keys = arena.allocate((long) KEY * entries);
            MemorySegment values = arena.allocate((long) VALUE * entries);
            for (int i = 0; i < entries; i++) {
                MemorySegment.copy(key(i), 0, keys, ValueLayout.JAVA_BYTE, (long) i * KEY, KEY);
                MemorySegment.copy(value(i), 0, values, ValueLayout.JAVA_BYTE, (long) i * VALUE, VALUE);
            }
            assertThat(map.updateBatch(keys, values, entries, UpdateFlag.ANY)).isEqualTo(entries);
        }
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    private static String hex(MemorySegment segment) {
        return HexFormat.of().formatHex(segment.toArray(ValueLayout.JAVA_BYTE));
    }
}
