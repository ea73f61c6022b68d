package io.edgesched.k8s.move;

import io.edgesched.k8s.selector.Selectors;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeSelector;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test stand-in for the cluster's controllers on the fabric8 CRUD mock, which runs none: every
 * tick (20 ms) it plays the Deployment controller (RollingUpdate with maxSurge/maxUnavailable,
 * pods labelled with a template hash instead of real ReplicaSets), kube-scheduler (required node
 * affinity, nodeSelector, cordon, taints, a pod capacity per node) and the kubelet (Ready after a
 * short delay). It is the only writer of pods and Deployment status, so its own view is exact:
 * after every change it records the ready pod count of each Deployment.
 */
public final class ClusterEmulator implements AutoCloseable {
    static final String OWNER_LABEL = "emu/owner";
    static final String HASH_LABEL = "pod-template-hash";
    /** Node label: pods there never get their image (container waits in ImagePullBackOff). */
    static final String BROKEN_IMAGE_LABEL = "emu/image-broken";

    private final KubernetesClient client;
    private final String namespace;
    private final Duration readyDelay;
    private final ScheduledExecutorService ticker;
    private final Map<String, Long> boundAtNanos = new HashMap<>();
    private final Map<String, List<Integer>> readyHistory = new ConcurrentHashMap<>();
    private final List<Throwable> errors = new CopyOnWriteArrayList<>();
    private final AtomicInteger podCounter = new AtomicInteger();
    private volatile boolean paused;

