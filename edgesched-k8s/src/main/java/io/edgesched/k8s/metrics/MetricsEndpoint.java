package io.edgesched.k8s.metrics;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** Serves {@code GET /metrics} (Prometheus text) and {@code GET /healthz} with the JDK's HTTP server. */
public final class MetricsEndpoint implements AutoCloseable {
    private final PrometheusMeterRegistry registry;
    private final HttpServer server;
    private final ExecutorService executor;

    private MetricsEndpoint(PrometheusMeterRegistry registry, HttpServer server, ExecutorService executor) {
        this.registry = registry;
        this.server = server;
        this.executor = executor;
    }

    public static PrometheusMeterRegistry newRegistry() {
        return new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    }

    /** Binds {@code address:port} (port 0 picks a free one) and starts serving; /healthz always answers ok. */
    public static MetricsEndpoint start(PrometheusMeterRegistry registry, InetSocketAddress address) {
        return start(registry, address, java.util.Optional::empty);
    }

    /**
     * As {@link #start(PrometheusMeterRegistry, InetSocketAddress)}, with /healthz answering 503 and the
     * reason while {@code unhealthy} returns one (a liveness probe then restarts the process).
     */
    public static MetricsEndpoint start(PrometheusMeterRegistry registry, InetSocketAddress address,
                                        java.util.function.Supplier<java.util.Optional<String>> unhealthy) {
        HttpServer server;
        try {
            server = HttpServer.create(address, 16);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve metrics on " + address + ": " + e.getMessage()
                    + " (is the port in use? choose another with --metrics-port)", e);
        }
        server.createContext("/metrics", exchange -> {
            byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.createContext("/healthz", exchange -> {
            java.util.Optional<String> problem;
            try {
                problem = unhealthy.get();
            } catch (RuntimeException e) {
                problem = java.util.Optional.of("health check failed: " + e);
            }
            byte[] body = problem.map(p -> p + "\n").orElse("ok\n").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(problem.isPresent() ? 503 : 200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "edgesched-metrics");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.start();
        return new MetricsEndpoint(registry, server, executor);
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
