package io.edgesched.examples.lab;

import java.nio.file.Path;

/**
 * The prior work's sidecar: nginx beside the service in the same node namespace. It listens on
 * {@link #PORT}, relays every request to the service on localhost as a plain reverse proxy does (nginx's
 * defaults: a connection to the service per request) and writes one access-log line per request:
 * {@code msec remote_addr status request_time}. The remote address is the node the request entered through
 * (the entry node masquerades forwarded traffic). {@link #KEEPALIVE_PORT} relays with kept-alive upstream
 * connections, the sidecar's best case, for the latency bench.
 */
final class SidecarProxy implements AutoCloseable {
    static final int PORT = 8081;
    /** The same relay at its best: kept-alive connections to the service (the latency bench compares both). */
    static final int KEEPALIVE_PORT = 8082;

    private final ChildProcess nginx;
    private final Path accessLog;

    private SidecarProxy(ChildProcess nginx, Path accessLog) {
        this.nginx = nginx;
        this.accessLog = accessLog;
    }

    /** Starts nginx in {@code namespace}, relaying to 127.0.0.1:{@code servicePort}; returns once it listens. */
    static SidecarProxy start(String namespace, String nodeName, int servicePort, Path workDir) {
        Path dir = workDir.resolve("sidecar-" + nodeName);
        ChildProcess process = NginxProcess.start("sidecar@" + nodeName, namespace, dir, config(dir, servicePort));
        return new SidecarProxy(process, dir.resolve("access.log"));
    }

    static String config(Path dir, int servicePort) {
        return NginxProcess.config(dir, """
                log_format edgesched '$msec $remote_addr $status $request_time';
                upstream service {
                    server 127.0.0.1:%2$d;
                    keepalive 16;
                }
                server {
                    listen %3$d;
                    access_log %1$s/access.log edgesched;
                    location / {
                        proxy_pass http://127.0.0.1:%2$d;
                        proxy_set_header X-Forwarded-For $remote_addr;
                    }
                }
                server {
                    listen %4$d;
                    access_log %1$s/access-keepalive.log edgesched;
                    location / {
                        proxy_pass http://service;
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                        proxy_set_header X-Forwarded-For $remote_addr;
                    }
                }
                """.formatted(dir, servicePort, PORT, KEEPALIVE_PORT));
    }

    Path accessLog() {
        return accessLog;
    }

    @Override
    public void close() {
        nginx.close();
    }
}
