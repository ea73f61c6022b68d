package io.edgesched.k8s.move;

import io.edgesched.api.MoveRequest;
import io.edgesched.api.MoveResult;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Rescheduler side of "new report to patch issued": time from {@code move()} to (a) the patch
 * acknowledged by the API server and (b) the patched template seen by a Deployment watch, on the
 * fabric8 CRUD mock over loopback HTTP. Each move is cancelled right after its patch (no rollout
 * is emulated), so the numbers are the check-and-patch path only: 1 Deployment GET, one Node GET
 * per target, 1 PDB list, 1 JSON patch.
 *
 * <p>Run: {@code ./mvnw -B -o -q -pl edgesched-k8s test-compile exec:java
 * -Dexec.mainClass=io.edgesched.k8s.move.MovePatchLatencyBench -Dexec.classpathScope=test [-Dexec.args=300]}
 */
public final class MovePatchLatencyBench {
    private MovePatchLatencyBench() {
    }

    public static void main(String[] args) throws Exception {
        Fixtures.quietMockServer();
        int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 300;
        int warmup = Math.max(20, iterations / 5);
        Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), responses,
                new KubernetesMixedDispatcher(responses), false);
        server.init();
        try (KubernetesClient client = server.createClient()) {
            for (String n : List.of("edge-a", "edge-b", "edge-c", "edge-d")) {
                client.nodes().resource(Fixtures.node(n)).create();
            }
            Deployment d = Fixtures.deployment("web", 2, "edge-a").build();
            client.apps().deployments().inNamespace(Fixtures.NS).resource(d).create();
            // looks stable to the rescheduler; later moves are allowed because they supersede our own
            d = client.apps().deployments().inNamespace(Fixtures.NS).withName("web").get();
            d.setStatus(new io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder().withObservedGeneration(1L)
                    .withReplicas(2).withUpdatedReplicas(2).withReadyReplicas(2).withAvailableReplicas(2).build());
            client.apps().deployments().inNamespace(Fixtures.NS).resource(d).updateStatus();

            System.out.printf(Locale.ROOT, "%-10s %-34s %7s %7s %7s %7s %7s%n", "targets", "measure (ms)", "p50",
                    "p90", "p99", "max", "n");
            run(client, 1, warmup, iterations);
            run(client, 3, warmup, iterations);
        } finally {
            server.destroy();
        }
        System.exit(0); // vert.x leaves non-daemon threads behind; this is a bench main, not library code
    }

    @SuppressWarnings("try") // resources held open for their side effect
    private static void run(KubernetesClient client, int targets, int warmup, int iterations) throws Exception {
        Map<String, Long> seenAt = new ConcurrentHashMap<>();
        long[] acked = new long[iterations];
        long[] visible = new long[iterations];
        List<String> sets = targets == 1 ? List.of("edge-b", "edge-c") : List.of("edge-a,edge-b,edge-c",
                "edge-b,edge-c,edge-d");
        Map<MoveRequest, CompletableFuture<Long>> acks = new ConcurrentHashMap<>();
        Map<MoveRequest, CompletableFuture<MoveResult>> moves = new ConcurrentHashMap<>();
        try (Watch w = client.apps().deployments().inNamespace(Fixtures.NS).withName("web").watch(new Watcher<>() {
                 @Override
                 public void eventReceived(Action action, Deployment dep) {
                     var ann = dep.getSpec().getTemplate().getMetadata().getAnnotations();
                     String id = ann == null ? null : ann.get(KubernetesRescheduler.ANNOTATION_MOVE_ID);
                     if (id != null) {
                         seenAt.putIfAbsent(id, System.nanoTime());
                     }
                 }

                 @Override
                 public void onClose(WatcherException cause) {
                 }
             });
             KubernetesRescheduler r = Fixtures.rescheduler(client)
                     .onPatched((req, t) -> {
                         long now = System.nanoTime();
                         // cancel on the move's own thread, before it starts watching the rollout:
                         // only the check-and-patch path is measured (and the mock is spared the watch churn)
                         CompletableFuture<MoveResult> f;
                         while ((f = moves.get(req)) == null) {
                             Thread.onSpinWait();
                         }
                         f.cancel(true);
                         acks.get(req).complete(now);
                     }).build()) {
            for (int i = 0; i < warmup + iterations; i++) {
                MoveRequest req = Fixtures.request("web", "edge-a", sets.get(i % 2).split(","));
                CompletableFuture<Long> ack = new CompletableFuture<>();
                acks.put(req, ack);
                long start = System.nanoTime();
                moves.put(req, r.move(req));
                long ackNanos = ack.get(10, TimeUnit.SECONDS);
                acks.remove(req);
                moves.remove(req);
                String id = client.apps().deployments().inNamespace(Fixtures.NS).withName("web").get().getSpec()
                        .getTemplate().getMetadata().getAnnotations().get(KubernetesRescheduler.ANNOTATION_MOVE_ID);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (!seenAt.containsKey(id) && System.nanoTime() < deadline) {
                    Thread.sleep(1);
                }
                while (!r.movesInFlight().isEmpty()) {
                    Thread.sleep(1);
                }
                if (i >= warmup) {
                    acked[i - warmup] = ackNanos - start;
                    visible[i - warmup] = seenAt.getOrDefault(id, deadline) - start;
                }
            }
        }
        row(targets, "move() -> patch acknowledged", acked);
        row(targets, "move() -> patch seen by a watch", visible);
    }

    private static void row(int targets, String what, long[] nanos) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        System.out.printf(Locale.ROOT, "%-10d %-34s %7.2f %7.2f %7.2f %7.2f %7d%n", targets, what, ms(pct(s, 50)),
                ms(pct(s, 90)), ms(pct(s, 99)), ms(s[s.length - 1]), s.length);
    }

    private static long pct(long[] sorted, int p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }

}
