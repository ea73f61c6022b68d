package io.edgesched.api.topology;

import io.edgesched.api.NodeId;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LatencyMatrixTest {
    private final NodeId a = NodeId.of("a");
    private final NodeId b = NodeId.of("b");
    private final NodeId c = NodeId.of("c");

    @Test
    void unknownFillLeavesMissingPairsUnknown() {
        LatencyMatrix m = LatencyMatrix.builder(List.of(a, b, c)).measure(a, b, 100).build(MissingLatency.UNKNOWN);
        assertThat(m.latencyMicros(a, b)).hasValue(100);
        assertThat(m.latencyMicros(b, a)).isEmpty();
        assertThat(m.source(b, a)).isEqualTo(LatencySource.UNKNOWN);
        assertThat(m.latencyMicros(c, c)).hasValue(0);
        assertThat(m.unknownPairs()).isEqualTo(5);
    }

    @Test
    void symmetricFillCopiesTheReverseDirection() {
        LatencyMatrix m = LatencyMatrix.builder(List.of(a, b, c)).measure(a, b, 100).build(MissingLatency.SYMMETRIC);
        assertThat(m.latencyMicros(b, a)).hasValue(100);
        assertThat(m.source(b, a)).isEqualTo(LatencySource.SYMMETRIC);
        assertThat(m.source(a, b)).isEqualTo(LatencySource.MEASURED);
        assertThat(m.latencyMicros(a, c)).isEmpty();
    }

    @Test
    void triangleFillGivesTheBestUpperBoundThroughACommonNeighbour() {
        NodeId d = NodeId.of("d");
        LatencyMatrix m = LatencyMatrix.builder(List.of(a, b, c, d))
                .measureBoth(a, b, 100).measureBoth(b, c, 50)
                .measureBoth(a, d, 10).measureBoth(d, c, 300)
                .build(MissingLatency.SYMMETRIC_THEN_TRIANGLE);
        assertThat(m.latencyMicros(a, c)).hasValue(150); // via b, not via d (310)
        assertThat(m.source(a, c)).isEqualTo(LatencySource.TRIANGLE_BOUND);
        assertThat(m.latencyMicros(b, d)).hasValue(110); // via a
        assertThat(m.unknownPairs()).isZero();
    }

    @Test
    void rejectsUnknownNodesAndNegativeLatencies() {
        LatencyMatrix.Builder builder = LatencyMatrix.builder(List.of(a, b));
        assertThatThrownBy(() -> builder.measure(a, c, 1)).hasMessageContaining("c").hasMessageContaining("known nodes");
        assertThatThrownBy(() -> builder.measure(a, b, -1)).hasMessageContaining(">= 0");
        assertThatThrownBy(() -> builder.measure(a, b, Double.NaN)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void uniformMatrixHasTheSameHopEverywhere() {
        LatencyMatrix m = LatencyMatrix.uniform(List.of(a, b, c), 700);
        assertThat(m.latencyMicros(c, a)).hasValue(700);
        assertThat(m.maxKnownMicros()).isEqualTo(700);
    }
}
