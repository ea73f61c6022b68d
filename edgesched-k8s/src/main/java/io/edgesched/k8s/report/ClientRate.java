package io.edgesched.k8s.report;

import io.edgesched.api.ClientAddress;
import java.util.Objects;

/**
 * One client's activity over a report window.
 *
 * @param rttMicros kernel RTT to the client, 0 when no sample exists
 */
public record ClientRate(ClientAddress client, double connectionsPerSecond, double packetsPerSecond,
                         double bytesPerSecond, long rttMicros) {
    public ClientRate {
        Objects.requireNonNull(client, "client");
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
