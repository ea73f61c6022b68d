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

    /**
     * The most telling cause: a refused or unresolvable connection by name (the JDK HTTP client reports a refusal as a
     * ConnectException without a message around a ClosedChannelException), else the innermost cause's message.
     */
    static String reason(Throwable e) {
        Throwable root = e;
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof java.net.ConnectException) {
                return t.getMessage() != null && !t.getMessage().isBlank() ? t.getMessage() : "Connection refused";
            }
            if (t instanceof java.net.UnknownHostException) {
                return "unknown host " + t.getMessage();
            }
            root = t;
        }
        return root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
    }
}
