package io.edgesched.ebpf.libbpf;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edgesched.ebpf.BpfException;
import io.edgesched.ebpf.NoSuchInterfaceException;
import io.edgesched.ebpf.RequiresBpf;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Real tc attachments on a veth pair between two network namespaces this test creates and removes. */
@RequiresBpf
class TcAttachmentTest {
    private static final VethPair PAIR = VethPair.named("esbind", "esb", 201);
    private static final String NS_A = PAIR.nsA();
    private static final String VETH_A = PAIR.vethA();
    private static final String NS_B = PAIR.nsB();
    private static final String ADDR_B = PAIR.addrB();

    @BeforeAll
    static void createNamespaces() {
        PAIR.create();
    }

    /** Each test starts without a clsact qdisc (the binding never deletes one). */
    @org.junit.jupiter.api.AfterEach
    void removeQdisc() {
        Shell.run("ip", "netns", "exec", NS_A, "tc", "qdisc", "del", "dev", VETH_A, "clsact");
    }

    @Test
    void attachReplacingTakesOverAStaleFilterOfOursAndRefusesAForeignOne() throws Exception {
        try (BpfObject crashed = TestObjects.open("count").load(); BpfObject restarted = TestObjects.open("count").load()) {
            // a run that died without detaching: its filter stays at our handle/priority
            TcAttachment stale = NetworkNamespaces.runIn(NS_A, () ->
                    TcAttachment.attach(crashed.program("count_ingress"), VETH_A, TcDirection.INGRESS, 0xed5c, 1));
            int staleProgram = stale.programId();
            TcAttachment ours = NetworkNamespaces.runIn(NS_A, () -> TcAttachment.attachReplacing(
                    restarted.program("count_ingress"), VETH_A, TcDirection.INGRESS, 0xed5c, 1,
                    java.util.Set.of("count_ingress")));
            assertThat(ours.programId()).isNotEqualTo(staleProgram);
            assertThat(stale.isAttached()).as("replaced").isFalse();
            assertThat(ours.isAttached()).isTrue();
            assertThat(tcFilters("ingress").lines().filter(l -> l.contains("count_ingress")).count()).isEqualTo(1);
            stale.close(); // must not remove the filter that replaced it
            assertThat(ours.isAttached()).isTrue();

            assertThatThrownBy(() -> NetworkNamespaces.runIn(NS_A, () -> TcAttachment.attachReplacing(
                    restarted.program("count_egress"), VETH_A, TcDirection.INGRESS, 0xed5c, 1,
                    java.util.Set.of("count_egress"))))
                    .isInstanceOf(BpfException.class).hasMessageContaining("holds another program ('count_ingress'")
                    .hasMessageContaining("it stays");
            assertThat(ours.isAttached()).as("a foreign slot is left alone").isTrue();

            Shell.ok("ip", "netns", "exec", NS_A, "tc", "filter", "del", "dev", VETH_A, "ingress", "pref", "1",
                    "handle", "0xed5c", "bpf");
            assertThat(ours.isAttached()).as("deleted by someone").isFalse();
            ours.close();
        }
    }

    @AfterAll
    static void deleteNamespaces() {
        PAIR.delete();
    }

