package io.edgesched.examples.agent;

import io.edgesched.examples.k8s.ApiServerUnreachable;
import io.edgesched.examples.k8s.Shutdown;
import io.edgesched.k8s.report.OriginReportStore;
import io.edgesched.k8s.topology.KubernetesTopology;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.concurrent.TimeoutException;

/** {@link ClusterAccess.Kind#FABRIC8}. */
final class Fabric8ClusterAccess {
    private Fabric8ClusterAccess() {
    }

    /** Starts the informers and waits for their first lists. */
    static ClusterAccess open(Shutdown shutdown, KubernetesTopology.Options options, String reportNamespace,
                              Duration syncTimeout) throws ClusterAccess.Unavailable, InterruptedException {
        KubernetesClient client = shutdown.add(new KubernetesClientBuilder().build());
        try {
            KubernetesTopology topology = shutdown.add(KubernetesTopology.start(client, options));
            topology.awaitSynced(syncTimeout);
            return new ClusterAccess(topology, OriginReportStore.fabric8(client, reportNamespace),
                    client.getMasterUrl() + " (fabric8)");
        } catch (KubernetesClientException e) {
            String line = ApiServerUnreachable.describe("agent", client, e);
            throw new ClusterAccess.Unavailable(line.substring("agent: ".length()), 3, e);
        } catch (TimeoutException e) {
            throw ClusterAccess.notSynced(e);
        }
    }
}
