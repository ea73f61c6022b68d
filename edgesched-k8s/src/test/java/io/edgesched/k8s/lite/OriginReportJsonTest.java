package io.edgesched.k8s.lite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.NodeId;
import io.edgesched.api.OriginStats;
import io.edgesched.api.WorkloadId;
import io.edgesched.api.demand.ClientActivity;
import io.edgesched.api.demand.DemandMetric;
import io.edgesched.k8s.report.ClientRate;
import io.edgesched.k8s.report.OriginReport;
import io.edgesched.k8s.report.OriginReportBuilder;
import io.edgesched.k8s.report.OriginReportSpec;
import io.edgesched.k8s.report.OriginReportSpec.Arrival;
import io.edgesched.k8s.report.OriginReportSpec.ClientDemand;
import io.edgesched.k8s.report.OriginReportSpec.Departure;
import io.edgesched.k8s.report.OriginReportSpec.NodeRtt;
import io.edgesched.k8s.report.OriginReportSpec.OtherClients;
import io.edgesched.k8s.report.OriginReportSpec.WorkloadOrigins;
import io.edgesched.k8s.report.OriginReportStatus;
import io.edgesched.k8s.report.ReportLimits;
import io.edgesched.k8s.report.WorkloadPort;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;

class OriginReportJsonTest {
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    private static final Instant AT = Instant.parse("2026-01-02T03:04:05Z");

    /** Same characters as fabric8; Json reads it back to the same text; fabric8 reads it back to the same report. */
    private static String assertEncodesLikeFabric8(OriginReport report) {
        String encoded = assertSameCharacters(report);
        // exact doubles: -0.0 must come back as -0.0, NaN as NaN
        assertThat(SERIALIZATION.unmarshal(encoded, OriginReport.class)).usingRecursiveComparison()
                .withComparatorForType(Double::compare, Double.class).isEqualTo(report);
        return encoded;
    }

    private static String assertSameCharacters(OriginReport report) {
        String encoded = OriginReportJson.encode(report);
        assertThat(encoded).isEqualTo(SERIALIZATION.asJson(report));
        assertThat(Json.write(Json.parseObject(encoded))).isEqualTo(encoded);
        return encoded;
    }

    private static OriginReport report(ObjectMeta meta, OriginReportSpec spec, OriginReportStatus status) {
        OriginReport r = new OriginReport();
        r.setMetadata(meta);
        r.setSpec(spec);
        r.setStatus(status);
        return r;
    }

    private static ObjectMeta meta(String name, String namespace) {
        ObjectMeta m = new ObjectMeta();
        m.setName(name);
        m.setNamespace(namespace);
        return m;
    }

    private static OriginReportSpec spec(double windowSeconds, List<WorkloadOrigins> workloads) {
        return new OriginReportSpec("edge-1", "2026-01-02T03:04:05Z", windowSeconds, workloads, List.of(), "packets");
    }

    private static final OriginReportStatus STATUS = new OriginReportStatus(16, 0, 3, 1234, 100, 1, 2, 3, 4);

    @Test
    void anEmptyReportAndOneWithoutMetadataSpecOrStatus() {
        assertThat(assertEncodesLikeFabric8(new OriginReport()))
                .isEqualTo("{\"apiVersion\":\"edgesched.io/v1alpha1\",\"kind\":\"OriginReport\",\"metadata\":{}}");
        assertThat(assertSameCharacters(report(null, null, null))) // reads back with an empty ObjectMeta
                .isEqualTo("{\"apiVersion\":\"edgesched.io/v1alpha1\",\"kind\":\"OriginReport\"}");
        assertThat(assertEncodesLikeFabric8(report(meta("edge-1", "edgesched"),
                new OriginReportSpec("edge-1", null, 10, List.of(), List.of()), STATUS)))
                .contains("\"spec\":{\"node\":\"edge-1\",\"windowSeconds\":10.0,\"workloads\":[],\"nodeRtts\":[]}");
    }

