package io.edgesched.k8s.lite;

import static io.edgesched.k8s.move.Fixtures.await;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.edgesched.k8s.lite.ListWatch.Applied;
import io.edgesched.k8s.topology.Fixtures;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The light informer against fabric8's CRUD mock server (list, WebSocket watch, filters, close) and against small
 * hand-written servers for what the mock cannot do (paging, a 403), plus hostile watch messages fed directly.
 */
class ListWatchTest {
    static {
        Fixtures.quietMockServer();
    }

    static final Duration FOLLOW = Duration.ofSeconds(5);
    static final Predicate<Map<String, Object>> ALL = o -> true;

    KubernetesMockServer server;
    KubernetesClient client;
    HttpServer http;
    final List<ListWatch> watches = new ArrayList<>();
    final AtomicInteger changes = new AtomicInteger();

    @AfterEach
    void tearDown() {
        watches.forEach(ListWatch::close);
        if (client != null) {
            client.close();
        }
        if (server != null) {
            try {
                server.destroy();
            } catch (RuntimeException e) {
                // the mock's known flaky shutdown ("Unable to close MockWebServer")
            }
        }
        if (http != null) {
            http.stop(0);
        }
    }

    @Test
    void followsNodesCreatedModifiedAndDeleted() throws Exception {
        ApiAccess api = mock();
        client.nodes().resource(node("edge-1")).create();
        ListWatch nodes = watch("nodes", api, "/api/v1/nodes", null, ALL);
        nodes.start();
        nodes.awaitSynced(FOLLOW);
        assertThat(nodes.synced()).isTrue();
        assertThat(keys(nodes)).containsExactly("edge-1");
        await("onChange after the list", FOLLOW, () -> changes.get() > 0); // runs just after synced() turns true
        assertThat(nodes.thread().getName()).isEqualTo("edgesched-watch-nodes");

        client.nodes().resource(node("edge-2")).create();
        await("edge-2 added", FOLLOW, () -> keys(nodes).equals(Set.of("edge-1", "edge-2")));

        client.nodes().withName("edge-1").edit(n -> new NodeBuilder(n).editMetadata().addToLabels("zone", "b").endMetadata().build());
        await("edge-1 relabelled", FOLLOW, () -> "b".equals(label(nodes, "edge-1", "zone")));

        int before = changes.get();
        client.nodes().withName("edge-2").delete();
        await("edge-2 deleted", FOLLOW, () -> keys(nodes).equals(Set.of("edge-1")));
        assertThat(changes.get()).as("onChange after the delete").isGreaterThan(before);
        assertThat(nodes.refused()).isZero();
        assertThatThrownBy(() -> nodes.items().clear()).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void keepsOnlyThePodsThePredicateAccepts() throws Exception { // no field selector: the mock would match none
        ApiAccess api = mock();
        client.pods().inNamespace("shop").resource(pod("a", "edge-1")).create();
        client.pods().inNamespace("shop").resource(pod("b", "edge-2")).create();
        ListWatch pods = watch("pods", api, "/api/v1/pods", null, onNode("edge-1"));
        pods.start();
        pods.awaitSynced(FOLLOW);
        assertThat(keys(pods)).containsExactly("shop/a");

        client.pods().inNamespace("shop").resource(pod("c", "edge-2")).create(); // comes first, so is seen first
        client.pods().inNamespace("shop").resource(pod("d", "edge-1")).create();
        await("pod d on edge-1 added", FOLLOW, () -> keys(pods).contains("shop/d"));
        assertThat(keys(pods)).containsExactlyInAnyOrder("shop/a", "shop/d");
    }

    @Test
    void watchesANamespacedCollection() throws Exception {
        ApiAccess api = mock();
        client.apps().deployments().inNamespace("shop").resource(deployment("shop", "web")).create();
        client.apps().deployments().inNamespace("other").resource(deployment("other", "web")).create();
        ListWatch deployments = watch("deployments", api, "/apis/apps/v1/namespaces/shop/deployments", null, ALL);
        deployments.start();
        deployments.awaitSynced(FOLLOW);
        assertThat(keys(deployments)).containsExactly("shop/web");

        client.apps().deployments().inNamespace("other").resource(deployment("other", "api")).create();
        client.apps().deployments().inNamespace("shop").resource(deployment("shop", "api")).create();
        await("shop/api added", FOLLOW, () -> keys(deployments).contains("shop/api"));
        assertThat(keys(deployments)).containsExactlyInAnyOrder("shop/web", "shop/api");
    }

    @Test
    void closeStopsTheThreadAndTheWebSocketPromptly() throws Exception {
        ApiAccess api = mock();
        client.nodes().resource(node("edge-1")).create();
        ListWatch nodes = watch("nodes", api, "/api/v1/nodes", null, ALL);
        nodes.start();
        nodes.awaitSynced(FOLLOW);
        await("watching", FOLLOW, () -> nodes.items().size() == 1 && changes.get() >= 2); // list, then the mock's replay

        long started = System.nanoTime();
        nodes.close();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(2));
        assertThat(nodes.thread().isAlive()).isFalse();
    }

