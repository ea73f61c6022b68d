package io.edgesched.examples.lab;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The end device, run by the lab inside the device's namespace. Like the thesis's device it probes
 * every node and sends its requests to the one with the lowest latency (the entry node); the entry node
 * forwards to wherever the service runs. Each interval it sends one HTTP request, on a new connection, to
 * each target service (the methods' services run side by side on their own NodePorts; the order goes
 * through every permutation so that each one goes first, and follows each other one, equally often); near a
 * node, after an unrecorded round in reverse order that wakes every path, twice: in that order and mirrored. A
 * request that crosses the WAN goes out at the tick's start, beside the others.
 *
 * <p>Probe: a TCP connect to a port where nothing listens; the node's kernel answers the SYN with a
 * reset after one round trip, so no process on the node is involved.
 *
 * <p>Output lines: {@code REQ epoch_ms target entry serving response_us status} and
 * {@code ENTRY epoch_ms node probe_us} when the entry node changes. Ends after the duration or at EOF on stdin.
 *
 * <p>Usage: {@code DeviceClient NODES TARGETS INTERVAL_MS DURATION_MS INITIAL_ENTRY} with NODES like
 * {@code cloud1=10.77.0.11,edge1=10.77.0.21} and TARGETS like {@code ebpf=30080,sidecar=30081}. The device starts at INITIAL_ENTRY (where it first found the
 * service) and changes only to a node that is clearly closer, so equal latencies do not make it hop.
 */
public final class DeviceClient {
    static final int PROBE_PORT = 9;
    private static final int PROBE_HISTORY = 5;
    /** An entry change needs this much lower probe RTT: jitter alone must not make the device hop. */
    private static final long HYSTERESIS_US = 25_000;
    private static final int TIMEOUT_MS = 3000;
    /** Probe RTT under which the entry node counts as near (the lab's edge links: ~0 ms; the WAN: 60 ms). */
    private static final long NEARBY_US = 10_000;
    /**
     * Ticks at least this far apart leave the machine idle in between: only then is a warm-up round needed (time
     * scale >= 0.15: 400 ms ticks at 0.2, the quick start's scale, idle long enough for cores to sleep).
     */
    static final long WARM_UP_FROM_INTERVAL_MS = 300;
    /** The last probe round of a tick starts this long before the next one: done (one WAN round trip) before it. */
    private static final long PROBE_LEAD_MS = 100;

    private final Map<String, String> nodes;
    private final Map<String, Integer> targets;
    private final Map<String, Deque<Long>> probes = new ConcurrentHashMap<>();
    private volatile String entry;
    /** The running probe round, if any (the tick loop's thread only). */
    private Future<?> probeRound;