    @Test
    void everyMetadataFieldInFabric8sOrder() {
        ObjectMeta m = meta("edge-1", "edgesched");
        m.setUid("0f6c-11");
        m.setSelfLink("");
        m.setResourceVersion("981234");
        m.setGenerateName("edge-");
        m.setGeneration(Long.MAX_VALUE);
        m.setCreationTimestamp("2026-01-02T03:04:05Z");
        m.setDeletionTimestamp("2026-01-02T03:05:05Z");
        m.setDeletionGracePeriodSeconds(-30L);
        m.setFinalizers(Arrays.asList("edgesched.io/keep", null, ""));
        Map<String, String> labels = new HashMap<>(); // iteration order, not sorted: HashMap's here
        for (String k : List.of("z", "a", "m", "app.kubernetes.io/managed-by")) {
            labels.put(k, k + "-v");
        }
        labels.put("empty", "");
        labels.put("null-value", null);
        m.setLabels(labels);
        m.setAnnotations(new LinkedHashMap<>(Map.of("edgesched.io/note", "a \"quoted\" \\ note\n")));
        String json = assertEncodesLikeFabric8(report(m, spec(10, List.of()), STATUS));
        assertThat(json).contains("\"metadata\":{\"annotations\":{").contains("\"null-value\":null")
                .contains("\"uid\":\"0f6c-11\"}");
    }

    @Test
    void metadataWithAndWithoutResourceVersionLabelsAndAnnotations() {
        for (int mask = 0; mask < 8; mask++) {
            ObjectMeta m = meta("edge-" + mask, "edgesched");
            if ((mask & 1) != 0) {
                m.setResourceVersion(Integer.toString(mask * 1000));
            }
            if ((mask & 2) != 0) {
                m.setLabels(new LinkedHashMap<>(Map.of("app.kubernetes.io/managed-by", "edgesched-agent")));
            }
            if ((mask & 4) != 0) {
                m.setAnnotations(new LinkedHashMap<>(Map.of("k", "v")));
            }
            String json = assertEncodesLikeFabric8(report(m, spec(10, List.of()), STATUS));
            assertThat(json.contains("resourceVersion")).isEqualTo((mask & 1) != 0);
            assertThat(json.contains("labels")).isEqualTo((mask & 2) != 0);
            assertThat(json.contains("annotations")).isEqualTo((mask & 4) != 0);
        }
    }

    @Test
    void escapesOnlyQuotesBackslashesAndControlCharacters() {
        StringBuilder every = new StringBuilder();
        for (char c = 0; c < 0x100; c++) {
            every.append(c);
        }
        String odd = every + "/é\u2028\u2029\uFEFF😀日本\uFFFF";
        ObjectMeta m = meta(odd, "ns\"\\");
        m.setLabels(new LinkedHashMap<>(Map.of(odd, odd)));
        OriginReport r = report(m, new OriginReportSpec(odd, odd, 1, List.of(new WorkloadOrigins(odd, odd, 1,
                List.of(new ClientDemand(odd, 1, 1, 0, 0, 0)), OtherClients.NONE, List.of(new Arrival(odd, 1, 1, 0)),
                List.of(new Departure(odd, 1)))), List.of(new NodeRtt(odd, 1)), odd), STATUS);
        String json = assertEncodesLikeFabric8(r);
        assertThat(json).contains("\\u0000\\u0001").contains("\\u001F").contains("\\b\\t\\n\\u000B\\f\\r")
                .contains("!\\\"#").contains("[\\\\]").contains("/é").contains("\u007F\u0080").doesNotContain("\\/");
    }

    @Test
    void loneSurrogatesPassThroughAsFabric8sDo() {
        OriginReport r = report(meta("a\uD800b\uDC00c", "ns"), spec(1, List.of()), STATUS);
        assertThat(OriginReportJson.encode(r)).isEqualTo(SERIALIZATION.asJson(r)).contains("a\uD800b\uDC00c");
    }

