package io.edgesched.ebpf.libbpf;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

import io.edgesched.api.NodeId;
import io.edgesched.api.WatchedService;
import io.edgesched.ebpf.EbpfRequestOriginSource;
import io.edgesched.ebpf.EbpfRequestOriginSource.AttachMode;
import io.edgesched.ebpf.OriginMapLayouts;
import io.edgesched.ebpf.RequiresBpf;
import io.edgesched.ebpf.netns.NetnsLab;
import io.edgesched.ebpf.netns.TcpLoadClient;
import io.edgesched.ebpf.netns.TcpSinkServer;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * How the source shares an interface: tcx links first by default, the tc fallback at its fixed handle/priority,
 * foreign programs untouched, re-attach after the attachment vanished, nothing stacked after kill -9, nothing left
 * after SIGTERM while opening.
 */
@RequiresBpf
class OriginAttachmentNetnsTest {
    private static final int PORT = 8080;
    private static NetnsLab lab;
    private static TcpSinkServer.Handle server;

    @BeforeAll
    static void startLab() {
        lab = NetnsLab.create(1, 0);
        server = TcpSinkServer.Handle.start(lab, PORT);
    }

    @AfterAll
    static void stopLab() {
        if (server != null) {
            server.close();
        }
        if (lab != null) {
            lab.close();
        }
    }

    @AfterEach
    void nothingOfOursIsLeft() {
        assertThat(tcxNames(TcDirection.INGRESS)).doesNotContain(OriginMapLayouts.INGRESS_PROGRAM);
        assertThat(tcxNames(TcDirection.EGRESS)).doesNotContain(OriginMapLayouts.EGRESS_PROGRAM);
        assertThat(tcFilters("ingress") + tcFilters("egress")).doesNotContain("origin_");
        inServerNs("tc", "qdisc", "del", "dev", lab.serverInterface(), "clsact");
    }

    private EbpfRequestOriginSource.Builder builder() {
        return EbpfRequestOriginSource.builder().node(NodeId.of("lab-server")).interfaceName(lab.serverInterface())
                .networkNamespace(lab.serverNs());
    }

    @Test
    void tcxByDefaultRunsFirstAndForeignProgramsBeforeAndAfterKeepRunningWhenItStops() throws Exception {
        try (BpfObject foreignBefore = TestObjects.open("count").load();
                BpfObject foreignAfter = TestObjects.open("count").load()) {
            TcxLink before = tcxAttach(foreignBefore);
            TcxLink after;
            try (EbpfRequestOriginSource source = builder().open()) {
                after = tcxAttach(foreignAfter);
                source.watch(WatchedService.port(PORT));
                assertThat(tcxNames(TcDirection.INGRESS)).as("ours first")
                        .containsExactly(OriginMapLayouts.INGRESS_PROGRAM, "count_next", "count_next");
                assertThat(tcxNames(TcDirection.EGRESS)).containsExactly(OriginMapLayouts.EGRESS_PROGRAM);
                assertThat(tcFilters("ingress")).as("no tc filter").isBlank();
                TcpLoadClient.run(lab, lab.serverV4(), PORT, 2, 100, lab.clientV4());
                assertThat(source.snapshot().records()).singleElement()
                        .satisfies(r -> assertThat(r.connections()).isEqualTo(2));
            }
            long beforeCount = counter(foreignBefore);
            long afterCount = counter(foreignAfter);
            assertThat(tcxNames(TcDirection.INGRESS)).containsExactly("count_next", "count_next");
            TcpLoadClient.run(lab, lab.serverV4(), PORT, 2, 100, lab.clientV4());
            assertThat(counter(foreignBefore)).as("attached before ours, still running").isGreaterThan(beforeCount);
            assertThat(counter(foreignAfter)).as("attached after ours, still running").isGreaterThan(afterCount);
            before.close();
            after.close();
        }
    }

    @Test
    void tcFallbackUsesItsFixedSlotAndLeavesForeignFiltersAndTheQdisc() throws Exception {
        try (BpfObject foreign = TestObjects.open("count").load()) {
            TcAttachment before = NetworkNamespaces.runIn(lab.serverNs(), () ->
                    TcAttachment.attach(foreign.program("count_next"), lab.serverInterface(), TcDirection.INGRESS, 7, 2));
            TcAttachment after;
            try (EbpfRequestOriginSource source = builder().attachMode(AttachMode.TC).open()) {
                after = NetworkNamespaces.runIn(lab.serverNs(), () -> TcAttachment.attach(foreign.program("count_next"),
                        lab.serverInterface(), TcDirection.INGRESS, 8, 3));
                source.watch(WatchedService.port(PORT));
                assertThat(tcFilters("ingress")).contains("origin_ingress").contains("handle 0xed5c")
                        .contains("pref 1 ");
                assertThat(tcxNames(TcDirection.INGRESS)).isEmpty();
                TcpLoadClient.run(lab, lab.serverV4(), PORT, 1, 100, lab.clientV4());
                assertThat(source.snapshot().records()).singleElement()
                        .satisfies(r -> assertThat(r.connections()).isEqualTo(1));
            }
            assertThat(tcFilters("ingress")).doesNotContain("origin_").contains("handle 0x7 ").contains("handle 0x8 ");
            assertThat(qdiscs()).contains("clsact");
            long count = counter(foreign);
            TcpLoadClient.run(lab, lab.serverV4(), PORT, 1, 100, lab.clientV4());
            assertThat(counter(foreign)).isGreaterThan(count);
            before.close();
            after.close();
        }
    }

