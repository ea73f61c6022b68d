package io.edgesched.api.demand;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.NodeId;

/**
 * One client aggregate (an address, or a prefix when aggregating) of a workload at one entry node.
 *
 * @param client        the address or prefix; {@code 0.0.0.0/0} stands for "other clients" folded in by top-N
 * @param rttMicros     smoothed RTT between client and entry node, NaN when unknown
 * @param activity      the client's current visit at the entry node; null for "other clients" and when unknown
 */
public record ClientDemand(NodeId entryNode, ClientAddress client, double ratePerSecond, double rttMicros,
                           ClientActivity activity) {
    public ClientDemand(NodeId entryNode, ClientAddress client, double ratePerSecond, double rttMicros) {
        this(entryNode, client, ratePerSecond, rttMicros, null);
    }
}
