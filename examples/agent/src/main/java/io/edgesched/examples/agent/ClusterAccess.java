package io.edgesched.examples.agent;

import io.edgesched.k8s.report.OriginReportStore;
import io.edgesched.k8s.topology.TopologySource;

/**
 * What the agent needs of the API server: a watched cluster view and a place to write its report. Two kinds:
 * the light client (default: JSON over the JDK's HTTP client, no fabric8 or Jackson loaded) and fabric8. Each kind
 * lives in a class of its own so that choosing one never loads the other's classes.
 *
 * @param topology the cluster view (not yet synced)
 * @param store    where the OriginReport goes
 * @param describe the API server and credentials in use, for messages
 */
record ClusterAccess(TopologySource topology, OriginReportStore store, String describe) {
    /** No cluster view: a message for the user (without the tool's name) and the exit code (2 config, 3 server). */
    static final class Unavailable extends Exception {
        private final int exitCode;

        Unavailable(String message, int exitCode, Throwable cause) {
            super(message, cause);
            this.exitCode = exitCode;
        }

        int exitCode() {
            return exitCode;
        }
    }

    /** A first sync that timed out: its message, exit code 3. */
    static Unavailable notSynced(java.util.concurrent.TimeoutException e) {
        return new Unavailable(e.getMessage(), 3, e);
    }

    /** Which API client the agent uses. */
    enum Kind {
        /** JSON over java.net.http: ~45 MiB less RSS; kubeconfig with tokens or client certificates, or in-cluster. */
        LITE,
        /** fabric8 kubernetes-client: every kubeconfig feature (exec plugins, auth providers). */
        FABRIC8
    }
}
