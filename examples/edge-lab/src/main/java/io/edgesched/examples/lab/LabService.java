package io.edgesched.examples.lab;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * The latency bench's workload (the lab itself runs {@link NginxService}, which serves the same file): an HTTP
 * server that returns a 1 KiB text file, started inside one node's namespace (a process standing in for a
 * container). It tells which node served each request in an
 * {@code X-Served-By} header, prints {@code READY} once it accepts connections, and exits when its stdin
 * closes, so it never outlives the lab.
 *
 * <p>Usage: {@code LabService NODE_NAME PORT}
 */
public final class LabService {
    static final String PATH = "/file.txt";
    static final String SERVED_BY = "X-Served-By";
    static final int FILE_BYTES = 1024;
    static final int SERVER_THREADS = 4;
    static final int WARM_UP_REQUESTS = 250; // C1 compiles a method after ~200 calls: each per-request path is compiled

    private LabService() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: LabService NODE_NAME PORT");
            System.exit(2);
        }
        // Responses go out as headers then body; without TCP_NODELAY the body can wait for the client's
        // delayed ACK (40 ms). Real servers set it; the JDK's server reads this before its first use.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        String node = args[0];
        int port = Integer.parseInt(args[1]);
        byte[] body = fileContent(node);
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 256);
        server.createContext("/", exchange -> respond(exchange, node, body));
        server.setExecutor(Executors.newFixedThreadPool(SERVER_THREADS));
        server.start();
        warmUp(port, WARM_UP_REQUESTS);
        System.out.println("READY " + port);
        System.out.flush();
        // Stdin closes when the lab stops this service or dies.
        while (System.in.read() >= 0) {
            // nothing to read; wait for EOF
        }
        server.stop(0);
        System.exit(0);
    }

    /**
     * Serves 250 requests to itself before reporting ready, as a readiness probe with real requests
     * would: the first requests of a fresh JVM are many times slower than the rest. From as many connections at
     * once as the server has threads, so the warm-up covers the concurrent path and takes ~0.1 s, not ~0.4 s: the
     * lab's move waits for it (docs/lab.md, "Reaction").
     */
    static void warmUp(int port, int requests) throws IOException {
        byte[] request = ("GET " + PATH + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        java.util.concurrent.atomic.AtomicInteger left = new java.util.concurrent.atomic.AtomicInteger(requests);
        java.util.List<java.util.concurrent.Future<?>> clients = new java.util.ArrayList<>();
        try (var pool = Executors.newFixedThreadPool(SERVER_THREADS)) {
            for (int c = 0; c < SERVER_THREADS; c++) {
                clients.add(pool.submit(() -> {
                    while (left.getAndDecrement() > 0) {
                        try (java.net.Socket socket = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), port)) {
                            socket.getOutputStream().write(request);
                            socket.getInputStream().readAllBytes();
                        }
                    }
                    return null;
                }));
            }
            for (var c : clients) {
                try {
                    c.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new IOException("warm-up request failed: " + e.getCause().getMessage(), e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted during warm-up", e);
                }
            }
        }
    }

    private static void respond(HttpExchange exchange, String node, byte[] body) throws IOException {
        try (exchange) {
            exchange.getResponseHeaders().set(SERVED_BY, node);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=us-ascii");
            if (!PATH.equals(exchange.getRequestURI().getPath()) && !"/".equals(exchange.getRequestURI().getPath())) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    /** Exactly 1 KiB of readable text. */
    static byte[] fileContent(String node) {
        StringBuilder text = new StringBuilder();
        String line = "edgesched edge lab: this 1 KiB file was served by " + node + ".\n";
        while (text.length() < FILE_BYTES) {
            text.append(line);
        }
        text.setLength(FILE_BYTES - 1);
        text.append('\n');
        return text.toString().getBytes(StandardCharsets.US_ASCII);
    }
}
