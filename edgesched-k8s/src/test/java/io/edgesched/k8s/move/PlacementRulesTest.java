package io.edgesched.k8s.move;

import io.edgesched.k8s.selector.Selectors;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.NodeSelector;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.apps.DeploymentStrategyBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The pure rules behind the checks and patches, case by case. */
class PlacementRulesTest {

    @Test
    void rollingParametersResolveLikeTheDeploymentController() {
        assertThat(PlacementRules.resolve(null, 3)).isEqualTo(new PlacementRules.Rolling(1, 0));
        assertThat(PlacementRules.resolve(null, 3).makeBeforeBreak()).isTrue();
        assertThat(PlacementRules.resolve(null, 4)).isEqualTo(new PlacementRules.Rolling(1, 1));
        assertThat(PlacementRules.resolve(null, 4).makeBeforeBreak()).isFalse();
        var zeroZero = new DeploymentStrategyBuilder().withType("RollingUpdate").withNewRollingUpdate()
                .withMaxSurge(new IntOrString(0)).withMaxUnavailable(new IntOrString("10%")).endRollingUpdate().build();
        assertThat(PlacementRules.resolve(zeroZero, 5)).as("both 0 -> unavailable 1")
                .isEqualTo(new PlacementRules.Rolling(0, 1));
        var safe = new DeploymentStrategyBuilder().withType("RollingUpdate").withNewRollingUpdate()
                .withMaxSurge(new IntOrString("50%")).withMaxUnavailable(new IntOrString(0)).endRollingUpdate().build();
        assertThat(PlacementRules.resolve(safe, 3)).isEqualTo(new PlacementRules.Rolling(2, 0));
    }

    @Test
    void tolerationsMatchTaintsLikeTheScheduler() {
        Taint gpu = new Taint("NoSchedule", "gpu", null, "yes");
        assertThat(Selectors.tolerates(null, gpu)).isFalse();
        assertThat(Selectors.tolerates(List.of(tol("", "Exists", null, null)), gpu)).as("wildcard").isTrue();
        assertThat(Selectors.tolerates(List.of(tol("gpu", "Equal", "yes", "NoSchedule")), gpu)).isTrue();
        assertThat(Selectors.tolerates(List.of(tol("gpu", "Equal", "no", "NoSchedule")), gpu)).isFalse();
        assertThat(Selectors.tolerates(List.of(tol("gpu", "Exists", null, "NoExecute")), gpu)).as("effect").isFalse();
        assertThat(Selectors.tolerates(List.of(tol("gpu", null, "yes", null)), gpu)).as("default Equal").isTrue();
        assertThat(Selectors.blocksScheduling(new Taint("PreferNoSchedule", "x", null, null))).isFalse();
    }

    private static Toleration tol(String key, String op, String value, String effect) {
        return new Toleration(effect, key, op, null, value);
    }

    @Test
    void nodeFitHonoursNodeSelectorAndTheTemplatesOwnAffinity() {
        var node = Fixtures.nodeBuilder("edge-b").editMetadata().addToLabels("zone", "north").endMetadata().build();
        PodSpec wantsSouth = new PodSpecBuilder().addToNodeSelector("zone", "south").build();
        assertThat(PlacementRules.whyNodeUnfit("edge-b", node, wantsSouth)).hasValueSatisfying(
                s -> assertThat(s).contains("lacks label zone=south"));
        PodSpec affinityNorthPinnedElsewhere = new PodSpecBuilder().withNewAffinity().withNewNodeAffinity()
                .withNewRequiredDuringSchedulingIgnoredDuringExecution().addNewNodeSelectorTerm()
                .addNewMatchExpression().withKey("zone").withOperator("In").withValues("north").endMatchExpression()
                .addNewMatchExpression().withKey("kubernetes.io/hostname").withOperator("In").withValues("edge-a")
                .endMatchExpression().endNodeSelectorTerm().endRequiredDuringSchedulingIgnoredDuringExecution()
                .endNodeAffinity().endAffinity().build();
        assertThat(PlacementRules.whyNodeUnfit("edge-b", node, affinityNorthPinnedElsewhere))
                .as("the hostname expression is ours to replace").isEmpty();
        PodSpec wantsGpu = new PodSpecBuilder().withNewAffinity().withNewNodeAffinity()
                .withNewRequiredDuringSchedulingIgnoredDuringExecution().addNewNodeSelectorTerm()
                .addNewMatchExpression().withKey("gpu").withOperator("Exists").endMatchExpression().endNodeSelectorTerm()
                .endRequiredDuringSchedulingIgnoredDuringExecution().endNodeAffinity().endAffinity().build();
        assertThat(PlacementRules.whyNodeUnfit("edge-b", node, wantsGpu)).hasValueSatisfying(
                s -> assertThat(s).contains("matches none of the pod template's own required node affinity terms"));
        assertThat(PlacementRules.whyNodeUnfit("edge-x", null, wantsGpu)).contains("target node edge-x does not exist");
    }

