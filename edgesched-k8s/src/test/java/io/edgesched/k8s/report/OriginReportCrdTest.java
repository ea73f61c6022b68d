package io.edgesched.k8s.report;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.InputStream;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** deploy/crd-originreport.yaml and the Java model must describe the same fields with compatible types. */
class OriginReportCrdTest {
    static final Path CRD = Path.of("..", "deploy", "crd-originreport.yaml");

    static CustomResourceDefinition loadCrd() throws Exception {
        try (InputStream in = Files.newInputStream(CRD)) {
            return new KubernetesSerialization().unmarshal(in, CustomResourceDefinition.class);
        }
    }

    @Test
    void crdNamesMatchTheModelAnnotations() throws Exception {
        CustomResourceDefinition crd = loadCrd();
        assertThat(crd.getMetadata().getName()).isEqualTo(OriginReport.CRD_NAME);
        assertThat(crd.getSpec().getGroup()).isEqualTo(OriginReport.GROUP);
        assertThat(crd.getSpec().getScope()).isEqualTo("Namespaced");
        assertThat(crd.getSpec().getNames().getKind()).isEqualTo(OriginReport.KIND);
        assertThat(crd.getSpec().getNames().getPlural()).isEqualTo(OriginReport.PLURAL);
        assertThat(crd.getSpec().getVersions()).extracting(CustomResourceDefinitionVersion::getName)
                .containsExactly(OriginReport.VERSION);
        OriginReport r = new OriginReport();
        assertThat(r.getApiVersion()).isEqualTo(OriginReport.GROUP + "/" + OriginReport.VERSION);
        assertThat(r.getKind()).isEqualTo(OriginReport.KIND);
    }

    @Test
    void schemaHasExactlyTheModelsFieldsWithMatchingTypes() throws Exception {
        JSONSchemaProps root = loadCrd().getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema();
        Map<String, String> fromYaml = new TreeMap<>();
        flattenSchema("spec", root.getProperties().get("spec"), fromYaml);
        flattenSchema("status", root.getProperties().get("status"), fromYaml);
        Map<String, String> fromModel = new TreeMap<>();
        flattenModel("spec", OriginReportSpec.class, fromModel);
        flattenModel("status", OriginReportStatus.class, fromModel);
        assertThat(fromYaml).isEqualTo(fromModel);
        assertThat(fromModel).containsKeys("spec.workloads[].clients[].prefix", "spec.nodeRtts[].rttMicros",
                "spec.workloads[].otherClients.count", "spec.generatedAt");
    }

    @Test
    void listLimitsInTheSchemaMatchTheBuildersBounds() throws Exception {
        JSONSchemaProps spec = loadCrd().getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema()
                .getProperties().get("spec");
        JSONSchemaProps workloads = spec.getProperties().get("workloads");
        assertThat(workloads.getMaxItems()).isEqualTo(ReportLimits.CRD_MAX_WORKLOADS);
        assertThat(workloads.getItems().getSchema().getProperties().get("clients").getMaxItems())
                .isEqualTo(ReportLimits.CRD_MAX_CLIENT_ENTRIES);
        assertThat(spec.getProperties().get("nodeRtts").getMaxItems()).isEqualTo(ReportLimits.CRD_MAX_NODE_RTTS);
    }

    @Test
    void readsReportsWithUnknownAndMissingFields() {
        String json = """
                {"apiVersion":"edgesched.io/v1alpha1","kind":"OriginReport","metadata":{"name":"n1"},
                 "spec":{"node":"n1","generatedAt":"2026-01-01T00:00:00Z","windowSeconds":10,"futureField":1,
                  "workloads":[{"workload":"w","namespace":"ns","port":80,
                    "clients":[{"prefix":"192.0.2.1","ratePerSecond":2.5,"newMetric":7}]}]}}
                """;
        OriginReport r = new KubernetesSerialization().unmarshal(json, OriginReport.class);
        assertThat(r.getSpec().workloads().getFirst().clients().getFirst().ratePerSecond()).isEqualTo(2.5);
        assertThat(r.getSpec().workloads().getFirst().clients().getFirst().packetsPerSecond()).isZero();
        assertThat(r.getSpec().workloads().getFirst().otherClients()).isEqualTo(OriginReportSpec.OtherClients.NONE);
        assertThat(r.getSpec().nodeRtts()).isEmpty();
    }

    @Test
    void schemaIsStructural() throws Exception {
        JSONSchemaProps root = loadCrd().getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema();
        assertEveryNodeTyped("", root);
    }

    private static void assertEveryNodeTyped(String path, JSONSchemaProps node) {
        assertThat(node.getType()).as("type at %s", path).isNotBlank();
        if (node.getProperties() != null) {
            node.getProperties().forEach((k, v) -> assertEveryNodeTyped(path + "." + k, v));
        }
        if (node.getItems() != null) {
            assertEveryNodeTyped(path + "[]", node.getItems().getSchema());
        }
    }

    private static void flattenSchema(String path, JSONSchemaProps node, Map<String, String> out) {
        switch (node.getType()) {
            case "object" -> node.getProperties().forEach((k, v) -> flattenSchema(path + "." + k, v, out));
            case "array" -> flattenSchema(path + "[]", node.getItems().getSchema(), out);
            default -> out.put(path, node.getType());
        }
    }

    private static void flattenModel(String path, Type type, Map<String, String> out) {
        if (type instanceof ParameterizedType p && p.getRawType() == List.class) {
            flattenModel(path + "[]", p.getActualTypeArguments()[0], out);
            return;
        }
        Class<?> c = (Class<?>) type;
        if (c.isRecord()) {
            for (RecordComponent rc : c.getRecordComponents()) {
                flattenModel(path + "." + rc.getName(), rc.getGenericType(), out);
            }
        } else if (c == String.class) {
            out.put(path, "string");
        } else if (c == int.class || c == long.class || c == Integer.class || c == Long.class) {
            out.put(path, "integer");
        } else if (c == double.class || c == Double.class) {
            out.put(path, "number");
        } else if (c == boolean.class) {
            out.put(path, "boolean");
        } else {
            throw new AssertionError("model type not mapped: " + c + " at " + path);
        }
    }
}
