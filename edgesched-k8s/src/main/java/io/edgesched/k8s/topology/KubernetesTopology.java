package io.edgesched.k8s.topology;

import io.edgesched.api.NodeId;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches nodes, opted-in Deployments, pods, Services and EndpointSlices with informers (never by
 * listing in a loop) and hands out {@link ClusterSnapshot}s built from the informer caches.
 * A snapshot is rebuilt only after something changed.
 */
public final class KubernetesTopology implements TopologySource {
    private static final Logger LOG = LoggerFactory.getLogger(KubernetesTopology.class);

    /**
     * What to watch.
     *
     * @param namespaces empty for every namespace
     * @param podsOnNode only pods of this node (an agent needs no more); empty for all pods
     * @param endpointSlices watch EndpointSlices (pod-port bindings: the agent needs them, the controller does not)
     */
    public record Options(Set<String> namespaces, Optional<NodeId> podsOnNode, boolean endpointSlices) {
        public Options {
            namespaces = Set.copyOf(namespaces);
            Objects.requireNonNull(podsOnNode, "podsOnNode");
        }

        public Options(Set<String> namespaces, Optional<NodeId> podsOnNode) {
            this(namespaces, podsOnNode, true);
        }

        public static Options allNamespaces() {
            return new Options(Set.of(), Optional.empty(), true);
        }

        public Options onNode(NodeId node) {
            return new Options(namespaces, Optional.of(node), endpointSlices);
        }

        public Options withoutEndpointSlices() {
            return new Options(namespaces, podsOnNode, false);
        }
    }

    private final List<SharedIndexInformer<Node>> nodes = new ArrayList<>();
    private final List<SharedIndexInformer<Deployment>> deployments = new ArrayList<>();
    private final List<SharedIndexInformer<Pod>> pods = new ArrayList<>();
    private final List<SharedIndexInformer<Service>> services = new ArrayList<>();
    private final List<SharedIndexInformer<EndpointSlice>> slices = new ArrayList<>();
    private final ChangeListeners changes = new ChangeListeners();
    private volatile long snapshotVersion = -1;
    private volatile ClusterSnapshot snapshot;

    private KubernetesTopology() {
    }

    /** Starts the informers; call {@link #awaitSynced(Duration)} before trusting the first snapshot. */
    public static KubernetesTopology start(KubernetesClient client, Options options) {
        KubernetesTopology t = new KubernetesTopology();
        try {
            t.nodes.add(client.nodes().inform(t.handler(), 0));
            for (Optional<String> ns : namespaces(options)) {
                var dep = ns.isPresent() ? client.apps().deployments().inNamespace(ns.get())
                        : client.apps().deployments().inAnyNamespace();
                t.deployments.add(dep.withLabel(ClusterSnapshot.MANAGED_LABEL, "true").inform(t.handler(), 0));
                var pod = ns.isPresent() ? client.pods().inNamespace(ns.get()) : client.pods().inAnyNamespace();
                t.pods.add(options.podsOnNode().isPresent()
                        ? pod.withField("spec.nodeName", options.podsOnNode().get().name()).inform(t.handler(), 0)
                        : pod.inform(t.handler(), 0));
                var svc = ns.isPresent() ? client.services().inNamespace(ns.get()) : client.services().inAnyNamespace();
                t.services.add(svc.inform(t.handler(), 0));
                if (!options.endpointSlices()) {
                    continue;
                }
                var eps = ns.isPresent() ? client.discovery().v1().endpointSlices().inNamespace(ns.get())
                        : client.discovery().v1().endpointSlices().inAnyNamespace();
                t.slices.add(eps.inform(t.handler(), 0));
            }
        } catch (RuntimeException e) {
            t.close();
            throw e;
        }
        return t;
    }

    private static List<Optional<String>> namespaces(Options options) {
        if (options.namespaces().isEmpty()) {
            return List.of(Optional.empty());
        }
        return options.namespaces().stream().sorted().map(Optional::of).toList();
    }

    /** Waits until every informer has its initial list; tells which ones have not when it times out. */
    @Override
    public void awaitSynced(Duration timeout) throws TimeoutException, InterruptedException {
        List<SharedIndexInformer<?>> all = all();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<String> waiting = all.stream().filter(i -> !i.hasSynced()).map(i -> i.getApiTypeClass().getSimpleName()).toList();
            if (waiting.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new TimeoutException("topology informers not synced after " + timeout + ": " + waiting
                        + " (is the API server reachable, and does RBAC allow get/list/watch on nodes, pods,"
                        + " services, endpointslices and deployments?)");
            }
            Thread.sleep(20);
        }
    }

    /** Informers that have not listed yet or stopped (empty when every one is synced and running). */
    @Override
    public List<String> notSynced() {
        return all().stream().filter(i -> !i.hasSynced() || !i.isRunning())
                .map(i -> i.getApiTypeClass().getSimpleName()).toList();
    }

    /** Called after every change the informers see (on an informer thread: keep it short). */
    @Override
    public void addListener(Runnable onChange) {
        changes.add(onChange);
    }

    /** Monotonic change counter. */
    public long version() {
        return changes.version();
    }

    /** The cluster as the caches see it now; rebuilt only when something changed since the last call. */
    @Override
    public synchronized ClusterSnapshot snapshot() {
        long v = changes.version();
        if (snapshot == null || v != snapshotVersion) {
            snapshot = ClusterSnapshot.of(items(nodes), items(deployments), items(pods), items(services), items(slices));
            snapshotVersion = v;
        }
        return snapshot;
    }

    private static <T extends HasMetadata> List<T> items(List<SharedIndexInformer<T>> informers) {
        List<T> out = new ArrayList<>();
        for (SharedIndexInformer<T> i : informers) {
            out.addAll(i.getStore().list());
        }
        return out;
    }

    private List<SharedIndexInformer<?>> all() {
        List<SharedIndexInformer<?>> all = new ArrayList<>();
        all.addAll(nodes);
        all.addAll(deployments);
        all.addAll(pods);
        all.addAll(services);
        all.addAll(slices);
        return all;
    }

    private <T> ResourceEventHandler<T> handler() {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(T obj) {
                changes.changed();
            }

            @Override
            public void onUpdate(T oldObj, T newObj) {
                changes.changed();
            }

            @Override
            public void onDelete(T obj, boolean deletedFinalStateUnknown) {
                changes.changed();
            }
        };
    }

    @Override
    public void close() {
        for (SharedIndexInformer<?> i : all()) {
            try {
                i.close();
            } catch (RuntimeException e) {
                LOG.debug("closing informer {}", i.getApiTypeClass().getSimpleName(), e);
            }
        }
    }

}
