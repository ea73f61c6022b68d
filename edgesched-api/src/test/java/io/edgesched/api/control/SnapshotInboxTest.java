package io.edgesched.api.control;

import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.OriginStats;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static io.edgesched.api.control.Fixtures.A;
import static io.edgesched.api.control.Fixtures.B;
import static org.assertj.core.api.Assertions.assertThat;

class SnapshotInboxTest {
    private static OriginSnapshot at(io.edgesched.api.NodeId node, long second, long generation) {
        return new OriginSnapshot(node, Instant.ofEpochSecond(second), second, generation, List.of(), OriginStats.EMPTY);
    }

    @Test
    void keepsTheNewestSnapshotPerNodeAndSignalsOnlyNewOnes() {
        AtomicInteger signals = new AtomicInteger();
        SnapshotInbox inbox = new SnapshotInbox(signals::incrementAndGet);
        assertThat(inbox.offer(at(A, 10, 1))).isTrue();
        assertThat(inbox.offer(at(A, 5, 1))).as("late, older report").isFalse();
        assertThat(inbox.offer(at(A, 10, 1))).as("duplicate").isFalse();
        assertThat(inbox.offer(at(B, 7, 1))).isTrue();
        assertThat(inbox.offer(at(A, 3, 2))).as("source restarted: new generation wins").isTrue();
        assertThat(inbox.latest()).extracting(OriginSnapshot::takenAt)
                .containsExactlyInAnyOrder(Instant.ofEpochSecond(3), Instant.ofEpochSecond(7));
        assertThat(signals).hasValue(3);
        inbox.remove(B);
        assertThat(inbox.latest()).extracting(OriginSnapshot::node).containsExactly(A);
    }
}
