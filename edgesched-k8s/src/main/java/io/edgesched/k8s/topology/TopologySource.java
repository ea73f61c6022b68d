package io.edgesched.k8s.topology;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeoutException;

/**
 * A live view of the cluster objects placement needs, kept current by watches: {@link KubernetesTopology} (fabric8
 * informers) or the agent's light client ({@code io.edgesched.k8s.lite.LiteTopology}).
 */
public interface TopologySource extends AutoCloseable {
    /** Waits until every watched collection has its initial list; the timeout's message says which have not. */
    void awaitSynced(Duration timeout) throws TimeoutException, InterruptedException;

    /** Collections that have not listed yet or stopped (empty when all are synced and running). */
    List<String> notSynced();

    /** Called after every change seen (on a watch thread: keep it short). */
    void addListener(Runnable onChange);

    /** The cluster as the caches see it now; rebuilt only when something changed since the last call. */
    ClusterSnapshot snapshot();

    /** Objects and watch events refused as malformed so far (counted and logged where they were refused). */
    default long refusedObjects() {
        return 0;
    }

    @Override
    void close();
}
