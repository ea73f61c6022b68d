package io.edgesched.k8s.report;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.NodeId;
import io.edgesched.api.OriginRecord;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.OriginStats;
import io.edgesched.k8s.report.OriginRateComputer.RateWindow;
import io.edgesched.k8s.report.OriginRateComputer.RecordRate;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class OriginRateComputerTest {
    static final ClientAddress A = ClientAddress.parse("192.0.2.1");
    static final ClientAddress B = ClientAddress.parse("192.0.2.2");

    static OriginRecord rec(ClientAddress c, long conns, long packets, long bytes) {
        return new OriginRecord(1, 30080, c, conns, packets, bytes, 700, 3, 0, 0, false);
    }

    static OriginSnapshot snap(long seconds, long generation, OriginRecord... records) {
        return new OriginSnapshot(NodeId.of("n"), Instant.ofEpochSecond(1000 + seconds), seconds * 1_000_000_000L,
                generation, List.of(records), OriginStats.EMPTY);
    }

    @Test
    void firstSnapshotIsABaselineThenDeltasBecomeRates() {
        OriginRateComputer computer = new OriginRateComputer();
        assertThat(computer.next(snap(1, 7, rec(A, 10, 100, 1000)))).isEmpty();
        RateWindow w = computer.next(snap(11, 7, rec(A, 30, 300, 5000), rec(B, 5, 50, 500))).orElseThrow();
        assertThat(w.seconds()).isEqualTo(10);
        RecordRate a = w.rates().stream().filter(r -> r.client().equals(A)).findFirst().orElseThrow();
        assertThat(a.connectionsPerSecond()).isEqualTo(2);
        assertThat(a.packetsPerSecond()).isEqualTo(20);
        assertThat(a.bytesPerSecond()).isEqualTo(400);
        assertThat(a.rttMicros()).isEqualTo(700);
        RecordRate b = w.rates().stream().filter(r -> r.client().equals(B)).findFirst().orElseThrow();
        assertThat(b.packetsPerSecond()).isEqualTo(5); // new record: everything it holds is this window's
    }

    @Test
    void countersGoingDownMeanTheRecordWasRecreated() {
        OriginRateComputer computer = new OriginRateComputer();
        computer.next(snap(0, 1, rec(A, 100, 1000, 10_000)));
        RateWindow w = computer.next(snap(2, 1, rec(A, 2, 20, 200))).orElseThrow();
        assertThat(w.rates().getFirst().packetsPerSecond()).isEqualTo(10);
    }

    @Test
    void aNewGenerationRestartsTheBaseline() {
        OriginRateComputer computer = new OriginRateComputer();
        computer.next(snap(0, 1, rec(A, 100, 1000, 10_000)));
        assertThat(computer.next(snap(5, 2, rec(A, 1, 10, 100)))).isEmpty();
        RateWindow w = computer.next(snap(10, 2, rec(A, 11, 60, 100))).orElseThrow();
        assertThat(w.rates().getFirst().packetsPerSecond()).isEqualTo(10);
    }
}
