package io.edgesched.examples.k8s;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

/** One-line explanation of a failed first listing, for the agent and controller mains (exit code 3). */
public final class ApiServerUnreachable {
    private ApiServerUnreachable() {
    }

    public static String describe(String tool, KubernetesClient client, KubernetesClientException e) {
        String why = reason(e);
        String status = e.getCode() > 0 ? "HTTP " + e.getCode() + " " : "";
        return tool + ": cannot list from the Kubernetes API server at " + client.getMasterUrl() + ": " + status + why
                + " (check KUBECONFIG or the in-cluster service account, and that RBAC allows get/list/watch; see docs/k8s.md)";
    }

    static String reason(Throwable e) {
        return ConnectionFailure.reason(e);
    }
}