    @Test
    void budgetsApplyOnlyWhenTheirSelectorMatches() {
        Map<String, String> labels = Map.of("app", "web");
        assertThat(PlacementRules.whyBudgetForbids(pdb(Map.of("app", "db"), 0), labels)).isEmpty();
        assertThat(PlacementRules.whyBudgetForbids(pdb(Map.of("app", "web"), 0), labels)).isPresent();
        assertThat(PlacementRules.whyBudgetForbids(pdb(Map.of("app", "web"), 1), labels)).isEmpty();
        assertThat(PlacementRules.whyBudgetForbids(pdb(Map.of(), 0), labels)).as("empty selector matches all")
                .isPresent();
        PodDisruptionBudget noSelector = pdb(Map.of(), 0);
        noSelector.getSpec().setSelector(null);
        assertThat(PlacementRules.whyBudgetForbids(noSelector, labels)).as("null selector matches none").isEmpty();
        PodDisruptionBudget noStatus = pdb(Map.of("app", "web"), 1);
        noStatus.setStatus(null);
        assertThat(PlacementRules.whyBudgetForbids(noStatus, labels)).hasValueSatisfying(
                s -> assertThat(s).contains("no status yet"));
    }

    private static PodDisruptionBudget pdb(Map<String, String> selector, int allowed) {
        return new PodDisruptionBudgetBuilder().withNewMetadata().withName("p").withNamespace("edge").endMetadata()
                .withNewSpec().withSelector(new LabelSelectorBuilder().withMatchLabels(selector).build()).endSpec()
                .withNewStatus().withDisruptionsAllowed(allowed).withCurrentHealthy(2).withDesiredHealthy(2)
                .endStatus().build();
    }

    @Test
    void targetsAreAndedIntoEveryTermAndReplaceAnEarlierHostnameExpression() {
        NodeSelector existing = new NodeSelector(List.of(
                new NodeSelectorTerm(List.of(new NodeSelectorRequirement("zone", "In", List.of("north")),
                        new NodeSelectorRequirement("kubernetes.io/hostname", "In", List.of("edge-a"))), null),
                new NodeSelectorTerm(List.of(new NodeSelectorRequirement("zone", "In", List.of("south"))), null)));
        NodeSelector out = TemplatePatches.withTargets(existing, new TreeSet<>(List.of("edge-c", "edge-b")));
        NodeSelectorRequirement ours = new NodeSelectorRequirement("kubernetes.io/hostname", "In",
                List.of("edge-b", "edge-c"));
        assertThat(out.getNodeSelectorTerms()).hasSize(2);
        assertThat(out.getNodeSelectorTerms().get(0).getMatchExpressions())
                .containsExactly(new NodeSelectorRequirement("zone", "In", List.of("north")), ours);
        assertThat(out.getNodeSelectorTerms().get(1).getMatchExpressions())
                .containsExactly(new NodeSelectorRequirement("zone", "In", List.of("south")), ours);
        assertThat(TemplatePatches.withTargets(null, new TreeSet<>(List.of("edge-b"))).getNodeSelectorTerms())
                .singleElement().satisfies(t -> assertThat(t.getMatchExpressions()).containsExactly(
                        new NodeSelectorRequirement("kubernetes.io/hostname", "In", List.of("edge-b"))));
    }

    @Test
    void undoRemovesWhatTheMoveAddedAndEscapesAnnotationKeys() {
        var patches = new TemplatePatches(new KubernetesSerialization());
        var before = Fixtures.deployment("web", 1, "edge-a").build();
        before.getSpec().getTemplate().getSpec().setAffinity(null);
        before.getMetadata().setResourceVersion("7");
        var state = TemplatePatches.TemplateState.of(before.getSpec().getTemplate(), MoveProcedure.TEMPLATE_KEYS);
        var after = Fixtures.deployment("web", 1, "edge-b").build();
        after.getMetadata().setResourceVersion("8");
        after.getSpec().getTemplate().getMetadata().setAnnotations(Map.of(KubernetesRescheduler.ANNOTATION_MOVE_ID, "m"));
        after.getMetadata().setAnnotations(Map.of(KubernetesRescheduler.ANNOTATION_MOVE_GENERATION, "2"));
        String undo = patches.undo(after, state, List.of(KubernetesRescheduler.ANNOTATION_MOVE_GENERATION,
                KubernetesRescheduler.ANNOTATION_SAVED_STRATEGY));
        assertThat(undo).contains("{\"op\":\"replace\",\"path\":\"/metadata/resourceVersion\",\"value\":\"8\"}")
                .contains("{\"op\":\"remove\",\"path\":\"/spec/template/metadata/annotations/edgesched.io~1move-id\"}")
                .contains("{\"op\":\"remove\",\"path\":\"/spec/template/spec/affinity\"}")
                .contains("{\"op\":\"remove\",\"path\":\"/metadata/annotations/edgesched.io~1move-generation\"}")
                .as("only keys that exist are removed").doesNotContain("saved-strategy")
                .doesNotContain("moved-at");
    }
}
