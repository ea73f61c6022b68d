package io.edgesched.k8s.move;

import static io.edgesched.k8s.move.KubernetesRescheduler.ANNOTATION_FROM;
import static io.edgesched.k8s.move.KubernetesRescheduler.ANNOTATION_MOVE_GENERATION;
import static io.edgesched.k8s.move.KubernetesRescheduler.ANNOTATION_MOVED_AT;
import static io.edgesched.k8s.move.KubernetesRescheduler.ANNOTATION_MOVE_ID;
import static io.edgesched.k8s.move.KubernetesRescheduler.ANNOTATION_REASON;
import static io.edgesched.k8s.move.KubernetesRescheduler.ANNOTATION_SAVED_STRATEGY;
import static io.edgesched.k8s.move.KubernetesRescheduler.ANNOTATION_TARGETS;

import io.edgesched.api.MoveRequest;
import io.edgesched.api.MoveResult;
import io.edgesched.api.NodeId;
import io.edgesched.k8s.move.ApiCaller.Aborted;
import io.edgesched.k8s.move.ApiCaller.ApiFailure;
import io.edgesched.k8s.move.ApiCaller.Conflict;
import io.edgesched.k8s.move.PlacementRules.Rolling;
import io.edgesched.k8s.move.RolloutTracker.Kind;
import io.edgesched.k8s.move.RolloutTracker.Outcome;
import io.edgesched.k8s.move.TemplatePatches.TemplateState;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeSelector;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import io.fabric8.kubernetes.api.model.apps.DeploymentStrategy;
import io.fabric8.kubernetes.api.model.apps.DeploymentStrategyBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.RollableScalableResource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One move, run start to end on one thread: check, patch, follow the rollout, undo on failure. */
final class MoveProcedure {
    private static final Logger LOG = LoggerFactory.getLogger(MoveProcedure.class);
    /** Deployment annotations a finished (or rolled back) move removes. */
    private static final List<String> DEPLOYMENT_KEYS = List.of(ANNOTATION_MOVE_GENERATION, ANNOTATION_SAVED_STRATEGY);
    static final List<String> TEMPLATE_KEYS = List.of(ANNOTATION_MOVE_ID, ANNOTATION_MOVED_AT, ANNOTATION_REASON,
            ANNOTATION_TARGETS, ANNOTATION_FROM);
    private static final int MAX_REASON_CHARS = 256;

    private final KubernetesRescheduler.Settings s;
    private final MoveRequest req;
    private final KubernetesRescheduler.InFlight flight;
    private final ApiCaller api;
    private final TemplatePatches patches;
    private final MoveEvents events;
    private final RolloutWatch watch;
    private final String ns;
    private final String name;
    private final String what;
    private final long startNanos;

    MoveProcedure(KubernetesRescheduler.Settings s, MoveRequest req, KubernetesRescheduler.InFlight flight,
                  MoveEvents events, RolloutWatch watch, long startNanos) {
        this.s = s;
        this.req = req;
        this.flight = flight;
        this.api = new ApiCaller(String.valueOf(s.client().getMasterUrl()), s.retry(), flight::isAborted,
                flight::abortReason);
        this.patches = new TemplatePatches(s.client().getKubernetesSerialization());
        this.events = events;
        this.watch = watch;
        this.ns = req.workload().namespace();
        this.name = req.workload().name();
        this.what = "Deployment " + ns + "/" + name;
        this.startNanos = startNanos;
    }

    private KubernetesClient client() {
        return s.client();
    }

    private RollableScalableResource<Deployment> deployment() {
        return client().apps().deployments().inNamespace(ns).withName(name);
    }

    MoveResult run() {
        try {
            return attempt();
        } catch (Aborted a) {
            LOG.info("move of {} aborted: {}", what, a.getMessage());
            return new MoveResult.Failed(req, "aborted: " + a.getMessage(), false, null);
        } catch (ApiFailure f) {
            LOG.warn("move of {} failed: {}", what, f.getMessage());
            return new MoveResult.Failed(req, f.getMessage(), false, f);
        }
    }

    /** What the move will do once the checks pass. */
    private record Plan(Deployment deployment, TemplateState before, DeploymentStrategy originalStrategy,
                        DeploymentStrategy override, boolean restoreStrategy, String body) {
    }