    @Test
    void numbersAsJacksonWritesThem() {
        double[] doubles = {0.1, 1e-9, 123456789.123, 1.0E21, 1e-3, 9.999e-4, 1e7, 9999999.999, 1.0, 100.0, 0.001,
                1.0 / 3, 2.5e-308, Double.MIN_VALUE, Double.MAX_VALUE, Long.MAX_VALUE, -1e-7, 1e16, 123456789012345678.0};
        for (double d : doubles) {
            ClientDemand c = new ClientDemand("192.0.2.1", Long.MAX_VALUE, d, -d, d * 3, Long.MIN_VALUE);
            OriginReport r = report(meta("edge-1", "edgesched"), spec(d, List.of(new WorkloadOrigins("web", "shop",
                    65535, List.of(c), new OtherClients(Long.MIN_VALUE, d, d, d)))), STATUS);
            assertThat(assertEncodesLikeFabric8(r)).as("%s", d).contains("\"windowSeconds\":" + d + ",")
                    .contains("\"clients\":9223372036854775807,").contains("\"rttMicros\":-9223372036854775808}");
        }
    }

    @Test
    void nonDefaultLeavesOutZeroButNotNegativeZero() {
        List<ClientDemand> clients = List.of(new ClientDemand("192.0.2.1", 1, 0, 0, 0, 0),
                new ClientDemand("192.0.2.2", 1, -0.0, 0, 5.5, 0), new ClientDemand("2001:db8::/48", 7, 0, 2, 0, 900));
        List<Arrival> arrivals = List.of(new Arrival("192.0.2.1", 10, 3, 0), new Arrival("2001:db8::7", 0, 0, 1200));
        OriginReport r = report(meta("edge-1", "edgesched"), spec(-0.0, List.of(new WorkloadOrigins("web", "shop",
                30080, clients, OtherClients.NONE, arrivals, List.of(new Departure("192.0.2.1", 700))))), STATUS);
        assertThat(assertEncodesLikeFabric8(r)).contains("{\"prefix\":\"192.0.2.1\",\"clients\":1}")
                .contains("{\"prefix\":\"192.0.2.2\",\"clients\":1,\"ratePerSecond\":-0.0,\"bytesPerSecond\":5.5}")
                .contains("{\"prefix\":\"2001:db8::/48\",\"clients\":7,\"packetsPerSecond\":2.0,\"rttMicros\":900}")
                .contains("{\"client\":\"192.0.2.1\",\"arrivedMillisAgo\":10,\"reads\":3}")
                .contains("\"rttMicros\":1200}").contains("\"windowSeconds\":-0.0,")
                .contains("\"otherClients\":{\"count\":0,\"ratePerSecond\":0.0,\"packetsPerSecond\":0.0,\"bytesPerSecond\":0.0}");
    }

    @Test
    void nonEmptyLeavesOutEmptyNamesAndListsButNeverThePortOrOtherClients() {
        WorkloadOrigins bare = new WorkloadOrigins("", null, 0, List.of(), null);
        WorkloadOrigins full = new WorkloadOrigins("web", "shop", 1, List.of(new ClientDemand("192.0.2.1", 1, 1, 2, 3, 4)),
                new OtherClients(3, 0.1, 0.2, 0.30000000000000004), List.of(), List.of(new Departure("192.0.2.1", 0)));
        OriginReport r = report(meta("edge-1", "edgesched"), new OriginReportSpec("", "", 0, List.of(bare, full),
                List.of(new NodeRtt("edge-2", 0), new NodeRtt("", -1)), ""), STATUS);
        String json = OriginReportJson.encode(r);
        assertThat(json).isEqualTo(SERIALIZATION.asJson(r))
                .contains("[{\"port\":0,\"otherClients\":{\"count\":0,").doesNotContain("\"arrivals\"")
                .contains("\"spec\":{\"node\":\"\",\"generatedAt\":\"\",\"windowSeconds\":0.0,")
                .contains("\"nodeRtts\":[{\"node\":\"edge-2\",\"rttMicros\":0},{\"node\":\"\",\"rttMicros\":-1}],\"metric\":\"\"}");
        // an empty workload name reads back as absent (null), as from fabric8's own JSON
        assertThat(SERIALIZATION.unmarshal(json, OriginReport.class).getSpec().workloads().getFirst().workload()).isNull();
    }

