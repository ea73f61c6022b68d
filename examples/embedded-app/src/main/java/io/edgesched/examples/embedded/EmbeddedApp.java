package io.edgesched.examples.embedded;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.edgesched.ebpf.libbpf.NetworkNamespaces;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * A small HTTP service that knows who its clients are and where it should run:
 * {@code GET /} is the service itself, {@code GET /edgesched/clients} its clients as the kernel counted them,
 * {@code GET /edgesched/placement} where it runs and the last placement decision.
 */
public final class EmbeddedApp implements AutoCloseable {
    private final EmbeddedPlacement placement;
    private final HttpServer server;
    private final ExecutorService handlers = Executors.newFixedThreadPool(4,
            r -> Thread.ofPlatform().daemon().name("embedded-app-http").unstarted(r));

    private EmbeddedApp(EmbeddedPlacement placement, HttpServer server) {
        this.placement = placement;
        this.server = server;
        server.createContext("/edgesched/clients", ex -> reply(ex, "application/json", () -> PlacementJson.clients(placement)));
        server.createContext("/edgesched/placement", ex -> reply(ex, "application/json", () -> PlacementJson.placement(placement)));
        server.createContext("/", ex -> reply(ex, "text/plain", () -> "hello from " + placement.node() + "\n"));
        server.setExecutor(handlers);
        server.start();
    }

    /**
     * Serves on {@code port} (all addresses) of the given network namespace, or of the caller's when it is null,
     * with the placement already open. Closing the app closes the placement.
     */
    public static EmbeddedApp start(EmbeddedPlacement placement, int port, String networkNamespace) throws IOException {
        try {
            // A socket belongs to the namespace it was created in: bind inside it, serve from any thread.
            HttpServer server = networkNamespace == null ? bind(port)
                    : NetworkNamespaces.runIn(networkNamespace, () -> bind(port));
            return new EmbeddedApp(placement, server);
        } catch (IOException | RuntimeException e) {
            placement.close();
            throw e;
        }
    }

    private static HttpServer bind(int port) throws IOException {
        return HttpServer.create(new InetSocketAddress(port), 64);
    }

    public EmbeddedPlacement placement() {
        return placement;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private static void reply(HttpExchange exchange, String type, Supplier<String> body) throws IOException {
        try (exchange) {
            if (!exchange.getRequestMethod().equals("GET")) {
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            byte[] bytes = body.get().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", type + "; charset=utf-8");
            exchange.sendResponseHeaders(200, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        handlers.shutdownNow();
        placement.close();
    }
}
