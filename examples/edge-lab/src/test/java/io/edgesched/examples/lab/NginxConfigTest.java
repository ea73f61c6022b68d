package io.edgesched.examples.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The configs the lab writes for nginx (the service and the sidecar) are ones nginx accepts ({@code nginx -t}). */
class NginxConfigTest {
    @TempDir
    Path dir;

    @Test
    void serviceConfigIsValidAndNamesItsNode() throws Exception {
        Path docRoot = dir.resolve("www");
        String config = NginxService.config(dir, docRoot, "edge1", 8080);
        assertThat(config).contains("add_header " + LabService.SERVED_BY + " edge1 always;").contains("listen 8080");
        assertThat(nginxTest(config)).isZero();
    }

    @Test
    void sidecarConfigIsValidAndLogsWhereRequestsCameFrom() throws Exception {
        String config = SidecarProxy.config(dir, 8090);
        assertThat(config).contains("proxy_pass http://127.0.0.1:8090;").contains("$remote_addr");
        assertThat(nginxTest(config)).isZero();
    }

    @Test
    void brokenConfigIsRejected() throws Exception { // the check above can fail
        assertThat(nginxTest(NginxProcess.config(dir, "server { listen 8080 }\n"))).isNotZero();
    }

    private int nginxTest(String config) throws IOException, InterruptedException {
        boolean installed = Files.isExecutable(Path.of("/usr/sbin/nginx"));
        if ("true".equals(System.getenv("CI"))) {
            assertThat(installed).as("CI installs nginx (scripts/setup.sh)").isTrue();
        }
        Assumptions.assumeTrue(installed, "nginx is not installed (apt-get install -y nginx-light)");
        Path file = dir.resolve("nginx.conf");
        Files.writeString(file, config);
        Process p = new ProcessBuilder("/usr/sbin/nginx", "-t", "-p", dir.toString(), "-c", file.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = p.waitFor();
        System.out.println(out.strip());
        return rc;
    }
}
