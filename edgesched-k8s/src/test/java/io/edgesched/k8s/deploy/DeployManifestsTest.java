package io.edgesched.k8s.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesList;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Renders deploy/ (with {@code kubectl kustomize} when kubectl is installed, else by reading the files the
 * kustomization lists) and checks the privilege rules the manifests promise.
 */
class DeployManifestsTest {
    static final Path DEPLOY = Path.of("..", "deploy");
    static final KubernetesSerialization YAML = new KubernetesSerialization();
    static List<HasMetadata> objects;
    static boolean renderedByKubectl;

    @BeforeAll
    static void render() throws Exception {
        String text = kubectlKustomize();
        renderedByKubectl = text != null;
        objects = parse(text != null ? text : readListedFiles());
    }

    /** The kustomization's resources concatenated: what kustomize renders, minus labels and image names. */
    static String readListedFiles() throws IOException {
        StringBuilder all = new StringBuilder();
        @SuppressWarnings("unchecked")
        Map<String, Object> kustomization = YAML.unmarshal(Files.readString(DEPLOY.resolve("kustomization.yaml")), Map.class);
        for (Object file : (List<?>) kustomization.get("resources")) {
            all.append(Files.readString(DEPLOY.resolve(file.toString()))).append("\n---\n");
        }
        return all.toString();
    }

    @Test
    void theFilesAloneGiveTheSameObjects() throws IOException {
        Set<String> raw = parse(readListedFiles()).stream().map(o -> o.getKind() + "/" + o.getMetadata().getName())
                .collect(Collectors.toSet());
        Set<String> rendered = objects.stream().map(o -> o.getKind() + "/" + o.getMetadata().getName()).collect(Collectors.toSet());
        assertThat(raw).isEqualTo(rendered);
    }

