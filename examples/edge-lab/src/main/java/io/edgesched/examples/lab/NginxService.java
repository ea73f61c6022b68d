package io.edgesched.examples.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The lab's workload as the move starts it: nginx serving the 1 KiB file of {@link LabService} on one port of
 * one node namespace, with the same {@code X-Served-By} header. A web server written in C is ready as soon as
 * it listens (a few ms; no JIT to warm up), so a move costs what the forwarding switch costs, which is what
 * time scale 0.2 needs: there the device's requests are 0.4 s of real time apart (docs/lab.md, "Reaction").
 */
final class NginxService {
    private NginxService() {
    }

    /** Starts the service for {@code label} on {@code nodeName}; returns once it accepts connections. */
    static ChildProcess start(String namespace, String nodeName, String label, int port, Path workDir) {
        Path dir = workDir.resolve("service-" + label + "-" + nodeName);
        Path docRoot = dir.resolve("www");
        try {
            Files.createDirectories(docRoot);
            Files.write(docRoot.resolve(LabService.PATH.substring(1)), LabService.fileContent(nodeName));
        } catch (IOException e) {
            throw new LabException("cannot write the service's file under " + docRoot + ": " + e.getMessage(), e);
        }
        return NginxProcess.start(label + "-service@" + nodeName, namespace, dir, config(dir, docRoot, nodeName, port));
    }

    static String config(Path dir, Path docRoot, String nodeName, int port) {
        return NginxProcess.config(dir, """
                server_tokens off;
                default_type "text/plain; charset=us-ascii";
                server {
                    listen %3$d backlog=256;
                    root %1$s;
                    add_header %4$s %2$s always;
                    location = %5$s { }
                    location = / { try_files %5$s =404; }
                    location / { return 404; }
                }
                """.formatted(docRoot, nodeName, port, LabService.SERVED_BY, LabService.PATH));
    }
}