    private MoveResult attempt() {
        if (!s.namespaceAllowed(ns)) {
            return new MoveResult.Refused(req, "namespace " + ns + " is not in the allowed set "
                    + s.allowedNamespacesText() + "; add it with KubernetesRescheduler.builder().allowedNamespaces(...)");
        }
        String moveId = UUID.randomUUID().toString();
        Plan plan = null;
        Deployment patched = null;
        for (int conflicts = 0; patched == null; ) {
            Deployment d = api.call("read " + what, () -> deployment().get());
            if (d == null) {
                return new MoveResult.Refused(req, what + " not found");
            }
            Object checked = check(d, moveId);
            if (checked instanceof MoveResult r) {
                return r;
            }
            plan = (Plan) checked;
            api.checkNotAborted();
            String body = plan.body();
            try {
                patched = api.call("patch the pod template of " + what,
                        () -> deployment().patch(PatchContext.of(PatchType.JSON), body));
            } catch (Conflict c) {
                conflicts++;
                LOG.debug("{}; re-reading (conflict {}/{})", c.getMessage(), conflicts, s.maxConflictRetries());
                if (conflicts > s.maxConflictRetries()) {
                    return new MoveResult.Failed(req, what + " kept changing while edgesched tried to patch it ("
                            + conflicts + " conflicts); will retry on the next decision", false, c);
                }
            }
        }
        try {
            s.onPatched().accept(req, Duration.ofNanos(System.nanoTime() - startNanos));
        } catch (RuntimeException e) {
            LOG.warn("onPatched listener failed for {}", what, e);
        }
        events.record(patched, false, "EdgeschedMove", "moving " + nodes(req.currentNodes()) + " -> "
                + nodes(req.targetNodes()) + " (predicted gain " + gain() + "): " + req.reason());
        return follow(plan, patched, moveId);
    }

    /** Returns a MoveResult (refusal / nothing to do) or the Plan to apply. */
    private Object check(Deployment d, String moveId) {
        Map<String, String> labels = orEmpty(d.getMetadata().getLabels());
        Map<String, String> annotations = orEmpty(d.getMetadata().getAnnotations());
        if (!s.optInValue().equals(labels.get(s.optInKey())) && !s.optInValue().equals(annotations.get(s.optInKey()))) {
            return new MoveResult.Refused(req, what + " has not opted in: set label or annotation " + s.optInKey()
                    + "=" + s.optInValue() + " to let edgesched move it");
        }
        if (Boolean.TRUE.equals(d.getSpec().getPaused())) {
            return refuse(d, what + " is paused; a paused Deployment does not roll out");
        }
        String saved = annotations.get(ANNOTATION_SAVED_STRATEGY);
        DeploymentStrategy original = saved != null ? patches.strategyFromJson(saved) : d.getSpec().getStrategy();
        if (PlacementRules.isRecreate(d.getSpec().getStrategy())) {
            return refuse(d, what + " uses strategy Recreate, which stops every pod before starting new ones; "
                    + "switch it to RollingUpdate to let edgesched move it without downtime");
        }
        int desired = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
        PodSpec podSpec = d.getSpec().getTemplate().getSpec();
        long generation = d.getMetadata().getGeneration() == null ? 0 : d.getMetadata().getGeneration();
        // our own rollout, interrupted (e.g. leadership lost) and untouched since: a new move may supersede it
        boolean ourUnfinishedMove = String.valueOf(generation).equals(annotations.get(ANNOTATION_MOVE_GENERATION));
        if (!isStable(d, desired) && !ourUnfinishedMove) {
            DeploymentStatus st = d.getStatus() == null ? new DeploymentStatus() : d.getStatus();
            return refuse(d, what + " is still rolling out or not fully available (desired " + desired + ", updated "
                    + n(st.getUpdatedReplicas()) + ", ready " + n(st.getReadyReplicas()) + ", available "
                    + n(st.getAvailableReplicas()) + "); edgesched moves only stable workloads, retry later");
        }
        SortedSet<String> targets = req.targetNodes().stream().map(NodeId::name)
                .collect(Collectors.toCollection(TreeSet::new));
        NodeSelector current = PlacementRules.requiredAffinity(podSpec);
        NodeSelector wanted = TemplatePatches.withTargets(current, targets);
        if (wanted.equals(current) && isStable(d, desired)) {
            return new MoveResult.Done(req, Duration.ofNanos(System.nanoTime() - startNanos));
        }
        for (String target : targets) {
            Node node = api.call("read Node " + target, () -> client().nodes().withName(target).get());
            Optional<String> unfit = PlacementRules.whyNodeUnfit(target, node, podSpec);
            if (unfit.isPresent()) {
                return refuse(d, unfit.get());
            }
        }
        List<PodDisruptionBudget> pdbs = api.call("list PodDisruptionBudgets in " + ns,
                () -> client().policy().v1().podDisruptionBudget().inNamespace(ns).list().getItems());
        Map<String, String> podLabels = d.getSpec().getTemplate().getMetadata() == null ? Map.of()
                : orEmpty(d.getSpec().getTemplate().getMetadata().getLabels());
        for (PodDisruptionBudget pdb : pdbs) {
            Optional<String> why = PlacementRules.whyBudgetForbids(pdb, podLabels);
            if (why.isPresent()) {
                return refuse(d, why.get());
            }
        }
        Rolling rolling = PlacementRules.resolve(d.getSpec().getStrategy(), desired);
        DeploymentStrategy override = null;
        if (!rolling.makeBeforeBreak()) {
            override = new DeploymentStrategyBuilder().withType("RollingUpdate").withNewRollingUpdate()
                    .withNewMaxSurge(Math.max(1, rolling.maxSurge())).withNewMaxUnavailable(0).endRollingUpdate()
                    .build();
        }
        boolean restore = saved != null || override != null;
        Map<String, String> ours = new LinkedHashMap<>();
        ours.put(ANNOTATION_MOVE_ID, moveId);
        ours.put(ANNOTATION_MOVED_AT, Instant.now(s.clock()).truncatedTo(ChronoUnit.MILLIS).toString());
        ours.put(ANNOTATION_REASON, truncate(req.reason()));
        ours.put(ANNOTATION_TARGETS, String.join(",", targets));
        ours.put(ANNOTATION_FROM, req.currentNodes().stream().map(NodeId::name).collect(Collectors.joining(",")));
        Map<String, String> deploymentAnnotations = new LinkedHashMap<>();
        deploymentAnnotations.put(ANNOTATION_MOVE_GENERATION, String.valueOf(generation + 1));
        if (override != null && saved == null) {
            deploymentAnnotations.put(ANNOTATION_SAVED_STRATEGY, patches.strategyToJson(original));
        }
        String body = patches.move(d, wanted, ours, deploymentAnnotations, override);
        return new Plan(d, TemplateState.of(d.getSpec().getTemplate(), TEMPLATE_KEYS), original, override, restore, body);
    }

