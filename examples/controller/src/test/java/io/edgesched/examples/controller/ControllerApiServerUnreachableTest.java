package io.edgesched.examples.controller;

import io.edgesched.examples.ApiServerUnreachableCheck;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The controller with no API server behind the kubeconfig: one stderr line naming it, exit code 3. */
class ControllerApiServerUnreachableTest {
    @Test
    void controllerSaysWhichServerItCannotReach(@TempDir Path dir) throws Exception {
        ApiServerUnreachableCheck.assertOneLineAndExitThree(dir, ControllerMain.class, "controller",
                List.of("--dry-run", "--metrics-port=0"));
    }
}
