package io.edgesched.k8s.lite;

import io.edgesched.k8s.report.OriginReport;
import io.edgesched.k8s.report.OriginReportSpec;
import io.edgesched.k8s.report.OriginReportSpec.Arrival;
import io.edgesched.k8s.report.OriginReportSpec.ClientDemand;
import io.edgesched.k8s.report.OriginReportSpec.Departure;
import io.edgesched.k8s.report.OriginReportSpec.NodeRtt;
import io.edgesched.k8s.report.OriginReportSpec.OtherClients;
import io.edgesched.k8s.report.OriginReportSpec.WorkloadOrigins;
import io.edgesched.k8s.report.OriginReportStatus;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Writes an {@link OriginReport} as the same characters fabric8's {@code KubernetesSerialization.asJson} does
 * (Jackson 3), without Jackson: the agent sizes and sends its report through here. What Jackson does, and so this:
 * <ul>
 * <li>properties in declaration order (records: components; {@code ObjectMeta}: its {@code @JsonPropertyOrder});
 *     a null is left out everywhere (the mapper's default), and so is what the annotations drop: an empty string
 *     or list under {@code NON_EMPTY}, a 0 (but not -0.0 or NaN) under {@code NON_DEFAULT};</li>
 * <li>doubles as {@link Double#toString}, non-finite ones quoted ("NaN", "Infinity", "-Infinity");</li>
 * <li>strings with only quote, backslash and control characters escaped ({@link Json#quote}).</li>
 * </ul>
 * Metadata the agent never writes and Jackson would write differently (owner references, managed fields, extra
 * properties, a null label key) is refused with an {@link IllegalArgumentException}.
 */
public final class OriginReportJson {
    private OriginReportJson() {
    }

    public static String encode(OriginReport report) {
        StringBuilder out = new StringBuilder(4096).append('{');
        string(out, "apiVersion", report.getApiVersion());
        string(out, "kind", report.getKind());
        if (report.getMetadata() != null) {
            metadata(report.getMetadata(), name(out, "metadata"));
        }
        if (report.getSpec() != null) {
            spec(report.getSpec(), name(out, "spec"));
        }
        if (report.getStatus() != null) {
            status(report.getStatus(), name(out, "status"));
        }
        return out.append('}').toString();
    }

    private static void metadata(ObjectMeta m, StringBuilder out) {
        refuseIfPresent(m.getOwnerReferences(), "ownerReferences");
        refuseIfPresent(m.getManagedFields(), "managedFields");
        if (m.getAdditionalProperties() != null && !m.getAdditionalProperties().isEmpty()) {
            throw new IllegalArgumentException("metadata properties beyond ObjectMeta's are not supported: "
                    + m.getAdditionalProperties().keySet());
        }
        out.append('{');
        stringMap(out, "annotations", m.getAnnotations());
        string(out, "creationTimestamp", m.getCreationTimestamp());
        number(out, "deletionGracePeriodSeconds", m.getDeletionGracePeriodSeconds());
        string(out, "deletionTimestamp", m.getDeletionTimestamp());
        if (m.getFinalizers() != null && !m.getFinalizers().isEmpty()) {
            array(out, "finalizers", m.getFinalizers(), (f, o) -> stringOrNull(f, o));
        }
        string(out, "generateName", m.getGenerateName());
        number(out, "generation", m.getGeneration());
        stringMap(out, "labels", m.getLabels());
        string(out, "name", m.getName());
        string(out, "namespace", m.getNamespace());
        string(out, "resourceVersion", m.getResourceVersion());
        string(out, "selfLink", m.getSelfLink());
        string(out, "uid", m.getUid());
        out.append('}');
    }

    private static void spec(OriginReportSpec s, StringBuilder out) {
        out.append('{');
        string(out, "node", s.node());
        string(out, "generatedAt", s.generatedAt());
        number(name(out, "windowSeconds"), s.windowSeconds());
        if (s.workloads() != null) {
            array(out, "workloads", s.workloads(), OriginReportJson::workload);
        }
        if (s.nodeRtts() != null) {
            array(out, "nodeRtts", s.nodeRtts(), OriginReportJson::nodeRtt);
        }
        string(out, "metric", s.metric());
        out.append('}');
    }

    /** {@code NON_EMPTY}: no empty strings or lists; the port and the other clients always. */
    private static void workload(WorkloadOrigins w, StringBuilder out) {
        out.append('{');
        nonEmptyString(out, "workload", w.workload());
        nonEmptyString(out, "namespace", w.namespace());
        name(out, "port").append(w.port());
        if (!w.clients().isEmpty()) {
            array(out, "clients", w.clients(), OriginReportJson::client);
        }
        otherClients(w.otherClients(), name(out, "otherClients"));
        if (!w.arrivals().isEmpty()) {
            array(out, "arrivals", w.arrivals(), OriginReportJson::arrival);
        }
        if (!w.departures().isEmpty()) {
            array(out, "departures", w.departures(), OriginReportJson::departure);
        }
        out.append('}');
    }

    private static void client(ClientDemand c, StringBuilder out) {
        out.append('{');
        string(out, "prefix", c.prefix());
        name(out, "clients").append(c.clients());
        nonDefault(out, "ratePerSecond", c.ratePerSecond());
        nonDefault(out, "packetsPerSecond", c.packetsPerSecond());
        nonDefault(out, "bytesPerSecond", c.bytesPerSecond());
        nonDefault(out, "rttMicros", c.rttMicros());
        out.append('}');
    }

    private static void otherClients(OtherClients o, StringBuilder out) {
        out.append('{');
        name(out, "count").append(o.count());
        number(name(out, "ratePerSecond"), o.ratePerSecond());
        number(name(out, "packetsPerSecond"), o.packetsPerSecond());
        number(name(out, "bytesPerSecond"), o.bytesPerSecond());
        out.append('}');
    }

    private static void arrival(Arrival a, StringBuilder out) {
        out.append('{');
        string(out, "client", a.client());
        name(out, "arrivedMillisAgo").append(a.arrivedMillisAgo());
        name(out, "reads").append(a.reads());
        nonDefault(out, "rttMicros", a.rttMicros());
        out.append('}');
    }

    private static void departure(Departure d, StringBuilder out) {
        out.append('{');
        string(out, "client", d.client());
        name(out, "lastSeenMillisAgo").append(d.lastSeenMillisAgo());
        out.append('}');
    }

    private static void nodeRtt(NodeRtt n, StringBuilder out) {
        out.append('{');
        string(out, "node", n.node());
        name(out, "rttMicros").append(n.rttMicros());
        out.append('}');
    }

    private static void status(OriginReportStatus s, StringBuilder out) {
        out.append('{');
        name(out, "clientsPerWorkload").append(s.clientsPerWorkload());
        name(out, "workloadsOmitted").append(s.workloadsOmitted());
        name(out, "unmappedRecords").append(s.unmappedRecords());
        name(out, "serializedBytes").append(s.serializedBytes());
        name(out, "packetsSeen").append(s.packetsSeen());
        name(out, "unparsed").append(s.unparsed());
        name(out, "clientTableFull").append(s.clientTableFull());
        name(out, "rttTableFull").append(s.rttTableFull());
        name(out, "forwardedPackets").append(s.forwardedPackets());
        out.append('}');
    }

    /** Starts a member: a comma unless it is the first of its object (names are plain ASCII: no escaping). */
    private static StringBuilder name(StringBuilder out, String name) {
        if (out.charAt(out.length() - 1) != '{') {
            out.append(',');
        }
        return out.append('"').append(name).append("\":");
    }

    private static void string(StringBuilder out, String name, String value) {
        if (value != null) {
            Json.quote(value, name(out, name));
        }
    }

    private static void nonEmptyString(StringBuilder out, String name, String value) {
        if (value != null && !value.isEmpty()) {
            Json.quote(value, name(out, name));
        }
    }

    private static void stringOrNull(String value, StringBuilder out) {
        if (value == null) {
            out.append("null");
        } else {
            Json.quote(value, out);
        }
    }

    private static void number(StringBuilder out, String name, Long value) {
        if (value != null) {
            name(out, name).append(value.longValue());
        }
    }

    /** {@code NON_DEFAULT} drops what equals the primitive's default: 0, but not -0.0 (a different Double). */
    private static void nonDefault(StringBuilder out, String name, double value) {
        if (Double.doubleToRawLongBits(value) != 0L) {
            number(name(out, name), value);
        }
    }

    private static void nonDefault(StringBuilder out, String name, long value) {
        if (value != 0) {
            name(out, name).append(value);
        }
    }

    /** Jackson writes a finite double as {@link Double#toString} does and quotes NaN and the infinities. */
    private static void number(StringBuilder out, double value) {
        if (Double.isFinite(value)) {
            out.append(value);
        } else {
            out.append('"').append(value).append('"');
        }
    }

    /** A {@code NON_EMPTY} string map, in its own iteration order (Jackson does not sort map keys here). */
    private static void stringMap(StringBuilder out, String name, Map<String, String> map) {
        if (map == null || map.isEmpty()) {
            return;
        }
        name(out, name).append('{');
        for (Map.Entry<String, String> e : map.entrySet()) {
            if (e.getKey() == null) {
                throw new IllegalArgumentException("metadata." + name + " has a null key");
            }
            if (out.charAt(out.length() - 1) != '{') {
                out.append(',');
            }
            Json.quote(e.getKey(), out);
            stringOrNull(e.getValue(), out.append(':'));
        }
        out.append('}');
    }

    private static <T> void array(StringBuilder out, String name, List<T> items, BiConsumer<T, StringBuilder> item) {
        name(out, name).append('[');
        for (int i = 0; i < items.size(); i++) {
            if (i > 0) {
                out.append(',');
            }
            T t = items.get(i);
            if (t == null) {
                out.append("null");
            } else {
                item.accept(t, out);
            }
        }
        out.append(']');
    }

    private static void refuseIfPresent(Collection<?> values, String field) {
        if (values != null && !values.isEmpty()) {
            throw new IllegalArgumentException("metadata." + field + " is not supported");
        }
    }
}
