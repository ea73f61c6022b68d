package io.edgesched.api.demand;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class AggregateTableTest {
    private record Key(int wl, int meta, long hi, long lo) {
    }

    @Test
    void fieldsKeepTheirValuesSideBySide() {
        AggregateTable t = new AggregateTable(4, true);
        int s = t.insert(7, AggregateTable.meta(3, 24, false), 0, 0x0a000100L, 42);
        assertThat(t.rate(s)).isZero();
        assertThat(t.rateTick(s)).isEqualTo(42);
        assertThat(t.rtt(s)).isNaN();
        t.setRate(s, 12.5f, -5);
        t.setRtt(s, 900f);
        t.setLastActiveTick(s, Integer.MIN_VALUE);
        t.setLastSeenTick(s, -1);
        t.setCandidate(s, true);
        t.setArrivalTick(s, Integer.MAX_VALUE);
        t.setActiveReads(s, 3);
        t.setRecentRate(s, 0.25f);
        assertThat(t.workload(s)).isEqualTo(7);
        assertThat(AggregateTable.nodeOf(t.nodeMeta(s))).isEqualTo(3);
        assertThat(AggregateTable.prefixOf(t.nodeMeta(s))).isEqualTo(24);
        assertThat(t.rate(s)).isEqualTo(12.5f);
        assertThat(t.rateTick(s)).isEqualTo(-5);
        assertThat(t.rtt(s)).isEqualTo(900f);
        assertThat(t.lastActiveTick(s)).isEqualTo(Integer.MIN_VALUE);
        assertThat(t.lastSeenTick(s)).isEqualTo(-1);
        assertThat(t.candidate(s)).isTrue();
        assertThat(t.arrivalTick(s)).isEqualTo(Integer.MAX_VALUE);
        assertThat(t.activeReads(s)).isEqualTo(3);
        assertThat(t.recentRate(s)).isEqualTo(0.25f);
        t.setCandidate(s, false);
        assertThat(t.candidate(s)).isFalse();
        assertThat(t.lastSeenTick(s)).isEqualTo(-1);
    }

    /** Random inserts and deletions against a map: every key stays findable, and a client's slots stay one run. */
    @Test
    void removalKeepsEveryKeyReachable() {
        Random random = new Random(11);
        AggregateTable t = new AggregateTable(64, false);
        Map<Key, Float> model = new HashMap<>();
        List<Key> keys = new ArrayList<>();
        for (int op = 0; op < 20_000; op++) {
            // few distinct clients at many nodes: long probe runs that wrap around the table's end
            Key k = new Key(random.nextInt(3), AggregateTable.meta(random.nextInt(40), 32, false), 0,
                    random.nextInt(30));
            int at = t.find(k.wl(), k.meta(), k.hi(), k.lo());
            assertThat(at >= 0).as("find %s", k).isEqualTo(model.containsKey(k));
            if (at < 0 && random.nextInt(3) > 0) {
                at = t.insert(k.wl(), k.meta(), k.hi(), k.lo(), op);
                t.setRate(at, op, op);
                model.put(k, (float) op);
                keys.add(k);
            } else if (at >= 0) {
                assertThat(t.rate(at)).isEqualTo(model.get(k));
                t.remove(at);
                model.remove(k);
            }
        }
        assertThat(t.size()).isEqualTo(model.size());
        for (Map.Entry<Key, Float> e : model.entrySet()) {
            Key k = e.getKey();
            int at = t.find(k.wl(), k.meta(), k.hi(), k.lo());
            assertThat(at).isNotNegative();
            assertThat(t.rate(at)).isEqualTo(e.getValue());
            Set<Integer> others = new HashSet<>();
            for (int s = t.nextSameClient(k.wl(), k.meta(), k.hi(), k.lo(), -1); s >= 0;
                 s = t.nextSameClient(k.wl(), k.meta(), k.hi(), k.lo(), s)) {
                others.add(AggregateTable.nodeOf(t.nodeMeta(s)));
            }
            Set<Integer> expected = new HashSet<>();
            for (Key o : model.keySet()) {
                if (o.wl() == k.wl() && o.lo() == k.lo() && o.meta() != k.meta()) {
                    expected.add(AggregateTable.nodeOf(o.meta()));
                }
            }
            assertThat(others).as("nodes of client %s", k).isEqualTo(expected);
        }
        assertThat(keys).isNotEmpty();
    }
}
