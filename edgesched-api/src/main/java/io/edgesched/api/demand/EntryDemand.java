package io.edgesched.api.demand;

import io.edgesched.api.NodeId;

import java.util.Objects;

/**
 * A workload's demand that enters the cluster through one node.
 *
 * @param entryNode      the node the clients' traffic arrived at
 * @param ratePerSecond  decayed demand rate (unit of the configured {@link DemandMetric} per second)
 * @param meanRttMicros  demand-weighted mean client RTT to the entry node over clients with a known RTT;
 *                       NaN when no client at this node has one
 * @param clients        number of client aggregates behind this entry
 */
public record EntryDemand(NodeId entryNode, double ratePerSecond, double meanRttMicros, int clients) {
    public EntryDemand {
        Objects.requireNonNull(entryNode, "entryNode");
        if (!(ratePerSecond >= 0) || Double.isInfinite(ratePerSecond)) {
            throw new IllegalArgumentException("rate must be finite and >= 0, got " + ratePerSecond + " at " + entryNode);
        }
        if (meanRttMicros < 0) {
            throw new IllegalArgumentException("RTT must be >= 0 or NaN, got " + meanRttMicros);
        }
    }

    public static EntryDemand of(NodeId entryNode, double ratePerSecond, double meanRttMicros) {
        return new EntryDemand(entryNode, ratePerSecond, meanRttMicros, 1);
    }

    /** Demand without any RTT knowledge. */
    public static EntryDemand withoutRtt(NodeId entryNode, double ratePerSecond) {
        return new EntryDemand(entryNode, ratePerSecond, Double.NaN, 1);
    }

    public boolean rttKnown() {
        return !Double.isNaN(meanRttMicros);
    }
}
