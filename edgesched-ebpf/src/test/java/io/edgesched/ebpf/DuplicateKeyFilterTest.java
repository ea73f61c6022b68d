package io.edgesched.ebpf;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DuplicateKeyFilterTest {
    private static final long ROW = OriginMapLayouts.CLIENT_ENTRY.byteSize();

    @Test
    void onlyRepeatedKeysAreSkippedAndTheValuesDoNotMatter() {
        int[] keyOfRow = {1, 2, 3, 2, 4, 1, 5, 3}; // rows 3, 5 and 7 repeat earlier keys
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment rows = arena.allocate(ROW * keyOfRow.length, 8);
            for (int i = 0; i < keyOfRow.length; i++) {
                MemorySegment row = rows.asSlice(i * ROW, ROW);
                row.set(ValueLayout.JAVA_INT, 0, 7);                      // service id
                row.set(ValueLayout.JAVA_BYTE, 6, (byte) 4);              // family
                row.set(ValueLayout.JAVA_INT, 20, keyOfRow[i] << 24);     // differs only in the last address word
                row.set(ValueLayout.JAVA_LONG, 24, 1000L + i);            // values always differ
            }
            DuplicateKeyFilter filter = new DuplicateKeyFilter();
            for (int round = 0; round < 2; round++) { // reused: a new copy starts from an empty set
                filter.reset(rows, ROW, keyOfRow.length);
                List<Integer> skipped = new ArrayList<>();
                for (int i = 0; i < keyOfRow.length; i++) {
                    if (filter.seenBefore(i)) {
                        skipped.add(i);
                    }
                }
                assertThat(skipped).containsExactly(3, 5, 7);
            }
            assertThat(filter.duplicates()).isEqualTo(6);
        }
    }

    @Test
    void manyDistinctKeysAreAllKept() {
        int n = 70_000;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment rows = arena.allocate(ROW * n, 8);
            for (int i = 0; i < n; i++) {
                rows.set(ValueLayout.JAVA_INT, i * ROW + 8, i); // address words
            }
            DuplicateKeyFilter filter = new DuplicateKeyFilter();
            filter.reset(rows, ROW, n);
            int kept = 0;
            for (int i = 0; i < n; i++) {
                kept += filter.seenBefore(i) ? 0 : 1;
            }
            assertThat(kept).isEqualTo(n);
            assertThat(filter.seenBefore(12345)).isTrue(); // asking again about a row counts it as a repeat
        }
    }
}
