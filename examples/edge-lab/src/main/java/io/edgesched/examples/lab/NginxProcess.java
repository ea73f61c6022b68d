package io.edgesched.examples.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** An nginx the lab runs in a node namespace from a config it wrote: the sidecar, and the service itself. */
final class NginxProcess {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(10);

    private NginxProcess() {
    }

    /**
     * Writes {@code config} to {@code dir/nginx.conf}, starts nginx with it in {@code namespace} and returns
     * once it listens. The config must put its pid file at {@code dir/nginx.pid} and its error log at
     * {@code dir/error.log}: nginx binds its listeners before it writes the pid file, so once the file is
     * there, connections are accepted.
     */
    static ChildProcess start(String name, String namespace, Path dir, String config) {
        Path pidFile = dir.resolve("nginx.pid");
        try {
            Files.createDirectories(dir);
            Files.deleteIfExists(pidFile);
            Files.writeString(dir.resolve("nginx.conf"), config);
        } catch (IOException e) {
            throw new LabException("cannot write the nginx config of " + name + " under " + dir + ": " + e.getMessage(), e);
        }
        ChildProcess process = ChildProcess.startInNamespace(name, namespace,
                List.of("nginx", "-p", dir.toString(), "-c", dir.resolve("nginx.conf").toString(), "-g", "daemon off;"),
                line -> false, line -> { }, false);
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!Files.exists(pidFile)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                process.close();
                throw new LabException("nginx (" + name + ") did not start; see " + dir.resolve("error.log")
                        + " (is nginx installed? apt-get install -y nginx-light)");
            }
            sleepMillis(2);
        }
        return process;
    }

    /**
     * A whole config for {@link #start}: one worker, the pid file and error log in {@code dir}, temp files under it,
     * no access log unless a server asks for one; {@code http} goes inside the {@code http} block.
     */
    static String config(Path dir, String http) {
        return """
                user root root;
                worker_processes 1;
                pid %1$s/nginx.pid;
                error_log %1$s/error.log warn;
                events { worker_connections 512; }
                http {
                    client_body_temp_path %1$s/body;
                    proxy_temp_path %1$s/proxy;
                    access_log off;
                %2$s}
                """.formatted(dir, http.indent(4));
    }

    private static void sleepMillis(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted", e);
        }
    }
}
