package io.edgesched.examples.origintop;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgesched.ebpf.libbpf.NetworkNamespaces;
import io.edgesched.ebpf.libbpf.TcDirection;
import io.edgesched.ebpf.libbpf.TcxLink;
import io.edgesched.ebpf.netns.Commands;
import io.edgesched.ebpf.netns.NetnsLab;
import io.edgesched.ebpf.netns.RootRequirement;
import io.edgesched.ebpf.netns.TcpLoadClient;
import io.edgesched.ebpf.netns.TcpSinkServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** origin-top end to end: the real eBPF source on a netns veth while clients connect, JSON lines parsed. */
class OriginTopNetnsTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @BeforeEach
    void needsRoot() {
        RootRequirement.assumeRoot();
    }

    @Test
    void reportsEveryClientOfRealTrafficAsJsonAndDetachesAtTheEnd() throws Exception {
        try (NetnsLab lab = NetnsLab.create(3, 1);
             TcpSinkServer.Handle _ = TcpSinkServer.Handle.start(lab, 9090)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            CompletableFuture<OriginTop> instance = new CompletableFuture<>();
            // --duration is long enough for a slow machine; the test stops it as Ctrl-C would once traffic is done
            // (the loop then prints one last snapshot and the final report).
            CompletableFuture<Integer> top = CompletableFuture.supplyAsync(() -> OriginTop.run(new String[] {
                    "--interface", lab.serverInterface(), "--netns", lab.serverNs(), "--port", "9090",
                    "--port", "9091", "--interval", "0.5", "--duration", "120", "--json", "--node", "lab-1"},
                    new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                    options -> {
                        instance.complete(options);
                        return OriginTop.openEbpf(options);
                    }));
            // Traffic starts once the programs are attached.
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (!filters(lab, "ingress").contains("origin_ingress")) {
                assertThat(top).as("origin-top ended early: %s", err).isNotDone();
                assertThat(System.nanoTime()).as("origin-top did not attach").isLessThan(deadline);
                Thread.sleep(50);
            }
            Map<InetAddress, TcpLoadClient.SourceResult> sent = new HashMap<>(
                    TcpLoadClient.run(lab, lab.serverV4(), 9090, 4, 2000, lab.clientV4()));
            sent.putAll(TcpLoadClient.run(lab, lab.serverV6(), 9090, 2, 100, lab.clientV6()));

            instance.get().requestStop();
            assertThat(top.get(30, TimeUnit.SECONDS)).as(err.toString(StandardCharsets.UTF_8)).isZero();
            assertThat(filters(lab, "ingress")).doesNotContain("origin");
            assertThat(filters(lab, "egress")).doesNotContain("origin");

            List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
            JsonNode fin = JSON.readTree(lines.getLast()).get("final");
            assertThat(fin.get("node").asString()).isEqualTo("lab-1");
            assertThat(fin.get("ports").toString()).isEqualTo("[9090,9091]");
            assertThat(fin.get("clients").asInt()).isEqualTo(sent.size());
            assertThat(fin.get("connections").asLong()).isEqualTo(3 * 4 + 2);
            // The last interval's rows: the final cumulative count per client.
            Map<String, JsonNode> lastRow = new HashMap<>();
            for (String line : lines.subList(0, lines.size() - 1)) {
                JsonNode row = JSON.readTree(line);
                lastRow.put(row.get("client").asString(), row);
            }
            assertThat(lastRow).hasSize(sent.size());
            for (TcpLoadClient.SourceResult s : sent.values()) {
                String client = io.edgesched.api.ClientAddress.of(s.source()).toString();
                JsonNode row = lastRow.get(client);
                assertThat(row).as("row for %s", client).isNotNull();
                assertThat(row.get("port").asInt()).isEqualTo(9090);
                assertThat(row.get("connections").asLong()).isEqualTo(s.connections());
                assertThat(row.get("packets").asLong()).isGreaterThanOrEqualTo(3L * s.connections());
                assertThat(row.get("bytes").asLong()).isGreaterThan(s.payloadBytes());
                assertThat(row.get("rttMicros").asLong()).isPositive();
                assertThat(row.get("lastSeenMillisAgo").asLong()).isBetween(0L, 20_000L);
            }
        }
    }

    /** The real main in a child JVM: Ctrl-C (SIGINT) and SIGTERM end it like --duration, exit 0, nothing left. */
    @Test
    void aSignalEndsItWithAFinalReportExitZeroAndNoFilterLeft() throws Exception {
        try (NetnsLab lab = NetnsLab.create(1, 0)) {
            for (String signal : List.of("INT", "TERM")) {
                // A background parent (CI, nohup) may hand down SIGINT as ignored; a user's terminal does not.
                Process top = new ProcessBuilder("env", "--default-signal=INT,TERM",
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "--enable-native-access=ALL-UNNAMED", "-XX:TieredStopAtLevel=1", "-Xmx128m",
                        "-cp", System.getProperty("java.class.path"), OriginTop.class.getName(),
                        "-i", lab.serverInterface(), "--netns", lab.serverNs(), "-p", "80", "--json",
                        "--interval", "0.2").start();
                try {
                    CompletableFuture<String> stdout = CompletableFuture.supplyAsync(() -> read(top.getInputStream()));
                    CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> read(top.getErrorStream()));
                    long deadline = System.nanoTime() + 30_000_000_000L;
                    while (!filters(lab, "ingress").contains("origin_ingress")) {
                        assertThat(top.isAlive()).as("origin-top ended early: %s", stderr).isTrue();
                        assertThat(System.nanoTime()).as("origin-top did not attach").isLessThan(deadline);
                        Thread.sleep(50);
                    }
                    Commands.run("kill", "-" + signal, String.valueOf(top.pid()));
                    assertThat(top.waitFor(20, TimeUnit.SECONDS)).as("origin-top still runs after SIG" + signal).isTrue();
                    assertThat(top.exitValue()).as("exit after SIG%s: %s", signal, stderr.join()).isZero();
                    assertThat(stdout.join().lines().toList().getLast()).startsWith("{\"final\":");
                    assertThat(filters(lab, "ingress")).doesNotContain("origin");
                    assertThat(filters(lab, "egress")).doesNotContain("origin");
                } finally {
                    top.destroyForcibly();
                }
            }
        }
    }

    /** Programs on the server interface: tc filters and tcx links (the default attachment), as text. */
    private static String filters(NetnsLab lab, String direction) {
        TcDirection tcx = direction.equals("ingress") ? TcDirection.INGRESS : TcDirection.EGRESS;
        return lab.execIn(lab.serverNs(), "tc", "filter", "show", "dev", lab.serverInterface(), direction)
                + NetworkNamespaces.runIn(lab.serverNs(), () -> TcxLink.attachedProgramNames(lab.serverInterface(), tcx));
    }

    private static String read(java.io.InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            return "<unreadable: " + e + ">";
        }
    }

    @Test
    void aMissingInterfaceIsOneLineAndExitCodeTwo() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = OriginTop.run(new String[] {"--interface", "esTnope0", "--port", "80", "--json"},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                OriginTop::openEbpf);
        assertThat(code).isEqualTo(2);
        assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
        assertThat(err.toString(StandardCharsets.UTF_8).lines().toList()).singleElement()
                .satisfies(line -> assertThat(line).startsWith("origin-top: ").contains("esTnope0"));
    }
}
