package io.edgesched.examples;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the app tests need to run agent/controller as real child JVMs against a given API server. */
public final class AppProcessSupport {
    private AppProcessSupport() {
    }

    /** Writes a kubeconfig pointing at {@code serverUrl} with a dummy token into {@code dir}. */
    public static Path writeKubeconfig(Path dir, String serverUrl) throws IOException {
        Path kubeconfig = dir.resolve("kubeconfig");
        Files.writeString(kubeconfig, """
                apiVersion: v1
                kind: Config
                clusters: [{name: test, cluster: {server: "%s"}}]
                users: [{name: test, user: {token: test}}]
                contexts: [{name: test, context: {cluster: test, user: test, namespace: default}}]
                current-context: test
                """.formatted(serverUrl));
        return kubeconfig;
    }

    /** A loopback TCP port that was free a moment ago (closed again before returning). */
    public static int freeTcpPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