    DeviceClient(Map<String, String> nodes, Map<String, Integer> targets) {
        this.nodes = nodes;
        this.targets = targets;
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 5) {
            System.err.println("usage: DeviceClient NAME=IP[,NAME=IP...] LABEL=PORT[,LABEL=PORT...] INTERVAL_MS DURATION_MS INITIAL_ENTRY");
            System.exit(2);
        }
        Map<String, String> nodes = new LinkedHashMap<>();
        for (String pair : args[0].split(",")) {
            String[] kv = pair.split("=", 2);
            nodes.put(kv[0], kv[1]);
        }
        Map<String, Integer> targets = new LinkedHashMap<>();
        for (String pair : args[1].split(",")) {
            String[] kv = pair.split("=", 2);
            targets.put(kv[0], Integer.parseInt(kv[1]));
        }
        DeviceClient client = new DeviceClient(nodes, targets);
        client.entry = args[4];
        long intervalMs = Long.parseLong(args[2]);
        long durationMs = Long.parseLong(args[3]);
        Thread.ofPlatform().daemon().start(() -> {
            try {
                while (System.in.read() >= 0) {
                    // wait for EOF: the lab has gone
                }
            } catch (IOException ignored) {
                // same
            }
            System.exit(0);
        });
        client.run(intervalMs, durationMs);
        System.exit(0);
    }

    void run(long intervalMs, long durationMs) throws InterruptedException {
        try (ExecutorService background = Executors.newVirtualThreadPerTaskExecutor()) { // probes, WAN requests
            // Warm up (a cold JVM measures its own slowness), then a full history before choosing.
            for (int i = 0; i < 2 * PROBE_HISTORY; i++) {
                if (i == PROBE_HISTORY) {
                    probes.clear();
                }
                probeAll(background, i >= 2 * PROBE_HISTORY - 1);
            }
            long start = System.currentTimeMillis();
            System.out.println("READY " + start);
            System.out.flush();
            long next = start;
            // Every order of the targets in turn: a request pays for whatever ran just before it (the sidecar's
            // log writes, a woken core), so each target must follow each other one equally often; rotating
            // three targets would put the direct request after the sidecar's in two ticks of three.
            java.util.List<java.util.List<String>> orders = orders(new java.util.ArrayList<>(targets.keySet()));
            int tick = 0;
            Map<String, String> lastServedBy = new ConcurrentHashMap<>();
            while (System.currentTimeMillis() - start < durationMs) {
                long now = System.currentTimeMillis();
                if (now < next) {
                    Thread.sleep(next - now);
                } else {
                    next = now; // slow requests (60 ms links) made it late: no burst to catch up, just go on
                }
                long tickStart = next;
                next += intervalMs;
                java.util.List<String> labels = orders.get(tick++ % orders.size());
                String node = entry;
                // A lane whose request crosses the WAN (the entry node is far, or its service is not at the entry
                // node yet) sends at the tick's start, beside the others: three such requests one after another take
                // ~375 ms of a 400 ms tick at time scale 0.2, and the last lane's first request through a new entry
                // node would go out ~1.3 scenario-s after the first's. These are never compared (docs/lab.md).
                java.util.List<String> nearLanes = new java.util.ArrayList<>();
                java.util.List<Future<?>> farRequests = new java.util.ArrayList<>();
                boolean nearEntry = nearby(node);
                for (String label : labels) {
                    if (nearEntry && node.equals(lastServedBy.get(label))) {
                        nearLanes.add(label);
                    } else {
                        farRequests.add(background.submit(() -> request(label, targets.get(label), node, true, lastServedBy)));
                    }
                }
                // A request pays for when it runs in the tick: after the idle interval the first one woke the
                // machine (cores, caches, the services' threads), and the later ones ran ever warmer. So, for the
                // lanes served at a near entry node: one unrecorded round that wakes every path, then every lane
                // measured twice, in this order and mirrored (A B C C B A): each lane's two samples sit at the same
                // mean position, and a trend along the tick cancels. The unrecorded round goes in reverse (C B A):
                // a request also pays for how long ago its own path last ran; in the tick's order the first lane's
                // samples came 2 and 4 requests after its previous one and the last lane's 2 and 0, so going first
                // cost more (docs/lab.md); reversed, the first and last lanes both get 0 and 4, the middle one 2 and 2.
                // Only after an idle interval: with ticks 200 ms apart (time scale 0.1) the machine hardly idles
                // between them, and the tick is better kept short.
                boolean warm = intervalMs >= WARM_UP_FROM_INTERVAL_MS;
                if (warm) {
                    for (String label : nearLanes.reversed()) {
                        request(label, targets.get(label), node, false, lastServedBy);
                    }
                }
                for (String label : nearLanes) {
                    request(label, targets.get(label), node, true, lastServedBy);
                }
                if (warm) {
                    for (String label : nearLanes.reversed()) {
                        request(label, targets.get(label), node, true, lastServedBy);
                    }
                }
                for (Future<?> f : farRequests) {
                    try {
                        f.get();
                    } catch (java.util.concurrent.ExecutionException e) {
                        throw new IllegalStateException("a request failed unexpectedly", e.getCause());
                    }
                }
                // Probes go out twice a tick, at mid-tick and PROBE_LEAD_MS before the next tick, never among the
                // compared requests: a free-running prober's packets (and their WAN replies, 60 ms later) fell among
                // them the more often the shorter the tick. The late round's answer is what the next tick's requests
                // use (a round right after the tick would wait a whole tick to be used).
                for (long at : new long[] {tickStart + intervalMs / 2, next - PROBE_LEAD_MS}) {
                    long wait = at - System.currentTimeMillis();
                    if (wait > 0) {
                        Thread.sleep(wait);
                    }
                    startProbeRound(background);
                }
            }
        }
    }

    /** Starts a probe round unless one is still running (a round lasts ~65 ms, the WAN round trip). */
    private void startProbeRound(ExecutorService background) {
        if (probeRound == null || probeRound.isDone()) {
            probeRound = background.submit(() -> {
                probeAll(background, true);
                return null;
            });
        }
    }

    /** Every order of {@code items} (n! of them; two for two targets: the alternation). */
    static java.util.List<java.util.List<String>> orders(java.util.List<String> items) {
        if (items.size() <= 1) {
            return java.util.List.of(java.util.List.copyOf(items));
        }
        java.util.List<java.util.List<String>> out = new java.util.ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            java.util.List<String> rest = new java.util.ArrayList<>(items);
            String head = rest.remove(i);
            for (java.util.List<String> tail : orders(rest)) {
                java.util.List<String> order = new java.util.ArrayList<>();
                order.add(head);
                order.addAll(tail);
                out.add(java.util.List.copyOf(order));
            }
        }
        return out;
    }

    private void probeAll(ExecutorService pool, boolean choose) throws InterruptedException {
        var futures = new LinkedHashMap<String, Future<Long>>();
        nodes.forEach((name, ip) -> futures.put(name, pool.submit(() -> probe(ip))));
        for (var e : futures.entrySet()) {
            try {
                long us = e.getValue().get();
                if (us >= 0) {
                    Deque<Long> history = probes.computeIfAbsent(e.getKey(), k -> new ArrayDeque<>());
                    synchronized (history) {
                        history.addLast(us);
                        while (history.size() > PROBE_HISTORY) {
                            history.removeFirst();
                        }
                    }
                }
            } catch (java.util.concurrent.ExecutionException ignored) {
                // an unreachable node is simply not a candidate
            }
        }
        if (choose) {
            chooseEntry();
        }
    }

    private static long probe(String ip) {
        long t0 = System.nanoTime();
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(ip, PROBE_PORT), TIMEOUT_MS);
        } catch (ConnectException refused) {
            // the expected answer: a reset, one round trip later
        } catch (IOException e) {
            return -1;
        }
        return (System.nanoTime() - t0) / 1000;
    }

    private static long best(Deque<Long> history) {
        synchronized (history) {
            return history.stream().mapToLong(Long::longValue).min().orElse(Long.MAX_VALUE);
        }
    }

    private void chooseEntry() {
        String bestNode = null;
        long bestUs = Long.MAX_VALUE;
        for (var e : probes.entrySet()) {
            long us = best(e.getValue());
            if (us < bestUs) {
                bestUs = us;
                bestNode = e.getKey();
            }
        }
        if (bestNode == null) {
            return;
        }
        String current = entry;
        Deque<Long> currentHistory = current == null ? null : probes.get(current);
        long currentUs = currentHistory == null ? Long.MAX_VALUE : best(currentHistory);
        if (current == null || currentUs == Long.MAX_VALUE
                || (!bestNode.equals(current) && bestUs + HYSTERESIS_US < currentUs)) {
            entry = bestNode;
            System.out.println("ENTRY " + System.currentTimeMillis() + " " + bestNode + " " + bestUs);
            System.out.flush();
        }
    }

    /** The entry node answers probes within {@link #NEARBY_US}: a warm-up round costs next to nothing. */
    private boolean nearby(String node) {
        Deque<Long> history = probes.get(node);
        return history != null && best(history) <= NEARBY_US;
    }

    /** Sends one request and notes which node served it in {@code servedBy}. */
    private void request(String label, int port, String node, boolean record, Map<String, String> servedBy) {
        long epochMs = System.currentTimeMillis();
        long t0 = System.nanoTime();
        String serving = "-";
        String status;
        try (Socket socket = new Socket()) {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(TIMEOUT_MS);
            socket.connect(new InetSocketAddress(nodes.get(node), port), TIMEOUT_MS);
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + LabService.PATH + " HTTP/1.1\r\nHost: " + nodes.get(node) + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] response = in.readAllBytes();
            String text = new String(response, StandardCharsets.ISO_8859_1);
            int headerEnd = text.indexOf("\r\n\r\n");
            String statusLine = text.isEmpty() ? "" : text.substring(0, Math.max(0, text.indexOf("\r\n")));
            status = statusLine.length() >= 12 ? statusLine.substring(9, 12) : "empty";
            for (String header : text.substring(0, Math.max(0, headerEnd)).split("\r\n")) {
                int colon = header.indexOf(':');
                if (colon > 0 && header.substring(0, colon).equalsIgnoreCase(LabService.SERVED_BY)) {
                    serving = header.substring(colon + 1).strip();
                }
            }
            if ("200".equals(status) && response.length - (headerEnd + 4) != LabService.FILE_BYTES) {
                status = "short";
            }
        } catch (IOException e) {
            status = "error:" + e.getClass().getSimpleName();
        }
        long us = (System.nanoTime() - t0) / 1000;
        servedBy.put(label, serving);
        if (record) {
            synchronized (System.out) { // lanes across the WAN report from their own threads
                System.out.println("REQ " + epochMs + " " + label + " " + node + " " + serving + " " + us + " " + status);
                System.out.flush();
            }
        }
    }
}