    private MoveResult follow(Plan plan, Deployment patched, String moveId) {
        api.checkNotAborted(); // cancelled as the patch landed: do not even start the watches
        Outcome outcome;
        String problem;
        try (RolloutTracker tracker = track(patched, moveId)) {
            outcome = tracker.await(s.rolloutTimeout(), flight::isAborted, flight::abortReason);
            problem = tracker.watchProblem();
        }
        if (outcome != null && outcome.kind() == Kind.COMPLETE) {
            String note = finish(plan);
            Duration took = Duration.ofNanos(System.nanoTime() - startNanos);
            events.record(patched, false, "EdgeschedMoved", "moved " + nodes(req.currentNodes()) + " -> "
                    + nodes(req.targetNodes()) + " in " + took.toMillis() + " ms (predicted gain " + gain() + ")" + note);
            return new MoveResult.Done(req, took);
        }
        if (outcome != null && (outcome.kind() == Kind.DELETED || outcome.kind() == Kind.TEMPLATE_REPLACED)) {
            String reason = outcome.detail() + "; edgesched leaves it alone";
            if (outcome.kind() == Kind.TEMPLATE_REPLACED) {
                events.record(patched, true, "EdgeschedMoveFailed", reason);
            }
            return new MoveResult.Failed(req, reason, false, null);
        }
        String reason = outcome != null ? "rollout to " + nodes(req.targetNodes()) + " failed: " + outcome.detail()
                : "rollout to " + nodes(req.targetNodes()) + " did not finish within " + s.rolloutTimeout().toMillis()
                        + " ms" + (problem == null ? "" : " (cannot watch it: " + problem + ")");
        return rollBack(plan, patched, moveId, reason);
    }

    private RolloutTracker track(Deployment d, String expectedMoveId) {
        RolloutTracker t = new RolloutTracker(watch, ns, name, d.getSpec().getSelector(), ANNOTATION_MOVE_ID,
                expectedMoveId, d.getSpec().getTemplate(),
                d.getMetadata().getGeneration() == null ? 0 : d.getMetadata().getGeneration(),
                s.stuckGrace());
        flight.watching(t);
        t.start();
        return t;
    }

