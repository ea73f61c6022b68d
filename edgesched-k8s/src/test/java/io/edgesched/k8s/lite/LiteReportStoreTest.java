package io.edgesched.k8s.lite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.edgesched.k8s.report.OriginReport;
import io.edgesched.k8s.report.OriginReportSpec;
import io.edgesched.k8s.report.OriginReportStatus;
import io.edgesched.k8s.topology.Fixtures;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The light client's report writes, read back through fabric8 as the controller reads them. */
@EnableKubernetesMockClient(crud = true, https = false)
class LiteReportStoreTest {
    static {
        Fixtures.quietMockServer();
    }

    KubernetesClient client;

    @Test
    void createsReplacesAndRecreatesTheReport() {
        LiteReportStore store = new LiteReportStore(ApiAccess.plain(URI.create(client.getMasterUrl().toString())), "edgesched");
        var reports = client.resources(OriginReport.class).inNamespace("edgesched");

        store.write(report(10));
        OriginReport stored = reports.withName("edge-1").get();
        assertThat(stored.getSpec()).isEqualTo(report(10).getSpec());
        assertThat(stored.getStatus()).isEqualTo(report(10).getStatus());

        store.write(report(20));
        assertThat(reports.list().getItems()).singleElement()
                .satisfies(r -> assertThat(r.getSpec()).isEqualTo(report(20).getSpec()));

        reports.withName("edge-1").delete();
        store.write(report(30)); // the store believes it exists: the replace finds it gone and creates it
        assertThat(reports.withName("edge-1").get().getSpec()).isEqualTo(report(30).getSpec());

        LiteReportStore restarted = new LiteReportStore(ApiAccess.plain(URI.create(client.getMasterUrl().toString())), "edgesched");
        restarted.write(report(40)); // a new agent's create finds the old report: it replaces it
        assertThat(reports.withName("edge-1").get().getSpec()).isEqualTo(report(40).getSpec());
    }

    @Test
    void aRefusedWriteSaysWhatToCheck() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            byte[] body = "{\"kind\":\"Status\",\"code\":403,\"message\":\"originreports is forbidden: User cannot create\"}"
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(403, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try {
            LiteReportStore store = new LiteReportStore(ApiAccess.plain(URI.create("http://127.0.0.1:" + server.getAddress().getPort())), "edgesched");
            assertThatThrownBy(() -> store.write(report(1))).isInstanceOf(LiteApiException.class)
                    .hasMessageContaining("HTTP 403").hasMessageContaining("originreports is forbidden")
                    .hasMessageContaining("crd-originreport.yaml")
                    .satisfies(e -> assertThat(((LiteApiException) e).status()).isEqualTo(403));
        } finally {
            server.stop(0);
        }
    }

    static OriginReport report(long packets) {
        OriginReport r = new OriginReport();
        ObjectMeta meta = new ObjectMeta();
        meta.setName("edge-1");
        meta.setNamespace("edgesched");
        r.setMetadata(meta);
        r.setSpec(new OriginReportSpec("edge-1", "2026-12-04T13:00:00Z", 10, List.of(new OriginReportSpec.WorkloadOrigins(
                "web", "shop", 30080, List.of(new OriginReportSpec.ClientDemand("198.51.100.7", 1, 0, packets, 0, 1400)),
                OriginReportSpec.OtherClients.NONE)), List.of(new OriginReportSpec.NodeRtt("edge-2", 240)), "packets"));
        r.setStatus(new OriginReportStatus(16, 0, 0, 512, packets * 10, 0, 0, 0, 0));
        return r;
    }
}
