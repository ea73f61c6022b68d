package io.edgesched.k8s.move;

import io.edgesched.k8s.selector.Selectors;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.NodeSelector;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.apps.DeploymentStrategy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.util.Map;
import java.util.Optional;

/** The safety rules a move must pass before anything is patched. Pure functions, no API calls. */
final class PlacementRules {
    static final String HOSTNAME_LABEL = "kubernetes.io/hostname";

    private PlacementRules() {
    }

    /**
     * Why pods of this template could not run on the node, or empty if they could (as far as
     * cordon, readiness, taints, nodeSelector and the template's own required node affinity go;
     * resource fit is left to the scheduler and caught by the rollout watch).
     */
    static Optional<String> whyNodeUnfit(String nodeName, Node node, PodSpec podSpec) {
        if (node == null) {
            return Optional.of("target node " + nodeName + " does not exist");
        }
        if (Boolean.TRUE.equals(node.getSpec().getUnschedulable())) {
            return Optional.of("target node " + nodeName + " is cordoned (spec.unschedulable=true)");
        }
        NodeCondition ready = node.getStatus() == null || node.getStatus().getConditions() == null ? null
                : node.getStatus().getConditions().stream().filter(c -> "Ready".equals(c.getType())).findFirst()
                        .orElse(null);
        if (ready == null || !"True".equals(ready.getStatus())) {
            String detail = ready == null ? "no Ready condition"
                    : "Ready=" + ready.getStatus() + (ready.getReason() == null ? "" : " (" + ready.getReason() + ")");
            return Optional.of("target node " + nodeName + " is NotReady: " + detail);
        }
        if (node.getSpec().getTaints() != null) {
            for (Taint taint : node.getSpec().getTaints()) {
                if (Selectors.blocksScheduling(taint) && !Selectors.tolerates(podSpec.getTolerations(), taint)) {
                    return Optional.of("target node " + nodeName + " has taint " + taint.getKey()
                            + (taint.getValue() == null || taint.getValue().isEmpty() ? "" : "=" + taint.getValue())
                            + ":" + taint.getEffect() + " that the pod template does not tolerate");
                }
            }
        }
        Map<String, String> labels = node.getMetadata().getLabels() == null ? Map.of() : node.getMetadata().getLabels();
        if (podSpec.getNodeSelector() != null) {
            for (var e : podSpec.getNodeSelector().entrySet()) {
                if (!e.getValue().equals(labels.get(e.getKey()))) {
                    return Optional.of("target node " + nodeName + " lacks label " + e.getKey() + "=" + e.getValue()
                            + " required by the pod template's nodeSelector");
                }
            }
        }
        NodeSelector required = requiredAffinity(podSpec);
        if (required != null && required.getNodeSelectorTerms() != null && !required.getNodeSelectorTerms().isEmpty()) {
            boolean any = false;
            for (NodeSelectorTerm term : required.getNodeSelectorTerms()) {
                if (Selectors.termMatches(term, labels, HOSTNAME_LABEL)) {
                    any = true;
                    break;
                }
            }
            if (!any) {
                return Optional.of("target node " + nodeName
                        + " matches none of the pod template's own required node affinity terms");
            }
        }
        return Optional.empty();
    }

    /**
     * Why the user's own required node affinity (hostname expressions included) excludes the node,
     * or empty if a term admits it. Null or empty {@code user}: every node is allowed.
     */
    static Optional<String> whyOutsideUserAffinity(String nodeName, Node node, NodeSelector user, String annotation) {
        if (node == null || user == null || user.getNodeSelectorTerms() == null || user.getNodeSelectorTerms().isEmpty()) {
            return Optional.empty();
        }
        Map<String, String> labels = node.getMetadata().getLabels() == null ? Map.of() : node.getMetadata().getLabels();
        for (NodeSelectorTerm term : user.getNodeSelectorTerms()) {
            if (Selectors.termMatches(term, labels, null)) {
                return Optional.empty();
            }
        }
        return Optional.of("target node " + nodeName + " is outside the nodes the Deployment's own required node affinity"
                + " allows (recorded in annotation " + annotation + "); edgesched keeps to the user's set: edit that"
                + " annotation to widen it");
    }

    static NodeSelector requiredAffinity(PodSpec podSpec) {
        if (podSpec.getAffinity() == null || podSpec.getAffinity().getNodeAffinity() == null) {
            return null;
        }
        return podSpec.getAffinity().getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution();
    }

