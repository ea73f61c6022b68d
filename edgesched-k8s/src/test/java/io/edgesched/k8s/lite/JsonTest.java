package io.edgesched.k8s.lite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    @SuppressWarnings("unchecked")
    void parsesEveryKindOfValue() {
        Object tree = Json.parse(" {\"a\": [1, -2.5, 3e2, true, false, null, \"x\\\"y\\u00e9\\n\"], \"b\": {}, \"c\": [],"
                + " \"big\": 12345678901234567890, \"neg\": -9223372036854775808} ");
        assertThat(tree).isInstanceOf(Map.class);
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) tree;
        assertThat((List<Object>) m.get("a")).containsExactly(1L, -2.5, 300.0, true, false, null, "x\"y\u00e9\n");
        assertThat(m.get("b")).isEqualTo(Map.of());
        assertThat(m.get("c")).isEqualTo(List.of());
        assertThat(m.get("big")).isEqualTo(1.2345678901234567E19);
        assertThat(m.get("neg")).isEqualTo(Long.MIN_VALUE);
        assertThat(m.keySet()).containsExactly("a", "b", "c", "big", "neg");
    }

    @Test
    void refusesMalformedDocumentsWithTheirOffset() {
        for (String bad : List.of("", "{", "{\"a\" 1}", "[1,]", "{\"a\":1,}", "01", "1.", "-", "tru", "\"\\x\"",
                "\"a\nb\"", "[1] 2", "{a:1}", "\"\\u12\"", "[\"unterminated]")) {
            assertThatThrownBy(() -> Json.parse(bad)).as(bad).isInstanceOf(Json.JsonException.class)
                    .hasMessageContaining("malformed JSON at offset");
        }
        assertThatThrownBy(() -> Json.parseObject("[1]")).hasMessageContaining("expected a JSON object, got an array");
    }

    @Test
    void boundsNesting() {
        String deep = "[".repeat(Json.MAX_DEPTH + 2) + "]".repeat(Json.MAX_DEPTH + 2);
        assertThatThrownBy(() -> Json.parse(deep)).hasMessageContaining("nested deeper than");
        String fine = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
        assertThat(Json.parse(fine)).isInstanceOf(List.class);
    }

    @Test
    void writesWhatItReads() {
        Map<String, Object> tree = new LinkedHashMap<>();
        tree.put("s", "quote \" slash \\ tab \t ctl \u0001 é");
        tree.put("n", List.of(1L, 2.5, -0.001, 1.0E21));
        tree.put("o", Map.of("k", true));
        tree.put("z", null);
        String text = Json.write(tree);
        assertThat(text).startsWith("{\"s\":\"quote \\\" slash \\\\ tab \\t ctl \\u0001 é\",");
        assertThat(Json.parse(text)).isEqualTo(tree);
        assertThatThrownBy(() -> Json.write(Double.NaN)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void readsWhatJacksonWritesAsJacksonReadsIt() {
        KubernetesSerialization serialization = new KubernetesSerialization();
        var pod = new PodBuilder().withNewMetadata().withName("web-a").withNamespace("shop").addToLabels("app", "web")
                .addToAnnotations("note", "multi\nline \"quoted\" ünïcode").endMetadata()
                .withNewSpec().withNodeName("edge-1").addNewContainer().withName("c").addNewPort().withContainerPort(8080)
                .withHostPort(30080).endPort().endContainer().endSpec()
                .withNewStatus().withPhase("Running").withPodIP("10.0.0.7").endStatus().build();
        String json = serialization.asJson(pod);
        @SuppressWarnings("unchecked")
        Map<String, Object> byJackson = serialization.unmarshal(json, Map.class);
        Map<String, Object> ours = Json.parseObject(json);
        assertThat(normalizeNumbers(ours)).isEqualTo(normalizeNumbers(byJackson));
        assertThat(Json.parseObject(Json.write(ours))).isEqualTo(ours);
    }

    /** Jackson reads small integers as Integer, we as Long: compare numbers by value. */
    private static Object normalizeNumbers(Object tree) {
        return switch (tree) {
            case Map<?, ?> m -> {
                Map<Object, Object> out = new LinkedHashMap<>();
                m.forEach((k, v) -> out.put(k, normalizeNumbers(v)));
                yield out;
            }
            case List<?> l -> l.stream().map(JsonTest::normalizeNumbers).toList();
            case Integer i -> i.longValue();
            default -> tree;
        };
    }
}
