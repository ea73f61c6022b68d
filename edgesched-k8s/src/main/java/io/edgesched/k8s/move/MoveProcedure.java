package io.edgesched.k8s.move;

import static io.edgesched.k8s.move.KubernetesRescheduler.ANNOTATION_FROM;
import static io.edgesched.k8s.move.KubernetesRescheduler.ANNOTATION_MOVE_GENERATION;
import static io.edgesched.k8s.move.KubernetesRescheduler.ANNOTATION_MOVED_AT;
import static io.edgesched.k8s.move.KubernetesRescheduler.ANNOTATION_MOVE_ID;
import static io.edgesched.k8s.move.KubernetesRescheduler.ANNOTATION_MOVE_STRATEGY;
import static io.edgesched.k8s.move.KubernetesRescheduler.ANNOTATION_REASON;
import static io.edgesched.k8s.move.KubernetesRescheduler.ANNOTATION_SAVED_STRATEGY;
import static io.edgesched.k8s.move.KubernetesRescheduler.ANNOTATION_TARGETS;
import static io.edgesched.k8s.move.KubernetesRescheduler.ANNOTATION_USER_AFFINITY;

import io.edgesched.api.MoveRequest;
import io.edgesched.api.MoveResult;
import io.edgesched.api.NodeId;
import io.edgesched.k8s.move.ApiCaller.Aborted;
import io.edgesched.k8s.move.ApiCaller.ApiFailure;
import io.edgesched.k8s.move.ApiCaller.Conflict;
import io.edgesched.k8s.move.ApiCaller.OutcomeUnknown;
import io.edgesched.k8s.move.RolloutTracker.Kind;
import io.edgesched.k8s.move.RolloutTracker.Outcome;
import io.edgesched.k8s.move.TemplatePatches.TemplateState;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeSelector;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import io.fabric8.kubernetes.api.model.apps.DeploymentStrategy;
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
    static final List<String> DEPLOYMENT_KEYS = List.of(ANNOTATION_MOVE_GENERATION, ANNOTATION_SAVED_STRATEGY,
            ANNOTATION_MOVE_STRATEGY);
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

    /**
     * Takes over a move an earlier controller instance left unfinished (crash, lost lease): follows its
     * rollout to the end and finishes it (restores the strategy, drops the markers), or rolls it back to
     * the nodes it came from when the rollout fails or times out. Says so in an Event.
     */
    MoveResult resume(Deployment d) {
        try {
            return resumeFrom(d);
        } catch (Aborted a) {
            LOG.info("resuming the move of {} aborted: {}", what, a.getMessage());
            return new MoveResult.Failed(req, "aborted: " + a.getMessage(), false, null);
        } catch (ApiFailure f) {
            LOG.warn("resuming the move of {} failed: {}", what, f.getMessage());
            return new MoveResult.Failed(req, f.getMessage(), false, f);
        }
    }

    /** The request an unfinished move was made for, read back from its annotations. */
    static MoveRequest unfinishedRequest(Deployment d) {
        var meta = d.getSpec().getTemplate().getMetadata();
        Map<String, String> t = meta == null ? Map.of() : orEmpty(meta.getAnnotations());
        java.util.Set<NodeId> from = nodeSet(t.get(ANNOTATION_FROM));
        java.util.Set<NodeId> to = nodeSet(t.get(ANNOTATION_TARGETS));
        if (to.isEmpty()) {
            to = from.isEmpty() ? java.util.Set.of(NodeId.of("unknown")) : from;
        }
        return MoveRequest.of(io.edgesched.api.WorkloadId.of(d.getMetadata().getNamespace(), d.getMetadata().getName()),
                from, to, "resuming a move an earlier edgesched instance left unfinished", 0, Instant.EPOCH);
    }

    private static java.util.Set<NodeId> nodeSet(String csv) {
        if (csv == null || csv.isBlank()) {
            return java.util.Set.of();
        }
        return java.util.Arrays.stream(csv.split(",")).map(String::trim).filter(x -> !x.isEmpty()).map(NodeId::of)
                .collect(Collectors.toSet());
    }

    private MoveResult resumeFrom(Deployment d) {
        Map<String, String> ann = orEmpty(d.getMetadata().getAnnotations());
        var meta = d.getSpec().getTemplate().getMetadata();
        String moveId = meta == null ? null : orEmpty(meta.getAnnotations()).get(ANNOTATION_MOVE_ID);
        String saved = ann.get(ANNOTATION_SAVED_STRATEGY);
        DeploymentStrategy original = saved != null ? patches.strategyFromJson(saved) : null;
        DeploymentStrategy applied = ann.containsKey(ANNOTATION_MOVE_STRATEGY)
                ? patches.strategyFromJson(ann.get(ANNOTATION_MOVE_STRATEGY)) : null;
        NodeSelector user;
        try {
            user = userAffinity(d, ann);
        } catch (IllegalArgumentException e) {
            user = TemplatePatches.withoutHostname(PlacementRules.requiredAffinity(d.getSpec().getTemplate().getSpec()));
        }
        SortedSet<String> from = req.currentNodes().stream().map(NodeId::name).collect(Collectors.toCollection(TreeSet::new));
        io.fabric8.kubernetes.api.model.Affinity now = d.getSpec().getTemplate().getSpec().getAffinity();
        io.fabric8.kubernetes.api.model.Affinity back = now == null ? new io.fabric8.kubernetes.api.model.Affinity()
                : client().getKubernetesSerialization().clone(now);
        if (!from.isEmpty()) {
            if (back.getNodeAffinity() == null) {
                back.setNodeAffinity(new io.fabric8.kubernetes.api.model.NodeAffinity());
            }
            back.getNodeAffinity().setRequiredDuringSchedulingIgnoredDuringExecution(
                    TemplatePatches.withTargetsKeeping(user, from));
        }
        Map<String, String> noneOfOurs = new LinkedHashMap<>();
        TEMPLATE_KEYS.forEach(k -> noneOfOurs.put(k, null));
        Plan plan = new Plan(d, new TemplateState(back, noneOfOurs), original, applied, saved != null, null,
                PlacementRules.rolloutTimeout(d, d.getSpec().getStrategy(), s.rolloutTimeout()));
        if (moveId == null) {
            String note = finish(plan);
            events.record(d, false, "EdgeschedMoveResumed", "an earlier edgesched instance left move markers on "
                    + what + " with no move in its pod template; cleaned them up" + (saved != null
                    ? " and restored the rollout strategy" : "") + note);
            return new MoveResult.Done(req, Duration.ofNanos(System.nanoTime() - startNanos));
        }
        events.record(d, false, "EdgeschedMoveResumed", "an earlier edgesched instance left the move "
                + nodes(req.currentNodes()) + " -> " + nodes(req.targetNodes()) + " (id " + moveId
                + ") unfinished; following its rollout, then restoring the strategy or rolling back");
        return follow(plan, d, moveId);
    }

    /** What the move will do once the checks pass. */
    private record Plan(Deployment deployment, TemplateState before, DeploymentStrategy originalStrategy,
                        DeploymentStrategy override, boolean restoreStrategy, String body, Duration timeout) {
    }

    private MoveResult attempt() {
        if (!s.namespaceAllowed(ns)) {
            return new MoveResult.Refused(req, "namespace " + ns + " is not in the allowed set "
                    + s.allowedNamespacesText() + "; add it with KubernetesRescheduler.builder().allowedNamespaces(...)");
        }
        String moveId = UUID.randomUUID().toString();
        Plan plan = null;
        Deployment patched = null;
        int unknown = 0;
        Duration backoff = s.retry().initialBackoff();
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
                // not retried blindly: a repeated patch that had landed would start a second rollout
                patched = api.callOnce("patch the pod template of " + what,
                        () -> deployment().patch(PatchContext.of(PatchType.JSON), body));
            } catch (Conflict | OutcomeUnknown e) {
                Deployment now = api.call("re-read " + what + " after an unclear patch", () -> deployment().get());
                if (now != null && carriesMove(now, moveId)) {
                    LOG.info("{}; the patch had been applied (move id {} found), following it", e.getMessage(), moveId);
                    patched = now; // keep the plan (and its `before`) from the read before our own patch
                    break;
                }
                if (e instanceof Conflict c) {
                    conflicts++;
                    LOG.debug("{}; re-reading (conflict {}/{})", c.getMessage(), conflicts, s.maxConflictRetries());
                    if (conflicts > s.maxConflictRetries()) {
                        return new MoveResult.Failed(req, what + " kept changing while edgesched tried to patch it ("
                                + conflicts + " conflicts); will retry on the next decision", false, c);
                    }
                } else {
                    if (++unknown >= s.retry().maxAttempts()) {
                        throw new ApiFailure("API server failed to patch " + what + " after " + unknown
                                + " attempts (" + e.getMessage() + "); will retry on the next decision", false, e);
                    }
                    LOG.debug("{}; not applied, retrying", e.getMessage());
                    backoff = api.backOff(backoff);
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
        SortedSet<String> targets = req.targetNodes().stream().map(NodeId::name)
                .collect(Collectors.toCollection(TreeSet::new));
        NodeSelector user;
        try {
            user = userAffinity(d, annotations);
        } catch (IllegalArgumentException e) {
            return refuse(d, what + " has annotation " + ANNOTATION_USER_AFFINITY + " that is not a node selector ("
                    + e.getMessage() + "); fix it (JSON like the pod's requiredDuringSchedulingIgnoredDuringExecution,"
                    + " {} for none) or delete it to record the template's affinity again");
        }
        NodeSelector current = PlacementRules.requiredAffinity(podSpec);
        NodeSelector wanted = TemplatePatches.withTargetsKeeping(user, targets);
        if (patches.sameSelector(wanted, current)) {
            // already placed there (a rollout toward it, if one runs, is not restarted)
            return new MoveResult.Done(req, Duration.ofNanos(System.nanoTime() - startNanos));
        }
        for (String target : targets) {
            Node node = api.call("read Node " + target, () -> client().nodes().withName(target).get());
            Optional<String> unfit = PlacementRules.whyNodeUnfit(target, node, podSpec)
                    .or(() -> PlacementRules.whyOutsideUserAffinity(target, node, user, ANNOTATION_USER_AFFINITY));
            if (unfit.isPresent()) {
                return refuse(d, unfit.get());
            }
        }
        if (!isStable(d, desired) && !ourUnfinishedMove) {
            DeploymentStatus st = d.getStatus() == null ? new DeploymentStatus() : d.getStatus();
            return refuse(d, what + " is still rolling out or not fully available (desired " + desired + ", updated "
                    + n(st.getUpdatedReplicas()) + ", ready " + n(st.getReadyReplicas()) + ", available "
                    + n(st.getAvailableReplicas()) + "); edgesched moves only stable workloads, retry later");
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
        DeploymentStrategy override = PlacementRules.makeBeforeBreakOverride(d.getSpec().getStrategy());
        boolean restore = saved != null || override != null;
        Map<String, String> ours = new LinkedHashMap<>();
        ours.put(ANNOTATION_MOVE_ID, moveId);
        ours.put(ANNOTATION_MOVED_AT, Instant.now(s.clock()).truncatedTo(ChronoUnit.MILLIS).toString());
        ours.put(ANNOTATION_REASON, truncate(req.reason()));
        ours.put(ANNOTATION_TARGETS, String.join(",", targets));
        ours.put(ANNOTATION_FROM, req.currentNodes().stream().map(NodeId::name).collect(Collectors.joining(",")));
        Map<String, String> deploymentAnnotations = new LinkedHashMap<>();
        deploymentAnnotations.put(ANNOTATION_MOVE_GENERATION, String.valueOf(generation + 1));
        if (!annotations.containsKey(ANNOTATION_USER_AFFINITY)) {
            deploymentAnnotations.put(ANNOTATION_USER_AFFINITY, patches.selectorToJson(user));
        }
        if (override != null && saved == null) {
            deploymentAnnotations.put(ANNOTATION_SAVED_STRATEGY, patches.strategyToJson(original));
        }
        if (override != null) {
            deploymentAnnotations.put(ANNOTATION_MOVE_STRATEGY, patches.strategyToJson(override));
        }
        Duration timeout = PlacementRules.rolloutTimeout(d, override != null ? override : d.getSpec().getStrategy(),
                s.rolloutTimeout());
        String body = patches.move(d, wanted, ours, deploymentAnnotations, override);
        return new Plan(d, TemplateState.of(d.getSpec().getTemplate(), TEMPLATE_KEYS), original, override, restore, body,
                timeout);
    }

    private MoveResult follow(Plan plan, Deployment patched, String moveId) {
        api.checkNotAborted(); // cancelled as the patch landed: do not even start the watches
        Outcome outcome;
        String problem;
        try (RolloutTracker tracker = track(patched, moveId)) {
            outcome = tracker.await(plan.timeout(), flight::isAborted, flight::abortReason);
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
                : "rollout to " + nodes(req.targetNodes()) + " did not finish within " + plan.timeout().toMillis()
                        + " ms" + (problem == null ? "" : " (cannot watch it: " + problem + ")");
        return rollBack(plan, patched, moveId, reason);
    }

    private static boolean isUndone(Deployment d, TemplateState before) {
        var meta = d.getSpec().getTemplate().getMetadata();
        String id = meta == null || meta.getAnnotations() == null ? null : meta.getAnnotations().get(ANNOTATION_MOVE_ID);
        return java.util.Objects.equals(id, before.ourAnnotations().get(ANNOTATION_MOVE_ID))
                && java.util.Objects.equals(d.getSpec().getTemplate().getSpec().getAffinity(), before.affinity());
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
                    undone = api.callOnce("roll back the pod template of " + what,
                            () -> deployment().patch(PatchContext.of(PatchType.JSON), body));
                } catch (Conflict | OutcomeUnknown c) {
                    Deployment now = api.call("re-read " + what + " after an unclear rollback", () -> deployment().get());
                    if (now != null && isUndone(now, plan.before())) {
                        undone = now;
                        break;
                    }
                    if (++conflicts > s.maxConflictRetries()) {
                        throw new ApiFailure(what + " kept changing during rollback (" + conflicts + " attempts: "
                                + c.getMessage() + ")", false, c);
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
            back = tracker.await(plan.timeout(), flight::isAborted, flight::abortReason);
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
     * changed it and the Deployment still runs with the one the move applied (a strategy someone set
     * during the move is kept), and drop the in-progress markers. The patch is conditional on the
     * resourceVersion read. Returns a note for the event; never throws (the move itself is done).
     */
    private String finish(Plan plan) {
        try {
            for (int conflicts = 0; ; conflicts++) {
                api.checkNotAborted();
                Deployment d = api.call("re-read " + what + " to finish the move", () -> deployment().get());
                if (d == null) {
                    return "";
                }
                Map<String, String> ann = orEmpty(d.getMetadata().getAnnotations());
                DeploymentStrategy restoreTo = null;
                String note = "";
                if (plan.restoreStrategy()) {
                    DeploymentStrategy applied = ann.containsKey(ANNOTATION_MOVE_STRATEGY)
                            ? patches.strategyFromJson(ann.get(ANNOTATION_MOVE_STRATEGY)) : plan.override();
                    if (applied == null || patches.sameStrategy(d.getSpec().getStrategy(), applied)) {
                        // none set by the user: {} lets the API server apply its defaults again
                        restoreTo = plan.originalStrategy() != null ? plan.originalStrategy() : new DeploymentStrategy();
                    } else {
                        note = "; kept the rollout strategy changed during the move instead of restoring the earlier one";
                        LOG.info("{}: strategy changed during the move; keeping it", what);
                    }
                }
                String body = patches.finish(d, restoreTo, DEPLOYMENT_KEYS);
                if (body == null) {
                    return note;
                }
                try {
                    api.call("finish the move of " + what + " (strategy, annotations)",
                            () -> deployment().patch(PatchContext.of(PatchType.JSON), body));
                    return note;
                } catch (Conflict c) {
                    if (conflicts >= s.maxConflictRetries()) {
                        throw c;
                    }
                }
            }
        } catch (ApiFailure | Conflict | Aborted e) {
            LOG.warn("could not finish the move of {} (restore its strategy, drop annotation {}): {}; "
                    + "a strategy left at maxUnavailable=0 is safe, the next move or the next leader restores it from"
                    + " annotation {}", what, ANNOTATION_MOVE_GENERATION, e.getMessage(), ANNOTATION_SAVED_STRATEGY);
            return "; could not restore the rollout strategy / drop the move marker yet (" + e.getMessage() + ")";
        }
    }

    /**
     * The user's own required node affinity: the recorded annotation, else the template's (without
     * hostname expressions when the template carries an edgesched move id: those were ours).
     */
    private NodeSelector userAffinity(Deployment d, Map<String, String> annotations) {
        String recorded = annotations.get(ANNOTATION_USER_AFFINITY);
        if (recorded != null) {
            return patches.selectorFromJson(recorded);
        }
        NodeSelector current = PlacementRules.requiredAffinity(d.getSpec().getTemplate().getSpec());
        var meta = d.getSpec().getTemplate().getMetadata();
        boolean movedBefore = meta != null && meta.getAnnotations() != null
                && meta.getAnnotations().containsKey(ANNOTATION_MOVE_ID);
        if (current == null || current.getNodeSelectorTerms() == null || current.getNodeSelectorTerms().isEmpty()) {
            return null;
        }
        return movedBefore ? TemplatePatches.withoutHostname(current) : current;
    }

    static boolean carriesMove(Deployment d, String moveId) {
        var meta = d.getSpec().getTemplate().getMetadata();
        return meta != null && meta.getAnnotations() != null && moveId.equals(meta.getAnnotations().get(ANNOTATION_MOVE_ID));
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