    public ClusterEmulator(KubernetesClient client, String namespace, Duration readyDelay) {
        this.client = client;
        this.namespace = namespace;
        this.readyDelay = readyDelay;
        this.ticker = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("emulator").factory());
    }

    public ClusterEmulator start() {
        ticker.scheduleWithFixedDelay(this::safeTick, 0, 20, TimeUnit.MILLISECONDS);
        return this;
    }

    /** Stops reconciling (pods and status freeze) until {@link #resume()}. */
    public void pause() {
        paused = true;
    }

    public void resume() {
        paused = false;
    }

    /** Ready-pod counts of the deployment, one entry per observed change, in order. */
    public List<Integer> readyHistory(String deployment) {
        return List.copyOf(readyHistory.getOrDefault(deployment, List.of()));
    }

    public void clearHistory() {
        readyHistory.clear();
    }

    public List<Throwable> errors() {
        return List.copyOf(errors);
    }

    @Override
    public void close() {
        ticker.shutdownNow();
        try {
            ticker.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void safeTick() {
        if (paused) {
            return;
        }
        try {
            tick();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409 && !ticker.isShutdown()) {
                errors.add(e);
            }
        } catch (RuntimeException e) {
            if (!ticker.isShutdown()) {
                errors.add(e);
            }
        }
    }

    private void tick() {
        Map<String, Node> nodes = new LinkedHashMap<>();
        for (Node n : client.nodes().list().getItems()) {
            nodes.put(n.getMetadata().getName(), n);
        }
        List<Pod> pods = new ArrayList<>(client.pods().inNamespace(namespace).list().getItems());
        // pod garbage collector: pods bound to a node that no longer exists go away
        for (Pod p : List.copyOf(pods)) {
            if (p.getSpec().getNodeName() != null && !nodes.containsKey(p.getSpec().getNodeName())) {
                delete(p, pods, label(p, OWNER_LABEL));
            }
        }
        for (Deployment d : client.apps().deployments().inNamespace(namespace).list().getItems()) {
            reconcileDeployment(d, pods);
        }
        schedule(pods, nodes);
        runKubelet(pods, nodes);
        for (Deployment d : client.apps().deployments().inNamespace(namespace).list().getItems()) {
            record(d.getMetadata().getName(), pods);
            updateStatus(d, pods);
        }
    }

    // ---- Deployment controller -------------------------------------------------------------

    private void reconcileDeployment(Deployment d, List<Pod> pods) {
        String name = d.getMetadata().getName();
        int desired = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
        String hash = templateHash(d.getSpec().getTemplate());
        PlacementRules.Rolling rolling = PlacementRules.resolve(d.getSpec().getStrategy(), desired);
        List<Pod> mine = owned(pods, name);
        List<Pod> fresh = mine.stream().filter(p -> hash.equals(label(p, HASH_LABEL))).toList();
        List<Pod> old = mine.stream().filter(p -> !hash.equals(label(p, HASH_LABEL))).toList();
        // scale the new "ReplicaSet" up within maxSurge
        int target = Math.min(desired, desired + rolling.maxSurge() - old.size());
        for (int i = fresh.size(); i < target; i++) {
            Pod p = client.pods().inNamespace(namespace).resource(newPod(d, hash)).create();
            pods.add(p);
        }
        if (fresh.size() > desired) {
            fresh.stream().sorted(Comparator.comparing(ClusterEmulator::isReady)).limit(fresh.size() - desired)
                    .forEach(p -> delete(p, pods, name));
        }
        // scale old pods down, never below desired - maxUnavailable ready pods
        mine = owned(pods, name);
        fresh = mine.stream().filter(p -> hash.equals(label(p, HASH_LABEL))).toList();
        old = mine.stream().filter(p -> !hash.equals(label(p, HASH_LABEL))).toList();
        int minAvailable = desired - rolling.maxUnavailable();
        int readyTotal = (int) mine.stream().filter(ClusterEmulator::isReady).count();
        int freshNotReady = (int) fresh.stream().filter(p -> !isReady(p)).count();
        int allowed = mine.size() - minAvailable - freshNotReady;
        for (Pod p : old.stream().sorted(Comparator.comparing(ClusterEmulator::isReady)).toList()) {
            if (allowed <= 0) {
                break;
            }
            if (isReady(p)) {
                if (readyTotal - 1 < minAvailable) {
                    break;
                }
                readyTotal--;
            }
            allowed--;
            delete(p, pods, name);
        }
    }

    private void updateStatus(Deployment d, List<Pod> pods) {
        String name = d.getMetadata().getName();
        int desired = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
        String hash = templateHash(d.getSpec().getTemplate());
        List<Pod> mine = owned(pods, name);
        int ready = (int) mine.stream().filter(ClusterEmulator::isReady).count();
        int updated = (int) mine.stream().filter(p -> hash.equals(label(p, HASH_LABEL))).count();
        DeploymentStatus want = new DeploymentStatusBuilder()
                .withObservedGeneration(d.getMetadata().getGeneration())
                .withReplicas(mine.size())
                .withUpdatedReplicas(updated)
                .withReadyReplicas(ready)
                .withAvailableReplicas(ready)
                .withUnavailableReplicas(Math.max(0, desired - ready))
                .build();
        DeploymentStatus have = d.getStatus();
        if (have != null && Objects.equals(have.getObservedGeneration(), want.getObservedGeneration())
                && Objects.equals(have.getReplicas(), want.getReplicas())
                && Objects.equals(have.getUpdatedReplicas(), want.getUpdatedReplicas())
                && Objects.equals(have.getReadyReplicas(), want.getReadyReplicas())
                && Objects.equals(have.getAvailableReplicas(), want.getAvailableReplicas())) {
            return;
        }
        d.setStatus(want);
        client.apps().deployments().inNamespace(namespace).resource(d).updateStatus(); // 409: next tick
    }

    private Pod newPod(Deployment d, String hash) {
        PodTemplateSpec t = d.getSpec().getTemplate();
        Map<String, String> labels = new LinkedHashMap<>(t.getMetadata().getLabels());
        labels.put(HASH_LABEL, hash);
        labels.put(OWNER_LABEL, d.getMetadata().getName());
        Map<String, String> ann = new LinkedHashMap<>();
        if (t.getMetadata().getAnnotations() != null) {
            t.getMetadata().getAnnotations().forEach((k, v) -> {
                if (v != null) {
                    ann.put(k, v);
                }
            });
        }
        PodSpec spec = client.getKubernetesSerialization().clone(t.getSpec());
        return new PodBuilder()
                .withMetadata(new ObjectMetaBuilder().withName(d.getMetadata().getName() + "-" + hash + "-"
                        + podCounter.incrementAndGet()).withNamespace(namespace).withLabels(labels)
                        .withAnnotations(ann).build())
                .withSpec(spec)
                .withNewStatus().withPhase("Pending").endStatus()
                .build();
    }

    /** Like the pod-template-hash: equal templates, equal hash (a merge-patched null annotation counts as absent). */
    String templateHash(PodTemplateSpec t) {
        PodTemplateSpec copy = client.getKubernetesSerialization().clone(t);
        if (copy.getMetadata().getAnnotations() != null) {
            copy.getMetadata().getAnnotations().values().removeIf(Objects::isNull);
        }
        return Integer.toHexString(client.getKubernetesSerialization().asJson(copy).hashCode());
    }

    private void delete(Pod p, List<Pod> pods, String owner) {
        client.pods().inNamespace(namespace).withName(p.getMetadata().getName()).delete();
        pods.removeIf(x -> x.getMetadata().getName().equals(p.getMetadata().getName()));
        boundAtNanos.remove(p.getMetadata().getName());
        record(owner, pods);
    }

    // ---- scheduler ---------------------------------------------------------------------------

    private void schedule(List<Pod> pods, Map<String, Node> nodes) {
        for (int i = 0; i < pods.size(); i++) {
            Pod p = pods.get(i);
            if (p.getSpec().getNodeName() != null) {
                continue;
            }
            Node chosen = null;
            long chosenLoad = Long.MAX_VALUE;
            List<String> why = new ArrayList<>();
            for (Node n : nodes.values()) {
                String reason = whyNot(p, n, pods);
                if (reason != null) {
                    why.add(n.getMetadata().getName() + ": " + reason);
                    continue;
                }
                long load = pods.stream().filter(x -> n.getMetadata().getName().equals(x.getSpec().getNodeName())).count();
                if (load < chosenLoad) {
                    chosen = n;
                    chosenLoad = load;
                }
            }
            Pod updated;
            if (chosen != null) {
                p.getSpec().setNodeName(chosen.getMetadata().getName());
                setCondition(p, new PodConditionBuilder().withType("PodScheduled").withStatus("True").build());
                updated = client.pods().inNamespace(namespace).resource(p).update();
                boundAtNanos.put(p.getMetadata().getName(), System.nanoTime());
            } else {
                PodCondition c = condition(p, "PodScheduled");
                if (c != null && "False".equals(c.getStatus())) {
                    continue;
                }
                setCondition(p, new PodConditionBuilder().withType("PodScheduled").withStatus("False")
                        .withReason("Unschedulable").withMessage("0/" + nodes.size() + " nodes are available: "
                                + String.join("; ", why)).build());
                updated = client.pods().inNamespace(namespace).resource(p).update();
            }
            pods.set(i, updated);
        }
    }

    private static String whyNot(Pod p, Node n, List<Pod> pods) {
        if (Boolean.TRUE.equals(n.getSpec().getUnschedulable())) {
            return "cordoned";
        }
        if (n.getSpec().getTaints() != null) {
            for (Taint t : n.getSpec().getTaints()) {
                if (Selectors.blocksScheduling(t) && !Selectors.tolerates(p.getSpec().getTolerations(), t)) {
                    return "untolerated taint " + t.getKey();
                }
            }
        }
        Map<String, String> labels = n.getMetadata().getLabels() == null ? Map.of() : n.getMetadata().getLabels();
        if (p.getSpec().getNodeSelector() != null) {
            for (var e : p.getSpec().getNodeSelector().entrySet()) {
                if (!e.getValue().equals(labels.get(e.getKey()))) {
                    return "nodeSelector mismatch";
                }
            }
        }
        NodeSelector req = PlacementRules.requiredAffinity(p.getSpec());
        if (req != null && req.getNodeSelectorTerms() != null && !req.getNodeSelectorTerms().isEmpty()) {
            boolean any = false;
            for (NodeSelectorTerm term : req.getNodeSelectorTerms()) {
                any |= Selectors.termMatches(term, labels, "");
            }
            if (!any) {
                return "node affinity mismatch";
            }
        }
        Quantity cap = n.getStatus() == null || n.getStatus().getAllocatable() == null ? null
                : n.getStatus().getAllocatable().get("pods");
        if (cap != null) {
            long used = pods.stream().filter(x -> n.getMetadata().getName().equals(x.getSpec().getNodeName())).count();
            if (used >= Long.parseLong(cap.getAmount())) {
                return "too many pods";
            }
        }
        return null;
    }

    // ---- kubelet -----------------------------------------------------------------------------

    private void runKubelet(List<Pod> pods, Map<String, Node> nodes) {
        long now = System.nanoTime();
        for (int i = 0; i < pods.size(); i++) {
            Pod p = pods.get(i);
            String nodeName = p.getSpec().getNodeName();
            if (nodeName == null || isReady(p)) {
                continue;
            }
            Long bound = boundAtNanos.get(p.getMetadata().getName());
            if (bound == null) {
                boundAtNanos.put(p.getMetadata().getName(), now);
                continue;
            }
            if (now - bound < readyDelay.toNanos()) {
                continue;
            }
            Node n = nodes.get(nodeName);
            if (n == null) {
                continue;
            }
            boolean broken = n.getMetadata().getLabels() != null
                    && "true".equals(n.getMetadata().getLabels().get(BROKEN_IMAGE_LABEL));
            if (broken) {
                if (p.getStatus().getContainerStatuses() != null && !p.getStatus().getContainerStatuses().isEmpty()) {
                    continue;
                }
                p.getStatus().setContainerStatuses(List.of(new ContainerStatusBuilder()
                        .withName(p.getSpec().getContainers().getFirst().getName()).withReady(false)
                        .withNewState().withNewWaiting().withReason("ImagePullBackOff")
                        .withMessage("Back-off pulling image").endWaiting().endState().build()));
            } else {
                p.getStatus().setPhase("Running");
                setCondition(p, new PodConditionBuilder().withType("Ready").withStatus("True").build());
            }
            pods.set(i, client.pods().inNamespace(namespace).resource(p).update());
        }
    }

    // ---- helpers -----------------------------------------------------------------------------

    private void record(String deployment, List<Pod> pods) {
        int ready = (int) owned(pods, deployment).stream().filter(ClusterEmulator::isReady).count();
        List<Integer> h = readyHistory.computeIfAbsent(deployment, k -> new CopyOnWriteArrayList<>());
        if (h.isEmpty() || h.getLast() != ready) {
            h.add(ready);
        }
    }

    private static List<Pod> owned(List<Pod> pods, String owner) {
        return pods.stream().filter(p -> owner.equals(label(p, OWNER_LABEL))).toList();
    }

    private static String label(Pod p, String key) {
        return p.getMetadata().getLabels() == null ? null : p.getMetadata().getLabels().get(key);
    }

    static boolean isReady(Pod p) {
        PodCondition c = condition(p, "Ready");
        return c != null && "True".equals(c.getStatus());
    }

    private static PodCondition condition(Pod p, String type) {
        if (p.getStatus() == null || p.getStatus().getConditions() == null) {
            return null;
        }
        return p.getStatus().getConditions().stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
    }

    private static void setCondition(Pod p, PodCondition c) {
        List<PodCondition> list = new ArrayList<>(p.getStatus().getConditions() == null ? List.of()
                : p.getStatus().getConditions());
        list.removeIf(x -> x.getType().equals(c.getType()));
        list.add(c);
        p.getStatus().setConditions(list);
    }
}
