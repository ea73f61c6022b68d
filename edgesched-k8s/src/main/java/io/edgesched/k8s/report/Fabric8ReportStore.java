package io.edgesched.k8s.report;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import java.net.HttpURLConnection;
import java.util.Objects;

/** {@link OriginReportStore} over a fabric8 client: create-or-update first, update after, create again if deleted. */
final class Fabric8ReportStore implements OriginReportStore {
    private final KubernetesClient client;
    private final String namespace;
    private boolean reportExists;

    Fabric8ReportStore(KubernetesClient client, String namespace) {
        this.client = Objects.requireNonNull(client, "client");
        this.namespace = Objects.requireNonNull(namespace, "namespace");
    }

    @Override
    public void write(OriginReport report) {
        var resources = client.resources(OriginReport.class).inNamespace(namespace);
        try {
            if (!reportExists) {
                resources.resource(report).createOr(NonDeletingOperation::update);
                reportExists = true;
                return;
            }
            try {
                resources.resource(report).update();
            } catch (KubernetesClientException e) {
                if (e.getCode() != HttpURLConnection.HTTP_NOT_FOUND) {
                    throw e;
                }
                resources.resource(report).create(); // someone deleted it: write it again
            }
        } catch (KubernetesClientException e) {
            reportExists = false;
            throw new KubernetesClientException("writing OriginReport " + namespace + "/" + report.getMetadata().getName()
                    + " failed (HTTP " + e.getCode() + "): " + e.getMessage() + ". "
                    + OriginReportStore.writeFailureAdvice(namespace), e);
        }
    }
}
