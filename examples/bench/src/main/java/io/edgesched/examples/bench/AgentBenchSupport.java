package io.edgesched.examples.bench;

import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * What the benches that start the real agent process share: shell commands, a served port, the CRUD mock API
 * server with a kubeconfig pointing at it, and an ordered cleanup (everything registered is undone, last first).
 */
final class AgentBenchSupport {
    static final byte[] RESPONSE_BODY = "ok".getBytes(StandardCharsets.US_ASCII);

    private AgentBenchSupport() {
    }

    /** Runs a command, returns its output; a non-zero exit is an IOException naming the command. */
    static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + out.trim());
        }
        return out;
    }

    /** An HTTP server on {@code address:port} answering "ok"; {@code onRequest} runs first for each request. */
    static HttpServer serve(String address, int port, Runnable onRequest, List<AutoCloseable> cleanup) throws IOException {
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getByName(address), port), 128);
        http.createContext("/", exchange -> {
            onRequest.run();
            exchange.sendResponseHeaders(200, RESPONSE_BODY.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(RESPONSE_BODY);
            }
        });
        http.setExecutor(Executors.newFixedThreadPool(2));
        http.start();
        cleanup.add(() -> http.stop(0));
        return http;
    }

    /** The CRUD mock API server, started; destroyed at cleanup. */
    static KubernetesMockServer mockServer(List<AutoCloseable> cleanup) {
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        server.init();
        cleanup.add(server::destroy);
        return server;
    }

    /** A kubeconfig file for the agent process, pointing at {@code client}'s server; deleted at cleanup. */
    static Path kubeconfig(KubernetesClient client, String prefix, List<AutoCloseable> cleanup) throws IOException {
        Path kubeconfig = Files.createTempFile(prefix, ".kubeconfig");
        cleanup.add(() -> Files.deleteIfExists(kubeconfig));
        Files.writeString(kubeconfig, """
                apiVersion: v1
                kind: Config
                clusters: [{name: mock, cluster: {server: "%s"}}]
                users: [{name: mock, user: {token: bench}}]
                contexts: [{name: mock, context: {cluster: mock, user: mock}}]
                current-context: mock
                """.formatted(client.getConfiguration().getMasterUrl()));
        return kubeconfig;
    }

    /** Asks a process to stop, forces it after 10 s. */
    static void stop(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
    }

    /** Undoes what was registered, last first; a step that fails is reported and the rest still run. */
    static void closeAll(List<AutoCloseable> cleanup) {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            try {
                cleanup.get(i).close();
            } catch (Exception e) {
                System.err.println("cleanup: " + e.getMessage());
            }
        }
    }
}
