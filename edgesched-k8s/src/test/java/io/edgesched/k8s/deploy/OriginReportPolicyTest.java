package io.edgesched.k8s.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.extensions.CelExtensions;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicy;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicyBinding;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.Validation;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The admission policy that binds each OriginReport to its node, as deploy/ renders it, evaluated with CEL on
 * the request the API server hands it: an agent writes its own node's report and nothing else.
 */
class OriginReportPolicyTest {
    static final String NODE_NAME = "authentication.kubernetes.io/node-name";
    static final String AGENT = "system:serviceaccount:edgesched:edgesched-agent";
    static ValidatingAdmissionPolicy policy;
    static CelCompiler compiler;
    static CelRuntime runtime;

    @BeforeAll
    static void load() throws Exception {
        DeployManifestsTest.render();
        policy = DeployManifestsTest.one(ValidatingAdmissionPolicy.class, "edgesched-originreport-writer");
        compiler = CelCompilerFactory.standardCelCompilerBuilder()
                .setStandardMacros(dev.cel.parser.CelStandardMacro.STANDARD_MACROS)
                .addVar("request", SimpleType.DYN).addVar("object", SimpleType.DYN).addVar("oldObject", SimpleType.DYN)
                .addLibraries(CelExtensions.strings()).build();
        runtime = CelRuntimeFactory.standardCelRuntimeBuilder().addLibraries(CelExtensions.strings()).build();
    }

    static Object eval(String expression, Map<String, Object> vars) throws Exception {
        var ast = compiler.compile(expression).getAst();
        return runtime.createProgram(ast).eval(vars);
    }

    static Map<String, Object> request(String user, Map<String, List<String>> extra) {
        Map<String, Object> userInfo = extra == null ? Map.of("username", user) : Map.of("username", user, "extra", extra);
        return Map.of("userInfo", userInfo, "operation", "UPDATE");
    }

    static Map<String, Object> report(String name, String specNode) {
        return Map.of("metadata", Map.of("name", name, "namespace", "edgesched"), "spec", Map.of("node", specNode));
    }

    /** What the API server decides: allowed when no match condition holds or every validation is true. */
    static boolean admits(Map<String, Object> request, Map<String, Object> object) throws Exception {
        Map<String, Object> vars = Map.of("request", request, "object", object, "oldObject", object);
        for (var c : policy.getSpec().getMatchConditions()) {
            if (!Boolean.TRUE.equals(eval(c.getExpression(), vars))) {
                return true;
            }
        }
        for (Validation v : policy.getSpec().getValidations()) {
            if (!Boolean.TRUE.equals(eval(v.getExpression(), vars))) {
                if (v.getMessageExpression() != null) {
                    assertThat(eval(v.getMessageExpression(), vars)).asString().contains(AGENT.substring(0, 22));
                }
                return false;
            }
        }
        return true;
    }

    @Test
    void anAgentWritesOnlyTheReportOfTheNodeItsTokenIsBoundTo() throws Exception {
        var onEdge1 = request(AGENT, Map.of(NODE_NAME, List.of("edge-1")));
        assertThat(admits(onEdge1, report("edge-1", "edge-1"))).as("its own report").isTrue();
        assertThat(admits(onEdge1, report("edge-2", "edge-2"))).as("another node's report (the forgery)").isFalse();
        assertThat(admits(onEdge1, report("edge-1", "edge-2"))).as("its name, another node inside").isFalse();
        assertThat(admits(request(AGENT, null), report("edge-1", "edge-1"))).as("a token bound to no node").isFalse();
        assertThat(admits(request(AGENT, Map.of("other", List.of("x"))), report("edge-1", "edge-1"))).isFalse();
        assertThat(admits(request(AGENT, Map.of(NODE_NAME, List.of("edge-1", "edge-2"))), report("edge-2", "edge-2")))
                .as("two node names").isFalse();
        assertThat(admits(request("system:serviceaccount:shop:web", Map.of(NODE_NAME, List.of("edge-3"))),
                report("edge-1", "edge-1"))).as("any other pod's service account").isFalse();
        assertThat(admits(request("kubernetes-admin", null), report("edge-9", "edge-9")))
                .as("people are left to RBAC").isTrue();
    }

    @Test
    void thePolicyCoversCreateAndUpdateOfReportsAndIsBoundToDeny() {
        var rule = policy.getSpec().getMatchConstraints().getResourceRules().getFirst();
        assertThat(rule.getApiGroups()).containsExactly("edgesched.io");
        assertThat(rule.getOperations()).containsExactlyInAnyOrder("CREATE", "UPDATE");
        assertThat(rule.getResources()).contains("originreports");
        assertThat(policy.getSpec().getFailurePolicy()).isEqualTo("Fail");
        var binding = DeployManifestsTest.one(ValidatingAdmissionPolicyBinding.class, "edgesched-originreport-writer");
        assertThat(binding.getSpec().getPolicyName()).isEqualTo(policy.getMetadata().getName());
        assertThat(binding.getSpec().getValidationActions()).containsExactly("Deny");
    }
}
