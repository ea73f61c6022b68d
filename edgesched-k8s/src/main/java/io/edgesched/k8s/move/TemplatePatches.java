package io.edgesched.k8s.move;

import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.NodeSelector;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStrategy;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;

/**
 * JSON Patch (RFC 6902) documents for a move and its undo, computed against the Deployment as
 * read. Each starts by replacing metadata.resourceVersion with the value read, which the API
 * server treats as a precondition: if anyone changed the object meanwhile the patch gets 409.
 *
 * <p>Why not JSON merge patch: its null-deletes and whole-array replacement are what an undo
 * needs, but the fabric8 CRUD mock appends arrays and keeps nulls, so tests could not tell a
 * correct patch from a wrong one. JSON Patch means exactly the same thing on both.
 */
final class TemplatePatches {
    private static final String TEMPLATE_ANNOTATIONS = "/spec/template/metadata/annotations";
    private static final String AFFINITY = "/spec/template/spec/affinity";
    private static final String NODE_AFFINITY = AFFINITY + "/nodeAffinity";
    private static final String REQUIRED = NODE_AFFINITY + "/requiredDuringSchedulingIgnoredDuringExecution";

    private final KubernetesSerialization json;

    TemplatePatches(KubernetesSerialization json) {
        this.json = json;
    }

    /**
     * The template's required node affinity with {@code hostname In targets} ANDed into every
     * term (replacing an earlier hostname expression); a new single term when there was none.
     */
    static NodeSelector withTargets(NodeSelector existing, SortedSet<String> targets) {
        NodeSelectorRequirement ours = new NodeSelectorRequirement(PlacementRules.HOSTNAME_LABEL, "In",
                new ArrayList<>(targets));
        List<NodeSelectorTerm> terms = new ArrayList<>();
        if (existing != null && existing.getNodeSelectorTerms() != null) {
            for (NodeSelectorTerm t : existing.getNodeSelectorTerms()) {
                List<NodeSelectorRequirement> exprs = new ArrayList<>();
                if (t.getMatchExpressions() != null) {
                    for (NodeSelectorRequirement r : t.getMatchExpressions()) {
                        if (!r.getKey().equals(PlacementRules.HOSTNAME_LABEL)) {
                            exprs.add(r);
                        }
                    }
                }
                exprs.add(ours);
                terms.add(new NodeSelectorTerm(exprs, t.getMatchFields()));
            }
        }
        if (terms.isEmpty()) {
            terms.add(new NodeSelectorTerm(List.of(ours), null));
        }
        return new NodeSelector(terms);
    }

    /**
     * The user's own required node affinity with {@code hostname In targets} ANDed into every term,
     * keeping every expression of the user's (also their own hostname expressions); a single term when
     * the user had none. Targets outside the user's terms are refused before this is used.
     */
    static NodeSelector withTargetsKeeping(NodeSelector user, SortedSet<String> targets) {
        NodeSelectorRequirement ours = new NodeSelectorRequirement(PlacementRules.HOSTNAME_LABEL, "In",
                new ArrayList<>(targets));
        List<NodeSelectorTerm> terms = new ArrayList<>();
        if (user != null && user.getNodeSelectorTerms() != null) {
            for (NodeSelectorTerm t : user.getNodeSelectorTerms()) {
                List<NodeSelectorRequirement> exprs = new ArrayList<>();
                if (t.getMatchExpressions() != null) {
                    exprs.addAll(t.getMatchExpressions());
                }
                exprs.add(ours);
                terms.add(new NodeSelectorTerm(exprs, t.getMatchFields()));
            }
        }
        if (terms.isEmpty()) {
            terms.add(new NodeSelectorTerm(List.of(ours), null));
        }
        return new NodeSelector(terms);
    }

