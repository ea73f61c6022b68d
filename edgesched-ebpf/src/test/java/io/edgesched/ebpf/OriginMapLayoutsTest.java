package io.edgesched.ebpf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Pins the Java mirror to bpf/origin.h: the same sizes/offsets the header checks with _Static_assert. */
class OriginMapLayoutsTest {

    @Test
    void structSizesMatchTheHeader() {
        assertThat(OriginMapLayouts.PORT_VALUE.byteSize()).isEqualTo(16);
        assertThat(OriginMapLayouts.SERVICE_KEY.byteSize()).isEqualTo(20);
        assertThat(OriginMapLayouts.SERVICE_VALUE.byteSize()).isEqualTo(8);
        assertThat(OriginMapLayouts.NODE_KEY.byteSize()).isEqualTo(20);
        assertThat(OriginMapLayouts.CLIENT_KEY.byteSize()).isEqualTo(24);
        assertThat(OriginMapLayouts.CLIENT_VALUE.byteSize()).isEqualTo(80);
        assertThat(OriginMapLayouts.FLOW_KEY.byteSize()).isEqualTo(40);
        assertThat(OriginMapLayouts.HANDSHAKE_VALUE.byteSize()).isEqualTo(80);
        assertThat(OriginMapLayouts.CONFIG.byteSize()).isEqualTo(8);
    }

    @Test
    void fieldOffsetsMatchTheHeader() {
        assertThat(OriginMapLayouts.CLIENT_VALUE.byteOffset(PathElement.groupElement("srtt_ns"))).isEqualTo(48);
        assertThat(OriginMapLayouts.CLIENT_VALUE.byteOffset(PathElement.groupElement("flags"))).isEqualTo(72);
        assertThat(OriginMapLayouts.CLIENT_KEY_ADDR_OFFSET).isEqualTo(8);
        assertThat(OriginMapLayouts.SERVICE_KEY_ADDR_OFFSET).isEqualTo(4);
        assertThat(OriginMapLayouts.NODE_KEY_ADDR_OFFSET).isEqualTo(4);
        assertThat(OriginMapLayouts.FLOW_KEY_LOCAL_ADDR_OFFSET).isEqualTo(8);
        assertThat(OriginMapLayouts.FLOW_KEY_REMOTE_ADDR_OFFSET).isEqualTo(24);
    }

    /** The enum origin_stat in the header and the Java enum must agree name by name and index by index. */
    @Test
    void statIndicesMatchTheHeaderEnum() throws Exception {
        Path header = Path.of(System.getProperty("user.dir")).resolve("../bpf/origin.h").normalize();
        String text = Files.readString(header, StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("ORIGIN_STAT_([A-Z0-9_]+) = (\\d+)").matcher(text);
        int seen = 0;
        while (m.find()) {
            String name = m.group(1);
            int index = Integer.parseInt(m.group(2));
            if (name.equals("COUNT")) {
                assertThat(OriginMapLayouts.Stat.COUNT).isEqualTo(index);
                continue;
            }
            assertThat(OriginMapLayouts.Stat.valueOf(name).index()).as(name).isEqualTo(index);
            seen++;
        }
        assertThat(seen).isEqualTo(OriginMapLayouts.Stat.values().length);
        assertThat(Arrays.stream(OriginMapLayouts.Stat.values()).mapToInt(OriginMapLayouts.Stat::index).toArray())
                .containsExactly(java.util.stream.IntStream.range(0, OriginMapLayouts.Stat.COUNT).toArray());
    }

    @Test
    void addressesRoundTripThroughTheSixteenByteField() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(OriginMapLayouts.CLIENT_KEY);
            key.fill((byte) 0x55);
            byte family = OriginMapLayouts.writeAddress(key, OriginMapLayouts.CLIENT_KEY_ADDR_OFFSET,
                    new byte[] {10, 1, 2, 3});
            assertThat(family).isEqualTo(OriginMapLayouts.FAMILY_IPV4);
            assertThat(OriginMapLayouts.readAddress(key, OriginMapLayouts.CLIENT_KEY_ADDR_OFFSET, family))
                    .containsExactly(10, 1, 2, 3);
            assertThat(key.asSlice(OriginMapLayouts.CLIENT_KEY_ADDR_OFFSET + 4, 12).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE))
                    .containsOnly((byte) 0);
            OriginMapLayouts.CLIENT_KEY_PORT.set(key, 0L, (short) 8080);
            assertThat((short) OriginMapLayouts.CLIENT_KEY_PORT.get(key, 0L)).isEqualTo((short) 8080);
            assertThatThrownBy(() -> OriginMapLayouts.readAddress(key, 8, (byte) 2))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("family 2");
        }
    }

    @org.junit.jupiter.api.Test
    void nodeFilterBitsSpreadOverTheWholeFilter() {
        java.util.BitSet seen = new java.util.BitSet();
        for (int i = 0; i < 20000; i++) {
            int bit = OriginMapLayouts.nodeFilterBit(new byte[] {10, (byte) (i >> 16), (byte) (i >> 8), (byte) i});
            assertThat(bit).isBetween(0, OriginMapLayouts.NODE_FILTER_BITS - 1);
            seen.set(bit);
        }
        // consecutive addresses (a node subnet) must not crowd into a few bits
        assertThat(seen.cardinality()).isGreaterThan(OriginMapLayouts.NODE_FILTER_BITS * 9 / 10);
        assertThat(OriginMapLayouts.NODE_FILTER_VALUE.byteSize()).isEqualTo(512);
    }
}
