package io.edgesched.k8s.report;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.demand.ClientActivity;
import java.util.Objects;

/**
 * One client's activity over a report window.
 *
 * @param rttMicros kernel RTT to the client, 0 when no sample exists
 * @param activity  the client's current visit at this node (an agent's demand store tracks it); null when unknown
 */
public record ClientRate(ClientAddress client, double connectionsPerSecond, double packetsPerSecond,
                         double bytesPerSecond, long rttMicros, ClientActivity activity) {
    public ClientRate {
        Objects.requireNonNull(client, "client");
    }

    public ClientRate(ClientAddress client, double connectionsPerSecond, double packetsPerSecond,
                      double bytesPerSecond, long rttMicros) {
        this(client, connectionsPerSecond, packetsPerSecond, bytesPerSecond, rttMicros, null);
    }

    /**
     * Ranking key: packets count requests on long-lived connections too; connections, then bytes break ties
     * (a report that carries only one metric ranks by that one).
     */
    double weight() {
        return packetsPerSecond + connectionsPerSecond * 1e-6 + bytesPerSecond * 1e-12;
    }

    boolean isActive() {
        return packetsPerSecond > 0 || connectionsPerSecond > 0 || bytesPerSecond > 0;
    }
}
