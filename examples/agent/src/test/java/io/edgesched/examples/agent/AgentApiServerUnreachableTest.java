package io.edgesched.examples.agent;

import io.edgesched.examples.ApiServerUnreachableCheck;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent with no API server behind the kubeconfig: one stderr line naming it, exit code 3. */
class AgentApiServerUnreachableTest {
    @Test
    void agentSaysWhichServerItCannotReach(@TempDir Path dir) throws Exception {
        ApiServerUnreachableCheck.assertOneLineAndExitThree(dir, AgentMain.class, "agent", List.of("--node", "n1"));
    }
}
