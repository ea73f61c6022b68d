package io.edgesched.k8s.lite;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small informer for one API collection, for the node agent without fabric8: it lists the collection in pages,
 * then watches it over a WebSocket from the list's resourceVersion, and keeps the objects that pass a filter in
 * memory as {@link Json} trees, keyed {@code namespace/name}. Every failure (HTTP errors, closed or expired watches,
 * hostile input) is logged and retried with backoff, or counted and skipped, on the watch's own daemon thread;
 * none is fatal.
 */
public final class ListWatch implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ListWatch.class);
    static final int DEFAULT_PAGE_LIMIT = 500;
    /** Longest watch message kept; etcd bounds an object to about 1.5 MiB, so anything this long is hostile. */
    static final int MAX_MESSAGE_CHARS = 16 << 20;
    /** Largest list page read: 500 large objects still fit. */
    static final int MAX_PAGE_BYTES = 64 << 20;
    static final int WATCH_SECONDS = 300;
    private static final Duration HTTP_TIMEOUT = Duration.ofSeconds(30);
    private static final long FIRST_BACKOFF_MS = 500;
    private static final long MAX_BACKOFF_MS = 30_000;
    private static final long LONG_WATCH_NANOS = TimeUnit.SECONDS.toNanos(60);

    /** What one watch message did; package-private for tests. */
    enum Applied { CHANGED, UNCHANGED, BOOKMARK, REFUSED, EXPIRED, FAILED }

    private final String name;
    private final ApiAccess api;
    private final String path;
    private static final String LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";
    private final String fieldSelector;
    private final String labelSelector;
    private final Predicate<Map<String, Object>> filter;
    private final Runnable onChange;
    private final int pageLimit;

    private final Map<String, Map<String, Object>> objects = new HashMap<>(); // guarded by itself
    private final CountDownLatch listed = new CountDownLatch(1);
    private final AtomicLong refused = new AtomicLong();
    private volatile String lastError;
    private volatile Throwable lastFailure;
    private volatile String resourceVersion;
    private volatile boolean relist = true;
    private volatile boolean closed;
    private volatile Thread thread;
    private volatile WebSocket webSocket;

    /**
     * A watch, not yet started.
     *
     * @param name           for logs and the thread's name, e.g. {@code pods}
     * @param collectionPath e.g. {@code /api/v1/pods} or {@code /apis/apps/v1/namespaces/shop/deployments}
     * @param fieldSelector  sent to the server (e.g. {@code spec.nodeName=edge-1}), or null
     * @param filter         which objects to keep, applied here too since servers may ignore the field selector
     * @param onChange       run (on the watch's threads) after each list and each event that changed the objects;
     *                       should be quick, callers debounce; {@link #synced()} is already true at the first run
     */
    public ListWatch(String name, ApiAccess api, String collectionPath, String fieldSelector,
            Predicate<Map<String, Object>> filter, Runnable onChange) {
        this(name, api, collectionPath, fieldSelector, null, filter, onChange, DEFAULT_PAGE_LIMIT);
    }

    /** As above, and {@code labelSelector} (e.g. {@code edgesched.io/managed=true}, or null) sent to the server too. */
    public ListWatch(String name, ApiAccess api, String collectionPath, String fieldSelector, String labelSelector,
            Predicate<Map<String, Object>> filter, Runnable onChange) {
        this(name, api, collectionPath, fieldSelector, labelSelector, filter, onChange, DEFAULT_PAGE_LIMIT);
    }

    ListWatch(String name, ApiAccess api, String collectionPath, String fieldSelector,
            Predicate<Map<String, Object>> filter, Runnable onChange, int pageLimit) {
        this(name, api, collectionPath, fieldSelector, null, filter, onChange, pageLimit);
    }

    ListWatch(String name, ApiAccess api, String collectionPath, String fieldSelector, String labelSelector,
            Predicate<Map<String, Object>> filter, Runnable onChange, int pageLimit) {
        if (!collectionPath.startsWith("/") || collectionPath.contains("?")) {
            throw new IllegalArgumentException("not a collection path: " + collectionPath);
        }
        this.name = Objects.requireNonNull(name);
        this.api = Objects.requireNonNull(api);
        this.path = collectionPath;
        this.fieldSelector = fieldSelector;
        this.labelSelector = labelSelector;
        this.filter = Objects.requireNonNull(filter);
        this.onChange = Objects.requireNonNull(onChange);
        this.pageLimit = pageLimit;
    }

    /** Starts listing and watching on a daemon thread named {@code edgesched-watch-<name>}. */
    public synchronized void start() {
        if (thread != null || closed) {
            throw new IllegalStateException("watch " + name + " already started or closed");
        }
        thread = Thread.ofVirtual().name("edgesched-watch-" + name).start(this::run);
    }

    /** Whether the first list has completed. */
    public boolean synced() {
        return listed.getCount() == 0;
    }

    /** Waits for the first list; on timeout the exception names the collection and the last error. */
    public void awaitSynced(Duration timeout) throws TimeoutException, InterruptedException {
        if (!listed.await(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
            throw new TimeoutException("watch " + name + ": " + path + " not listed within " + timeout.toMillis()
                    + " ms; last error: " + lastError().orElse("none"));
        }
    }

    /** The objects kept now; an immutable list of the shared trees, which callers must not modify. */
    public List<Map<String, Object>> items() {
        synchronized (objects) {
            return List.copyOf(objects.values());
        }
    }

    /** How many messages, events or list items were refused as malformed. */
    public long refused() {
        return refused.get();
    }

    /** The most recent failure (kept after recovery: see {@link #synced()} for health). */
    public Optional<String> lastError() {
        return Optional.ofNullable(lastError);
    }

    /** The exception behind the latest failed list or watch attempt (its causes say, e.g., "Connection refused"). */
    public Optional<Throwable> lastFailure() {
        return Optional.ofNullable(lastFailure);
    }

    /** The name given at construction, for logs and messages. */
    public String name() {
        return name;
    }

    /** Stops the thread and aborts the WebSocket; returns once the thread has ended (or after 2 s). */
    @Override
    public void close() {
        closed = true;
        WebSocket ws = webSocket;
        if (ws != null) {
            ws.abort();
        }
        Thread t = thread;
        if (t != null && t != Thread.currentThread()) {
            t.interrupt();
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    Thread thread() {
        return thread;
    }

    private void run() {
        long backoffMs = FIRST_BACKOFF_MS;
        while (!closed) {
            try {
                if (relist) {
                    list();
                }
                if (watch()) {
                    backoffMs = FIRST_BACKOFF_MS;
                }
            } catch (InterruptedException e) {
                // close() interrupts; the loop condition decides
            } catch (IOException | RuntimeException e) {
                if (!closed) {
                    lastFailure = e;
                    fail(e instanceof IOException && e.getMessage() != null ? e.getMessage() : describe(e));
                }
            }
            if (closed) {
                return; // the interrupt that woke us is spent: don't sleep through close()
            }
            try {
                Thread.sleep(backoffMs / 2 + ThreadLocalRandom.current().nextLong(backoffMs / 2 + 1));
            } catch (InterruptedException e) {
                // closing
            }
            backoffMs = Math.min(2 * backoffMs, MAX_BACKOFF_MS);
        }
    }

    private void list() throws IOException, InterruptedException {
        Map<String, Map<String, Object>> fresh = new HashMap<>();
        String token = null;
        String version;
        do {
            if (closed) {
                throw new InterruptedException();
            }
            Map<String, Object> page = get("?limit=" + pageLimit + param("continue", token) + param("fieldSelector", fieldSelector)
                    + param("labelSelector", labelSelector));
            Object items = page.get("items");
            if (items != null && !(items instanceof List)) {
                refuse("list of " + path + " whose items are " + Json.typeName(items));
                throw new IOException("malformed list from " + path + ": items are " + Json.typeName(items));
            }
            for (Object item : items == null ? List.of() : (List<?>) items) {
                String key = item instanceof Map<?, ?> m ? keyOf(m) : null;
                if (key == null) {
                    refuse("list item without metadata.name");
                } else if (Boolean.TRUE.equals(accepts(cast(item)))) {
                    fresh.put(key, withoutBookkeeping(cast(item)));
                }
            }
            Map<?, ?> metadata = page.get("metadata") instanceof Map<?, ?> m ? m : Map.of();
            version = metadata.get("resourceVersion") instanceof String s && !s.isEmpty() ? s : null;
            String next = metadata.get("continue") instanceof String s && !s.isEmpty() ? s : null;
            if (next != null && next.equals(token)) {
                throw new IOException("list of " + path + " repeats its continue token"); // would loop for ever
            }
            token = next;
        } while (token != null);
        synchronized (objects) {
            objects.clear();
            objects.putAll(fresh);
        }
        resourceVersion = version;
        relist = false;
        LOG.debug("watch {}: listed {} objects of {} at resourceVersion {}", name, fresh.size(), path, version);
        listed.countDown();
        fireChange();
    }

    private Map<String, Object> get(String query) throws IOException, InterruptedException {
        HttpRequest request = api.request(path + query).timeout(HTTP_TIMEOUT).GET().build();
        int status;
        byte[] body;
        try {
            HttpResponse<InputStream> response = api.http().send(request, HttpResponse.BodyHandlers.ofInputStream());
            status = response.statusCode();
            try (InputStream in = response.body()) {
                body = in.readNBytes(MAX_PAGE_BYTES + 1);
            }
        } catch (IOException e) {
            throw new IOException("list of " + path + " failed: " + describe(e), e);
        }
        if (body.length > MAX_PAGE_BYTES) {
            throw new IOException("list page of " + path + " larger than " + (MAX_PAGE_BYTES >> 20) + " MiB");
        }
        String text = new String(body, UTF_8);
        if (status != 200) {
            throw new IOException("HTTP " + status + " from " + path + ": " + LiteApiException.statusMessage(text));
        }
        try {
            return Json.parseObject(text);
        } catch (Json.JsonException e) {
            refuse("list of " + path + ": " + e.getMessage());
            throw new IOException("malformed list from " + path + ": " + e.getMessage());
        }
    }

    /** Runs one watch until it ends; true if it delivered events or lasted a while (then the backoff resets). */
    private boolean watch() throws InterruptedException {
        WatchSession session = new WatchSession();
        long started = System.nanoTime();
        CompletableFuture<WebSocket> opening = api.webSocket().connectTimeout(HTTP_TIMEOUT).buildAsync(watchUri(), session);
        try {
            webSocket = opening.get(HTTP_TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
            if (!closed) {
                session.ended.get(WATCH_SECONDS + 30, TimeUnit.SECONDS);
            }
        } catch (ExecutionException e) {
            fail(watchFailure(e.getCause()));
        } catch (TimeoutException e) {
            if (webSocket == null) {
                fail("watch of " + path + ": no handshake within " + (HTTP_TIMEOUT.toSeconds() + 5) + " s");
            } // else the server ignored timeoutSeconds, or the link died silently: reconnect
        } finally {
            session.ended.complete(null); // late messages are ignored from here on
            opening.thenAccept(WebSocket::abort);
            webSocket = null;
        }
        return session.applied > 0 || System.nanoTime() - started > LONG_WATCH_NANOS;
    }

    private URI watchUri() {
        URI server = api.server();
        String scheme = "https".equals(server.getScheme()) ? "wss" : "ws";
        return URI.create(scheme + server.toString().substring(server.getScheme().length()) + path
                + "?watch=true&allowWatchBookmarks=true&timeoutSeconds=" + WATCH_SECONDS
                + param("resourceVersion", resourceVersion) + param("fieldSelector", fieldSelector)
                + param("labelSelector", labelSelector));
    }

    /** Applies one watch event (a complete message); package-private so tests can feed it hostile input. */
    Applied applyEvent(String text) {
        Map<String, Object> event;
        try {
            event = Json.parseObject(text);
        } catch (Json.JsonException e) {
            return refuse("malformed watch event: " + e.getMessage());
        }
        if (!(event.get("type") instanceof String type)) {
            return refuse("watch event whose type is " + Json.typeName(event.get("type")));
        }
        if (!(event.get("object") instanceof Map<?, ?> object)) {
            return refuse(type + " event whose object is " + Json.typeName(event.get("object")));
        }
        return switch (type) {
            case "ADDED", "MODIFIED", "DELETED" -> applyChange(type, cast(object));
            case "BOOKMARK" -> {
                String version = versionOf(object);
                if (version == null) {
                    yield refuse("BOOKMARK without metadata.resourceVersion");
                }
                resourceVersion = version;
                yield Applied.BOOKMARK;
            }
            case "ERROR" -> watchError(object);
            default -> refuse("watch event of unknown type " + type);
        };
    }

    private Applied applyChange(String type, Map<String, Object> object) {
        String key = keyOf(object);
        if (key == null) {
            return refuse(type + " event without metadata.name");
        }
        Boolean accepted = type.equals("DELETED") ? Boolean.FALSE : accepts(object);
        boolean keep = Boolean.TRUE.equals(accepted);
        boolean changed = true;
        synchronized (objects) {
            if (keep) {
                objects.put(key, withoutBookkeeping(object));
            } else {
                changed = objects.remove(key) != null; // a filtered-out object may have been kept before
            }
        }
        String version = versionOf(object);
        if (version != null) {
            resourceVersion = version;
        }
        if (changed) {
            fireChange();
        }
        return accepted == null ? Applied.REFUSED : changed ? Applied.CHANGED : Applied.UNCHANGED;
    }

    private Applied watchError(Map<?, ?> status) {
        Object code = status.get("code");
        String reason = status.get("reason") instanceof String s ? s : "";
        String message = status.get("message") instanceof String s ? s : "";
        if (Long.valueOf(410).equals(code) || reason.equals("Expired") || reason.equals("Gone")
                || message.contains("too old resource version")) {
            LOG.info("watch {}: resourceVersion {} of {} expired, relisting", name, resourceVersion, path);
            relist = true;
            return Applied.EXPIRED;
        }
        fail("watch ERROR from " + path + ": " + code + " " + reason + ": " + message);
        return Applied.FAILED;
    }

    /** Whether the filter keeps the object; null (and refused) if a hostile object made it throw. */
    private Boolean accepts(Map<String, Object> object) {
        try {
            return filter.test(object);
        } catch (RuntimeException e) {
            refuse(keyOf(object) + " upset the filter: " + describe(e));
            return null;
        }
    }

    private void fireChange() {
        try {
            onChange.run();
        } catch (RuntimeException e) {
            LOG.warn("watch {}: onChange failed", name, e);
        }
    }

    private Applied refuse(String what) {
        long count = refused.incrementAndGet();
        if (count <= 10 || count % 100 == 0) {
            LOG.warn("watch {} of {}: refused {} ({} refused so far)", name, path, brief(what), count);
        }
        return Applied.REFUSED;
    }

    private void fail(String message) {
        String safe = brief(message);
        if (!safe.equals(lastError)) { // a persisting failure is logged once
            if (synced()) {
                LOG.warn("watch {}: {}", name, safe);
            } else { // before the first list the caller reports it (LiteTopology.awaitSynced)
                LOG.info("watch {}: {}", name, safe);
            }
        }
        lastError = safe;
    }

    private String watchFailure(Throwable t) {
        if (t instanceof WebSocketHandshakeException h) {
            Object body = h.getResponse().body();
            String text = body instanceof byte[] b ? new String(b, UTF_8) : body instanceof String s ? s : "";
            return "HTTP " + h.getResponse().statusCode() + " from watch of " + path + ": " + LiteApiException.statusMessage(text);
        }
        return "watch of " + path + " failed: " + describe(t);
    }

    /** Reads one WebSocket watch, one message at a time; package-private for tests. */
    final class WatchSession implements WebSocket.Listener {
        /** Completed when this watch is over, by the server or by us. */
        final CompletableFuture<Void> ended = new CompletableFuture<>();
        private StringBuilder message = new StringBuilder();
        volatile int applied;

        @Override
        public void onOpen(WebSocket ws) {
            ws.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence fragment, boolean last) {
            if (ended.isDone()) {
                return null;
            }
            if (message.length() + fragment.length() > MAX_MESSAGE_CHARS) {
                refuse("watch message over " + (MAX_MESSAGE_CHARS >> 20) + " Mi characters");
                message = new StringBuilder();
                relist = true; // an event is lost
                ended.complete(null);
                ws.abort();
                return null;
            }
            if (last && message.isEmpty()) {
                deliver(fragment.toString());
            } else {
                message.append(fragment);
                if (last) {
                    String text = message.toString();
                    message = new StringBuilder(); // drop a large buffer
                    deliver(text);
                }
            }
            if (!ended.isDone()) {
                ws.request(1);
            }
            return null;
        }

        private void deliver(String text) {
            switch (applyEvent(text)) {
                case CHANGED, UNCHANGED -> applied++;
                case EXPIRED, FAILED -> ended.complete(null);
                default -> { }
            }
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            if (last && !ended.isDone()) {
                refuse("binary watch message (expected JSON text)");
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
            LOG.debug("watch {}: closed by the server ({} {})", name, status, reason);
            ended.complete(null);
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            if (ended.complete(null)) {
                fail("watch of " + path + " failed: " + describe(error));
            }
        }
    }

    /**
     * Drops what the API server keeps for its own bookkeeping and no reader here needs: metadata.managedFields and
     * kubectl's last-applied-configuration annotation, often most of an object's size (client-go's informers strip
     * them the same way). The caches hold every Service and EndpointSlice of the cluster under a small heap.
     */
    static Map<String, Object> withoutBookkeeping(Map<String, Object> object) {
        if (object.get("metadata") instanceof Map<?, ?> metadata) {
            metadata.remove("managedFields");
            if (metadata.get("annotations") instanceof Map<?, ?> annotations) {
                annotations.remove(LAST_APPLIED);
            }
        }
        return object;
    }

    static String keyOf(Map<?, ?> object) {
        if (!(object.get("metadata") instanceof Map<?, ?> metadata) || !(metadata.get("name") instanceof String name)
                || name.isEmpty()) {
            return null;
        }
        Object namespace = metadata.get("namespace");
        if (namespace == null || "".equals(namespace)) {
            return name;
        }
        return namespace instanceof String ns ? ns + "/" + name : null;
    }

    static String versionOf(Map<?, ?> object) {
        return object.get("metadata") instanceof Map<?, ?> metadata
                && metadata.get("resourceVersion") instanceof String v && !v.isEmpty() ? v : null;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Object tree) {
        return (Map<String, Object>) tree; // Json's objects have String keys
    }

    private static String param(String key, String value) {
        return value == null ? "" : "&" + key + "=" + URLEncoder.encode(value, UTF_8);
    }

    private static String describe(Throwable t) {
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }

    /** At most 300 characters on one line: server text goes into logs. */
    static String brief(String text) {
        String cut = text.length() > 300 ? text.substring(0, 300) + "..." : text;
        return cut.replaceAll("\\p{Cntrl}", " ");
    }
}
