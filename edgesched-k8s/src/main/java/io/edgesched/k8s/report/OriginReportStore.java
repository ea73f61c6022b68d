package io.edgesched.k8s.report;

import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * Where a node's OriginReport is written: created if absent, else replaced (the agent is its only writer).
 * A failed write throws with what to check (CRD installed, RBAC); the next turn tries again.
 */
public interface OriginReportStore {
    void write(OriginReport report);

    /** Through a fabric8 client (the controller's tools and tests). */
    static OriginReportStore fabric8(KubernetesClient client, String namespace) {
        return new Fabric8ReportStore(client, namespace);
    }

    /** The advice a failed write carries. */
    static String writeFailureAdvice(String namespace) {
        return "Is the CRD installed (kubectl apply -f deploy/crd-originreport.yaml) and may the agent's service account"
                + " create/update originreports in " + namespace + "?";
    }
}
