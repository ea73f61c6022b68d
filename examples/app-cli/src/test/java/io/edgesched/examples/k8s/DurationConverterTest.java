package io.edgesched.examples.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationConverterTest {
    @Test
    void durationsReadLikeKubernetesFlags() {
        assertThat(DurationConverter.parse("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(DurationConverter.parse("10s")).isEqualTo(Duration.ofSeconds(10));
        assertThat(DurationConverter.parse("5m")).isEqualTo(Duration.ofMinutes(5));
        assertThat(DurationConverter.parse("1h")).isEqualTo(Duration.ofHours(1));
        assertThat(DurationConverter.parse("0")).isEqualTo(Duration.ZERO);
        assertThat(DurationConverter.parse("PT2S")).isEqualTo(Duration.ofSeconds(2));
        assertThatThrownBy(() -> DurationConverter.parse("soon")).hasMessageContaining("not a duration");
    }

    @Test
    void zeroOrNegativeDurationsAreRefused() {
        assertThatThrownBy(() -> DurationConverter.parse("-5s")).hasMessageContaining("negative");
        assertThatThrownBy(() -> DurationConverter.parse("PT-1S")).hasMessageContaining("negative");
        assertThatThrownBy(() -> new PositiveDurationConverter().convert("0")).hasMessageContaining("longer than 0");
    }
}
