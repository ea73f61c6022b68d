package io.edgesched.k8s.move;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deployment and pod informers per namespace, shared by every move of one rescheduler and started
 * on first use: moves cost no extra watches, and a move's rollout is judged from the cache. An
 * informer that stopped (its initial list failed, e.g. while the API server was away) is replaced on
 * next use.
 */
final class RolloutWatch implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RolloutWatch.class);

    /** The informers of one namespace. */
    record Namespace(SharedIndexInformer<Deployment> deployments, SharedIndexInformer<Pod> pods, long startedNanos) {
        boolean stopped() {
            return deployments.stopped().toCompletableFuture().isDone() || pods.stopped().toCompletableFuture().isDone();
        }

        boolean synced() {
            return deployments.hasSynced() && pods.hasSynced();
        }

        void close() {
            deployments.close();
            pods.close();
        }
    }

    private static final java.time.Duration RESTART_AFTER = java.time.Duration.ofSeconds(1);

    private final KubernetesClient client;
    private final Map<String, Namespace> namespaces = new ConcurrentHashMap<>();
    private final Set<Runnable> listeners = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;
    private final ResourceEventHandler<Object> wake = new ResourceEventHandler<>() {
        @Override
        public void onAdd(Object obj) {
            wakeAll();
        }

        @Override
        public void onUpdate(Object oldObj, Object newObj) {
            wakeAll();
        }

        @Override
        public void onDelete(Object obj, boolean deletedFinalStateUnknown) {
            wakeAll();
        }
    };

    RolloutWatch(KubernetesClient client) {
        this.client = client;
    }

    /** The running informers of {@code ns}, started (not necessarily synced yet) if needed. */
    synchronized Namespace namespace(String ns) {
        if (closed) {
            throw new ApiCaller.Aborted("the rescheduler was closed");
        }
        Namespace n = namespaces.get(ns);
        if (n != null && (!n.stopped() || System.nanoTime() - n.startedNanos() < RESTART_AFTER.toNanos())) {
            return n; // running, or stopped so recently that a restart would only spin against an absent server
        }
        if (n != null) {
            LOG.info("informers for namespace {} had stopped; starting them again", ns);
            n.close();
        }
        SharedIndexInformer<Deployment> d = client.apps().deployments().inNamespace(ns).runnableInformer(0);
        SharedIndexInformer<Pod> p = client.pods().inNamespace(ns).runnableInformer(0);
        d.addEventHandler(wake);
        p.addEventHandler(wake);
        n = new Namespace(d, p, System.nanoTime());
        namespaces.put(ns, n);
        d.start().whenComplete((v, t) -> wakeAll());
        p.start().whenComplete((v, t) -> wakeAll());
        return n;
    }

    void listen(Runnable r) {
        listeners.add(r);
    }

    void unlisten(Runnable r) {
        listeners.remove(r);
    }

    private void wakeAll() {
        listeners.forEach(Runnable::run);
    }

    @Override
    public synchronized void close() {
        closed = true;
        namespaces.values().forEach(Namespace::close);
        namespaces.clear();
    }
}