    /** Upgrade continuity: pinned links and maps survive close, the next source takes them over without a gap. */
    @Test
    void handOverKeepsCountingAcrossAnUpgradeAndAPlainStartCleansUp() throws Exception {
        Path pins = Path.of(Bpffs.DEFAULT_MOUNT, "esT-" + ProcessHandle.current().pid() + "-handover");
        long generation;
        try (EbpfRequestOriginSource first = builder().pinDirectory(pins).handOver(true).open()) {
            first.watch(WatchedService.port(PORT));
            TcpLoadClient.run(lab, lab.serverV4(), PORT, 2, 100, lab.clientV4());
            generation = first.snapshot().generation();
            assertThat(first.snapshot().records()).singleElement()
                    .satisfies(r -> assertThat(r.connections()).isEqualTo(2));
        }
        assertThat(tcxNames(TcDirection.INGRESS)).as("pinned: still attached between the agents")
                .containsExactly(OriginMapLayouts.INGRESS_PROGRAM);
        TcpLoadClient.run(lab, lab.serverV4(), PORT, 1, 100, lab.clientV4()); // counted with no agent running
        try (EbpfRequestOriginSource next = builder().pinDirectory(pins).handOver(true).open()) {
            next.watch(WatchedService.port(PORT));
            assertThat(tcxNames(TcDirection.INGRESS)).as("updated in place, not stacked")
                    .containsExactly(OriginMapLayouts.INGRESS_PROGRAM);
            assertThat(tcxNames(TcDirection.EGRESS)).containsExactly(OriginMapLayouts.EGRESS_PROGRAM);
            TcpLoadClient.run(lab, lab.serverV4(), PORT, 1, 100, lab.clientV4());
            assertThat(next.snapshot().generation()).as("same maps: counters continue").isEqualTo(generation);
            assertThat(next.snapshot().records()).singleElement()
                    .satisfies(r -> assertThat(r.connections()).isEqualTo(4));
        }
        try (EbpfRequestOriginSource plain = builder().pinDirectory(pins).open()) {
            assertThat(tcxNames(TcDirection.INGRESS)).as("the hand-over links were unpinned")
                    .containsExactly(OriginMapLayouts.INGRESS_PROGRAM);
        }
        assertThat(java.nio.file.Files.exists(pins)).isFalse();
    }

    @ParameterizedTest
    @EnumSource(value = AttachMode.class, names = {"TCX", "TC"})
    void reattachesWhenItsAttachmentVanishes(AttachMode mode) throws Exception {
        try (EbpfRequestOriginSource source = builder().attachMode(mode).open()) {
            source.watch(WatchedService.port(PORT));
            source.snapshot();
            assertThat(source.reattachments()).isZero();
            if (mode == AttachMode.TC) {
                inServerNs("tc", "filter", "del", "dev", lab.serverInterface(), "ingress", "pref", "1", "handle",
                        "0xed5c", "bpf");
                assertThat(tcFilters("ingress")).doesNotContain("origin_ingress");
            } else {
                for (String link : tcxLinkIds()) {
                    inServerNs("bpftool", "link", "detach", "id", link);
                }
                assertThat(tcxNames(TcDirection.INGRESS)).isEmpty();
            }
            source.snapshot();
            assertThat(source.reattachments()).isEqualTo(mode == AttachMode.TC ? 1 : 2);
            if (mode == AttachMode.TC) {
                assertThat(tcFilters("ingress")).contains("origin_ingress");
            } else {
                assertThat(tcxNames(TcDirection.INGRESS)).containsExactly(OriginMapLayouts.INGRESS_PROGRAM);
            }
            TcpLoadClient.run(lab, lab.serverV4(), PORT, 1, 100, lab.clientV4());
            assertThat(source.snapshot().records()).singleElement()
                    .satisfies(r -> assertThat(r.connections()).isEqualTo(1));
            assertThat(source.reattachments()).as("nothing more vanished").isEqualTo(mode == AttachMode.TC ? 1 : 2);
        }
    }

