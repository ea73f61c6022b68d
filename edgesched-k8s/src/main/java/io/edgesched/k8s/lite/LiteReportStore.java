package io.edgesched.k8s.lite;

import io.edgesched.k8s.report.OriginReport;
import io.edgesched.k8s.report.OriginReportStore;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Objects;

/**
 * {@link OriginReportStore} over the light client: replace the report (PUT), create it where it is missing (POST), and
 * replace it where a create finds one (a restarted agent). Unconditional replace, as the fabric8 store does: the agent
 * is the report's only writer.
 */
public final class LiteReportStore implements OriginReportStore {
    private static final String BASE = "/apis/" + OriginReport.GROUP + "/" + OriginReport.VERSION + "/namespaces/";

    private final ApiAccess api;
    private final String namespace;
    private boolean reportExists;

    public LiteReportStore(ApiAccess api, String namespace) {
        this.api = Objects.requireNonNull(api, "api");
        this.namespace = Objects.requireNonNull(namespace, "namespace");
    }

    @Override
    public void write(OriginReport report) {
        String name = report.getMetadata().getName();
        String body = OriginReportJson.encode(report);
        try {
            if (!reportExists) {
                HttpResponse<String> created = send("POST", collection(), body);
                if (created.statusCode() != 409) { // 409: it is there already, replace it below
                    expectSuccess(created, "creating", name);
                    reportExists = true;
                    return;
                }
            }
            HttpResponse<String> replaced = send("PUT", collection() + "/" + name, body);
            if (replaced.statusCode() == 404) { // someone deleted it: write it again
                replaced = send("POST", collection(), body);
            }
            expectSuccess(replaced, "writing", name);
            reportExists = true;
        } catch (RuntimeException e) {
            reportExists = false;
            throw e;
        }
    }

    private String collection() {
        return BASE + namespace + "/" + OriginReport.PLURAL;
    }

    private HttpResponse<String> send(String method, String path, String body) {
        HttpRequest request = api.request(path).header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(body)).build();
        try {
            return api.http().send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new LiteApiException(0, "writing OriginReport " + namespace + " to " + api.server() + " failed: " + e
                    + " (is the API server reachable?)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LiteApiException(0, "interrupted while writing an OriginReport", e);
        }
    }

    private void expectSuccess(HttpResponse<String> response, String what, String name) {
        int status = response.statusCode();
        if (status / 100 == 2) {
            return;
        }
        throw new LiteApiException(status, what + " OriginReport " + namespace + "/" + name + " failed (HTTP " + status
                + "): " + LiteApiException.statusMessage(response.body()) + ". " + OriginReportStore.writeFailureAdvice(namespace),
                null);
    }
}
