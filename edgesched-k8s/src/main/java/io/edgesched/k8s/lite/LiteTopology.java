package io.edgesched.k8s.lite;

import io.edgesched.k8s.topology.ChangeListeners;
import io.edgesched.k8s.topology.ClusterSnapshot;
import io.edgesched.k8s.topology.KubernetesTopology;
import io.edgesched.k8s.topology.TopologySource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's cluster view over the light client: the same collections and filters as {@link KubernetesTopology}
 * (nodes; managed Deployments, this node's Pods, Services and EndpointSlices per namespace), watched with
 * {@link ListWatch} and mapped to the model objects {@link ClusterSnapshot} reads by {@link ModelMapping}. An object
 * that does not map is left out of the snapshot, counted and logged; it never stops the view.
 */
public final class LiteTopology implements TopologySource {
    private static final Logger LOG = LoggerFactory.getLogger(LiteTopology.class);

    private final MappedCollection<io.fabric8.kubernetes.api.model.Node> nodes;
    private final List<MappedCollection<io.fabric8.kubernetes.api.model.apps.Deployment>> deployments = new ArrayList<>();
    private final List<MappedCollection<io.fabric8.kubernetes.api.model.Pod>> pods = new ArrayList<>();
    private final List<MappedCollection<io.fabric8.kubernetes.api.model.Service>> services = new ArrayList<>();
    private final List<MappedCollection<io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice>> slices = new ArrayList<>();
    private final ChangeListeners changes = new ChangeListeners();
    private final AtomicLong unmapped = new AtomicLong();
    private long snapshotVersion = -1;
    private ClusterSnapshot snapshot;

    private LiteTopology(ApiAccess api) {
        nodes = new MappedCollection<>(watch(api, "nodes", "/api/v1/nodes", null, o -> true), ModelMapping::node, unmapped);
    }

    /** Starts the watches; call {@link #awaitSynced(Duration)} before trusting the first snapshot. */
    public static LiteTopology start(ApiAccess api, KubernetesTopology.Options options) {
        LiteTopology t = new LiteTopology(api);
        try {
            List<Optional<String>> namespaces = options.namespaces().isEmpty() ? List.of(Optional.empty())
                    : options.namespaces().stream().sorted().map(Optional::of).toList();
            for (Optional<String> ns : namespaces) {
                String core = ns.map(n -> "/api/v1/namespaces/" + n).orElse("/api/v1");
                String apps = ns.map(n -> "/apis/apps/v1/namespaces/" + n).orElse("/apis/apps/v1");
                String suffix = ns.map(n -> " in " + n).orElse("");
                t.deployments.add(new MappedCollection<>(t.managedDeployments(api, "deployments" + suffix,
                        apps + "/deployments"), ModelMapping::deployment, t.unmapped));
                String node = options.podsOnNode().map(n -> n.name()).orElse(null);
                t.pods.add(new MappedCollection<>(t.watch(api, "pods" + suffix, core + "/pods",
                        node == null ? null : "spec.nodeName=" + node,
                        node == null ? o -> true : o -> node.equals(path(o, "spec", "nodeName"))), ModelMapping::pod, t.unmapped));
                t.services.add(new MappedCollection<>(t.watch(api, "services" + suffix, core + "/services", null,
                        o -> true), ModelMapping::service, t.unmapped));
                if (options.endpointSlices()) {
                    String discovery = ns.map(n -> "/apis/discovery.k8s.io/v1/namespaces/" + n)
                            .orElse("/apis/discovery.k8s.io/v1");
                    t.slices.add(new MappedCollection<>(t.watch(api, "endpointslices" + suffix,
                            discovery + "/endpointslices", null, o -> true), ModelMapping::endpointSlice, t.unmapped));
                }
            }
            for (MappedCollection<?> c : t.all()) {
                c.watch.start();
            }
        } catch (RuntimeException e) {
            t.close();
            throw e;
        }
        return t;
    }

    private ListWatch watch(ApiAccess api, String name, String path, String fieldSelector,
                            Predicate<Map<String, Object>> keep) {
        return new ListWatch(name, api, path, fieldSelector, keep, changes::changed);
    }

    /** Managed Deployments only, selected by the server (and checked here too). */
    private ListWatch managedDeployments(ApiAccess api, String name, String path) {
        return new ListWatch(name, api, path, null, ClusterSnapshot.MANAGED_LABEL + "=true", LiteTopology::isManaged,
                changes::changed);
    }

    private static boolean isManaged(Map<String, Object> object) {
        return "true".equals(path(object, "metadata", "labels", ClusterSnapshot.MANAGED_LABEL));
    }

    /** A nested member of a JSON tree, or null where any step is missing or not an object. */
    static Object path(Map<String, Object> object, String... keys) {
        Object at = object;
        for (String key : keys) {
            if (!(at instanceof Map<?, ?> m)) {
                return null;
            }
            at = m.get(key);
        }
        return at;
    }

    /**
     * Waits for every collection's first list. Like fabric8's informers, it does not wait out a failing server: the first
     * failed attempt of a collection that has not listed yet ends the wait with a {@link LiteApiException}.
     */
    @Override
    public void awaitSynced(Duration timeout) throws TimeoutException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            for (MappedCollection<?> c : all()) {
                if (!c.watch.synced() && c.watch.lastFailure().isPresent()) {
                    throw new LiteApiException(0, c.watch.lastError().orElse("listing " + c.watch.name() + " failed"),
                            c.watch.lastFailure().get());
                }
            }
            List<String> waiting = notSynced();
            if (waiting.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new TimeoutException("cluster watches not synced after " + timeout + ": " + waiting
                        + "; is the API server reachable, and does RBAC allow get/list/watch on nodes, pods,"
                        + " services, endpointslices and deployments?");
            }
            Thread.sleep(20);
        }
    }

    @Override
    public List<String> notSynced() {
        return all().stream().filter(c -> !c.watch.synced()).map(c -> c.watch.name()).toList();
    }

    @Override
    public void addListener(Runnable onChange) {
        changes.add(onChange);
    }

    /** Object versions left out of snapshots because they did not map (wrong types, missing fields). */
    public long unmappedObjects() {
        return unmapped.get();
    }

    /** Watch events and list items the watches refused, plus object versions that did not map. */
    @Override
    public long refusedObjects() {
        return unmapped.get() + all().stream().mapToLong(c -> c.watch.refused()).sum();
    }

    @Override
    public synchronized ClusterSnapshot snapshot() {
        long v = changes.version();
        if (snapshot == null || v != snapshotVersion) {
            snapshot = ClusterSnapshot.of(nodes.objects(), objects(deployments), objects(pods), objects(services),
                    objects(slices));
            snapshotVersion = v;
        }
        return snapshot;
    }

    private <T> List<T> objects(List<MappedCollection<T>> collections) {
        List<T> out = new ArrayList<>();
        for (MappedCollection<T> c : collections) {
            out.addAll(c.objects());
        }
        return out;
    }

    private List<MappedCollection<?>> all() {
        List<MappedCollection<?>> all = new ArrayList<>();
        all.add(nodes);
        all.addAll(deployments);
        all.addAll(pods);
        all.addAll(services);
        all.addAll(slices);
        return all;
    }

    @Override
    public void close() {
        for (MappedCollection<?> c : all()) {
            try {
                c.watch.close();
            } catch (RuntimeException e) {
                LOG.debug("closing watch {}", c.watch.name(), e);
            }
        }
    }

    /** One watched collection and its objects mapped once per resourceVersion. */
    private static final class MappedCollection<T> {
        private final ListWatch watch;
        private final Function<Map<String, Object>, T> mapping;
        private final AtomicLong unmapped;
        private Map<String, Mapped<T>> mapped = new HashMap<>();

        MappedCollection(ListWatch watch, Function<Map<String, Object>, T> mapping, AtomicLong unmapped) {
            this.watch = watch;
            this.mapping = mapping;
            this.unmapped = unmapped;
        }

        /** Called under the topology's lock. */
        List<T> objects() {
            Map<String, Mapped<T>> next = new HashMap<>();
            List<T> out = new ArrayList<>();
            for (Map<String, Object> json : watch.items()) {
                String key = ListWatch.keyOf(json);
                String resourceVersion = ListWatch.versionOf(json);
                Mapped<T> m = mapped.get(key);
                if (m == null || resourceVersion == null || !resourceVersion.equals(m.resourceVersion())) {
                    try {
                        m = new Mapped<>(resourceVersion, mapping.apply(json));
                    } catch (IllegalArgumentException e) {
                        m = new Mapped<>(resourceVersion, null); // refused once per version, not per snapshot
                        long n = unmapped.incrementAndGet();
                        if (n <= 10 || n % 100 == 0) {
                            LOG.warn("{} {}: left out of the cluster view ({}; objects left out so far: {})", watch.name(),
                                    key, e.getMessage(), n);
                        }
                    }
                }
                next.put(key, m);
                if (m.object() != null) {
                    out.add(m.object());
                }
            }
            mapped = next;
            return out;
        }
    }

    private record Mapped<T>(String resourceVersion, T object) {
    }
}