    @ParameterizedTest
    @EnumSource(value = AttachMode.class, names = {"TCX", "TC"})
    void killMinus9LeavesAtMostOneAttachmentAndTheNextStartCleansIt(AttachMode mode) throws Exception {
        for (int run = 0; run < 2; run++) {
            Process child = startChild(mode);
            awaitLine(child, "OPENED");
            child.destroyForcibly();
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        if (mode == AttachMode.TCX) {
            assertThat(tcxNames(TcDirection.INGRESS)).as("links die with their process").isEmpty();
            assertThat(tcxNames(TcDirection.EGRESS)).isEmpty();
        } else {
            assertThat(originFilters("ingress")).as("two crashes, one stale filter").isEqualTo(1);
            assertThat(originFilters("egress")).isEqualTo(1);
        }
        try (EbpfRequestOriginSource source = builder().attachMode(mode).open()) {
            if (mode == AttachMode.TC) {
                assertThat(originFilters("ingress")).as("the stale one replaced, not stacked").isEqualTo(1);
                assertThat(originFilters("egress")).isEqualTo(1);
            } else {
                assertThat(tcxNames(TcDirection.INGRESS)).containsExactly(OriginMapLayouts.INGRESS_PROGRAM);
            }
            source.watch(WatchedService.port(PORT));
        }
        assertThat(originFilters("ingress") + originFilters("egress")).isZero();
    }

    @Test
    void sigtermWhileOpeningLeavesNothingAttached() throws Exception {
        int opened = 0;
        for (int delayMillis : new int[] {0, 60, 150, 400, 2000}) {
            Process child = startChild(AttachMode.TC);
            awaitLine(child, "OPENING");
            Thread.sleep(delayMillis);
            child.destroy(); // SIGTERM
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
            String rest = output(child);
            opened += rest.contains("OPENED") ? 1 : 0;
            assertThat(originFilters("ingress") + originFilters("egress"))
                    .as("SIGTERM %d ms after OPENING (child said: %s)", delayMillis, rest).isZero();
        }
        assertThat(opened).as("at least one child had attached before its SIGTERM").isPositive();
    }

    private static final java.util.Map<Process, Path> OUTPUTS = new java.util.concurrent.ConcurrentHashMap<>();

    private static Process startChild(AttachMode mode) throws IOException {
        Path log = java.nio.file.Files.createTempFile("edgesched-child-", ".log");
        log.toFile().deleteOnExit();
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", lab.serverNs(),
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--enable-native-access=ALL-UNNAMED",
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                OriginSourceChild.class.getName(), lab.serverInterface(), mode.name()));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        OUTPUTS.put(child, log);
        return child;
    }

    private static String output(Process child) throws IOException {
        return java.nio.file.Files.readString(OUTPUTS.get(child));
    }

    /** Waits (30 s at most) until the child printed {@code expected} as a line (its output goes to a file). */
    private static void awaitLine(Process child, String expected) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!output(child).lines().toList().contains(expected)) {
            if (!child.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("child did not print " + expected + ":\n" + output(child));
            }
            Thread.sleep(5);
        }
    }

    private static TcxLink tcxAttach(BpfObject object) {
        return NetworkNamespaces.runIn(lab.serverNs(), () -> TcxLink.attach(object.program("count_next"),
                lab.serverInterface(), TcDirection.INGRESS, TcxLink.Position.LAST));
    }

    private static List<String> tcxNames(TcDirection direction) {
        return NetworkNamespaces.runIn(lab.serverNs(), () -> TcxLink.attachedProgramNames(lab.serverInterface(),
                direction));
    }

    /** Ids of the tcx links of our programs (bpftool lists every link of the host; ours by program id). */
    private static List<String> tcxLinkIds() {
        List<Integer> ours = NetworkNamespaces.runIn(lab.serverNs(), () -> {
            List<Integer> ids = new ArrayList<>(TcxLink.attachedProgramIds(lab.serverInterface(), TcDirection.INGRESS));
            ids.addAll(TcxLink.attachedProgramIds(lab.serverInterface(), TcDirection.EGRESS));
            return ids;
        });
        List<String> links = new ArrayList<>();
        for (String line : Shell.ok("bpftool", "link", "show").lines().toList()) {
            String[] f = line.trim().split("\\s+");
            // "<id>: <type>  prog <prog id>"
            for (int i = 0; i + 1 < f.length; i++) {
                if (f[i].equals("prog") && ours.contains(Integer.parseInt(f[i + 1]))) {
                    links.add(f[0].replace(":", ""));
                }
            }
        }
        return links;
    }

    private static long originFilters(String direction) {
        return tcFilters(direction).lines().filter(l -> l.contains("origin_")).count();
    }

    private static String tcFilters(String direction) {
        return inServerNs("tc", "filter", "show", "dev", lab.serverInterface(), direction);
    }

    private static String qdiscs() {
        return inServerNs("tc", "qdisc", "show", "dev", lab.serverInterface());
    }

    private static String inServerNs(String... command) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", lab.serverNs()));
        full.addAll(List.of(command));
        return Shell.run(full.toArray(String[]::new)).output();
    }

    private static long counter(BpfObject object) {
        byte[] value = object.map("packet_counts").lookup(new byte[4]).orElseThrow();
        return java.lang.foreign.MemorySegment.ofArray(value)
                .get(JAVA_LONG.withOrder(ByteOrder.nativeOrder()).withByteAlignment(1), 0);
    }
}
