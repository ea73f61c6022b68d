package io.edgesched.k8s.move;

import io.edgesched.k8s.selector.Selectors;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Follows one rollout through the shared informers of {@link RolloutWatch} (no polling of the API):
 * every event wakes the waiting move thread, which judges the cached state.
 */
final class RolloutTracker implements AutoCloseable {
    enum Kind { COMPLETE, STUCK, TEMPLATE_REPLACED, DELETED }

    record Outcome(Kind kind, String detail) {
    }

    /** Container waiting reasons that will not heal by themselves within a rollout. */
    private static final Duration MISSING_MEANS_DELETED = Duration.ofSeconds(2);

    private static final Set<String> HOPELESS_WAITING = Set.of("ImagePullBackOff", "ErrImagePull", "InvalidImageName",
            "ErrImageNeverPull", "CrashLoopBackOff", "CreateContainerConfigError", "CreateContainerError");

    private final String namespace;
    private final String name;
    private final String moveIdKey;
    private final String expectedMoveId;
    private final PodTemplateSpec expectedTemplate;
    private final long generation;
    private final Duration stuckGrace;
    private final LabelSelector podSelector;
    private final RolloutWatch watch;
    private final Runnable wakeUp = this::wake;
    private RolloutWatch.Namespace informers;
    private long firstMissingNanos = -1;
    private final Map<String, Long> firstSeenStuckNanos = new HashMap<>();
    private final Object signal = new Object();
    private long wakeups;

    /**
     * @param expectedMoveId the move-id annotation the template must carry (null: none); anything
     *                       else means someone replaced the template
     * @param expectedTemplate the pod template as our patch left it: a different one (same move id,
     *                         e.g. a new image) means someone else started another rollout
     * @param generation     the Deployment generation written by our patch
     */
    RolloutTracker(RolloutWatch watch, String namespace, String name, LabelSelector podSelector,
                   String moveIdKey, String expectedMoveId, PodTemplateSpec expectedTemplate, long generation,
                   Duration stuckGrace) {
        this.watch = watch;
        this.namespace = namespace;
        this.name = name;
        this.podSelector = podSelector;
        this.moveIdKey = moveIdKey;
        this.expectedMoveId = expectedMoveId;
        this.expectedTemplate = expectedTemplate;
        this.generation = generation;
        this.stuckGrace = stuckGrace;
    }

    void start() {
        watch.listen(wakeUp);
        informers = watch.namespace(namespace);
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

    /** Why the tracker cannot see the cluster, if its informers are not running. */
    String watchProblem() {
        RolloutWatch.Namespace n = informers;
        if (n == null || !n.stopped()) {
            return n != null && !n.synced() ? "the informers never finished their initial list" : null;
        }
        return "the informers stopped (API server unreachable?)";
    }

    private Outcome evaluate() {
        RolloutWatch.Namespace n = informers;
        if (n == null || n.stopped()) {
            try {
                informers = n = watch.namespace(namespace); // restart after an outage; the timeout still runs
            } catch (IllegalStateException e) { // fabric8: "Client is closed" (the app is shutting down)
                throw new ApiCaller.Aborted("cannot watch the rollout: " + e.getMessage());
            }
        }
        if (!n.synced()) {
            return null;
        }
        long now = System.nanoTime();
        Deployment d = n.deployments().getStore().getByKey(namespace + "/" + name);
        if (d == null) {
            // the shared cache may lag a moment behind: only a lasting absence means it was deleted
            if (firstMissingNanos < 0) {
                firstMissingNanos = now;
            }
            return now - firstMissingNanos >= MISSING_MEANS_DELETED.toNanos()
                    ? new Outcome(Kind.DELETED, "Deployment " + namespace + "/" + name + " was deleted during the move")
                    : null;
        }
        firstMissingNanos = -1;
        if (d.getMetadata().getGeneration() != null && d.getMetadata().getGeneration() < generation) {
            return null; // the cache has not seen our patch yet
        }
        Map<String, String> ann = d.getSpec().getTemplate().getMetadata() == null ? null
                : d.getSpec().getTemplate().getMetadata().getAnnotations();
        String moveId = ann == null ? null : ann.get(moveIdKey);
        if (!Objects.equals(moveId, expectedMoveId)) {
            return new Outcome(Kind.TEMPLATE_REPLACED,
                    "the pod template was changed by someone else during the move (" + moveIdKey + " is now "
                            + moveId + ")");
        }
        if (d.getMetadata().getGeneration() != null && d.getMetadata().getGeneration() > generation
                && !d.getSpec().getTemplate().equals(expectedTemplate)) {
            // a later spec change that left the template alone (scaling, our strategy) is fine
            return new Outcome(Kind.TEMPLATE_REPLACED,
                    "the pod template was changed by someone else during the move (generation "
                            + d.getMetadata().getGeneration() + ")");
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
        for (Pod p : n.pods().getStore().list()) {
            if (p.getMetadata().getDeletionTimestamp() != null
                    || !Selectors.labelSelectorMatches(podSelector, p.getMetadata().getLabels())) {
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

    /** Stops listening; the shared informers keep running for the next move. */
    @Override
    public void close() {
        watch.unlisten(wakeUp);
    }
}
