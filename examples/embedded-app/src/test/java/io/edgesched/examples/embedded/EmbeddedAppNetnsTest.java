package io.edgesched.examples.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.MoveRequest;
import io.edgesched.api.MoveResult;
import io.edgesched.api.NodeId;
import io.edgesched.api.WorkloadId;
import io.edgesched.api.control.Decision;
import io.edgesched.api.policy.DecisionReason;
import io.edgesched.ebpf.libbpf.NetworkNamespaces;
import io.edgesched.ebpf.netns.NetnsLab;
import io.edgesched.ebpf.netns.RootRequirement;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The embedded app in a server namespace of our own, with real HTTP clients from the client namespace: one
 * address is an end client reaching the app directly, the other stands for node edge-b relaying its clients'
 * requests (a NodePort on edge-b). Four times as many requests come relayed, so the app should want edge-b.
 */
class EmbeddedAppNetnsTest {
    static final int PORT = 8080;
    static final NodeId EDGE_A = NodeId.of("edge-a");
    static final NodeId EDGE_B = NodeId.of("edge-b");
    static final WorkloadId APP = WorkloadId.of("shop", "embedded-app");
    final JsonMapper json = JsonMapper.builder().build();

    @BeforeEach
    void needsRoot() {
        RootRequirement.assumeRoot();
    }

    @Test
    void seesItsClientsOnTheEndpointAndWouldMoveToWhereMostOfThemEnter() throws Exception {
        try (NetnsLab lab = NetnsLab.create(2, 0);
             EmbeddedApp app = EmbeddedApp.start(placement(lab).open(), PORT, lab.serverNs())) {
            InetAddress direct = lab.clientV4().get(0);
            InetAddress relayedByEdgeB = lab.clientV4().get(1);
            for (int round = 0; round < 2; round++) {
                assertThat(get(lab, direct, "/", 3)).contains("hello from edge-a");
                assertThat(get(lab, relayedByEdgeB, "/", 12)).contains("hello from edge-a");
                app.placement().refresh();   // rates need two readings
            }

            JsonNode clients = json.readTree(get(lab, direct, "/edgesched/clients", 1));
            assertThat(clients.get("node").asString()).isEqualTo("edge-a");
            assertThat(clients.get("relayedFromUnknownNodes").asLong()).isZero();
            assertThat(clients.get("clients").valueStream().toList())
                    .anySatisfy(c -> {
                        assertThat(c.get("client").asString()).isEqualTo(ClientAddress.of(direct).toString());
                        assertThat(c.get("entryNode").asString()).isEqualTo("edge-a");
                        assertThat(c.get("connections").asLong()).isGreaterThanOrEqualTo(6);
                        assertThat(c.get("rttMicros").isNumber()).isTrue();
                    })
                    .anySatisfy(c -> {
                        assertThat(c.get("client").asString()).isEqualTo(ClientAddress.of(relayedByEdgeB).toString());
                        assertThat(c.get("entryNode").asString()).isEqualTo("edge-b");
                        assertThat(c.get("connections").asLong()).isGreaterThanOrEqualTo(24);
                    });

            Decision decision = app.placement().lastDecision().orElseThrow();
            assertThat(decision.reason()).as(decision.toString()).isEqualTo(DecisionReason.WOULD_MOVE);
            assertThat(decision.target().nodes()).containsExactly(EDGE_B);

            JsonNode placement = json.readTree(get(lab, direct, "/edgesched/placement", 1));
            assertThat(placement.get("dryRun").asBoolean()).isTrue();
            assertThat(placement.get("placement").valueStream().map(JsonNode::asString).toList())
                    .containsExactly("edge-a");
            assertThat(placement.get("decision").get("reason").asString()).isEqualTo("WOULD_MOVE");
            assertThat(placement.get("decision").get("target").valueStream().map(JsonNode::asString).toList())
                    .containsExactly("edge-b");
        }
    }

    @Test
    void withMovesOnAsksItsReschedulerToMoveItToEdgeB() throws Exception {
        ConcurrentLinkedQueue<MoveRequest> asked = new ConcurrentLinkedQueue<>();
        try (NetnsLab lab = NetnsLab.create(2, 0);
             EmbeddedApp app = EmbeddedApp.start(placement(lab).dryRun(false).rescheduler(request -> {
                 asked.add(request);
                 return CompletableFuture.completedFuture(new MoveResult.Done(request, Duration.ZERO));
             }).open(), PORT, lab.serverNs())) {
            for (int round = 0; round < 2; round++) {
                get(lab, lab.clientV4().get(0), "/", 2);
                get(lab, lab.clientV4().get(1), "/", 10);
                app.placement().refresh();
            }
            assertThat(app.placement().lastDecision().orElseThrow().reason())
                    .isEqualTo(DecisionReason.MOVE_STARTED);
            assertThat(asked).singleElement().satisfies(r -> {
                assertThat(r.workload()).isEqualTo(APP);
                assertThat(r.currentNodes()).containsExactly(EDGE_A);
                assertThat(r.targetNodes()).containsExactly(EDGE_B);
            });
            assertThat(app.placement().placement().nodes()).containsExactly(EDGE_B);
        }
    }

    @Test
    void flagsParseIntoPeersAndWorkload() {
        EmbeddedPlacement.Peer peer = EmbeddedAppMain.parsePeer("edge-b=192.0.2.12@8ms");
        assertThat(peer.node()).isEqualTo(EDGE_B);
        assertThat(peer.address()).isEqualTo(ClientAddress.parse("192.0.2.12"));
        assertThat(peer.rtt()).isEqualTo(Duration.ofMillis(8));
        assertThat(EmbeddedAppMain.parseWorkload("shop/web")).isEqualTo(WorkloadId.of("shop", "web"));
        assertThatThrownBy(() -> EmbeddedAppMain.parsePeer("edge-b"))
                .hasMessageContaining("NODE=ADDRESS@RTT");
        assertThatThrownBy(() -> EmbeddedAppMain.parseWorkload("web"))
                .hasMessageContaining("NAMESPACE/NAME");
    }

    private static EmbeddedPlacement.Builder placement(NetnsLab lab) {
        return EmbeddedPlacement.builder().node(EDGE_A).uplink(lab.serverInterface())
                .networkNamespace(lab.serverNs()).serving(APP, PORT)
                .peer(new EmbeddedPlacement.Peer(EDGE_B, ClientAddress.of(lab.clientV4().get(1)), Duration.ofMillis(8)));
    }

    /** {@code times} HTTP/1.0 GETs from {@code source} inside the client namespace; returns the last body. */
    private static String get(NetnsLab lab, InetAddress source, String path, int times) throws IOException {
        return NetworkNamespaces.runIn(lab.clientNs(), () -> {
            String body = "";
            for (int i = 0; i < times; i++) {
                try (Socket socket = new Socket()) {
                    socket.bind(new InetSocketAddress(source, 0));
                    socket.connect(new InetSocketAddress(lab.serverV4(), PORT), 5_000);
                    socket.setSoTimeout(5_000);
                    OutputStream out = socket.getOutputStream();
                    out.write(("GET " + path + " HTTP/1.0\r\nHost: app\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    InputStream in = socket.getInputStream();
                    String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                    assertThat(response).startsWith("HTTP/1.1 200");
                    body = response.substring(response.indexOf("\r\n\r\n") + 4);
                }
            }
            return body;
        });
    }

}
