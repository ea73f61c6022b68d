package io.edgesched.ebpf.netns;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class NetnsLabTest {

    @BeforeEach
    void needsRoot() {
        RootRequirement.assumeRoot();
    }

    @Test
    void carriesTcpFromEveryClientAddressAndLeavesNothingBehind() {
        String serverNs;
        String clientNs;
        try (NetnsLab lab = NetnsLab.create(3, 2);
             TcpSinkServer.Handle _ = TcpSinkServer.Handle.start(lab, 8080)) {
            serverNs = lab.serverNs();
            clientNs = lab.clientNs();
            assertThat(NetnsLab.namespaceExists(serverNs)).isTrue();
            assertThat(lab.ipIn(lab.serverNs(), "-o", "addr", "show", "dev", lab.serverInterface()))
                    .contains("10.213.0.1/16").contains("fd00:213::1/64");
            // The host namespace got none of the lab's addresses.
            assertThat(Commands.run("ip", "-o", "addr")).doesNotContain("10.213.").doesNotContain("fd00:213:");

            List<InetAddress> sources = new ArrayList<>(lab.clientV4());
            sources.addAll(lab.clientV6());
            Map<InetAddress, TcpLoadClient.SourceResult> v4 =
                    TcpLoadClient.run(lab, lab.serverV4(), 8080, 4, 3000, lab.clientV4());
            Map<InetAddress, TcpLoadClient.SourceResult> v6 =
                    TcpLoadClient.run(lab, lab.serverV6(), 8080, 2, 100, lab.clientV6());
            assertThat(v4).containsOnlyKeys(lab.clientV4());
            assertThat(v6).containsOnlyKeys(lab.clientV6());
            v4.values().forEach(r -> {
                assertThat(r.connections()).isEqualTo(4);
                assertThat(r.payloadBytes()).isEqualTo(12_000);
                assertThat(r.minConnectNanos()).isPositive();
            });
            v6.values().forEach(r -> assertThat(r.payloadBytes()).isEqualTo(200));
        }
        assertThat(NetnsLab.namespaceExists(serverNs)).isFalse();
        assertThat(NetnsLab.namespaceExists(clientNs)).isFalse();
    }

    @Test
    void removesNamespacesAndPinsLeftByADeadRun() throws java.io.IOException {
        String leftover = NetnsLab.PREFIX + "999999999-1-s"; // above pid_max: that JVM cannot be alive
        String alive = NetnsLab.PREFIX + ProcessHandle.current().pid() + "-999-s";
        java.nio.file.Path pins = java.nio.file.Path.of("/sys/fs/bpf", NetnsLab.PREFIX + "999999999-pins");
        Commands.run("ip", "netns", "add", leftover);
        Commands.run("ip", "netns", "add", alive);
        try {
            io.edgesched.ebpf.libbpf.Bpffs.ensureFor(pins);
            java.nio.file.Files.createDirectories(pins);
            NetnsLab.removeLeftovers();
            assertThat(NetnsLab.namespaceExists(leftover)).isFalse();
            assertThat(NetnsLab.namespaceExists(alive)).as("a namespace of a running JVM is kept").isTrue();
            assertThat(java.nio.file.Files.exists(pins)).isFalse();
        } finally {
            Commands.runAllowingFailure(List.of("ip", "netns", "del", leftover), null);
            Commands.runAllowingFailure(List.of("ip", "netns", "del", alive), null);
            java.nio.file.Files.deleteIfExists(pins);
        }
    }
}
