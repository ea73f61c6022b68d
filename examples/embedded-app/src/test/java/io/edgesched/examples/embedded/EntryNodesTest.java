package io.edgesched.examples.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.NodeId;
import io.edgesched.api.OriginRecord;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.OriginStats;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EntryNodesTest {
    static final NodeId A = NodeId.of("edge-a");
    static final NodeId B = NodeId.of("edge-b");
    static final ClientAddress B_ADDRESS = ClientAddress.parse("192.0.2.12");
    static final ClientAddress STRANGER = ClientAddress.parse("192.0.2.99");
    static final ClientAddress END_CLIENT = ClientAddress.parse("198.51.100.7");

    @Test
    void directClientsStayHereRelayedTrafficBecomesThePeersDemandUnknownRelaysAreCountedAndLeftOut() {
        EntryNodes entries = new EntryNodes(A, Map.of(B_ADDRESS, B));
        OriginSnapshot snapshot = new OriginSnapshot(A, Instant.parse("2026-01-01T00:00:00Z"), 5, 3, List.of(
                record(END_CLIENT, false, 900, 4),
                record(B_ADDRESS, true, 150, 7),
                record(STRANGER, true, 200, 2)), OriginStats.EMPTY);

        List<OriginSnapshot> split = entries.split(snapshot);

        assertThat(split).extracting(OriginSnapshot::node).containsExactly(A, B);
        assertThat(split).allSatisfy(s -> {
            assertThat(s.takenAt()).isEqualTo(snapshot.takenAt());
            assertThat(s.monotonicNanos()).isEqualTo(5);
            assertThat(s.generation()).isEqualTo(3);
        });
        assertThat(split.get(0).records()).singleElement().isEqualTo(snapshot.records().get(0));
        assertThat(split.get(1).records()).singleElement().satisfies(r -> {
            assertThat(r.client()).isEqualTo(B_ADDRESS);
            assertThat(r.forwarded()).isFalse();         // counted as B's own demand
            assertThat(r.rtt()).isEmpty();                // our RTT to B is not its clients' RTT to B
            assertThat(r.connections()).isEqualTo(10);
        });
        assertThat(entries.relayedFromUnknownNodes()).isEqualTo(1);
        assertThat(entries.entryOf(snapshot.records().get(2))).isEmpty();
    }

    private static OriginRecord record(ClientAddress client, boolean forwarded, long rttMicros, long rttSamples) {
        return new OriginRecord(8080, 8080, client, 10, 100, 10_000, rttMicros, rttSamples, 1, 2, forwarded);
    }
}
