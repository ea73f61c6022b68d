package io.edgesched.k8s.move;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Follows one rollout through informers on the Deployment and its pods (no polling of the API):
 * every event wakes the waiting move thread, which judges the cached state.
 */
final class RolloutTracker implements AutoCloseable {
    enum Kind { COMPLETE, STUCK, TEMPLATE_REPLACED, DELETED }

    record Outcome(Kind kind, String detail) {
    }

    /** Container waiting reasons that will not heal by themselves within a rollout. */
    private static final Set<String> HOPELESS_WAITING = Set.of("ImagePullBackOff", "ErrImagePull", "InvalidImageName",
            "ErrImageNeverPull", "CrashLoopBackOff", "CreateContainerConfigError", "CreateContainerError");

    private final String namespace;
    private final String name;
    private final String moveIdKey;
    private final String expectedMoveId;
    private final long generation;
    private final Duration stuckGrace;
    private final SharedIndexInformer<Deployment> deploymentInformer;
    private final SharedIndexInformer<Pod> podInformer;
    private final Map<String, Long> firstSeenStuckNanos = new HashMap<>();
    private final Object signal = new Object();
    private volatile Throwable watchFailure;
    private long wakeups;

    /**
     * @param expectedMoveId the move-id annotation the template must carry (null: none); anything
     *                       else means someone replaced the template
     * @param generation     the Deployment generation written by our patch
     */
    RolloutTracker(KubernetesClient client, String namespace, String name, LabelSelector podSelector,
                   String moveIdKey, String expectedMoveId, long generation, Duration stuckGrace) {
        this.namespace = namespace;
        this.name = name;
        this.moveIdKey = moveIdKey;
        this.expectedMoveId = expectedMoveId;
        this.generation = generation;
        this.stuckGrace = stuckGrace;
        this.deploymentInformer = client.apps().deployments().inNamespace(namespace).withName(name).runnableInformer(0);
        this.podInformer = client.pods().inNamespace(namespace).withLabelSelector(podSelector).runnableInformer(0);
        ResourceEventHandler<Object> wake = new ResourceEventHandler<>() {
            @Override
            public void onAdd(Object obj) {
                wake();
            }

            @Override
            public void onUpdate(Object oldObj, Object newObj) {
                wake();
            }

            @Override
            public void onDelete(Object obj, boolean deletedFinalStateUnknown) {
                wake();
            }
        };
        deploymentInformer.addEventHandler(wake);
        podInformer.addEventHandler(wake);
    }

    void start() {
        deploymentInformer.start().whenComplete((v, t) -> failed(t));
        podInformer.start().whenComplete((v, t) -> failed(t));
    }

    private void failed(Throwable t) {
        if (t != null) {
            watchFailure = t;
            wake();
        }
    }

    void wake() {
        synchronized (signal) {
            wakeups++;
            signal.notifyAll();
        }
    }

    /**
     * Waits until the rollout is judged or {@code timeout} passes (returns null then).
     *
     * @throws ApiCaller.Aborted when {@code aborted} turns true
     */
    Outcome await(Duration timeout, BooleanSupplier aborted, java.util.function.Supplier<String> abortReason) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long seen;
            synchronized (signal) {
                seen = wakeups;
            }
            if (aborted.getAsBoolean()) {
                throw new ApiCaller.Aborted(abortReason.get());
            }
            Outcome o = evaluate();
            if (o != null) {
                return o;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return null;
            }
            // Sleep until the next event; wake at least every 50 ms to judge stuck-pod grace periods.
            synchronized (signal) {
                if (wakeups == seen) {
                    try {
                        TimeUnit.NANOSECONDS.timedWait(signal, Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new ApiCaller.Aborted("interrupted while waiting for the rollout");
                    }
                }
            }
        }
    }

    /** Why the tracker cannot see the cluster, if the watches failed to start. */
    String watchProblem() {
        Throwable t = watchFailure;
        return t == null ? null : ApiCaller.rootMessage(t);
    }

    private Outcome evaluate() {
        if (!deploymentInformer.hasSynced() || !podInformer.hasSynced()) {
            return null;
        }
        Deployment d = deploymentInformer.getStore().getByKey(namespace + "/" + name);
        if (d == null) {
            return new Outcome(Kind.DELETED, "Deployment " + namespace + "/" + name + " was deleted during the move");
        }
        Map<String, String> ann = d.getSpec().getTemplate().getMetadata() == null ? null
                : d.getSpec().getTemplate().getMetadata().getAnnotations();
        String moveId = ann == null ? null : ann.get(moveIdKey);
        if (!Objects.equals(moveId, expectedMoveId)) {
            return new Outcome(Kind.TEMPLATE_REPLACED,
                    "the pod template was changed by someone else during the move (" + moveIdKey + " is now "
                            + moveId + ")");
        }
        int desired = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
        DeploymentStatus st = d.getStatus();
        boolean observed = st != null && st.getObservedGeneration() != null && st.getObservedGeneration() >= generation;
        if (observed && n(st.getUpdatedReplicas()) == desired && n(st.getReplicas()) == desired
                && n(st.getAvailableReplicas()) >= desired) {
            return new Outcome(Kind.COMPLETE, "ready on " + desired + " replica(s)");
        }
        if (observed && st.getConditions() != null) {
            for (DeploymentCondition c : st.getConditions()) {
                if ("Progressing".equals(c.getType()) && "False".equals(c.getStatus())
                        && "ProgressDeadlineExceeded".equals(c.getReason())) {
                    return new Outcome(Kind.STUCK, "the rollout exceeded its progress deadline: " + c.getMessage());
                }
            }
        }
        long now = System.nanoTime();
        for (Pod p : podInformer.getStore().list()) {
            if (p.getMetadata().getDeletionTimestamp() != null) {
                continue;
            }
            Map<String, String> pa = p.getMetadata().getAnnotations();
            if (!Objects.equals(pa == null ? null : pa.get(moveIdKey), expectedMoveId)) {
                continue; // a pod of an older template
            }
            String why = whyHopeless(p);
            String podName = p.getMetadata().getName();
            if (why == null) {
                firstSeenStuckNanos.remove(podName);
                continue;
            }
            long first = firstSeenStuckNanos.computeIfAbsent(podName, k -> now);
            if (now - first >= stuckGrace.toNanos()) {
                return new Outcome(Kind.STUCK, "pod " + podName + " " + why);
            }
        }
        return null;
    }

    private static String whyHopeless(Pod p) {
        if (p.getStatus() == null) {
            return null;
        }
        if (p.getStatus().getConditions() != null) {
            for (PodCondition c : p.getStatus().getConditions()) {
                if ("PodScheduled".equals(c.getType()) && "False".equals(c.getStatus())
                        && "Unschedulable".equals(c.getReason())) {
                    return "cannot be scheduled: " + (c.getMessage() == null ? "Unschedulable" : c.getMessage());
                }
            }
        }
        if (p.getStatus().getContainerStatuses() != null) {
            for (ContainerStatus cs : p.getStatus().getContainerStatuses()) {
                if (cs.getState() != null && cs.getState().getWaiting() != null
                        && HOPELESS_WAITING.contains(cs.getState().getWaiting().getReason())) {
                    var w = cs.getState().getWaiting();
                    return "never became ready: container " + cs.getName() + " is " + w.getReason()
                            + (w.getMessage() == null ? "" : " (" + w.getMessage() + ")");
                }
            }
        }
        return null;
    }

    private static int n(Integer v) {
        return v == null ? 0 : v;
    }

    @Override
    public void close() {
        deploymentInformer.close();
        podInformer.close();
    }
}
