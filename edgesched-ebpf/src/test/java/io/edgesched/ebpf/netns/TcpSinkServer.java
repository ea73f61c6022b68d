package io.edgesched.ebpf.netns;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A TCP server for the netns tests, run in a child JVM inside the server namespace:
 * {@code TcpSinkServer PORT} listens dual-stack (IPv4 + IPv6) on PORT, reads each connection to its end,
 * answers with one byte, closes. Prints {@code READY} once listening; exits when its stdin closes,
 * so it never outlives the test JVM. Uses nothing but the JDK.
 */
public final class TcpSinkServer {
    private TcpSinkServer() {
    }

    public static void main(String[] args) throws IOException {
        int port = Integer.parseInt(args[0]);
        ServerSocket server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getByName("::"), port), 1024);
        Thread.ofPlatform().daemon().start(() -> {
            try {
                System.in.transferTo(OutputStream.nullOutputStream());
            } catch (IOException ignored) {
                // parent gone either way
            }
            System.exit(0);
        });
        System.out.println("READY");
        System.out.flush();
        while (true) {
            Socket socket = server.accept();
            Thread.ofVirtual().start(() -> serve(socket));
        }
    }

    private static void serve(Socket socket) {
        try (socket) {
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[16384];
            while (in.read(buffer) >= 0) {
                // count nothing: the observer under test does the counting
            }
            socket.getOutputStream().write('k');
        } catch (IOException ignored) {
            // a client that vanished is not the server's problem
        }
    }

    /** A running server child; closing it ends the child. */
    public static final class Handle implements AutoCloseable {
        private final Process process;

        private Handle(Process process) {
            this.process = process;
        }

        public static Handle start(NetnsLab lab, int port) {
            Process process = lab.startJava(lab.serverNs(), TcpSinkServer.class, List.of(String.valueOf(port)));
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8));
                String line = out.readLine();
                if (!"READY".equals(line)) {
                    String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
                    throw new IllegalStateException("TcpSinkServer did not start (said " + line + "): " + err);
                }
            } catch (IOException e) {
                process.destroyForcibly();
                throw new IllegalStateException("TcpSinkServer did not start", e);
            }
            return new Handle(process);
        }

        @Override
        public void close() {
            try {
                process.getOutputStream().close();
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (IOException e) {
                process.destroyForcibly();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }

    static List<String> lines(Process process) throws IOException {
        List<String> lines = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line; (line = reader.readLine()) != null; ) {
                lines.add(line);
            }
        }
        return lines;
    }
}
