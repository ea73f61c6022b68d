package io.edgesched.api.demand;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.NodeId;
import io.edgesched.api.OriginRecord;
import io.edgesched.api.OriginStats;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.WorkloadId;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.edgesched.api.demand.Snapshots.at;
import static io.edgesched.api.demand.Snapshots.record;
import static io.edgesched.api.demand.Snapshots.time;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class DemandStoreTest {
    static final WorkloadId WEB = WorkloadId.of("default", "web");
    static final WorkloadId API = WorkloadId.of("default", "api");
    static final ServiceCatalog CATALOG = ServiceCatalog.byPort(Map.of(8080, WEB, 9090, API));
    static final DemandConfig CONFIG = DemandConfig.defaults().withHalfLife(Duration.ofSeconds(30));

    private static double rate(DemandStore store, double t, WorkloadId w, String node) {
        return store.view(time(t)).demand(w).rateAt(NodeId.of(node));
    }

    @Test
    void constantTrafficConvergesToItsRate() {
        DemandStore store = new DemandStore(CATALOG, CONFIG);
        for (int t = 0; t <= 600; t += 5) {
            store.ingest(at("n1", t, 1, record(8080, "10.0.0.1", 10L * t, -100)));
        }
        assertThat(rate(store, 600, WEB, "n1")).isCloseTo(10, within(0.05));
    }

    @Test
    void aServiceRemappedToAnotherWorkloadCountsForTheNewOneFromTheNextSnapshot() {
        // the catalog's answer for port 8080 changes between snapshots: WEB, then API, then an equal copy of WEB
        // (a new object: the store must not trust the last answer's identity alone)
        WorkloadId[] answer = {WEB};
        ServiceCatalog catalog = (node, serviceId, port) -> port == 8080 ? java.util.Optional.of(answer[0])
                : java.util.Optional.empty();
        DemandStore store = new DemandStore(catalog, CONFIG);
        int t = 0;
        for (; t <= 300; t += 5) {
            store.ingest(at("n1", t, 1, record(8080, "10.0.0.1", 10L * t, -100)));
        }
        assertThat(rate(store, 300, WEB, "n1")).isCloseTo(10, within(0.5));
        answer[0] = API;
        for (; t <= 600; t += 5) {
            store.ingest(at("n1", t, 1, record(8080, "10.0.0.1", 10L * t, -100)));
        }
        assertThat(rate(store, 600, API, "n1")).isGreaterThan(9);
        assertThat(rate(store, 600, WEB, "n1")).isLessThan(0.01);
        answer[0] = WorkloadId.of("default", "web");
        for (; t <= 900; t += 5) {
            store.ingest(at("n1", t, 1, record(8080, "10.0.0.1", 10L * t, -100)));
        }
        assertThat(rate(store, 900, WEB, "n1")).isGreaterThan(9);
        assertThat(rate(store, 900, API, "n1")).isLessThan(0.01);
    }

    @Test
    void idleClientDecaysWithTheHalfLife() {
        DemandStore store = new DemandStore(CATALOG, CONFIG);
        for (int t = 0; t <= 600; t += 5) {
            store.ingest(at("n1", t, 1, record(8080, "10.0.0.1", 10L * t, -100)));
        }
        double before = rate(store, 600, WEB, "n1");
        assertThat(rate(store, 630, WEB, "n1")).isCloseTo(before / 2, within(0.05));
        assertThat(rate(store, 690, WEB, "n1")).isCloseTo(before / 8, within(0.05));
    }

    @Test
    void historyOfUnknownAgeOnlySetsABaseline() {
        DemandStore store = new DemandStore(CATALOG, CONFIG);
        // a client with 1M packets from long ago: the first read must not look like a spike
        store.ingest(at("n1", 0, 1, record(8080, "10.0.0.1", 1_000_000, -3600)));
        store.ingest(at("n1", 5, 1, record(8080, "10.0.0.1", 1_000_050, -3600)));
        assertThat(rate(store, 5, WEB, "n1")).isLessThanOrEqualTo(10.0 + 1e-6).isGreaterThan(0);
        assertThat(store.stats().baselineOnly()).isEqualTo(1);
    }

    @Test
    void clientFirstSeenSinceThePreviousReadCountsInFull() {
        DemandStore store = new DemandStore(CATALOG, CONFIG);
        store.ingest(at("n1", 0, 1));
        store.ingest(at("n1", 5, 1, record(8080, "10.0.0.2", 50, 1)));
        double alpha = 1 - Math.exp(-Math.log(2) * 5 / 30.0);
        assertThat(rate(store, 5, WEB, "n1")).isCloseTo(alpha * 10, within(1e-3));
    }

    @Test
    void agentRestartIsNeitherNegativeNorASpike() {
        DemandStore store = new DemandStore(CATALOG, CONFIG);
        int t = 0;
        for (; t <= 300; t += 5) {
            store.ingest(at("n1", t, 1, record(8080, "10.0.0.1", 10L * t, -100)));
        }
        double steady = rate(store, 300, WEB, "n1");
        // restart at t=302: generation 2, counters from zero, first seen after the restart
        for (int k = 1; k <= 20; k++) {
            int now = 300 + 5 * k;
            store.ingest(at("n1", now, 2, record(8080, "10.0.0.1", 10L * (now - 302), 302.5)));
            double r = rate(store, now, WEB, "n1");
            assertThat(r).isGreaterThanOrEqualTo(0).isLessThanOrEqualTo(steady * 1.01);
        }
        assertThat(store.stats().generationChanges()).isEqualTo(1);
        assertThat(rate(store, 400, WEB, "n1")).isCloseTo(10, within(0.5));
    }

    @Test
    void counterGoingDownWithoutRestartIsAResetNotANegativeRate() {
        DemandStore store = new DemandStore(CATALOG, CONFIG);
        store.ingest(at("n1", 0, 1, record(8080, "10.0.0.1", 5000, -100)));
        store.ingest(at("n1", 5, 1, record(8080, "10.0.0.1", 5050, -100)));
        double before = rate(store, 5, WEB, "n1");
        // kernel entry evicted and re-created long before this read? unknown age: baseline only
        store.ingest(at("n1", 10, 1, record(8080, "10.0.0.1", 30, -50)));
        double afterReset = rate(store, 10, WEB, "n1");
        assertThat(afterReset).isGreaterThanOrEqualTo(0).isLessThanOrEqualTo(before);
        assertThat(store.stats().counterResets()).isEqualTo(1);
        store.ingest(at("n1", 15, 1, record(8080, "10.0.0.1", 80, -50)));
        assertThat(rate(store, 15, WEB, "n1")).isGreaterThan(afterReset);
    }

    @Test
    void nodeRebootWithMonotonicClockGoingBackIsBaselineOnly() {
        DemandStore store = new DemandStore(CATALOG, CONFIG);
        store.ingest(at("n1", 0, 1, record(8080, "10.0.0.1", 100, -100)));
        store.ingest(at("n1", 5, 1, record(8080, "10.0.0.1", 150, -100)));
        double before = rate(store, 5, WEB, "n1");
        // rebooted: monotonic clock restarts near zero, new generation, counter is big already
        store.ingest(at("n1", 10, 0, 2, List.of(record(8080, "10.0.0.1", 100_000, -995))));
        assertThat(rate(store, 10, WEB, "n1")).isLessThanOrEqualTo(before);
    }

    @Test
    void emptyOutOfOrderUnresolvedAndForwardedInputIsCountedNotFatal() {
        DemandStore store = new DemandStore(CATALOG, CONFIG);
        assertThat(store.view(time(0)).workloads()).isEmpty();
        store.ingest(at("n1", 0, 1));
        store.ingest(at("n1", 5, 1, record(1234, "10.0.0.1", 10, 1)));
        OriginRecord forwarded = new OriginRecord(8080, 8080, ClientAddress.parse("192.168.0.2"), 1, 10, 100, 0, 0,
                1000 * Snapshots.NANOS + 6 * Snapshots.NANOS, 0, true);
        store.ingest(at("n1", 10, 1, forwarded));
        store.ingest(at("n1", 7, 1, record(8080, "10.0.0.1", 10, 1)));
        store.maintain(time(10));
        DemandStats stats = store.stats();
        assertThat(stats.unresolvedRecords()).isEqualTo(1);
        assertThat(stats.forwardedRecords()).isEqualTo(1);
        assertThat(stats.staleOutOfOrder()).isEqualTo(1);
        assertThat(store.view(time(10)).workloads()).isEmpty();
    }

    @Test
    void entryDemandIsPerNodeWithRateWeightedRtt() {
        DemandStore store = new DemandStore(CATALOG, CONFIG);
        store.ingest(at("n1", 0, 1));
        store.ingest(at("n2", 0, 1));
        store.ingest(at("n1", 10, 1, record(8080, "10.0.0.1", 100, 1, 1000), record(8080, "10.0.0.2", 300, 1, 3000)));
        store.ingest(at("n2", 10, 1, record(8080, "10.0.1.1", 100, 1), record(9090, "10.0.1.1", 50, 1, 500)));
        DemandView view = store.view(time(10));
        assertThat(view.workloads()).containsExactly(API, WEB);
        WorkloadDemand web = view.demand(WEB);
        assertThat(web.entries()).extracting(EntryDemand::entryNode).containsExactly(NodeId.of("n1"), NodeId.of("n2"));
        EntryDemand n1 = web.entries().get(0);
        assertThat(n1.clients()).isEqualTo(2);
        assertThat(n1.meanRttMicros()).isCloseTo((100 * 1000 + 300 * 3000) / 400.0, within(1.0));
        assertThat(web.entries().get(1).rttKnown()).isFalse();
        assertThat(web.rateAt(NodeId.of("n1")) / web.rateAt(NodeId.of("n2"))).isCloseTo(4, within(1e-3));
        assertThat(store.topClients(WEB, 1, time(10))).singleElement()
                .satisfies(c -> assertThat(c.client()).isEqualTo(ClientAddress.parse("10.0.0.2")));
    }

    @Test
    void rttIsSmoothed() {
        DemandStore store = new DemandStore(CATALOG, CONFIG.withRttSmoothing(0.5));
        store.ingest(at("n1", 0, 1, record(8080, "10.0.0.1", 0, -1, 1000)));
        store.ingest(at("n1", 5, 1, record(8080, "10.0.0.1", 10, -1, 3000)));
        assertThat(store.topClients(WEB, 1, time(5)).get(0).rttMicros()).isCloseTo(2000, within(1.0));
    }

    @Test
    void prefixAggregationMergesClientsAndKeepsTheRate() {
        DemandStore exact = new DemandStore(CATALOG, CONFIG);
        DemandStore coarse = new DemandStore(CATALOG, CONFIG.withPrefixes(24, 56));
        for (DemandStore store : List.of(exact, coarse)) {
            store.ingest(at("n1", 0, 1));
            List<OriginRecord> records = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                records.add(record(8080, "10.1.2." + i, 10 + i, 1));
                records.add(record(8080, "2001:db8:0:" + Integer.toHexString(i % 8) + "::" + Integer.toHexString(i + 1), 5, 1));
            }
            store.ingest(at("n1", 5, 1000 * Snapshots.NANOS, 1, records));
        }
        assertThat(exact.aggregateCount()).isEqualTo(400);
        assertThat(coarse.aggregateCount()).isEqualTo(2); // 10.1.2.0/24 and 2001:db8::/56
        assertThat(rate(coarse, 5, WEB, "n1")).isCloseTo(rate(exact, 5, WEB, "n1"), within(1e-3));
        assertThat(coarse.topClients(WEB, 5, time(5))).extracting(c -> c.client().toString())
                .containsExactly("10.1.2.0/24", "2001:db8::/56");
    }

    @Test
    void topNFoldsSmallClientsIntoOtherWithoutLosingDemand() {
        DemandStore store = new DemandStore(CATALOG, CONFIG.withMaxClientsPerWorkload(10));
        store.ingest(at("n1", 0, 1));
        List<OriginRecord> records = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            records.add(record(8080, "10.0." + i + ".1", 10 + i, 1));
        }
        store.ingest(at("n1", 5, 1000 * Snapshots.NANOS, 1, records));
        double before = rate(store, 5, WEB, "n1");
        store.maintain(time(5));
        assertThat(store.aggregateCount()).isEqualTo(11);
        assertThat(store.stats().foldedTopN()).isEqualTo(90);
        assertThat(rate(store, 5, WEB, "n1")).isCloseTo(before, within(before * 1e-5));
        List<ClientDemand> top = store.topClients(WEB, 100, time(5));
        assertThat(top.get(0).client()).isEqualTo(ClientAddress.parse("0.0.0.0/0"));
        assertThat(top.get(1).client()).isEqualTo(ClientAddress.parse("10.0.99.1"));
        // folded clients keep their baselines: the next interval is not a spike
        List<OriginRecord> later = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            later.add(record(8080, "10.0." + i + ".1", 2L * (10 + i), 1));
        }
        store.ingest(at("n1", 10, 1000 * Snapshots.NANOS, 1, later));
        assertThat(rate(store, 10, WEB, "n1")).isLessThanOrEqualTo(before * 2.01);
    }

    @Test
    void hardCapFoldsNewClientsIntoOther() {
        DemandStore store = new DemandStore(CATALOG, CONFIG.withMaxAggregates(5));
        store.ingest(at("n1", 0, 1));
        List<OriginRecord> records = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            records.add(record(8080, "10.0.0." + i, 10, 1));
        }
        store.ingest(at("n1", 5, 1000 * Snapshots.NANOS, 1, records));
        assertThat(store.aggregateCount()).isEqualTo(6); // 5 clients + "other"
        assertThat(store.stats().foldedOverCapacity()).isEqualTo(15);
        double alpha = 1 - Math.exp(-Math.log(2) * 5 / 30.0);
        assertThat(rate(store, 5, WEB, "n1")).isCloseTo(alpha * 20 * 10 / 5.0, within(1e-3));
    }

    @Test
    void staleClientsAreDropped() {
        DemandStore store = new DemandStore(CATALOG, CONFIG.withStaleAfter(Duration.ofSeconds(60)));
        store.ingest(at("n1", 0, 1));
        store.ingest(at("n1", 5, 1, record(8080, "10.0.0.1", 10, 1), record(8080, "10.0.0.2", 10, 1)));
        for (int t = 10; t <= 100; t += 5) {
            store.ingest(at("n1", t, 1, record(8080, "10.0.0.1", 10 + t, 1), record(8080, "10.0.0.2", 10, 1)));
        }
        store.maintain(time(100));
        assertThat(store.aggregateCount()).isEqualTo(1);
        assertThat(store.stats().evictedStale()).isEqualTo(1);
        store.maintain(time(1000)); // the node went silent: its baselines and aggregates go too
        assertThat(store.aggregateCount()).isZero();
        long baselineOnly = store.stats().baselineOnly();
        store.ingest(at("n1", 1005, 1, record(8080, "10.0.0.1", 5000, 1)));
        assertThat(store.stats().baselineOnly()).isEqualTo(baselineOnly + 1); // no baseline left to compare with
        assertThat(rate(store, 1005, WEB, "n1")).isZero();
        assertThat(store.topClients(WEB, 5, time(100))).extracting(ClientDemand::client)
                .containsExactly(ClientAddress.parse("10.0.0.1"));
    }

    @Test
    void memoryIsReported() {
        DemandStore store = new DemandStore(CATALOG, CONFIG);
        long empty = store.estimatedMemoryBytes();
        List<OriginRecord> records = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            records.add(record(8080, "10." + (i >> 8) + "." + (i & 255) + ".1", 1, -1));
        }
        store.ingest(new OriginSnapshot(NodeId.of("n1"), time(0), 0, 1, records, OriginStats.EMPTY));
        assertThat(store.aggregateCount()).isEqualTo(10_000);
        // 48-byte slots at >= 50 % load after a growth, a 24-byte baseline per record at >= 47 % load, and the
        // 52-byte ingest buffer per record kept for the next snapshot
        assertThat(store.estimatedMemoryBytes()).isGreaterThan(empty).isLessThan(10_000L * 200);
    }

    @Test
    void yearsOfRunningDoNotOverflowItsClock() {
        DemandStore store = new DemandStore(CATALOG, CONFIG);
        double fourYears = 4 * 365.25 * 86400;
        for (int t = 0; t <= 300; t += 5) {
            store.ingest(at("n1", t, 1, record(8080, "10.0.0.1", 10L * t, -100)));
        }
        for (int t = 0; t <= 300; t += 5) {
            store.ingest(at("n1", fourYears + t, 1, record(8080, "10.0.0.1", 10L * t + 3000, -100)));
        }
        assertThat(rate(store, fourYears + 300, WEB, "n1")).isCloseTo(10, within(0.1));
    }

    /** A snapshot that fails half-way (its catalog throws) leaves no trace: the demand equals a store's that never got it. */
    @Test
    void aSnapshotThatFailsHalfWayLeavesNoTrace() {
        boolean[] broken = {false};
        WorkloadId bad = WorkloadId.of("default", "bad");
        ServiceCatalog flaky = (node, serviceId, port) -> {
            if (serviceId == 7070 && broken[0]) {
                throw new IllegalStateException("catalog broken");
            }
            return serviceId == 7070 ? java.util.Optional.of(bad) : CATALOG.workloadFor(node, serviceId, port);
        };
        DemandStore failed = new DemandStore(flaky, CONFIG);
        DemandStore reference = new DemandStore(flaky, CONFIG);
        for (DemandStore s : List.of(failed, reference)) {
            s.ingest(at("n1", 0, 1, record(8080, "10.0.0.1", 100, -100), record(9090, "10.0.0.2", 50, -100)));
        }
        broken[0] = true;
        // counters far ahead of what comes next, and a new client, all before the record that fails
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> failed.ingest(at("n1", 5, 1,
                record(8080, "10.0.0.1", 9_000, -100), record(8080, "10.0.0.9", 400, 3),
                record(7070, "10.0.0.3", 1, -100))))
                .hasMessage("catalog broken");
        broken[0] = false;
        for (double t = 10; t <= 30; t += 5) {
            long n = (long) t;
            for (DemandStore s : List.of(failed, reference)) {
                s.ingest(at("n1", t, 1, record(8080, "10.0.0.1", 100 + 20 * n, -100),
                        record(9090, "10.0.0.2", 50 + 4 * n, -100), record(8080, "10.0.0.9", 30 + n, 8)));
            }
        }
        for (WorkloadId w : List.of(WEB, API)) {
            assertThat(failed.view(time(30)).demand(w)).isEqualTo(reference.view(time(30)).demand(w));
        }
        assertThat(failed.view(time(30)).demand(WEB).totalRate()).isPositive();
        assertThat(failed.stats().counterResets()).isEqualTo(reference.stats().counterResets()).isZero();
    }

    /** Clients that come once and go do not pile up: the node's table is rebuilt without the ones that no longer count. */
    @Test
    void departedClientsBaselinesAreDroppedOnceStale() {
        DemandConfig config = CONFIG.withStaleAfter(Duration.ofSeconds(60));
        DemandStore store = new DemandStore(CATALOG, config);
        int most = 0;
        for (int step = 0; step < 400; step++) {
            List<OriginRecord> records = new ArrayList<>();
            records.add(record(8080, "10.0.0.1", 10L * step, -100)); // one steady client
            for (int c = 0; c < 50; c++) { // fifty passing through, seen once each
                records.add(record(8080, "10.1." + (step % 200) + "." + c, 5, step * 5 - 1));
            }
            store.ingest(at("n1", step * 5, 1000 * Snapshots.NANOS, 1, records));
            store.maintain(time(step * 5));
            most = Math.max(most, store.baselinesHeld());
            if (step == 100) {
                assertThat(store.view(time(step * 5)).demand(WEB).totalRate()).isPositive();
            }
        }
        // 60 s at 5 s per snapshot keeps ~13 snapshots of 50 departed clients, plus those not compacted away yet:
        // far below the 20,001 seen
        assertThat(store.stats().records()).isEqualTo(400 * 51);
        assertThat(most).isBetween(13 * 50, 3_000);
    }

    @Test
    void growingAheadMakesRoomBetweenRoundsWithoutChangingDemand() {
        DemandStore ahead = new DemandStore(CATALOG, CONFIG);
        DemandStore plain = new DemandStore(CATALOG, CONFIG);
        assertThat(ahead.growAhead()).as("an empty table has room").isFalse();
        int clients = 0;
        int grownAhead = 0;
        int aheadGrewInIngest = 0;
        int plainGrewInIngest = 0;
        for (int step = 1; step <= 40; step++) {
            List<OriginRecord> records = new ArrayList<>();
            clients += 25; // more clients every snapshot: the table must grow
            for (int c = 0; c < clients; c++) {
                records.add(record(8080, "10.2." + (c / 250) + "." + (c % 250), 10L * step, -100));
            }
            int aheadBefore = ahead.aggregateCapacity();
            int plainBefore = plain.aggregateCapacity();
            for (DemandStore store : List.of(ahead, plain)) {
                store.ingest(at("n1", step * 5, 1000 * Snapshots.NANOS, 1, records));
                store.maintain(time(step * 5));
            }
            aheadGrewInIngest += ahead.aggregateCapacity() != aheadBefore ? 1 : 0;
            plainGrewInIngest += plain.aggregateCapacity() != plainBefore ? 1 : 0;
            assertThat(ahead.view(time(step * 5)).demand(WEB).totalRate())
                    .isEqualTo(plain.view(time(step * 5)).demand(WEB).totalRate());
            assertThat(ahead.aggregateCount()).isEqualTo(plain.aggregateCount());

            int before = ahead.aggregateCapacity();
            if (ahead.growAhead()) { // between rounds
                grownAhead++;
                assertThat(ahead.aggregateCapacity()).isGreaterThan(before);
                assertThat(ahead.aggregateCount()).isLessThanOrEqualTo((int) (ahead.aggregateCapacity() * 0.6));
            } else {
                assertThat(ahead.aggregateCount()).isLessThanOrEqualTo((int) (ahead.aggregateCapacity() * 0.6));
            }
            assertThat(ahead.growAhead()).as("once grown there is room").isFalse();
        }
        assertThat(ahead.aggregateCount()).isEqualTo(1000);
        assertThat(grownAhead).as("grown between rounds as clients came").isGreaterThanOrEqualTo(3);
        // a snapshot brings 25 new clients: once the table is larger than ~170 slots, that fits in the room left
        assertThat(aheadGrewInIngest).as("ingests that still had to grow").isLessThan(plainGrewInIngest);
        assertThat(aheadGrewInIngest).isLessThanOrEqualTo(3);
    }
}