    @Test
    void listsInPagesAndWatchesFromTheListsVersion() throws Exception {
        List<String> queries = new CopyOnWriteArrayList<>();
        serve(exchange -> {
            String query = exchange.getRequestURI().getQuery();
            queries.add(query);
            if (query.contains("watch=true")) {
                return reply(exchange, 404, status(404, "watches live elsewhere"));
            }
            String page = query.contains("continue=tok/1=") ? nodeList("\"continue\":\"tok2\"", "n2", "n3")
                    : query.contains("continue=tok2") ? nodeList("\"resourceVersion\":\"42\"", "n4")
                    : nodeList("\"continue\":\"tok/1=\"", "n0", "n1");
            return reply(exchange, 200, page);
        });
        ListWatch nodes = new ListWatch("paged", plainHttp(), "/api/v1/nodes", "spec.unschedulable=false", ALL,
                changes::incrementAndGet, 2);
        watches.add(nodes);
        nodes.start();
        nodes.awaitSynced(FOLLOW);

        assertThat(keys(nodes)).containsExactlyInAnyOrder("n0", "n1", "n2", "n3", "n4");
        await("onChange after the list", FOLLOW, () -> changes.get() > 0);
        assertThat(changes.get()).as("one onChange for the whole list").isEqualTo(1);
        assertThat(List.copyOf(queries).subList(0, 3)).allSatisfy(q -> assertThat(q).contains("limit=2", "fieldSelector=spec.unschedulable=false"));
        assertThat(queries.get(1)).contains("continue=tok/1=");
        await("a watch attempt", FOLLOW, () -> queries.size() > 3);
        assertThat(queries.get(3)).contains("watch=true", "resourceVersion=42", "allowWatchBookmarks=true",
                "fieldSelector=spec.unschedulable=false");
        await("the refused handshake reported", FOLLOW, () -> nodes.lastError().isPresent());
        assertThat(nodes.lastError().get()).contains("HTTP 404 from watch of /api/v1/nodes", "watches live elsewhere");
    }