    /**
     * Why this PDB forbids a move now, or empty. Rule: a move replaces every pod, so it is refused
     * while a matching budget allows no disruption (status.disruptionsAllowed &lt;= 0, or no status yet).
     */
    static Optional<String> whyBudgetForbids(PodDisruptionBudget pdb, Map<String, String> podLabels) {
        if (pdb.getSpec() == null || !Selectors.labelSelectorMatches(pdb.getSpec().getSelector(), podLabels)) {
            return Optional.empty();
        }
        String name = pdb.getMetadata().getNamespace() + "/" + pdb.getMetadata().getName();
        var st = pdb.getStatus();
        if (st == null || st.getDisruptionsAllowed() == null) {
            return Optional.of("PodDisruptionBudget " + name
                    + " has no status yet (disruption controller has not processed it); retry later");
        }
        if (st.getDisruptionsAllowed() <= 0) {
            return Optional.of("PodDisruptionBudget " + name + " allows 0 disruptions now (currentHealthy "
                    + st.getCurrentHealthy() + ", desiredHealthy " + st.getDesiredHealthy()
                    + "); a move replaces pods, so edgesched waits until the budget allows one");
        }
        return Optional.empty();
    }

    /** maxSurge / maxUnavailable as the Deployment controller resolves them for this many replicas. */
    record Rolling(int maxSurge, int maxUnavailable) {
        boolean makeBeforeBreak() {
            return maxUnavailable == 0 && maxSurge >= 1;
        }
    }

    static Rolling resolve(DeploymentStrategy strategy, int replicas) {
        IntOrString surge = null;
        IntOrString unavailable = null;
        if (strategy != null && strategy.getRollingUpdate() != null) {
            surge = strategy.getRollingUpdate().getMaxSurge();
            unavailable = strategy.getRollingUpdate().getMaxUnavailable();
        }
        int s = scaled(surge, replicas, true);
        int u = scaled(unavailable, replicas, false);
        if (s == 0 && u == 0) {
            u = 1; // the controller does the same, or the rollout could never progress
        }
        return new Rolling(s, u);
    }

    private static int scaled(IntOrString v, int replicas, boolean roundUp) {
        if (v == null) {
            v = new IntOrString("25%");
        }
        if (v.getIntVal() != null) {
            return v.getIntVal();
        }
        String s = v.getStrVal().trim();
        if (s.endsWith("%")) {
            double pct = Double.parseDouble(s.substring(0, s.length() - 1));
            double x = pct * replicas / 100.0;
            return (int) (roundUp ? Math.ceil(x) : Math.floor(x));
        }
        return Integer.parseInt(s);
    }

    /**
     * The strategy a move runs with, or null to keep the user's: make-before-break unless maxUnavailable is
     * literally 0 (int 0 or "0%") and maxSurge is not. A percentage that rounds to 0 at today's replica
     * count is not enough: an autoscaler that scales up mid-move makes it non-zero.
     */
    static DeploymentStrategy makeBeforeBreakOverride(DeploymentStrategy strategy) {
        IntOrString surge = null;
        IntOrString unavailable = null;
        if (strategy != null && strategy.getRollingUpdate() != null) {
            surge = strategy.getRollingUpdate().getMaxSurge();
            unavailable = strategy.getRollingUpdate().getMaxUnavailable();
        }
        if (surge == null) {
            surge = new IntOrString("25%");
        }
        if (unavailable == null) {
            unavailable = new IntOrString("25%");
        }
        boolean surgeNonZero = !isLiterallyZero(surge);
        if (isLiterallyZero(unavailable) && surgeNonZero) {
            return null;
        }
        return new io.fabric8.kubernetes.api.model.apps.DeploymentStrategyBuilder().withType("RollingUpdate")
                .withNewRollingUpdate().withMaxSurge(surgeNonZero ? surge : new IntOrString(1))
                .withMaxUnavailable(new IntOrString(0)).endRollingUpdate().build();
    }

    static boolean isLiterallyZero(IntOrString v) {
        if (v.getIntVal() != null) {
            return v.getIntVal() == 0;
        }
        String s = v.getStrVal() == null ? "" : v.getStrVal().trim();
        if (s.endsWith("%")) {
            s = s.substring(0, s.length() - 1).trim();
        }
        try {
            return Double.parseDouble(s) == 0;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /**
     * How long a rollout may take before edgesched rolls it back: the Deployment's own progress deadline
     * (default 600 s) per batch of maxSurge new pods, at most {@code ceiling}.
     */
    static java.time.Duration rolloutTimeout(io.fabric8.kubernetes.api.model.apps.Deployment d,
                                             DeploymentStrategy runningWith, java.time.Duration ceiling) {
        int replicas = d.getSpec().getReplicas() == null ? 1 : Math.max(1, d.getSpec().getReplicas());
        int deadline = d.getSpec().getProgressDeadlineSeconds() == null ? 600
                : Math.max(1, d.getSpec().getProgressDeadlineSeconds());
        int surge = Math.max(1, resolve(runningWith, replicas).maxSurge());
        long batches = (replicas + surge - 1) / surge;
        java.time.Duration derived = java.time.Duration.ofSeconds(deadline).multipliedBy(batches);
        return derived.compareTo(ceiling) < 0 ? derived : ceiling;
    }

    static boolean isRecreate(DeploymentStrategy strategy) {
        return strategy != null && "Recreate".equals(strategy.getType());
    }
}