    private MoveResult rollBack(Plan plan, Deployment patched, String moveId, String reason) {
        LOG.warn("move of {}: {}; rolling back", what, reason);
        Deployment undone = null;
        try {
            for (int conflicts = 0; undone == null; ) {
                Deployment d = api.call("re-read " + what + " for rollback", () -> deployment().get());
                if (d == null) {
                    return new MoveResult.Failed(req, reason + "; " + what + " is gone, nothing to roll back", false, null);
                }
                var ann = d.getSpec().getTemplate().getMetadata() == null ? null
                        : d.getSpec().getTemplate().getMetadata().getAnnotations();
                if (ann == null || !moveId.equals(ann.get(ANNOTATION_MOVE_ID))) {
                    String r = reason + "; not rolled back: the pod template was changed by someone else meanwhile";
                    events.record(d, true, "EdgeschedMoveFailed", r);
                    return new MoveResult.Failed(req, r, false, null);
                }
                String body = patches.undo(d, plan.before(), List.of(ANNOTATION_MOVE_GENERATION));
                api.checkNotAborted();
                try {
                    undone = api.call("roll back the pod template of " + what,
                            () -> deployment().patch(PatchContext.of(PatchType.JSON), body));
                } catch (Conflict c) {
                    if (++conflicts > s.maxConflictRetries()) {
                        throw new ApiFailure(what + " kept changing during rollback (" + conflicts + " conflicts)",
                                false, c);
                    }
                }
            }
        } catch (ApiFailure f) {
            String r = reason + "; rollback failed: " + f.getMessage()
                    + "; the Deployment keeps the new node affinity (no ready replica was removed)";
            events.record(patched, true, "EdgeschedMoveFailed", r);
            return new MoveResult.Failed(req, r, false, f);
        }
        Outcome back;
        try (RolloutTracker tracker = track(undone, plan.before().ourAnnotations().get(ANNOTATION_MOVE_ID))) {
            back = tracker.await(s.rolloutTimeout(), flight::isAborted, flight::abortReason);
        }
        String note;
        if (back != null && back.kind() == Kind.COMPLETE) {
            note = finish(plan);
        } else {
            note = "; the rollback rollout has not finished (" + (back == null ? "timed out" : back.detail())
                    + ")" + (plan.restoreStrategy() ? ", so the strategy stays at maxUnavailable=0" : "");
        }
        String r = reason + "; rolled back to the previous placement" + note;
        events.record(undone, true, "EdgeschedMoveFailed", "move " + nodes(req.currentNodes()) + " -> "
                + nodes(req.targetNodes()) + " (predicted gain " + gain() + "): " + r);
        return new MoveResult.Failed(req, r, true, null);
    }

    /**
     * After the rollout (or the rollback's) finished: put back the user's rollout strategy if the move
     * changed it, and drop the in-progress marker. Returns a note for the event when it could not.
     */
    private String finish(Plan plan) {
        try {
            api.checkNotAborted();
            Deployment d = api.call("re-read " + what + " to finish the move", () -> deployment().get());
            if (d == null) {
                return "";
            }
            String body = patches.finish(d, plan.restoreStrategy() ? plan.originalStrategy() : null,
                    plan.restoreStrategy() ? DEPLOYMENT_KEYS : List.of(ANNOTATION_MOVE_GENERATION));
            if (body != null) {
                api.call("finish the move of " + what + " (strategy, annotations)",
                        () -> deployment().patch(PatchContext.of(PatchType.JSON), body));
            }
            return "";
        } catch (ApiFailure | Conflict e) {
            LOG.warn("could not finish the move of {} (restore its strategy, drop annotation {}): {}; "
                    + "a strategy left at maxUnavailable=0 is safe, the next move restores it from annotation {}",
                    what, ANNOTATION_MOVE_GENERATION, e.getMessage(), ANNOTATION_SAVED_STRATEGY);
            return "; could not restore the rollout strategy / drop the move marker yet (" + e.getMessage() + ")";
        }
    }

    private MoveResult refuse(Deployment d, String reason) {
        events.record(d, false, "EdgeschedMoveRefused", "not moving " + nodes(req.currentNodes()) + " -> "
                + nodes(req.targetNodes()) + ": " + reason);
        return new MoveResult.Refused(req, reason);
    }

    private static boolean isStable(Deployment d, int desired) {
        DeploymentStatus st = d.getStatus();
        if (st == null) {
            return desired == 0;
        }
        long gen = d.getMetadata().getGeneration() == null ? 0 : d.getMetadata().getGeneration();
        return st.getObservedGeneration() != null && st.getObservedGeneration() >= gen
                && n(st.getUpdatedReplicas()) == desired && n(st.getReplicas()) == desired
                && n(st.getAvailableReplicas()) >= desired;
    }

    private String gain() {
        return String.format(java.util.Locale.ROOT, "%.0f us", req.predictedGainMicros());
    }

    private static String nodes(SortedSet<NodeId> nodes) {
        return nodes.stream().map(NodeId::name).collect(Collectors.joining(",", "[", "]"));
    }

    private static String truncate(String s) {
        return s.length() <= MAX_REASON_CHARS ? s : s.substring(0, MAX_REASON_CHARS - 3) + "...";
    }

    private static int n(Integer v) {
        return v == null ? 0 : v;
    }

    private static Map<String, String> orEmpty(Map<String, String> m) {
        return m == null ? Map.of() : m;
    }
}