    @Test
    void countsPacketsInBothDirectionsAndCleansUpTheQdiscItCreated() throws Exception {
        try (BpfObject object = TestObjects.open("count").load()) {
            TcAttachment ingress = NetworkNamespaces.runIn(NS_A, () ->
                    TcAttachment.attach(object.program("count_ingress"), VETH_A, TcDirection.INGRESS));
            TcAttachment egress = NetworkNamespaces.runIn(NS_A, () ->
                    TcAttachment.attach(object.program("count_egress"), VETH_A, TcDirection.EGRESS, 7, 3));
            assertThat(ingress.createdHook()).isTrue();
            assertThat(egress.createdHook()).isTrue();
            assertThat(egress.handle()).isEqualTo(7);
            assertThat(egress.priority()).isEqualTo(3);
            assertThat(ingress.programId()).isPositive();
            assertThat(ingress.namespaceId()).isNotEqualTo(NetworkNamespaces.currentId());
            assertThat(tcFilters("ingress")).contains("count_ingress");
            assertThat(tcFilters("egress")).contains("count_egress");

            sendUdpFromA(3);

            assertThat(counter(object, 0)).as("ingress packets").isGreaterThanOrEqualTo(3);
            assertThat(counter(object, 1)).as("egress packets").isGreaterThanOrEqualTo(3);

            // closed from this thread, which is not in NS_A: the attachment detaches inside NS_A
            ingress.close();
            ingress.close();
            assertThat(tcFilters("ingress")).doesNotContain("count_ingress");
            assertThat(tcFilters("egress")).as("egress stays attached").contains("count_egress");
            assertThat(qdiscs()).contains("clsact");

            egress.close();
            assertThat(tcFilters("egress")).isBlank();
            assertThat(qdiscs()).as("clsact is never deleted: other tools' filters may hang off it")
                    .contains("clsact");
        }
    }

    @Test
    void leavesAPreexistingQdiscInPlace() {
        Shell.ok("ip", "netns", "exec", NS_A, "tc", "qdisc", "add", "dev", VETH_A, "clsact");
        try (BpfObject object = TestObjects.open("count").load()) {
            TcAttachment ingress = NetworkNamespaces.runIn(NS_A, () ->
                    TcAttachment.attach(object.program("count_ingress"), VETH_A, TcDirection.INGRESS));
            assertThat(ingress.createdHook()).isFalse();
            assertThat(tcFilters("ingress")).contains("count_ingress");

            ingress.close();

            assertThat(tcFilters("ingress")).isBlank();
            assertThat(qdiscs()).as("clsact existed before, so it stays").contains("clsact");
        } finally {
            Shell.run("ip", "netns", "exec", NS_A, "tc", "qdisc", "del", "dev", VETH_A, "clsact");
        }
    }

    @Test
    void sameHandleTwiceIsRefusedWithContext() {
        try (BpfObject object = TestObjects.open("count").load()) {
            try (TcAttachment first = NetworkNamespaces.runIn(NS_A, () ->
                    TcAttachment.attach(object.program("count_ingress"), VETH_A, TcDirection.INGRESS))) {
                assertThat(first.handle()).isEqualTo(1);
                assertThatThrownBy(() -> NetworkNamespaces.runIn(NS_A, () ->
                        TcAttachment.attach(object.program("count_egress"), VETH_A, TcDirection.INGRESS)))
                        .isInstanceOf(BpfException.class)
                        .hasMessageContaining("attach tc ingress on " + VETH_A)
                        .hasMessageContaining("EEXIST");
                assertThat(tcFilters("ingress")).contains("count_ingress");
            }
            assertThat(tcFilters("ingress")).isBlank();
        }
    }

    @Test
    void kernelChosenHandleAndPriorityAreReportedAndDetached() {
        try (BpfObject object = TestObjects.open("count").load()) {
            TcAttachment first = NetworkNamespaces.runIn(NS_A, () ->
                    TcAttachment.attach(object.program("count_ingress"), VETH_A, TcDirection.INGRESS, 0, 0));
            TcAttachment second = NetworkNamespaces.runIn(NS_A, () ->
                    TcAttachment.attach(object.program("count_egress"), VETH_A, TcDirection.INGRESS, 0, 0));
            assertThat(first.handle()).isPositive();
            assertThat(first.priority()).isPositive();
            assertThat(second.handle() != first.handle() || second.priority() != first.priority()).isTrue();
            assertThat(tcFilters("ingress")).contains("count_ingress").contains("count_egress");

            first.close();
            assertThat(tcFilters("ingress")).doesNotContain("count_ingress").contains("count_egress");
            second.close();
            assertThat(tcFilters("ingress")).isBlank();
            assertThat(qdiscs()).contains("clsact");
        }
    }

