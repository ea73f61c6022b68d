package io.edgesched.api.demand;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class CounterBaselinesTest {

    @Test
    void aRecordsBaselineIsItsCounterBeforeTheSnapshotThatLastListedIt() {
        CounterBaselines t = new CounterBaselines(0);
        int a = t.update(11, 100, 1);
        assertThat(t.baselineSequenceAt(a)).isEqualTo(CounterBaselines.NONE);
        assertThat(t.update(11, 150, 2)).isEqualTo(a);
        assertThat(t.baselineAt(a)).isEqualTo(100);
        assertThat(t.baselineSequenceAt(a)).isEqualTo(1);
        // not listed in 3: at 4 its baseline is still the counter of 2
        t.update(11, 180, 4);
        assertThat(t.baselineAt(a)).isEqualTo(150);
        assertThat(t.baselineSequenceAt(a)).isEqualTo(2);
    }

    @Test
    void aRecordListedTwiceInOneSnapshotKeepsItsBaselineAndTheLargerCounter() {
        CounterBaselines t = new CounterBaselines(4);
        t.update(7, 10, 1);
        int slot = t.update(7, 40, 2);
        t.update(7, 30, 2);
        assertThat(t.baselineAt(slot)).isEqualTo(10);
        assertThat(t.baselineSequenceAt(slot)).isEqualTo(1);
        t.update(7, 50, 3);
        assertThat(t.baselineAt(slot)).isEqualTo(40); // the larger of the two
        assertThat(t.size()).isEqualTo(1);
    }

    @Test
    void rollingBackASnapshotRestoresWhatItChangedAndRetiresWhatItAdded() {
        CounterBaselines t = new CounterBaselines(4);
        int old = t.update(1, 100, 1);
        t.update(2, 5, 1);
        t.update(1, 900, 2);        // the failed snapshot: a counter it must not leave behind
        int added = t.update(3, 70, 2);
        t.rollBack(2);
        int again = t.update(1, 120, 2); // the same sequence, retried
        assertThat(again).isEqualTo(old);
        assertThat(t.baselineAt(old)).isEqualTo(100);
        assertThat(t.baselineSequenceAt(old)).isEqualTo(1);
        t.update(3, 75, 2);
        assertThat(t.baselineSequenceAt(added)).isEqualTo(CounterBaselines.NONE);
    }

    @Test
    void tidyingKeepsWhatTheCallerWantsAndGrowingLosesNothing() {
        CounterBaselines t = new CounterBaselines(0);
        long[] scratch = new long[0];
        for (int seq = 1; seq <= 40; seq++) {
            scratch = t.tidy(10, s -> true, scratch); // keep all: the table grows
            for (int r = 0; r < 10; r++) {
                t.update(seq * 1000L + r, seq, seq);
            }
        }
        assertThat(t.size()).isEqualTo(400);
        long grown = t.bytes();
        // no room for an eighth of 1,000 more: only the last ten snapshots' records stay
        scratch = t.tidy(1000, s -> s > 30, scratch);
        assertThat(t.size()).isEqualTo(100);
        assertThat(scratch.length).isGreaterThanOrEqualTo(4 * 100);
        int slot = t.update(35_000L + 3, 99, 41);
        assertThat(t.baselineAt(slot)).isEqualTo(35);
        assertThat(t.baselineSequenceAt(slot)).isEqualTo(35);
        int gone = t.update(5_000L + 3, 99, 41); // dropped: a new record now
        assertThat(t.baselineSequenceAt(gone)).isEqualTo(CounterBaselines.NONE);
        // with room to spare nothing is dropped
        long[] before = scratch;
        assertThat(t.tidy(10, s -> false, scratch)).isSameAs(before);
        assertThat(t.size()).isEqualTo(101);
        // announced far more than fits: tidied and sized for it
        t.tidy(20_000, s -> s == 41, scratch);
        assertThat(t.size()).isEqualTo(2);
        assertThat(t.bytes()).isGreaterThan(Math.max(grown, 32L * 20_000));
    }
}
