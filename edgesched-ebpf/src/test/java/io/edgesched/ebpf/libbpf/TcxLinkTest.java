package io.edgesched.ebpf.libbpf;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edgesched.ebpf.NoSuchInterfaceException;
import io.edgesched.ebpf.RequiresBpf;
import java.nio.ByteOrder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** tcx links through bpf(2) on a veth pair between two network namespaces this test creates and removes. */
@RequiresBpf
class TcxLinkTest {
    private static final VethPair PAIR = VethPair.named("estcx", "est", 202);
    private static final String NS_A = PAIR.nsA();
    private static final String VETH_A = PAIR.vethA();
    private static final String ADDR_B = PAIR.addrB();

    @BeforeAll
    static void createNamespaces() {
        PAIR.create();
    }

    @AfterAll
    static void deleteNamespaces() {
        PAIR.delete();
    }

    @Test
    void oursRunsFirstAndForeignProgramsBeforeAndAfterKeepRunningWhenOursCloses() throws Exception {
        try (BpfObject foreignBefore = TestObjects.open("count").load();
                BpfObject ours = TestObjects.open("count").load();
                BpfObject foreignAfter = TestObjects.open("count").load()) {
            TcxLink before = attach(foreignBefore, TcxLink.Position.LAST);
            TcxLink link = attach(ours, TcxLink.Position.FIRST);
            TcxLink after = attach(foreignAfter, TcxLink.Position.LAST);
            assertThat(link.linkId()).isPositive();
            assertThat(link.programId()).isPositive();
            assertThat(link.isAttached()).isTrue();
            assertThat(link.ifindex()).isPositive();
            assertThat(programIds()).as("ours first, then the others in attach order")
                    .containsExactly(link.programId(), before.programId(), after.programId());
            assertThat(Shell.ok("ip", "netns", "exec", NS_A, "tc", "qdisc", "show", "dev", VETH_A))
                    .as("no clsact qdisc is needed").doesNotContain("clsact");

            sendUdpFromA(3);
            assertThat(counter(ours)).isGreaterThanOrEqualTo(3);
            long beforeCount = counter(foreignBefore);
            long afterCount = counter(foreignAfter);
            assertThat(beforeCount).isGreaterThanOrEqualTo(3);
            assertThat(afterCount).isGreaterThanOrEqualTo(3);

            link.close();
            link.close();
            assertThat(link.isAttached()).isFalse();
            assertThat(programIds()).hasSize(2);
            long oursAtClose = counter(ours);
            sendUdpFromA(3);
            assertThat(counter(ours)).as("ours detached").isEqualTo(oursAtClose);
            assertThat(counter(foreignBefore)).as("foreign before ours still runs").isGreaterThanOrEqualTo(beforeCount + 3);
            assertThat(counter(foreignAfter)).as("foreign after ours still runs").isGreaterThanOrEqualTo(afterCount + 3);
            before.close();
            after.close();
            assertThat(programIds()).isEmpty();
        }
    }

    @Test
    void aLinkDetachedBySomeoneOrWhoseInterfaceVanishedReportsIt() throws Exception {
        try (BpfObject object = TestObjects.open("count").load()) {
            TcxLink link = attach(object, TcxLink.Position.FIRST);
            link.detachForTest();
            assertThat(link.isAttached()).isFalse();
            link.close();

            String dummy = "est-gone";
            Shell.ok("ip", "-n", NS_A, "link", "add", dummy, "type", "veth", "peer", "name", dummy + "-p");
            try {
                TcxLink onDummy = NetworkNamespaces.runIn(NS_A, () ->
                        TcxLink.attach(object.program("count_next"), dummy, TcDirection.EGRESS, TcxLink.Position.FIRST));
                assertThat(onDummy.isAttached()).isTrue();
                Shell.ok("ip", "-n", NS_A, "link", "del", dummy);
                assertThat(onDummy.isAttached()).as("interface deleted").isFalse();
                onDummy.close();
            } finally {
                Shell.run("ip", "-n", NS_A, "link", "del", dummy);
            }
            assertThatThrownBy(() -> NetworkNamespaces.runIn(NS_A, () ->
                    TcxLink.attach(object.program("count_next"), "eth9", TcDirection.INGRESS, TcxLink.Position.FIRST)))
                    .isInstanceOf(NoSuchInterfaceException.class);
        }
    }

    /** Continuity across an upgrade: the old process pins its link, the new one opens it and swaps the program. */
    @Test
    void aPinnedLinkIsHandedOverAndUpdatedInPlace() throws Exception {
        java.nio.file.Path pin = java.nio.file.Path.of(Bpffs.DEFAULT_MOUNT,
                "esT-" + ProcessHandle.current().pid() + "-tcx-link");
        Bpffs.ensureFor(pin);
        java.nio.file.Files.deleteIfExists(pin);
        try (BpfObject previous = TestObjects.open("count").load(); BpfObject next = TestObjects.open("count").load()) {
            TcxLink old = attach(previous, TcxLink.Position.FIRST);
            int oldProgram = old.programId();
            old.pin(pin.toString());
            old.close();
            assertThat(programIds()).as("pinned: still attached after its fd closed").containsExactly(oldProgram);

            try (TcxLink handedOver = NetworkNamespaces.runIn(NS_A, () -> TcxLink.openPinned(pin.toString(), VETH_A))) {
                assertThat(handedOver.direction()).isEqualTo(TcDirection.EGRESS);
                assertThat(handedOver.programId()).isEqualTo(oldProgram);
                assertThat(handedOver.isAttached()).isTrue();
                handedOver.update(next.program("count_next"));
                assertThat(handedOver.programId()).isNotEqualTo(oldProgram);
                assertThat(programIds()).containsExactly(handedOver.programId());
                long previousCount = counter(previous);
                sendUdpFromA(3);
                assertThat(counter(next)).as("the new program runs").isGreaterThanOrEqualTo(3);
                assertThat(counter(previous)).as("the old one no longer").isEqualTo(previousCount);
                java.nio.file.Files.delete(pin);
            }
            assertThat(programIds()).as("unpinned and closed: detached").isEmpty();
        } finally {
            java.nio.file.Files.deleteIfExists(pin);
        }
    }

    private static TcxLink attach(BpfObject object, TcxLink.Position position) {
        return NetworkNamespaces.runIn(NS_A, () ->
                TcxLink.attach(object.program("count_next"), VETH_A, TcDirection.EGRESS, position));
    }

    private static java.util.List<Integer> programIds() {
        return NetworkNamespaces.runIn(NS_A, () -> TcxLink.attachedProgramIds(VETH_A, TcDirection.EGRESS));
    }

    /** UDP from NS_A to a closed port in NS_B: every datagram leaves va (egress). */
    private static void sendUdpFromA(int datagrams) throws java.io.IOException {
        NetworkNamespaces.runIn(NS_A, () -> {
            try (java.net.DatagramSocket socket = new java.net.DatagramSocket()) { // unconnected: ICMP errors ignored
                java.net.InetSocketAddress target = new java.net.InetSocketAddress(ADDR_B, 9);
                for (int i = 0; i < datagrams; i++) {
                    socket.send(new java.net.DatagramPacket(new byte[] {1, 2, 3}, 3, target));
                }
            }
            return null;
        });
    }

    private static long counter(BpfObject object) {
        byte[] key = {0, 0, 0, 0};
        byte[] value = object.map("packet_counts").lookup(key).orElseThrow();
        return java.lang.foreign.MemorySegment.ofArray(value)
                .get(JAVA_LONG.withOrder(ByteOrder.nativeOrder()).withByteAlignment(1), 0);
    }
}
