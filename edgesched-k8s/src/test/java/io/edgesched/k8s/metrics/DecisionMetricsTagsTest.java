package io.edgesched.k8s.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgesched.api.policy.DecisionReason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

/** The decision meters keep the tag values docs/k8s.md lists, now that one reason type feeds both. */
class DecisionMetricsTagsTest {
    @Test
    void tagValuesAreTheDocumentedOnes() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        new EdgeschedMetrics(registry);
        assertThat(registry.find("edgesched.decisions").counters()).extracting(c -> c.getId().getTag("outcome"))
                .containsExactlyInAnyOrder("move-started", "would-move", "hold", "hold-in-flight", "hold-backoff",
                        "hold-refused", "hold-settling");
        assertThat(registry.find("edgesched.policy.verdicts").counters()).extracting(c -> c.getId().getTag("reason"))
                .containsExactlyInAnyOrder("move", "hold-at-optimum", "hold-below-threshold", "hold-dwell",
                        "hold-rate-limit", "hold-no-demand", "hold-no-feasible-node", "hold-not-running");
        assertThat(registry.find("edgesched.decisions").counters()).extracting(Counter::count).containsOnly(0.0);
    }

    @Test
    void policyHoldsCountAsHoldAndControllerReasonsByName() {
        assertThat(EdgeschedMetrics.outcomeTag(DecisionReason.HOLD_DWELL)).isEqualTo("hold");
        assertThat(EdgeschedMetrics.outcomeTag(DecisionReason.HOLD_NOT_RUNNING)).isEqualTo("hold");
        assertThat(EdgeschedMetrics.outcomeTag(DecisionReason.HOLD_SETTLING)).isEqualTo("hold-settling");
        assertThat(EdgeschedMetrics.outcomeTag(DecisionReason.WOULD_MOVE)).isEqualTo("would-move");
        assertThat(EdgeschedMetrics.outcomeTag(DecisionReason.MOVE_STARTED)).isEqualTo("move-started");
    }
}
