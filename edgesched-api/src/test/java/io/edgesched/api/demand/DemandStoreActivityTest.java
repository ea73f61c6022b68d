package io.edgesched.api.demand;

import io.edgesched.api.WorkloadId;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static io.edgesched.api.demand.Snapshots.at;
import static io.edgesched.api.demand.Snapshots.record;
import static io.edgesched.api.demand.Snapshots.time;
import static org.assertj.core.api.Assertions.assertThat;

/** The per-node visit a report carries for handoffs across nodes ({@link ClientActivity}). */
class DemandStoreActivityTest {
    static final WorkloadId WEB = WorkloadId.of("default", "web");
    static final String CLIENT = "198.51.100.7";

    final DemandStore store = new DemandStore(ServiceCatalog.byPort(Map.of(8080, WEB)),
            DemandConfig.defaults().withHalfLife(Duration.ofSeconds(10)), true);

    ClientActivity activity(double t) {
        return store.clientsByWorkload(time(t)).get(WEB).stream()
                .filter(c -> c.client().toString().equals(CLIENT)).findFirst().orElseThrow().activity();
    }

    @Test
    void aNewClientsVisitBeginsAtItsKernelFirstPacketAndCountsReadsWithAnIncrease() {
        store.ingest(at("edge1", 10, 1));                                   // baseline: nothing yet
        store.ingest(at("edge1", 11, 1, record(8080, CLIENT, 5, 10.3, 10.9)));
        ClientActivity first = activity(11);
        assertThat(first.arrivedAt()).isEqualTo(time(10.3));
        assertThat(first.lastSeenAt()).isEqualTo(time(10.9));
        assertThat(first.reads()).isEqualTo(1);
        assertThat(first.recentRatePerSecond()).isEqualTo(5.0);

        store.ingest(at("edge1", 12, 1, record(8080, CLIENT, 9, 10.3, 11.8)));
        store.ingest(at("edge1", 13, 1, record(8080, CLIENT, 9, 10.3, 11.8))); // silent read: no increase
        ClientActivity later = activity(13);
        assertThat(later.arrivedAt()).isEqualTo(time(10.3));
        assertThat(later.lastSeenAt()).isEqualTo(time(11.8));
        assertThat(later.reads()).isEqualTo(2);
        assertThat(later.recentRatePerSecond()).isEqualTo(4.0);
    }

    @Test
    void silenceLongerThanTheVisitGapBeginsANewVisitAfterThePreviousRead() {
        store.ingest(at("edge1", 10, 1));
        store.ingest(at("edge1", 11, 1, record(8080, CLIENT, 5, 10.3, 10.9)));
        store.ingest(at("edge1", 12, 1, record(8080, CLIENT, 8, 10.3, 11.9)));
        double quietUntil = 12 + ClientActivity.VISIT_GAP.toSeconds() + 1;
        store.ingest(at("edge1", quietUntil, 1, record(8080, CLIENT, 8, 10.3, 11.9)));
        store.ingest(at("edge1", quietUntil + 1, 1, record(8080, CLIENT, 10, 10.3, quietUntil + 0.6)));
        ClientActivity back = activity(quietUntil + 1);
        assertThat(back.arrivedAt()).isEqualTo(time(quietUntil)); // after the read that still saw nothing
        assertThat(back.lastSeenAt()).isEqualTo(time(quietUntil + 0.6));
        assertThat(back.reads()).isEqualTo(1);
    }

    @Test
    void aShortPauseContinuesTheVisit() {
        store.ingest(at("edge1", 10, 1));
        store.ingest(at("edge1", 11, 1, record(8080, CLIENT, 5, 10.3, 10.9)));
        store.ingest(at("edge1", 12, 1, record(8080, CLIENT, 5, 10.3, 10.9)));
        store.ingest(at("edge1", 14, 1, record(8080, CLIENT, 6, 10.3, 13.5)));
        assertThat(activity(14).arrivedAt()).isEqualTo(time(10.3));
        assertThat(activity(14).reads()).isEqualTo(2);
    }

    @Test
    void aStoreThatDoesNotTrackActivityReportsNone() {
        DemandStore plain = new DemandStore(ServiceCatalog.byPort(Map.of(8080, WEB)), DemandConfig.defaults());
        plain.ingest(at("edge1", 10, 1));
        plain.ingest(at("edge1", 11, 1, record(8080, CLIENT, 5, 10.3, 10.9)));
        assertThat(plain.clientsByWorkload(time(11)).get(WEB)).singleElement()
                .satisfies(c -> assertThat(c.activity()).isNull());
    }

    @Test
    void foldedOtherClientsCarryNoActivity() {
        DemandStore small = new DemandStore(ServiceCatalog.byPort(Map.of(8080, WEB)),
                DemandConfig.defaults().withMaxClientsPerWorkload(1), true);
        small.ingest(at("edge1", 10, 1));
        small.ingest(at("edge1", 11, 1, record(8080, CLIENT, 5, 10.3, 10.9), record(8080, "198.51.100.8", 1, 10.4, 10.9)));
        small.maintain(time(11));
        assertThat(small.clientsByWorkload(time(11)).get(WEB))
                .anySatisfy(c -> assertThat(c.client().prefixLength()).isZero())
                .allSatisfy(c -> assertThat(c.activity() == null).isEqualTo(c.client().prefixLength() == 0));
    }
}