    @Test
    void nullsAreLeftOutAndNonFiniteDoublesQuoted() {
        ClientDemand odd = new ClientDemand(null, 1, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0);
        OriginReport r = report(meta(null, null), new OriginReportSpec(null, null, Double.NaN, List.of(
                new WorkloadOrigins("web", "shop", 1, List.of(odd), new OtherClients(1, Double.NaN, 0, 0),
                        List.of(new Arrival(null, 1, 1, 1)), List.of(new Departure(null, 1)))),
                List.of(new NodeRtt(null, 1)), null), STATUS);
        assertThat(assertEncodesLikeFabric8(r)).contains("\"metadata\":{},\"spec\":{\"windowSeconds\":\"NaN\",")
                .contains("{\"clients\":1,\"ratePerSecond\":\"NaN\",\"packetsPerSecond\":\"Infinity\",\"bytesPerSecond\":\"-Infinity\"}")
                .contains("{\"arrivedMillisAgo\":1,").contains("[{\"lastSeenMillisAgo\":1}]").contains("[{\"rttMicros\":1}]");
    }

    @Test
    void refusesMetadataItDoesNotWriteLikeFabric8() {
        ObjectMeta owned = meta("edge-1", "edgesched");
        owned.setOwnerReferences(List.of(new OwnerReference("v1", false, true, "Node", "edge-1", "uid")));
        ObjectMeta managed = meta("edge-1", "edgesched");
        managed.setManagedFields(List.of(new ManagedFieldsEntry()));
        ObjectMeta extra = meta("edge-1", "edgesched");
        extra.setAdditionalProperty("unknown", 1);
        for (ObjectMeta m : List.of(owned, managed, extra)) {
            assertThatThrownBy(() -> OriginReportJson.encode(report(m, null, null)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not supported");
        }
        ObjectMeta nullKey = meta("edge-1", "edgesched");
        Map<String, String> labels = new HashMap<>();
        labels.put(null, "v");
        nullKey.setLabels(labels);
        OriginReport r = report(nullKey, null, null);
        assertThatThrownBy(() -> OriginReportJson.encode(r)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("null key");
        assertThatThrownBy(() -> SERIALIZATION.asJson(r)).isInstanceOf(RuntimeException.class); // nor can fabric8
    }

    @Test
    void randomReportsMatchFabric8() {
        Random random = new Random(20260102);
        for (int n = 0; n < 400; n++) {
            OriginReport r = randomReport(random);
            String encoded = OriginReportJson.encode(r);
            assertThat(encoded).as("sample %d", n).isEqualTo(SERIALIZATION.asJson(r));
            assertThat(Json.write(Json.parseObject(encoded))).isEqualTo(encoded);
            assertThat(SERIALIZATION.unmarshal(encoded, OriginReport.class)).as("sample %d", n)
                    .usingRecursiveComparison().withComparatorForType(Double::compare, Double.class).isEqualTo(r);
        }
    }

    @Test
    void reportsOfTheRealBuilderMatchFabric8AndCarryFabric8sSize() {
        Random random = new Random(7);
        for (int n = 0; n < 60; n++) {
            ReportLimits limits = new ReportLimits(1 + random.nextInt(8), 24, 48, 1 + random.nextInt(4), 8,
                    n % 3 == 0 ? 4096 : 512 * 1024); // some too small: the builder halves N and measures again
            DemandMetric metric = n % 4 == 3 ? null : DemandMetric.values()[n % 3];
            OriginReport r = new OriginReportBuilder(limits).build(NodeId.of("edge-" + n), "edgesched", AT,
                    random.nextDouble() * 20, randomDemand(random), Map.of(NodeId.of("edge-x"), (long) random.nextInt(5000)),
                    random.nextInt(10), new OriginStats(random.nextLong(), 1, 2, 3, 4), metric);
            String encoded = assertEncodesLikeFabric8(r);
            assertThat(r.getStatus().serializedBytes()).isEqualTo(encoded.getBytes(StandardCharsets.UTF_8).length);
            assertThat(r.getMetadata().getLabels()).containsEntry("app.kubernetes.io/managed-by", "edgesched-agent");
        }
    }

    /** The agent's report path loads neither Jackson (3: {@code tools.jackson}) nor fabric8's sundrio builders. */
    @Test
    void buildingAndEncodingLoadsNeitherJacksonNorBuilders() throws Exception {
        URL[] path = Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
                .map(p -> {
                    try {
                        return java.nio.file.Path.of(p).toUri().toURL();
                    } catch (java.net.MalformedURLException e) {
                        throw new IllegalStateException(e);
                    }
                }).toArray(URL[]::new);
        List<String> refused = new ArrayList<>();
        try (URLClassLoader isolated = new URLClassLoader(path, ClassLoader.getPlatformClassLoader()) {
            @Override
            protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
                // ObjectMeta implements sundrio's Editable (a small interface): only builders and fluents are refused
                if (name.startsWith("tools.jackson.") || name.startsWith("io.fabric8.")
                        && (name.endsWith("Builder") || name.endsWith("Fluent"))) {
                    refused.add(name);
                    throw new ClassNotFoundException(name);
                }
                return super.loadClass(name, resolve);
            }
        }) {
            @SuppressWarnings("unchecked")
            Callable<Long> probe = (Callable<Long>) isolated.loadClass(BuildAndEncode.class.getName())
                    .getDeclaredConstructor().newInstance();
            assertThat(probe.call()).isEqualTo(new BuildAndEncode().call());
        }
        // CustomResource's constructor reads its class annotations, one of them Jackson's; the JVM skips an
        // annotation whose type it cannot load
        assertThat(refused).allMatch(name -> name.startsWith("tools.jackson.databind.annotation."));
    }

    /** Loaded in the isolated class loader (touching nothing of the test class): builds a report, encodes it. */
    public static final class BuildAndEncode implements Callable<Long> {
        @Override
        public Long call() {
            OriginReport r = new OriginReportBuilder(ReportLimits.DEFAULT).build(NodeId.of("edge-1"), "edgesched",
                    Instant.parse("2026-01-02T03:04:05Z"), 10,
                    Map.of(new WorkloadPort(WorkloadId.of("shop", "web"), 30080),
                            List.of(new ClientRate(ClientAddress.parse("192.0.2.1"), 1, 2, 3, 4))),
                    Map.of(), 0, OriginStats.EMPTY, DemandMetric.PACKETS);
            return (long) OriginReportJson.encode(r).length();
        }
    }

    private static Map<WorkloadPort, List<ClientRate>> randomDemand(Random random) {
        Map<WorkloadPort, List<ClientRate>> demand = new HashMap<>();
        for (int wl = 0; wl < 1 + random.nextInt(5); wl++) {
            List<ClientRate> clients = new ArrayList<>();
            for (int i = 0; i < 1 + random.nextInt(60); i++) {
                double rate = random.nextInt(4) == 0 ? 50 + random.nextInt(50) : random.nextDouble();
                Instant arrived = AT.minusMillis(random.nextInt(90_000));
                Instant last = AT.minusMillis(random.nextInt(8_000));
                ClientActivity activity = random.nextInt(5) == 0 ? null : new ClientActivity(arrived,
                        last.isBefore(arrived) ? arrived : last, 1 + random.nextInt(30), rate * random.nextDouble() * 2);
                ClientAddress client = random.nextBoolean()
                        ? ClientAddress.of(new byte[] {10, (byte) wl, (byte) random.nextInt(4), (byte) i})
                        : ClientAddress.parse("2001:db8:" + random.nextInt(4) + ":" + wl + "::" + Integer.toHexString(i + 1));
                clients.add(new ClientRate(client, random.nextDouble() * 3, rate, rate * 1400,
                        random.nextBoolean() ? 0 : random.nextInt(90_000), activity));
            }
            demand.put(new WorkloadPort(WorkloadId.of("ns-" + wl % 2, "web-" + wl), 30000 + wl), clients);
        }
        return demand;
    }

    private static OriginReport randomReport(Random random) {
        ObjectMeta m = meta(text(random), text(random));
        if (random.nextBoolean()) {
            m.setResourceVersion(Long.toString(random.nextLong() & Long.MAX_VALUE));
        }
        if (random.nextInt(4) == 0) {
            m.setUid(text(random));
            m.setGeneration(random.nextLong());
            m.setCreationTimestamp(AT.plusSeconds(random.nextInt()).toString());
        }
        if (random.nextInt(8) == 0) {
            m.setGenerateName(text(random));
            m.setSelfLink(text(random));
            m.setDeletionTimestamp(text(random));
            m.setDeletionGracePeriodSeconds((long) random.nextInt());
            m.setFinalizers(List.of(text(random), text(random)));
        }
        m.setLabels(stringMap(random));
        m.setAnnotations(stringMap(random));
        List<WorkloadOrigins> workloads = new ArrayList<>();
        for (int w = random.nextInt(4); w > 0; w--) {
            List<ClientDemand> clients = new ArrayList<>();
            for (int c = random.nextInt(6); c > 0; c--) {
                clients.add(new ClientDemand(text(random), number(random), real(random), real(random), real(random),
                        number(random)));
            }
            List<Arrival> arrivals = new ArrayList<>();
            for (int a = random.nextInt(3); a > 0; a--) {
                arrivals.add(new Arrival(text(random), number(random), random.nextInt(3) - 1, number(random)));
            }
            List<Departure> departures = new ArrayList<>();
            for (int d = random.nextInt(3); d > 0; d--) {
                departures.add(new Departure(text(random), number(random)));
            }
            OtherClients others = random.nextInt(3) == 0 ? OtherClients.NONE
                    : new OtherClients(number(random), real(random), real(random), real(random));
            workloads.add(new WorkloadOrigins(text(random), text(random), random.nextInt(3) == 0 ? 0 : random.nextInt(65536),
                    clients, others, arrivals, departures));
        }
        List<NodeRtt> rtts = new ArrayList<>();
        for (int i = random.nextInt(4); i > 0; i--) {
            rtts.add(new NodeRtt(text(random), number(random)));
        }
        String metric = random.nextBoolean() ? null : DemandMetric.values()[random.nextInt(3)].name().toLowerCase(java.util.Locale.ROOT);
        OriginReportStatus status = new OriginReportStatus(random.nextInt(), random.nextInt(), number(random),
                number(random), number(random), number(random), number(random), number(random), number(random));
        return report(m, new OriginReportSpec(text(random), random.nextInt(5) == 0 ? null : text(random),
                real(random), workloads, rtts, metric), random.nextInt(6) == 0 ? null : status);
    }

    private static final String ALPHABET = "abcxyz019-./:_ \"\\\t\n\r\b\f\u0000\u0007\u001F\u007F\u0080éü€日本\u2028";

    /** Never empty: an empty name under NON_EMPTY reads back as null, which the round trip would report. */
    private static String text(Random random) {
        StringBuilder sb = new StringBuilder();
        for (int i = 1 + random.nextInt(12); i > 0; i--) {
            if (random.nextInt(20) == 0) {
                sb.append("😀");
            } else {
                sb.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
            }
        }
        return sb.toString();
    }

    private static Map<String, String> stringMap(Random random) {
        Map<String, String> map = random.nextBoolean() ? new HashMap<>() : new LinkedHashMap<>();
        for (int i = random.nextInt(4); i > 0; i--) {
            map.put(text(random), random.nextInt(10) == 0 ? "" : text(random));
        }
        return map;
    }

    private static long number(Random random) {
        return switch (random.nextInt(5)) {
            case 0 -> 0;
            case 1 -> random.nextInt(1000);
            case 2 -> random.nextBoolean() ? Long.MAX_VALUE : Long.MIN_VALUE;
            default -> random.nextLong() >> random.nextInt(64);
        };
    }

    /** Finite doubles of every shape: zeros, rounded rates, plain and scientific notation, any bit pattern. */
    private static double real(Random random) {
        return switch (random.nextInt(7)) {
            case 0 -> random.nextBoolean() ? 0.0 : -0.0;
            case 1 -> Math.round(random.nextDouble() * 1e6) / 1000.0;
            case 2 -> random.nextInt(100_000);
            case 3 -> Math.pow(10, random.nextInt(40) - 20) * (random.nextBoolean() ? 1 : -1.5);
            case 4 -> (random.nextDouble() - 0.5) * Math.pow(10, random.nextInt(600) - 300);
            default -> {
                double d = Double.longBitsToDouble(random.nextLong());
                yield Double.isFinite(d) ? d : 1e-7;
            }
        };
    }
}
