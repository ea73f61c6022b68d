package io.edgesched.examples.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The agent's /healthz: a publish loop that stopped turning is reported, with how long ago it last ran. */
class AgentHealthTest {
    @Test
    void aLoopThatStoppedTurningIsUnhealthy() {
        assertThat(AgentMain.agentHealth(Instant.now(), Duration.ofSeconds(10))).isEmpty();
        assertThat(AgentMain.agentHealth(Instant.now().minusSeconds(600), Duration.ofSeconds(10)))
                .hasValueSatisfying(s -> assertThat(s).contains("has not run for").contains("limit 60 s"));
    }
}
