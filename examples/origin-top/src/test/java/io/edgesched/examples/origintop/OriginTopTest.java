package io.edgesched.examples.origintop;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.NodeId;
import io.edgesched.api.OriginRecord;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.OriginSourceException;
import io.edgesched.api.OriginStats;
import io.edgesched.api.RequestOriginSource;
import io.edgesched.api.WatchedService;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** origin-top's arguments, output shapes and exit codes, against a scripted source (no kernel). */
class OriginTopTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(OriginTop.SourceOpener opener, String... args) {
        return OriginTop.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), opener);
    }

    private String stdout() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String stderr() {
        return err.toString(StandardCharsets.UTF_8);
    }

    /** Answers each snapshot with one more packet from each client; records what was watched and closed. */
    static final class ScriptedSource implements RequestOriginSource {
        final Set<WatchedService> watched = new LinkedHashSet<>();
        final List<ClientAddress> clients;
        volatile int snapshots;
        volatile boolean closed;

        ScriptedSource(String... clients) {
            this.clients = new ArrayList<>();
            for (String c : clients) {
                this.clients.add(ClientAddress.parse(c));
            }
        }

        @Override
        public NodeId node() {
            return NodeId.of("test-node");
        }

        @Override
        public void watch(WatchedService service) {
            watched.add(service);
        }

        @Override
        public void unwatch(int serviceId) {
            watched.removeIf(s -> s.serviceId() == serviceId);
        }

        @Override
        public Set<WatchedService> watched() {
            return Set.copyOf(watched);
        }

        @Override
        public OriginSnapshot snapshot() {
            snapshots++;
            long now = System.nanoTime();
            List<OriginRecord> records = new ArrayList<>();
            for (WatchedService s : watched) {
                for (int i = 0; i < clients.size(); i++) {
                    boolean timed = i == 0;
                    records.add(new OriginRecord(s.serviceId(), s.port(), clients.get(i), 1, snapshots * (i + 1L),
                            snapshots * 100L * (i + 1), timed ? 250 : 0, timed ? 1 : 0, now - 5_000_000_000L,
                            now - 3_000_000, false));
                }
            }
            return new OriginSnapshot(node(), Instant.now(), now, 7, records, new OriginStats(10, 1, 2, 3, 0));
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    @Test
    void jsonRowsCarryExactlyTheDocumentedFieldsAndEndWithAFinalReport() throws Exception {
        ScriptedSource source = new ScriptedSource("10.0.0.1", "fd00::7");
        int code = run(o -> source, "--interface", "eth9", "--port", "80", "--port", "443", "--interval", "0.05",
                "--duration", "0.2", "--json", "--node", "edge-\"1\"");

        assertThat(code).as(stderr()).isZero();
        assertThat(source.closed).isTrue();
        assertThat(source.watched).containsExactlyInAnyOrder(WatchedService.port(80), WatchedService.port(443));
        List<String> lines = stdout().lines().toList();
        assertThat(lines).hasSizeGreaterThanOrEqualTo(5);
        for (String line : lines.subList(0, lines.size() - 1)) {
            JsonNode row = JSON.readTree(line);
            assertThat(row.propertyNames()).containsExactly("port", "client", "connections", "packets", "bytes",
                    "rttMicros", "lastSeenMillisAgo");
            assertThat(row.get("port").asInt()).isIn(80, 443);
            assertThat(row.get("client").asString()).isIn("10.0.0.1", "fd00::7");
            assertThat(row.get("lastSeenMillisAgo").asLong()).isBetween(3L, 1000L);
            if (row.get("client").asString().equals("10.0.0.1")) {
                assertThat(row.get("rttMicros").asLong()).isEqualTo(250);
            } else {
                assertThat(row.get("rttMicros").isNull()).isTrue();
            }
        }
        JsonNode last = JSON.readTree(lines.getLast());
        assertThat(last.propertyNames()).containsExactly("final");
        JsonNode fin = last.get("final");
        assertThat(fin.get("node").asString()).isEqualTo("edge-\"1\"");
        assertThat(fin.get("interface").asString()).isEqualTo("eth9");
        assertThat(fin.get("ports").toString()).isEqualTo("[80,443]");
        assertThat(fin.get("intervals").asInt()).isEqualTo(source.snapshots);
        assertThat(fin.get("clients").asInt()).isEqualTo(4);
        assertThat(fin.get("packets").asLong()).isEqualTo(2L * (source.snapshots + 2L * source.snapshots));
        assertThat(fin.get("stats").get("clientTableFull").asLong()).isEqualTo(2);
        assertThat(fin.get("stats").get("rttTableFull").asLong()).isEqualTo(3);
    }

    @Test
    void tableShowsHeaderStatsAndClientsSortedByPacketsDescending() {
        ScriptedSource source = new ScriptedSource("10.0.0.1", "10.0.0.2");
        int code = run(o -> source, "-i", "eth9", "-p", "8080", "--interval", "0.05", "--duration", "0.06");

        assertThat(code).as(stderr()).isZero();
        String screen = stdout();
        assertThat(screen).startsWith(OriginTable.CLEAR).contains("node test-node").contains("interface eth9")
                .contains("client-table overflow 2").contains("rtt-table full 3").contains("250 us");
        String lastScreen = screen.substring(screen.lastIndexOf(OriginTable.CLEAR));
        assertThat(lastScreen.indexOf("10.0.0.2")).isLessThan(lastScreen.indexOf("10.0.0.1"));
        assertThat(source.closed).isTrue();
    }

    @Test
    void cannotAttachIsOneLineOnStderrAndExitCodeTwo() {
        int code = run(o -> {
            throw new OriginSourceException("attach to nope0: no such interface 'nope0'\n(check `ip link`)");
        }, "--interface", "nope0", "--port", "80", "--json");

        assertThat(code).isEqualTo(2);
        assertThat(stdout()).isEmpty();
        assertThat(stderr().lines().toList()).singleElement().satisfies(line ->
                assertThat(line).startsWith("origin-top: ").contains("nope0").contains("ip link"));
    }

    @Test
    void badArgumentsPrintUsageAndExitTwo() {
        assertThat(run(o -> new ScriptedSource(), "--port", "80")).isEqualTo(2);
        assertThat(stderr()).contains("--interface").contains("Usage: origin-top");
        err.reset();
        assertThat(run(o -> new ScriptedSource(), "-i", "eth0", "--port", "70000")).isEqualTo(2);
        assertThat(stderr()).contains("70000").contains("Usage: origin-top");
        err.reset();
        assertThat(run(o -> new ScriptedSource(), "-i", "eth0", "--port", "80", "--interval", "0")).isEqualTo(2);
        assertThat(stderr()).contains("--interval");
    }

    @Test
    void stopRequestEndsLikeDurationWithFinalReportAndClose() throws Exception {
        ScriptedSource source = new ScriptedSource("10.0.0.1");
        OriginTop[] captured = new OriginTop[1];
        Thread runner = Thread.ofPlatform().start(() -> run(o -> {
            captured[0] = o;
            return source;
        }, "-i", "eth9", "-p", "80", "--interval", "0.05", "--json"));
        while (source.snapshots < 2) {
            Thread.onSpinWait();
            Thread.sleep(5);
        }
        captured[0].requestStop();
        runner.join(5000);
        assertThat(runner.isAlive()).isFalse();
        assertThat(source.closed).isTrue();
        assertThat(stdout().lines().toList().getLast()).startsWith("{\"final\":");
    }
}