    @Test
    void aForbiddenListIsRetriedWithBackoffAndNamedInAwaitSynced() throws Exception {
        AtomicInteger requests = new AtomicInteger();
        serve(exchange -> {
            requests.incrementAndGet();
            return reply(exchange, 403, status(403, "nodes is forbidden: User \"system:serviceaccount:edge:agent\" cannot list"));
        });
        ListWatch nodes = watch("nodes", plainHttp(), "/api/v1/nodes", null, ALL);
        nodes.start();

        assertThatThrownBy(() -> nodes.awaitSynced(Duration.ofSeconds(2))).isInstanceOf(TimeoutException.class)
                .hasMessageContaining("/api/v1/nodes")
                .hasMessageContaining("HTTP 403 from /api/v1/nodes: nodes is forbidden: User");
        assertThat(nodes.synced()).isFalse();
        assertThat(requests.get()).as("retried, but backing off (0.25-0.5 s, then doubling)").isBetween(2, 6);
        assertThat(changes.get()).isZero();

        long started = System.nanoTime();
        nodes.close(); // while it sleeps between tries
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(2));
        assertThat(nodes.thread().isAlive()).isFalse();
    }

    @Test
    void reconnectsFromTheLastVersionAndRelistsWhenItExpired() throws Exception {
        AtomicInteger lists = new AtomicInteger();
        serve(exchange -> reply(exchange, 200, lists.incrementAndGet() == 1
                ? nodeList("\"resourceVersion\":\"10\"", "n0") : nodeList("\"resourceVersion\":\"20\"", "n0", "n2")));
        List<URI> watchUris = new CopyOnWriteArrayList<>();
        List<List<String>> scripts = List.of(
                List.of(nodeEvent("ADDED", "n1", "11"), "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"12\"}}}", CLOSE),
                List.of(error(410, "Expired", "too old resource version: 12 (15)")),
                List.of()); // stays open
        ListWatch nodes = watch("nodes", scripted(plainHttp(), watchUris, scripts), "/api/v1/nodes", null, ALL);
        nodes.start();

        await("relisted after the expiry and watching again", Duration.ofSeconds(10), () -> watchUris.size() == 3);
        assertThat(watchUris.get(0)).hasScheme("ws").hasPath("/api/v1/nodes");
        assertThat(watchUris.get(0).getQuery()).contains("watch=true", "resourceVersion=10", "timeoutSeconds=300");
        assertThat(watchUris.get(1).getQuery()).as("resumed from the bookmark").contains("resourceVersion=12");
        assertThat(watchUris.get(2).getQuery()).as("from the relist").contains("resourceVersion=20");
        assertThat(lists.get()).isEqualTo(2);
        assertThat(keys(nodes)).as("the relist replaced what the watch had added").containsExactlyInAnyOrder("n0", "n2");
        assertThat(nodes.refused()).isZero();
    }

    @Test
    void refusesAndCountsHostileEventsAndAppliesTheRest() {
        ListWatch pods = watch("pods", ApiAccess.plain(URI.create("http://127.0.0.1:9")), "/api/v1/pods", null,
                o -> ((String) ((Map<?, ?>) o.get("spec")).get("nodeName")).startsWith("edge"));
        List<String> hostile = List.of("not json", "[]", "{\"type\":\"ADDED\"", "{\"type\":\"ADDED\"}",
                "{\"type\":7,\"object\":{}}", "{\"type\":\"ADDED\",\"object\":\"pod\"}",
                "{\"type\":\"ADDED\",\"object\":{}}", "{\"type\":\"ADDED\",\"object\":{\"metadata\":\"x\"}}",
                "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":7}}}",
                "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\",\"namespace\":[]}}}",
                "{\"type\":\"SHOUTED\",\"object\":{\"metadata\":{\"name\":\"a\"}}}",
                "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{}}}",
                "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\"},\"spec\":{\"nodeName\":5}}}", // upsets the filter
                "[".repeat(500));
        for (String event : hostile) {
            assertThat(pods.applyEvent(event)).as(event).isEqualTo(Applied.REFUSED);
        }
        assertThat(pods.refused()).isEqualTo(hostile.size());
        assertThat(pods.items()).isEmpty();
        assertThat(changes.get()).isZero();

        assertThat(pods.applyEvent(podEvent("ADDED", "a", "edge-1"))).isEqualTo(Applied.CHANGED);
        assertThat(pods.applyEvent(podEvent("ADDED", "b", "core-1"))).isEqualTo(Applied.UNCHANGED);
        assertThat(pods.applyEvent("{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"9\"}}}"))
                .isEqualTo(Applied.BOOKMARK);
        assertThat(keys(pods)).containsExactly("shop/a");
        assertThat(changes.get()).as("onChange for the applied event only").isEqualTo(1);
        assertThat(pods.applyEvent(podEvent("MODIFIED", "a", "core-1"))).as("moved out of the filter").isEqualTo(Applied.CHANGED);
        assertThat(pods.items()).isEmpty();
        assertThat(pods.applyEvent(podEvent("DELETED", "a", "core-1"))).isEqualTo(Applied.UNCHANGED);

        assertThat(pods.applyEvent(error(410, "Expired", "too old resource version: 1 (9)"))).isEqualTo(Applied.EXPIRED);
        assertThat(pods.applyEvent(error(500, "InternalError", "too old resource version: 1 (9)"))).isEqualTo(Applied.EXPIRED);
        assertThat(pods.applyEvent(error(500, "InternalError", "etcd\nleader changed"))).isEqualTo(Applied.FAILED);
        assertThat(pods.lastError()).hasValueSatisfying(e -> assertThat(e).contains("500 InternalError: etcd leader changed"));
        assertThat(pods.refused()).isEqualTo(hostile.size());
    }

    @Test
    void keepsObjectsWithoutTheServersBookkeeping() {
        ListWatch nodes = watch("nodes", ApiAccess.plain(URI.create("http://127.0.0.1:9")), "/api/v1/nodes", null, ALL);
        String event = "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"edge-1\",\"resourceVersion\":\"5\","
                + "\"managedFields\":[{\"manager\":\"kubelet\",\"fieldsV1\":{\"f:status\":{}}}],\"annotations\":{"
                + "\"kubectl.kubernetes.io/last-applied-configuration\":\"{...}\",\"team\":\"edge\"}},"
                + "\"spec\":{\"unschedulable\":true}}}";
        assertThat(nodes.applyEvent(event)).isEqualTo(Applied.CHANGED);
        Map<String, Object> stored = nodes.items().getFirst();
        @SuppressWarnings("unchecked")
        Map<String, Object> metadata = (Map<String, Object>) stored.get("metadata");
        assertThat(metadata).doesNotContainKey("managedFields").containsEntry("resourceVersion", "5");
        assertThat(metadata.get("annotations")).isEqualTo(Map.of("team", "edge"));
        assertThat(stored.get("spec")).isEqualTo(Map.of("unschedulable", true));
    }

    @Test
    void assemblesFragmentsRequestsMoreAndDropsAnOversizedMessage() {
        ListWatch nodes = watch("nodes", ApiAccess.plain(URI.create("http://127.0.0.1:9")), "/api/v1/nodes", null, ALL);
        ListWatch.WatchSession session = nodes.new WatchSession();
        FakeWebSocket ws = new FakeWebSocket();
        session.onOpen(ws);
        String event = "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"edge-1\",\"resourceVersion\":\"5\"}}}";
        session.onText(ws, event.substring(0, 10), false);
        assertThat(nodes.items()).isEmpty();
        session.onText(ws, event.substring(10), true);
        assertThat(keys(nodes)).containsExactly("edge-1");
        assertThat(session.applied).isEqualTo(1);
        assertThat(ws.requested).as("one more message asked for after each one").isEqualTo(3);

        String mebi = "x".repeat(1 << 20);
        for (int i = 0; i < 17; i++) {
            session.onText(ws, mebi, false);
        }
        assertThat(nodes.refused()).isEqualTo(1);
        assertThat(ws.aborted).isTrue();
        assertThat(session.ended).isDone();
        int requested = ws.requested;
        session.onText(ws, event, true);
        assertThat(ws.requested).as("nothing more read from an ended watch").isEqualTo(requested);
        assertThat(nodes.refused()).isEqualTo(1);

        ListWatch.WatchSession next = nodes.new WatchSession();
        next.onText(ws, error(410, "Expired", "too old resource version"), true);
        assertThat(next.ended).as("an expired version ends the watch (to relist)").isDone();
    }

    // --- servers

    ApiAccess mock() {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
        server.init();
        client = server.createClient();
        return ApiAccess.plain(URI.create(client.getMasterUrl().toString()));
    }

    interface Handler {
        Void handle(HttpExchange exchange) throws IOException;
    }

    void serve(Handler handler) throws IOException {
        http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        http.createContext("/", exchange -> handler.handle(exchange));
        http.start();
    }

    ApiAccess plainHttp() {
        return ApiAccess.plain(URI.create("http://127.0.0.1:" + http.getAddress().getPort() + "/"));
    }

    static Void reply(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (var out = exchange.getResponseBody()) {
            out.write(bytes);
        }
        return null;
    }

    static String status(int code, String message) {
        return "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":" + Json.write(message)
                + ",\"code\":" + code + "}";
    }

    static String nodeList(String metadata, String... names) {
        String items = List.of(names).stream().map(n -> "{\"metadata\":{\"name\":\"" + n + "\"}}").collect(Collectors.joining(","));
        return "{\"kind\":\"NodeList\",\"metadata\":{" + metadata + "},\"items\":[" + items + "]}";
    }

    // --- watches and objects

    ListWatch watch(String name, ApiAccess api, String path, String fieldSelector, Predicate<Map<String, Object>> filter) {
        ListWatch watch = new ListWatch(name, api, path, fieldSelector, filter, changes::incrementAndGet);
        watches.add(watch);
        return watch;
    }

    static Set<String> keys(ListWatch watch) {
        return watch.items().stream().map(ListWatch::keyOf).collect(Collectors.toSet());
    }

    static Object label(ListWatch watch, String name, String label) {
        for (Map<String, Object> o : watch.items()) {
            if (name.equals(ListWatch.keyOf(o)) && ((Map<?, ?>) o.get("metadata")).get("labels") instanceof Map<?, ?> labels) {
                return labels.get(label);
            }
        }
        return null;
    }

    static Predicate<Map<String, Object>> onNode(String node) {
        return o -> o.get("spec") instanceof Map<?, ?> spec && node.equals(spec.get("nodeName"));
    }

    static io.fabric8.kubernetes.api.model.Node node(String name) {
        return new NodeBuilder().withNewMetadata().withName(name).endMetadata().build();
    }

    static io.fabric8.kubernetes.api.model.Pod pod(String name, String node) {
        return new PodBuilder().withNewMetadata().withName(name).withNamespace("shop").endMetadata()
                .withNewSpec().withNodeName(node).addNewContainer().withName("c").withImage("nginx").endContainer().endSpec()
                .build();
    }

    static io.fabric8.kubernetes.api.model.apps.Deployment deployment(String namespace, String name) {
        return new DeploymentBuilder().withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
                .withNewSpec().withReplicas(1).endSpec().build();
    }

    static String podEvent(String type, String name, String node) {
        return "{\"type\":\"" + type + "\",\"object\":{\"metadata\":{\"name\":\"" + name
                + "\",\"namespace\":\"shop\",\"resourceVersion\":\"3\"},\"spec\":{\"nodeName\":\"" + node + "\"}}}";
    }

    static String error(int code, String reason, String message) {
        return "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":" + code + ",\"reason\":\"" + reason
                + "\",\"message\":" + Json.write(message) + "}}";
    }

    static final String CLOSE = "(the server closes the watch)";

    /** The API over HTTP, with WebSockets that play one script of messages each, in order, and record their URIs. */
    static ApiAccess scripted(ApiAccess http, List<URI> uris, List<List<String>> scripts) {
        return new ApiAccess() {
            @Override
            public URI server() {
                return http.server();
            }

            @Override
            public java.net.http.HttpClient http() {
                return http.http();
            }

            @Override
            public java.util.Optional<String> authorization() {
                return http.authorization();
            }

            @Override
            public WebSocket.Builder webSocket() {
                return new WebSocket.Builder() {
                    @Override
                    public WebSocket.Builder header(String name, String value) {
                        return this;
                    }

                    @Override
                    public WebSocket.Builder connectTimeout(Duration timeout) {
                        return this;
                    }

                    @Override
                    public WebSocket.Builder subprotocols(String mostPreferred, String... lesserPreferred) {
                        return this;
                    }

                    @Override
                    public CompletableFuture<WebSocket> buildAsync(URI uri, WebSocket.Listener listener) {
                        List<String> script = uris.size() < scripts.size() ? scripts.get(uris.size()) : List.of();
                        uris.add(uri);
                        FakeWebSocket ws = new FakeWebSocket();
                        CompletableFuture.runAsync(() -> {
                            listener.onOpen(ws);
                            for (String message : script) {
                                if (message.equals(CLOSE)) {
                                    listener.onClose(ws, WebSocket.NORMAL_CLOSURE, "");
                                } else {
                                    listener.onText(ws, message, true);
                                }
                            }
                        });
                        return CompletableFuture.completedFuture(ws);
                    }
                };
            }
        };
    }

    static String nodeEvent(String type, String name, String resourceVersion) {
        return "{\"type\":\"" + type + "\",\"object\":{\"metadata\":{\"name\":\"" + name + "\",\"resourceVersion\":\""
                + resourceVersion + "\"}}}";
    }

    /** Records flow control and abort; sends nothing. */
    static final class FakeWebSocket implements WebSocket {
        int requested;
        boolean aborted;

        @Override
        public void request(long n) {
            requested += (int) n;
        }

        @Override
        public void abort() {
            aborted = true;
        }

        @Override
        public CompletableFuture<WebSocket> sendText(CharSequence data, boolean last) {
            return CompletableFuture.completedFuture(this);
        }

        @Override
        public CompletableFuture<WebSocket> sendBinary(ByteBuffer data, boolean last) {
            return CompletableFuture.completedFuture(this);
        }

        @Override
        public CompletableFuture<WebSocket> sendPing(ByteBuffer message) {
            return CompletableFuture.completedFuture(this);
        }

        @Override
        public CompletableFuture<WebSocket> sendPong(ByteBuffer message) {
            return CompletableFuture.completedFuture(this);
        }

        @Override
        public CompletableFuture<WebSocket> sendClose(int statusCode, String reason) {
            return CompletableFuture.completedFuture(this);
        }

        @Override
        public String getSubprotocol() {
            return "";
        }

        @Override
        public boolean isOutputClosed() {
            return aborted;
        }

        @Override
        public boolean isInputClosed() {
            return aborted;
        }
    }
}