    /** The template's required affinity without any hostname expression (those an older edgesched wrote). */
    static NodeSelector withoutHostname(NodeSelector s) {
        if (s == null || s.getNodeSelectorTerms() == null) {
            return null;
        }
        List<NodeSelectorTerm> terms = new ArrayList<>();
        for (NodeSelectorTerm t : s.getNodeSelectorTerms()) {
            List<NodeSelectorRequirement> exprs = t.getMatchExpressions() == null ? List.of()
                    : t.getMatchExpressions().stream().filter(r -> !PlacementRules.HOSTNAME_LABEL.equals(r.getKey()))
                            .toList();
            if (!exprs.isEmpty() || (t.getMatchFields() != null && !t.getMatchFields().isEmpty())) {
                terms.add(new NodeSelectorTerm(new ArrayList<>(exprs), t.getMatchFields()));
            }
        }
        return terms.isEmpty() ? null : new NodeSelector(terms);
    }

    String selectorToJson(NodeSelector s) {
        return s == null || s.getNodeSelectorTerms() == null || s.getNodeSelectorTerms().isEmpty() ? "{}" : json.asJson(s);
    }

    /** Null for "{}" (no constraint). Throws IllegalArgumentException when the text is not a NodeSelector. */
    NodeSelector selectorFromJson(String text) {
        NodeSelector s;
        try {
            s = json.unmarshal(text, NodeSelector.class);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        return s == null || s.getNodeSelectorTerms() == null || s.getNodeSelectorTerms().isEmpty() ? null : s;
    }

    /** Same selector as the API server stores it (absent and empty lists alike). */
    boolean sameSelector(NodeSelector a, NodeSelector b) {
        return a != null && b != null && json.asJson(a).equals(json.asJson(b));
    }

    /** Same rolling-update settings (what a restore precondition compares; defaults count as absent). */
    boolean sameStrategy(DeploymentStrategy a, DeploymentStrategy b) {
        return json.convertValue(norm(a), Object.class).equals(json.convertValue(norm(b), Object.class));
    }

    private DeploymentStrategy norm(DeploymentStrategy s) {
        return s == null ? new DeploymentStrategy() : s;
    }

    /** What the template looked like before the move, in the parts a move changes. */
    record TemplateState(Affinity affinity, Map<String, String> ourAnnotations) {
        static TemplateState of(PodTemplateSpec template, List<String> annotationKeys) {
            Map<String, String> ann = template.getMetadata() == null || template.getMetadata().getAnnotations() == null
                    ? Map.of() : template.getMetadata().getAnnotations();
            Map<String, String> ours = new LinkedHashMap<>();
            for (String k : annotationKeys) {
                ours.put(k, ann.get(k)); // null when absent: the undo removes it
            }
            Affinity aff = template.getSpec() == null ? null : template.getSpec().getAffinity();
            return new TemplateState(aff, ours);
        }
    }

    /**
     * @param deploymentAnnotations annotations to set on the Deployment itself (not the template):
     *                              they do not start a rollout
     * @param strategyOverride      strategy to run the move with, or null to leave it
     */
    String move(Deployment d, NodeSelector required, Map<String, String> templateAnnotations,
                Map<String, String> deploymentAnnotations, DeploymentStrategy strategyOverride) {
        Ops ops = new Ops();
        ops.precondition(d);
        if (strategyOverride != null) {
            ops.add("/spec/strategy", tree(strategyOverride));
        }
        if (!deploymentAnnotations.isEmpty()) {
            ops.putAll("/metadata/annotations", d.getMetadata().getAnnotations() != null, deploymentAnnotations);
        }
        PodTemplateSpec t = d.getSpec().getTemplate();
        if (t.getMetadata() == null) {
            ops.add("/spec/template/metadata", Map.of("annotations", templateAnnotations));
        } else {
            ops.putAll(TEMPLATE_ANNOTATIONS, t.getMetadata().getAnnotations() != null, templateAnnotations);
        }
        Affinity aff = t.getSpec().getAffinity();
        if (aff == null) {
            ops.add(AFFINITY, Map.of("nodeAffinity", Map.of(
                    "requiredDuringSchedulingIgnoredDuringExecution", tree(required))));
        } else if (aff.getNodeAffinity() == null) {
            ops.add(NODE_AFFINITY, Map.of("requiredDuringSchedulingIgnoredDuringExecution", tree(required)));
        } else {
            ops.add(REQUIRED, tree(required));
        }
        return json.asJson(ops.list);
    }

    /**
     * Undo a move on {@code current} (freshly read): put back the affinity and our template
     * annotations as before, and drop the Deployment annotations {@code dropKeys} where present.
     */
    String undo(Deployment current, TemplateState before, List<String> dropKeys) {
        Ops ops = new Ops();
        ops.precondition(current);
        ops.removeAnnotations(current, dropKeys);
        PodTemplateSpec t = current.getSpec().getTemplate();
        Map<String, String> now = t.getMetadata() == null || t.getMetadata().getAnnotations() == null ? Map.of()
                : t.getMetadata().getAnnotations();
        before.ourAnnotations().forEach((k, v) -> {
            if (v != null) {
                ops.add(TEMPLATE_ANNOTATIONS + "/" + escape(k), v);
            } else if (now.containsKey(k)) {
                ops.remove(TEMPLATE_ANNOTATIONS + "/" + escape(k));
            }
        });
        Affinity cur = t.getSpec().getAffinity();
        Affinity old = before.affinity();
        if (old == null) {
            if (cur != null) {
                ops.remove(AFFINITY);
            }
        } else if (old.getNodeAffinity() == null) {
            if (cur != null && cur.getNodeAffinity() != null) {
                ops.remove(NODE_AFFINITY);
            }
        } else {
            NodeSelector prev = old.getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution();
            if (prev != null) {
                ops.add(REQUIRED, tree(prev));
            } else if (cur != null && cur.getNodeAffinity() != null
                    && cur.getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution() != null) {
                ops.remove(REQUIRED);
            }
        }
        return json.asJson(ops.list);
    }

    /**
     * After a move: put back the user's strategy ({@code original}; null leaves the strategy alone)
     * and drop the Deployment annotations {@code dropKeys} where present. Null when nothing to do.
     */
    String finish(Deployment current, DeploymentStrategy original, List<String> dropKeys) {
        Ops ops = new Ops();
        ops.precondition(current); // a change made after our read is never overwritten (409 instead)
        if (original != null) {
            ops.add("/spec/strategy", tree(original));
        }
        ops.removeAnnotations(current, dropKeys);
        return ops.list.size() <= 1 ? null : json.asJson(ops.list);
    }

    String strategyToJson(DeploymentStrategy s) {
        return s == null ? "{}" : json.asJson(s);
    }

    DeploymentStrategy strategyFromJson(String s) {
        return json.unmarshal(s, DeploymentStrategy.class);
    }

    private Object tree(Object model) {
        return json.convertValue(model, Object.class);
    }

    /** JSON Pointer escaping (RFC 6901): annotation keys contain '/'. */
    static String escape(String key) {
        return key.replace("~", "~0").replace("/", "~1");
    }

    private static final class Ops {
        final List<Map<String, Object>> list = new ArrayList<>();

        void precondition(Deployment d) {
            op("replace", "/metadata/resourceVersion", d.getMetadata().getResourceVersion());
        }

        void removeAnnotations(Deployment d, List<String> keys) {
            Map<String, String> ann = d.getMetadata().getAnnotations();
            for (String k : keys) {
                if (ann != null && ann.containsKey(k)) {
                    remove("/metadata/annotations/" + escape(k));
                }
            }
        }

        void add(String path, Object value) {
            op("add", path, value);
        }

        void remove(String path) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("op", "remove");
            m.put("path", path);
            list.add(m);
        }

        /** Set keys of a string map, creating the map when it does not exist yet. */
        void putAll(String mapPath, boolean exists, Map<String, String> entries) {
            if (!exists) {
                add(mapPath, new LinkedHashMap<>(entries));
                return;
            }
            entries.forEach((k, v) -> add(mapPath + "/" + escape(k), v));
        }

        private void op(String op, String path, Object value) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("op", op);
            m.put("path", path);
            m.put("value", value);
            list.add(m);
        }
    }
}