    @Test
    void closingAfterTheInterfaceVanishedIsQuiet() {
        String dummy = "esb-gone";
        try (BpfObject object = TestObjects.open("count").load()) {
            for (int round = 0; round < 2; round++) {
                Shell.ok("ip", "-n", NS_A, "link", "add", dummy, "type", "veth", "peer", "name", dummy + "-p");
                TcAttachment attachment = NetworkNamespaces.runIn(NS_A, () ->
                        TcAttachment.attach(object.program("count_ingress"), dummy, TcDirection.INGRESS));
                assertThat(attachment.createdHook()).as("round %d: a fresh interface gets a fresh hook", round)
                        .isTrue();
                Shell.ok("ip", "-n", NS_A, "link", "del", dummy);

                attachment.close(); // nothing left to detach: no exception
            }
        } finally {
            Shell.run("ip", "-n", NS_A, "link", "del", dummy);
        }
    }

    @Test
    void unknownInterfaceIsATypedException() {
        try (BpfObject object = TestObjects.open("count").load()) {
            assertThatThrownBy(() -> NetworkNamespaces.runIn(NS_A, () ->
                    TcAttachment.attach(object.program("count_ingress"), "eth9", TcDirection.INGRESS)))
                    .isInstanceOfSatisfying(NoSuchInterfaceException.class, e -> {
                        assertThat(e.interfaceName()).isEqualTo("eth9");
                        assertThat(e.errno()).isPositive();
                    })
                    .hasMessageContaining("no such interface 'eth9'");
        }
    }

    @Test
    void runInReturnsResultsPropagatesExceptionsAndRejectsUnknownNamespaces() {
        String inside = NetworkNamespaces.runIn(NS_B, NetworkNamespaces::currentId);
        assertThat(inside).startsWith("net:[").isNotEqualTo(NetworkNamespaces.currentId());
        assertThat(NetworkNamespaces.runIn(NS_B, NetworkNamespaces::currentId)).isEqualTo(inside);

        assertThatThrownBy(() -> NetworkNamespaces.runIn(NS_B, () -> {
            throw new java.io.IOException("boom");
        })).isInstanceOf(java.io.IOException.class).hasMessage("boom");

        assertThatThrownBy(() -> NetworkNamespaces.runIn("esbind-missing", () -> 1))
                .isInstanceOfSatisfying(BpfException.class, e -> assertThat(e.errno()).isEqualTo(2))
                .hasMessageContaining("ip netns add esbind-missing");
    }

    /**
     * Sends UDP datagrams from NS_A to a closed port in NS_B: they leave va (egress); the ARP reply and NS_B's
     * ICMP port-unreachable answers arrive on va (ingress).
     */
    private static void sendUdpFromA(int datagrams) throws java.io.IOException {
        NetworkNamespaces.runIn(NS_A, () -> {
            try (java.net.DatagramSocket socket = new java.net.DatagramSocket()) {
                socket.connect(new java.net.InetSocketAddress(ADDR_B, 9));
                socket.setSoTimeout(200);
                for (int i = 0; i < datagrams; i++) {
                    socket.send(new java.net.DatagramPacket(new byte[] {1, 2, 3}, 3));
                    try {
                        socket.receive(new java.net.DatagramPacket(new byte[16], 16));
                    } catch (java.net.PortUnreachableException | java.net.SocketTimeoutException expected) {
                        // the ICMP answer is the point
                    }
                }
            }
            return null;
        });
    }

    private static long counter(BpfObject object, int slot) {
        byte[] key = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(0, slot).array();
        Optional<byte[]> value = object.map("packet_counts").lookup(key);
        assertThat(value).isPresent();
        return java.lang.foreign.MemorySegment.ofArray(value.get()).get(JAVA_LONG.withOrder(ByteOrder.nativeOrder())
                .withByteAlignment(1), 0);
    }

    private static String tcFilters(String direction) {
        return Shell.ok("ip", "netns", "exec", NS_A, "tc", "filter", "show", "dev", VETH_A, direction);
    }

    private static String qdiscs() {
        return Shell.ok("ip", "netns", "exec", NS_A, "tc", "qdisc", "show", "dev", VETH_A);
    }
}
