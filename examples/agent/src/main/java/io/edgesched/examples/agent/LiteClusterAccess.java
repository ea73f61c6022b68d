package io.edgesched.examples.agent;

import io.edgesched.examples.k8s.ConnectionFailure;
import io.edgesched.examples.k8s.Shutdown;
import io.edgesched.k8s.lite.ApiConfigException;
import io.edgesched.k8s.lite.ApiConnection;
import io.edgesched.k8s.lite.LiteApiException;
import io.edgesched.k8s.lite.LiteReportStore;
import io.edgesched.k8s.lite.LiteTopology;
import io.edgesched.k8s.topology.KubernetesTopology;
import java.time.Duration;
import java.util.concurrent.TimeoutException;

/** {@link ClusterAccess.Kind#LITE}. */
final class LiteClusterAccess {
    private LiteClusterAccess() {
    }

    /** Reads the kubeconfig or service account, starts the watches and waits for their first lists. */
    static ClusterAccess open(Shutdown shutdown, KubernetesTopology.Options options, String reportNamespace,
                              Duration syncTimeout) throws ClusterAccess.Unavailable, InterruptedException {
        ApiConnection api;
        try {
            api = shutdown.add(ApiConnection.fromEnvironment());
        } catch (ApiConfigException e) {
            throw new ClusterAccess.Unavailable(e.getMessage(), 2, e);
        }
        try {
            LiteTopology topology = shutdown.add(LiteTopology.start(api, options));
            topology.awaitSynced(syncTimeout);
            return new ClusterAccess(topology, new LiteReportStore(api, reportNamespace), api.describe());
        } catch (LiteApiException e) { // the first failed list: the status, if any, is in the message
            throw new ClusterAccess.Unavailable("cannot list from the Kubernetes API server at " + api.server() + ": "
                    + ConnectionFailure.reason(e) + " (check KUBECONFIG or the in-cluster service account,"
                    + " and that RBAC allows get/list/watch; see docs/k8s.md)", 3, e);
        } catch (TimeoutException e) {
            throw ClusterAccess.notSynced(e);
        }
    }
}
