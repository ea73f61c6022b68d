package io.edgesched.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs an app's main as a child JVM with no API server behind its kubeconfig: one stderr line naming it, exit code 3. */
public final class ApiServerUnreachableCheck {
    private ApiServerUnreachableCheck() {
    }

    public static void assertOneLineAndExitThree(Path dir, Class<?> main, String tool, List<String> args)
            throws Exception {
        // Closed again before the tool connects: connection refused.
        int closedPort = AppProcessSupport.freeTcpPort();
        Path kubeconfig = AppProcessSupport.writeKubeconfig(dir, "https://127.0.0.1:" + closedPort);
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:TieredStopAtLevel=1",
                "-Xmx128m", "-Dkubernetes.request.retry.backoffLimit=0", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("KUBECONFIG", kubeconfig.toString());
        pb.environment().remove("KUBERNETES_SERVICE_HOST");
        Process process = pb.start();
        try {
            CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
            CompletableFuture<String> stdout = CompletableFuture.supplyAsync(() -> read(process.getInputStream()));
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("%s still runs", tool).isTrue();
            assertThat(process.exitValue()).as(stderr.join()).isEqualTo(3);
            assertThat(stdout.join()).isEmpty();
            assertThat(stderr.join().lines().toList()).singleElement().satisfies(line -> assertThat(line)
                    .startsWith(tool + ": cannot list from the Kubernetes API server at https://127.0.0.1:" + closedPort)
                    .contains("Connection refused").contains("KUBECONFIG"));
        } finally {
            process.destroyForcibly();
        }
    }

    private static String read(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "<unreadable: " + e + ">";
        }
    }
}
