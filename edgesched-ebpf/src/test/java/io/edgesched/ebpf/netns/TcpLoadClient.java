package io.edgesched.ebpf.netns;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The client side of the netns tests, run in a child JVM inside the client namespace:
 * {@code TcpLoadClient SERVER PORT CONNECTIONS BYTES SOURCE...} opens CONNECTIONS sequential connections from
 * each SOURCE address (bound explicitly), sends BYTES on each, half-closes, waits for the server's
 * one-byte answer and its close. Prints one line per source:
 * {@code SOURCE CONNECTIONS BYTES MIN_CONNECT_NANOS MAX_CONNECT_NANOS}, the connect time being the client's own
 * view of one handshake round trip. Uses nothing but the JDK.
 */
public final class TcpLoadClient {
    private TcpLoadClient() {
    }

    /** What one source address did, as the client saw it. */
    public record SourceResult(InetAddress source, int connections, long payloadBytes, long minConnectNanos,
                               long maxConnectNanos) {
    }

    public static void main(String[] args) throws Exception {
        InetAddress server = InetAddress.getByName(args[0]);
        int port = Integer.parseInt(args[1]);
        int connections = Integer.parseInt(args[2]);
        int bytes = Integer.parseInt(args[3]);
        List<CompletableFuture<String>> results = new ArrayList<>();
        // A few sources at a time: parallel enough to be quick, few enough for a 2-core machine.
        var pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        for (int i = 4; i < args.length; i++) {
            InetAddress source = InetAddress.getByName(args[i]);
            results.add(CompletableFuture.supplyAsync(() -> runSource(server, port, source, connections, bytes), pool));
        }
        for (CompletableFuture<String> result : results) {
            System.out.println(result.join());
        }
        pool.shutdown();
    }

    private static String runSource(InetAddress server, int port, InetAddress source, int connections, int bytes) {
        byte[] payload = new byte[bytes];
        long minConnect = Long.MAX_VALUE;
        long maxConnect = 0;
        long sent = 0;
        for (int c = 0; c < connections; c++) {
            try (Socket socket = new Socket()) {
                socket.setTcpNoDelay(true);
                socket.bind(new InetSocketAddress(source, 0));
                long start = System.nanoTime();
                socket.connect(new InetSocketAddress(server, port), 10_000);
                long took = System.nanoTime() - start;
                minConnect = Math.min(minConnect, took);
                maxConnect = Math.max(maxConnect, took);
                OutputStream out = socket.getOutputStream();
                out.write(payload);
                sent += bytes;
                socket.shutdownOutput();
                InputStream in = socket.getInputStream();
                if (in.read() != 'k') {
                    throw new IOException("server did not answer");
                }
                while (in.read() >= 0) {
                    // wait for the server's FIN so the connection ends the same way every time
                }
            } catch (IOException e) {
                throw new IllegalStateException("connection " + c + " from " + source.getHostAddress() + ": " + e, e);
            }
        }
        return source.getHostAddress() + " " + connections + " " + sent + " " + minConnect + " " + maxConnect;
    }

    /** Runs the client child in the lab's client namespace and returns what each source did. */
    public static Map<InetAddress, SourceResult> run(NetnsLab lab, InetAddress server, int port, int connections,
                                                     int bytes, List<InetAddress> sources) {
        List<String> args = new ArrayList<>(List.of(server.getHostAddress(), String.valueOf(port),
                String.valueOf(connections), String.valueOf(bytes)));
        sources.forEach(s -> args.add(s.getHostAddress()));
        Process process = lab.startJava(lab.clientNs(), TcpLoadClient.class, args);
        try {
            process.getOutputStream().close();
            CompletableFuture<String> err = Commands.readAsync(process.getErrorStream());
            List<String> lines = TcpSinkServer.lines(process);
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("TcpLoadClient did not finish within 120 s");
            }
            if (process.exitValue() != 0) {
                throw new IllegalStateException("TcpLoadClient failed: " + err.join());
            }
            Map<InetAddress, SourceResult> results = new LinkedHashMap<>();
            for (String line : lines) {
                String[] f = line.split(" ");
                InetAddress source = InetAddress.getByName(f[0]);
                results.put(source, new SourceResult(source, Integer.parseInt(f[1]), Long.parseLong(f[2]),
                        Long.parseLong(f[3]), Long.parseLong(f[4])));
            }
            if (results.size() != sources.size()) {
                throw new IllegalStateException("TcpLoadClient reported " + results.size() + " of " + sources.size()
                        + " sources: " + String.join("\n", lines) + "\n" + err.join());
            }
            return results;
        } catch (IOException e) {
            throw new IllegalStateException("TcpLoadClient output unreadable", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