    static String kubectlKustomize() throws IOException, InterruptedException {
        boolean onPath = Arrays.stream(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .anyMatch(dir -> Files.isExecutable(Path.of(dir, "kubectl")));
        if (!onPath) {
            return null;
        }
        Process p = new ProcessBuilder("kubectl", "kustomize", DEPLOY.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError("kubectl kustomize deploy/ failed:\n" + out);
        }
        return out;
    }

    static List<HasMetadata> parse(String yaml) {
        Object parsed = YAML.unmarshal(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)));
        List<HasMetadata> out = new ArrayList<>();
        if (parsed instanceof KubernetesList list) {
            out.addAll(list.getItems());
        } else if (parsed instanceof List<?> list) {
            list.stream().filter(HasMetadata.class::isInstance).map(HasMetadata.class::cast).forEach(out::add);
        } else if (parsed instanceof HasMetadata one) {
            out.add(one);
        }
        return out;
    }

    static <T extends HasMetadata> T one(Class<T> type, String name) {
        return objects.stream().filter(type::isInstance).map(type::cast)
                .filter(o -> o.getMetadata().getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError(type.getSimpleName() + " " + name + " not in deploy/"));
    }

    @Test
    void rendersEveryPieceOnce() {
        Set<String> kinds = objects.stream().map(o -> o.getKind() + "/" + o.getMetadata().getName()).collect(Collectors.toSet());
        assertThat(kinds).contains("CustomResourceDefinition/originreports.edgesched.io", "DaemonSet/edgesched-agent",
                "Deployment/edgesched-controller", "ClusterRole/edgesched-controller", "ClusterRole/edgesched-agent",
                "Role/edgesched-controller-leader", "Role/edgesched-agent-reports", "ServiceAccount/edgesched-agent",
                "ServiceAccount/edgesched-controller", "Deployment/hello", "Service/hello",
                "ValidatingAdmissionPolicy/edgesched-originreport-writer",
                "ValidatingAdmissionPolicyBinding/edgesched-originreport-writer");
        assertThat(objects).hasSize(kinds.size());
    }

    @Test
    void rbacHasNoWildcards() {
        List<PolicyRule> rules = new ArrayList<>();
        objects.stream().filter(ClusterRole.class::isInstance).map(ClusterRole.class::cast).forEach(r -> rules.addAll(r.getRules()));
        objects.stream().filter(Role.class::isInstance).map(Role.class::cast).forEach(r -> rules.addAll(r.getRules()));
        assertThat(rules).hasSizeGreaterThan(8);
        for (PolicyRule r : rules) {
            assertThat(r.getVerbs()).isNotEmpty().noneMatch(v -> v.contains("*"));
            assertThat(r.getResources()).isNotEmpty().noneMatch(v -> v.contains("*"));
            assertThat(r.getApiGroups()).isNotEmpty().noneMatch(v -> v.contains("*"));
            assertThat(r.getNonResourceURLs()).isNullOrEmpty();
            assertThat(r.getVerbs()).doesNotContain("delete", "deletecollection", "escalate", "bind", "impersonate");
        }
    }

    @Test
    void controllerMayPatchOnlyDeployments() {
        ClusterRole controller = one(ClusterRole.class, "edgesched-controller");
        for (PolicyRule r : controller.getRules()) {
            boolean writesSomething = r.getVerbs().stream().anyMatch(v -> Set.of("patch", "update", "create").contains(v));
            if (r.getResources().contains("events")) {
                assertThat(r.getVerbs()).containsExactlyInAnyOrder("create", "patch");
                continue;
            }
            if (writesSomething) {
                assertThat(r.getApiGroups()).containsExactly("apps");
                assertThat(r.getResources()).containsExactly("deployments");
                assertThat(r.getVerbs()).doesNotContain("update", "create");
            }
        }
        assertThat(controller.getRules()).anyMatch(r -> r.getResources().contains("deployments") && r.getVerbs().contains("patch"));
        Role leader = one(Role.class, "edgesched-controller-leader");
        assertThat(leader.getMetadata().getNamespace()).isEqualTo("edgesched");
        assertThat(leader.getRules()).singleElement().satisfies(r -> {
            assertThat(r.getApiGroups()).containsExactly("coordination.k8s.io");
            assertThat(r.getResources()).containsExactly("leases");
        });
    }

    @Test
    void agentWritesOnlyItsReportsAndReadsTheTopology() {
        ClusterRole agent = one(ClusterRole.class, "edgesched-agent");
        for (PolicyRule r : agent.getRules()) {
            assertThat(r.getVerbs()).containsExactlyInAnyOrder("get", "list", "watch");
        }
        Role reports = one(Role.class, "edgesched-agent-reports");
        assertThat(reports.getRules()).singleElement().satisfies(r -> {
            assertThat(r.getApiGroups()).containsExactly("edgesched.io");
            assertThat(r.getResources()).containsExactly("originreports");
            assertThat(r.getVerbs()).containsExactlyInAnyOrder("get", "create", "update");
        });
    }

    @Test
    void agentDaemonSetIsUnprivilegedWithExactlyTheBpfCapabilities() {
        DaemonSet ds = one(DaemonSet.class, "edgesched-agent");
        PodSpec pod = ds.getSpec().getTemplate().getSpec();
        assertThat(pod.getHostNetwork()).isTrue();
        assertThat(pod.getHostPID()).isNotEqualTo(Boolean.TRUE);
        assertThat(pod.getServiceAccountName()).isEqualTo("edgesched-agent");
        Container agent = pod.getContainers().getFirst();
        assertThat(pod.getContainers()).hasSize(1);
        assertThat(agent.getSecurityContext().getPrivileged()).isFalse();
        assertThat(agent.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        Capabilities caps = agent.getSecurityContext().getCapabilities();
        assertThat(caps.getAdd()).containsExactlyInAnyOrder("BPF", "NET_ADMIN", "PERFMON");
        assertThat(caps.getDrop()).containsExactly("ALL");
        // only the agent's own bpffs subdirectory, not every program's pins on the node
        String bpffsVolume = pod.getVolumes().stream()
                .filter(v -> v.getHostPath() != null && "/sys/fs/bpf/edgesched".equals(v.getHostPath().getPath()))
                .map(v -> v.getName()).findFirst()
                .orElseThrow(() -> new AssertionError("no /sys/fs/bpf/edgesched hostPath volume"));
        assertThat(agent.getVolumeMounts()).anyMatch(m -> m.getName().equals(bpffsVolume)
                && m.getMountPath().equals("/sys/fs/bpf/edgesched"));
        assertThat(agent.getArgs()).contains("--pin-dir=/sys/fs/bpf/edgesched");
        assertThat(pod.getVolumes()).filteredOn(v -> v.getHostPath() != null).hasSize(1); // nothing else from the host
        assertThat(agent.getEnv()).anyMatch(e -> e.getName().equals("NODE_NAME")
                && e.getValueFrom() != null && "spec.nodeName".equals(e.getValueFrom().getFieldRef().getFieldPath()));
    }

    @Test
    void agentMetricsListenOnTheNodeAddressNotEveryInterface() {
        Container agent = one(DaemonSet.class, "edgesched-agent").getSpec().getTemplate().getSpec().getContainers().getFirst();
        assertThat(agent.getArgs()).contains("--metrics-address=$(HOST_IP)");
        assertThat(agent.getEnv()).anyMatch(e -> e.getName().equals("HOST_IP") && e.getValueFrom() != null
                && "status.hostIP".equals(e.getValueFrom().getFieldRef().getFieldPath()));
    }

    @Test
    void everyNumberInTheReportSchemaIsBounded() {
        var crd = one(io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition.class,
                "originreports.edgesched.io");
        List<String> unbounded = new ArrayList<>();
        walk("", crd.getSpec().getVersions().getFirst().getSchema().getOpenAPIV3Schema(), unbounded);
        assertThat(unbounded).as("number/integer properties without minimum 0 and a maximum").isEmpty();
    }

    private static void walk(String path, io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps p,
                             List<String> unbounded) {
        if (p == null) {
            return;
        }
        if (("number".equals(p.getType()) || "integer".equals(p.getType()))
                && (p.getMinimum() == null || p.getMinimum() < 0 || p.getMaximum() == null)) {
            unbounded.add(path);
        }
        if (p.getProperties() != null) {
            p.getProperties().forEach((k, v) -> walk(path + "." + k, v, unbounded));
        }
        if (p.getItems() != null) {
            walk(path + "[]", p.getItems().getSchema(), unbounded);
        }
    }

    @Test
    void controllerRunsAsNonRootWithoutCapabilities() {
        Deployment d = one(Deployment.class, "edgesched-controller");
        PodSpec pod = d.getSpec().getTemplate().getSpec();
        assertThat(pod.getHostNetwork()).isNotEqualTo(Boolean.TRUE);
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        Container c = pod.getContainers().getFirst();
        assertThat(c.getSecurityContext().getPrivileged()).isFalse();
        assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(c.getSecurityContext().getCapabilities().getAdd()).isNullOrEmpty();
        assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(pod.getServiceAccountName()).isEqualTo("edgesched-controller");
    }

    @Test
    void exampleWorkloadOptsInAndHasANodePort() {
        Deployment hello = one(Deployment.class, "hello");
        assertThat(hello.getMetadata().getLabels()).containsEntry("edgesched.io/managed", "true");
        io.fabric8.kubernetes.api.model.Service svc = one(io.fabric8.kubernetes.api.model.Service.class, "hello");
        assertThat(svc.getSpec().getType()).isEqualTo("NodePort");
        assertThat(svc.getSpec().getSelector()).isEqualTo(hello.getSpec().getTemplate().getMetadata().getLabels());
    }
}
