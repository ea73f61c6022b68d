package io.edgesched.ebpf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.NodeId;
import io.edgesched.api.OriginRecord;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.OriginSourceException;
import io.edgesched.api.WatchedService;
import io.edgesched.ebpf.netns.Commands;
import io.edgesched.ebpf.netns.NetnsLab;
import io.edgesched.ebpf.netns.TcpLoadClient;
import io.edgesched.ebpf.netns.TcpSinkServer;
import io.edgesched.ebpf.netns.UnprivilegedAttempt;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The source against real TCP: a server in one namespace, clients from many IPv4/IPv6 addresses in another,
 * the observer attached to the server-side veth. Counts are checked against what the clients sent.
 */
@RequiresBpf
class EbpfRequestOriginSourceNetnsTest {
    private static final Logger LOG = LoggerFactory.getLogger(EbpfRequestOriginSourceNetnsTest.class);
    private static final int PORT = 8080;
    /** Smallest MSS on this path (IPv6 with timestamps: 1500 - 40 - 20 - 12); gives the fewest data segments. */
    private static final int MSS_LOWER = 1428;

    private static NetnsLab lab;
    private static TcpSinkServer.Handle server;

    @BeforeAll
    static void startLab() {
        lab = NetnsLab.create(4, 2);
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

    private EbpfRequestOriginSource.Builder builder() {
        return EbpfRequestOriginSource.builder().node(NodeId.of("lab-server")).interfaceName(lab.serverInterface())
                .networkNamespace(lab.serverNs());
    }

    /** Programs attached to the server interface: tc filters and tcx links, as text. */
    private String tcFilters(String direction) {
        io.edgesched.ebpf.libbpf.TcDirection tcx = direction.equals("ingress")
                ? io.edgesched.ebpf.libbpf.TcDirection.INGRESS : io.edgesched.ebpf.libbpf.TcDirection.EGRESS;
        return lab.execIn(lab.serverNs(), "tc", "filter", "show", "dev", lab.serverInterface(), direction)
                + io.edgesched.ebpf.libbpf.NetworkNamespaces.runIn(lab.serverNs(),
                        () -> io.edgesched.ebpf.libbpf.TcxLink.attachedProgramNames(lab.serverInterface(), tcx));
    }

    @Test
    void countsConnectionsPacketsBytesAndRttOfEveryClientAddress() {
        InetAddress relay = lab.clientV4().getLast(); // pretend this client address is another cluster node
        int v4Connections = 5;
        int v4Bytes = 3000;
        int v6Connections = 3;
        int v6Bytes = 500;
        Map<InetAddress, TcpLoadClient.SourceResult> sent = new HashMap<>();
        OriginSnapshot snapshot;
        long before;
        long after;
        long generation;
        try (EbpfRequestOriginSource source = builder().clusterNodes(List.of(ClientAddress.of(relay))).open()) {
            assertThat(tcFilters("ingress")).contains("origin_ingress");
            assertThat(tcFilters("egress")).contains("origin_egress");
            source.watch(WatchedService.port(PORT));
            before = System.nanoTime();
            sent.putAll(TcpLoadClient.run(lab, lab.serverV4(), PORT, v4Connections, v4Bytes, lab.clientV4()));
            sent.putAll(TcpLoadClient.run(lab, lab.serverV6(), PORT, v6Connections, v6Bytes, lab.clientV6()));
            after = System.nanoTime();
            snapshot = source.snapshot();
            generation = snapshot.generation();
            assertThat(source.counters().get(OriginMapLayouts.Stat.CLIENTS_NEW)).isEqualTo(sent.size());
        }
        assertThat(tcFilters("ingress")).doesNotContain("origin");
        assertThat(tcFilters("egress")).doesNotContain("origin");

        assertThat(snapshot.records()).hasSize(sent.size());
        long packetsTotal = 0;
        long forwardedPackets = 0;
        for (OriginRecord r : snapshot.records()) {
            TcpLoadClient.SourceResult s = sent.get(r.client().toInetAddress());
            assertThat(s).as("record for a client that sent nothing: %s", r).isNotNull();
            boolean v4 = s.source() instanceof Inet4Address;
            int perConnection = v4 ? v4Bytes : v6Bytes;
            long segmentsPerConnection = 2 + (perConnection + MSS_LOWER - 1) / MSS_LOWER; // SYN, ACK, data
            LOG.info("{}: {} connections, {} packets, {} bytes, rtt {} us over {} samples; client connect {}-{} us",
                    r.client(), r.connections(), r.packets(), r.bytes(), r.rttMicros(), r.rttSamples(),
                    s.minConnectNanos() / 1000, s.maxConnectNanos() / 1000);
            assertThat(r.serviceId()).isEqualTo(PORT);
            assertThat(r.localPort()).isEqualTo(PORT);
            assertThat(r.connections()).isEqualTo(s.connections());
            assertThat(r.packets()).isBetween(s.connections() * segmentsPerConnection,
                    s.connections() * (segmentsPerConnection + 6));
            int minHeader = v4 ? 40 : 60;
            assertThat(r.bytes()).isBetween(s.payloadBytes() + r.packets() * minHeader,
                    s.payloadBytes() + r.packets() * (minHeader + 60L));
            // RTT: the kernel times SYN-ACK out -> ACK in at the server; the client's connect() spans SYN out ->
            // SYN-ACK in plus a wake-up, so each kernel sample is below its connection's connect time plus the
            // ACK's way back. The smoothed RTT is a mix of samples: bounded by the slowest connect. docs/source.md
            assertThat(r.rttSamples()).isEqualTo(s.connections());
            assertThat(r.rttMicros()).isPositive();
            assertThat(r.rttMicros() * 1000).isLessThanOrEqualTo(2 * s.maxConnectNanos() + 200_000);
            // Kernel timestamps share System.nanoTime's clock (CLOCK_MONOTONIC).
            assertThat(r.firstSeenNanos()).isBetween(before, after);
            assertThat(r.lastSeenNanos()).isBetween(r.firstSeenNanos(), after);
            assertThat(r.forwarded()).isEqualTo(s.source().equals(relay));
            packetsTotal += r.packets();
            forwardedPackets += r.forwarded() ? r.packets() : 0;
        }
        assertThat(snapshot.stats().forwardedPackets()).isEqualTo(forwardedPackets).isPositive();
        assertThat(snapshot.stats().packetsSeen()).isGreaterThanOrEqualTo(packetsTotal);
        assertThat(snapshot.stats().unparsed()).isZero();
        assertThat(snapshot.stats().clientTableFull()).isZero();
        assertThat(snapshot.stats().rttTableFull()).isZero();
        assertThat(snapshot.monotonicNanos()).isGreaterThanOrEqualTo(after);

        try (EbpfRequestOriginSource again = builder().open()) {
            assertThat(again.snapshot().generation()).isNotEqualTo(generation);
            assertThat(again.snapshot().records()).isEmpty();
        }
    }

    @Test
    void moreClientsThanTableEntriesStillWorksAndCountsTheOverflow() {
        try (NetnsLab crowd = NetnsLab.create(200, 0);
             TcpSinkServer.Handle _ = TcpSinkServer.Handle.start(crowd, PORT);
             EbpfRequestOriginSource source = EbpfRequestOriginSource.builder().node(NodeId.of("crowd"))
                     .interfaceName(crowd.serverInterface()).networkNamespace(crowd.serverNs())
                     .clientTableSize(64).open()) {
            source.watch(WatchedService.port(PORT));
            Map<InetAddress, TcpLoadClient.SourceResult> sent =
                    TcpLoadClient.run(crowd, crowd.serverV4(), PORT, 1, 100, crowd.clientV4());
            assertThat(sent).hasSize(200);
            OriginSnapshot snapshot = source.snapshot();
            long inserted = source.counters().get(OriginMapLayouts.Stat.CLIENTS_NEW);
            assertThat(snapshot.records()).isNotEmpty().hasSizeLessThanOrEqualTo(64);
            assertThat(inserted).isGreaterThanOrEqualTo(200);
            assertThat(snapshot.stats().clientTableFull()).isPositive()
                    .isEqualTo(inserted - snapshot.records().size());
            snapshot.records().forEach(r -> assertThat(crowd.clientV4()).contains(r.client().toInetAddress()));
        }
    }

    @Test
    void unwatchedPortsAreNotCountedAndUnwatchDropsTheirRecords() {
        try (EbpfRequestOriginSource source = builder().open()) {
            source.watch(WatchedService.port(PORT + 1)); // nobody connects there
            TcpLoadClient.run(lab, lab.serverV4(), PORT, 1, 10, List.of(lab.clientV4().getFirst()));
            assertThat(source.snapshot().records()).isEmpty();
            source.watch(WatchedService.port(PORT));
            TcpLoadClient.run(lab, lab.serverV4(), PORT, 2, 10, List.of(lab.clientV4().getFirst()));
            assertThat(source.snapshot().records()).singleElement()
                    .satisfies(r -> assertThat(r.connections()).isEqualTo(2));
            source.unwatch(PORT);
            TcpLoadClient.run(lab, lab.serverV4(), PORT, 1, 10, List.of(lab.clientV4().getFirst()));
            OriginSnapshot snapshot = source.snapshot();
            assertThat(snapshot.records()).isEmpty();
            assertThat(snapshot.stats().clientTableFull()).isZero();
            assertThat(source.watched()).containsOnly(WatchedService.port(PORT + 1));
        }
    }

    @Test
    void aServiceOnOneLocalAddressWinsOverThePortWideService() {
        try (EbpfRequestOriginSource source = builder().open()) {
            source.watch(WatchedService.port(PORT));
            source.watch(new WatchedService(77, "v6-only", java.util.Optional.of(ClientAddress.of(lab.serverV6())),
                    PORT));
            TcpLoadClient.run(lab, lab.serverV4(), PORT, 2, 10, List.of(lab.clientV4().getFirst()));
            TcpLoadClient.run(lab, lab.serverV6(), PORT, 3, 10, List.of(lab.clientV6().getFirst()));
            Map<Integer, OriginRecord> byService = new HashMap<>();
            source.snapshot().records().forEach(r -> byService.put(r.serviceId(), r));
            assertThat(byService).containsOnlyKeys(PORT, 77);
            assertThat(byService.get(PORT).client().toInetAddress()).isEqualTo(lab.clientV4().getFirst());
            assertThat(byService.get(PORT).connections()).isEqualTo(2);
            assertThat(byService.get(77).client().toInetAddress()).isEqualTo(lab.clientV6().getFirst());
            assertThat(byService.get(77).connections()).isEqualTo(3);

            source.unwatch(77); // the port-wide service takes IPv6 back
            TcpLoadClient.run(lab, lab.serverV6(), PORT, 1, 10, List.of(lab.clientV6().getFirst()));
            assertThat(source.snapshot().records()).allSatisfy(r -> assertThat(r.serviceId()).isEqualTo(PORT))
                    .anySatisfy(r -> assertThat(r.client().toInetAddress()).isEqualTo(lab.clientV6().getFirst()));
        }
    }

    @Test
    void pinnedMapsCanBeReadByAnotherReaderAndArePinnedOnlyWhileOpen() throws IOException {
        Path pins = Path.of("/sys/fs/bpf", NetnsLab.PREFIX + ProcessHandle.current().pid() + "-pins");
        try (EbpfRequestOriginSource source = builder().pinDirectory(pins).open()) {
            source.watch(WatchedService.port(PORT));
            TcpLoadClient.run(lab, lab.serverV4(), PORT, 3, 10, List.of(lab.clientV4().get(1)));
            OriginSnapshot own = source.snapshot();
            try (PinnedOriginReader reader = PinnedOriginReader.open(pins, NodeId.of("reader"))) {
                OriginSnapshot read = reader.snapshot();
                assertThat(read.node()).isEqualTo(NodeId.of("reader"));
                assertThat(read.generation()).isEqualTo(own.generation());
                assertThat(read.records()).usingRecursiveFieldByFieldElementComparator().isEqualTo(own.records());
            }
        }
        assertThat(Files.exists(pins)).isFalse();
        assertThatThrownBy(() -> PinnedOriginReader.open(pins, NodeId.of("reader")))
                .isInstanceOf(OriginSourceException.class).hasMessageContaining(pins.toString());
    }

    @Test
    void perCpuClientLruCreatesTheClientTableWithPerCpuListsAndStillCounts() throws IOException {
        Path pins = Path.of("/sys/fs/bpf", NetnsLab.PREFIX + ProcessHandle.current().pid() + "-percpu");
        try (EbpfRequestOriginSource source = builder().pinDirectory(pins).perCpuClientLru(true).open()) {
            source.watch(WatchedService.port(PORT));
            TcpLoadClient.run(lab, lab.serverV4(), PORT, 2, 10, List.of(lab.clientV4().get(2)));
            assertThat(source.snapshot().records()).singleElement()
                    .satisfies(r -> assertThat(r.connections()).isEqualTo(2));
            try (io.edgesched.ebpf.libbpf.BpfMap clients = io.edgesched.ebpf.libbpf.BpfMap.openPinned(
                    pins.resolve(OriginMapLayouts.CLIENTS_MAP).toString())) {
                assertThat(Files.readAllLines(Path.of("/proc/self/fdinfo/" + clients.fd())))
                        .anySatisfy(line -> assertThat(line).matches("map_flags:\\s+0x2"));
            }
        }
    }

    @Test
    void aMissingInterfaceIsATypedErrorThatNamesIt() {
        assertThatThrownBy(() -> builder().interfaceName("esTnope0").open())
                .isInstanceOf(OriginSourceException.class)
                .hasMessageContaining("esTnope0")
                .hasMessageContaining("ip -n " + lab.serverNs() + " link")
                .hasCauseInstanceOf(NoSuchInterfaceException.class);
        assertThat(tcFilters("ingress")).doesNotContain("origin");
    }

    @Test
    void anUnprivilegedProcessGetsAPermissionErrorWithAHint() throws IOException {
        // The unprivileged child cannot read /root/.m2: give it a world-readable copy of the classpath.
        Path dir = Files.createTempDirectory(NetnsLab.PREFIX + "cp-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        try {
            List<String> entries = new ArrayList<>();
            int i = 0;
            for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
                Path from = Path.of(entry);
                if (!Files.exists(from)) {
                    continue;
                }
                Path to = dir.resolve((i++) + "-" + from.getFileName());
                copyReadable(from, to);
                entries.add(to.toString());
            }
            Commands.Result result = Commands.runAllowingFailure(List.of("setpriv", "--reuid=nobody",
                    "--regid=nogroup", "--clear-groups", "--inh-caps=-all",
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--enable-native-access=ALL-UNNAMED", "-XX:TieredStopAtLevel=1", "-Xmx64m",
                    "-cp", String.join(java.io.File.pathSeparator, entries), UnprivilegedAttempt.class.getName()),
                    null);
            assertThat(result.exitCode()).as(result.stderr()).isZero();
            assertThat(result.stdout()).startsWith("FAILED PermissionDeniedException").contains("lo")
                    .contains("CAP_BPF");
        } finally {
            try (Stream<Path> walk = Files.walk(dir)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void copyReadable(Path from, Path to) throws IOException {
        if (Files.isDirectory(from)) {
            try (Stream<Path> walk = Files.walk(from)) {
                for (Path p : (Iterable<Path>) walk::iterator) {
                    Path target = to.resolve(from.relativize(p).toString());
                    if (Files.isDirectory(p)) {
                        Files.createDirectories(target);
                        target.toFile().setReadable(true, false);
                        target.toFile().setExecutable(true, false);
                    } else {
                        Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
                        target.toFile().setReadable(true, false);
                    }
                }
            }
        } else {
            Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
            to.toFile().setReadable(true, false);
        }
    }
}
