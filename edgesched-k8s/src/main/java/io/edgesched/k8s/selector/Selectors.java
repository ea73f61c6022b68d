package io.edgesched.k8s.selector;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.List;
import java.util.Map;

/**
 * The one place edgesched evaluates Kubernetes matching rules locally: label selectors, Service selectors,
 * node selector terms, taints and tolerations. The empty-selector rule is Kubernetes' own, stated once:
 * <ul>
 *   <li>a {@code metav1.LabelSelector} (Deployment, PodDisruptionBudget): null selects nothing, an empty one
 *       (no matchLabels, no matchExpressions) selects everything. The API server refuses an empty Deployment
 *       selector, so this matters for budgets;</li>
 *   <li>a Service's {@code spec.selector} (a plain map, not a LabelSelector): empty selects nothing, as the
 *       endpoints controller does (such a Service's endpoints are managed by hand).</li>
 * </ul>
 */
public final class Selectors {
    private Selectors() {
    }

    /** One requirement with the operator semantics shared by label and node selectors. */
    public static boolean requirementMatches(String key, String operator, List<String> values, Map<String, String> labels) {
        String actual = labels.get(key);
        List<String> vals = values == null ? List.of() : values;
        return switch (operator) {
            case "In" -> actual != null && vals.contains(actual);
            case "NotIn" -> actual == null || !vals.contains(actual);
            case "Exists" -> actual != null;
            case "DoesNotExist" -> actual == null;
            case "Gt", "Lt" -> {
                if (actual == null || vals.size() != 1) {
                    yield false;
                }
                try {
                    long a = Long.parseLong(actual);
                    long b = Long.parseLong(vals.getFirst());
                    yield operator.equals("Gt") ? a > b : a < b;
                } catch (NumberFormatException e) {
                    yield false;
                }
            }
            default -> false;
        };
    }

    /** metav1 semantics: a null selector matches nothing, an empty one matches everything. */
    public static boolean labelSelectorMatches(LabelSelector selector, Map<String, String> labels) {
        if (selector == null) {
            return false;
        }
        Map<String, String> safe = labels == null ? Map.of() : labels;
        if (selector.getMatchLabels() != null) {
            for (var e : selector.getMatchLabels().entrySet()) {
                if (!e.getValue().equals(safe.get(e.getKey()))) {
                    return false;
                }
            }
        }
        if (selector.getMatchExpressions() != null) {
            for (LabelSelectorRequirement r : selector.getMatchExpressions()) {
                if (!requirementMatches(r.getKey(), r.getOperator(), r.getValues(), safe)) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Match expressions of one node selector term, skipping those on {@code skipKey}; matchFields are ignored. */
    public static boolean termMatches(NodeSelectorTerm term, Map<String, String> nodeLabels, String skipKey) {
        if (term.getMatchExpressions() == null) {
            return true;
        }
        for (NodeSelectorRequirement r : term.getMatchExpressions()) {
            if (r.getKey().equals(skipKey)) {
                continue;
            }
            if (!requirementMatches(r.getKey(), r.getOperator(), r.getValues(), nodeLabels)) {
                return false;
            }
        }
        return true;
    }

    /** Scheduler semantics: a toleration with an empty key and operator Exists tolerates every taint. */
    public static boolean tolerates(List<Toleration> tolerations, Taint taint) {
        if (tolerations == null) {
            return false;
        }
        for (Toleration t : tolerations) {
            boolean effectOk = t.getEffect() == null || t.getEffect().isEmpty() || t.getEffect().equals(taint.getEffect());
            if (!effectOk) {
                continue;
            }
            String op = t.getOperator() == null || t.getOperator().isEmpty() ? "Equal" : t.getOperator();
            if (t.getKey() == null || t.getKey().isEmpty()) {
                if (op.equals("Exists")) {
                    return true;
                }
                continue;
            }
            if (!t.getKey().equals(taint.getKey())) {
                continue;
            }
            if (op.equals("Exists")) {
                return true;
            }
            String want = t.getValue() == null ? "" : t.getValue();
            String have = taint.getValue() == null ? "" : taint.getValue();
            if (want.equals(have)) {
                return true;
            }
        }
        return false;
    }

    /** Service selector semantics: every selector pair present in the labels; an empty selector selects nothing. */
    public static boolean serviceSelects(Map<String, String> selector, Map<String, String> labels) {
        if (selector == null || selector.isEmpty() || labels == null) {
            return false;
        }
        for (Map.Entry<String, String> e : selector.entrySet()) {
            if (!e.getValue().equals(labels.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    public static boolean blocksScheduling(Taint taint) {
        return "NoSchedule".equals(taint.getEffect()) || "NoExecute".equals(taint.getEffect());
    }
}
