package io.edgesched.k8s.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgesched.api.MoveRequest;
import io.edgesched.api.MoveResult;
import io.edgesched.api.NodeId;
import io.edgesched.api.WorkloadId;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class MetricsEndpointTest {
    static final MoveRequest MOVE = MoveRequest.of(WorkloadId.of("shop", "web"), Set.of(NodeId.of("edge-1")),
            Set.of(NodeId.of("edge-2")), "clients near edge-2 (198.51.100.7)", 1500, Instant.EPOCH);

    @Test
    void scrapeHasTheMetersAndNoAddressLabels() throws Exception {
        PrometheusMeterRegistry registry = MetricsEndpoint.newRegistry();
        EdgeschedMetrics metrics = new EdgeschedMetrics(registry);
        metrics.track(CompletableFuture.completedFuture(new MoveResult.Done(MOVE, Duration.ofSeconds(3))));
        metrics.track(CompletableFuture.completedFuture(new MoveResult.Refused(MOVE,
                "target node edge-2 is cordoned (spec.unschedulable=true)")));
        metrics.track(CompletableFuture.completedFuture(new MoveResult.Refused(MOVE, "client 10.1.2.3 did something odd")));
        metrics.track(CompletableFuture.completedFuture(new MoveResult.Failed(MOVE, "rollout stuck", true, null)));
        metrics.decisionTime().record(Duration.ofMillis(12));
        metrics.reportAges(() -> List.of(Duration.ofSeconds(4), Duration.ofSeconds(90)), Duration.ofSeconds(60));
        metrics.reportPublished(2048);

        try (MetricsEndpoint endpoint = MetricsEndpoint.start(registry, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            HttpResponse<String> response = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + endpoint.port() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);
            String text = response.body();
            assertThat(text)
                    .contains("edgesched_moves_total{outcome=\"started\"} 4.0")
                    .contains("edgesched_moves_total{outcome=\"done\"} 1.0")
                    .contains("edgesched_moves_total{outcome=\"refused\"} 2.0")
                    .contains("edgesched_moves_total{outcome=\"failed\"} 1.0")
                    .contains("edgesched_move_refusals_total{reason=\"target-cordoned\"} 1.0")
                    .contains("edgesched_move_refusals_total{reason=\"other\"} 1.0")
                    .contains("edgesched_decision_time_seconds_count 1")
                    .contains("edgesched_report_age_max_seconds 90.0")
                    .contains("edgesched_report_age_min_seconds 4.0")
                    .contains("edgesched_reports{state=\"fresh\"} 1.0")
                    .contains("edgesched_reports{state=\"stale\"} 1.0")
                    .contains("edgesched_reports_published_total 1.0");
            Matcher labels = Pattern.compile("\\{([^}]*)\\}").matcher(text);
            Pattern ipLike = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}|[0-9a-fA-F]{1,4}(:[0-9a-fA-F]{0,4}){2,7}");
            int labelSets = 0;
            while (labels.find()) {
                labelSets++;
                for (String pair : labels.group(1).split(",")) {
                    String value = pair.contains("=") ? pair.substring(pair.indexOf('=') + 1).replace("\"", "") : "";
                    assertThat(ipLike.matcher(value).find()).as("label value %s looks like an address", value).isFalse();
                }
            }
            assertThat(labelSets).isGreaterThan(10);

            HttpResponse<String> health = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + endpoint.port() + "/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(health.body()).isEqualTo("ok\n");
        }
    }

    @Test
    void refusalTextsFromTheReschedulerMapToReasons() {
        assertThat(RefusalReason.classify("target node edge-2 is NotReady: kubelet stopped")).isEqualTo(RefusalReason.TARGET_NOT_READY);
        assertThat(RefusalReason.classify("target node e has taint x:NoSchedule that the pod template does not tolerate"))
                .isEqualTo(RefusalReason.TARGET_TAINTED);
        assertThat(RefusalReason.classify("PodDisruptionBudget web allows 0 disruptions now")).isEqualTo(RefusalReason.DISRUPTION_BUDGET);
        assertThat(RefusalReason.classify("deployment shop/web has not opted in: set label edgesched.io/managed=true"))
                .isEqualTo(RefusalReason.NOT_OPTED_IN);
        assertThat(RefusalReason.classify("not the leader")).isEqualTo(RefusalReason.NOT_LEADER);
        assertThat(RefusalReason.classify("something new")).isEqualTo(RefusalReason.OTHER);
    }
}
