package io.edgesched.api.demand;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.NodeId;
import io.edgesched.api.WorkloadId;

import java.time.Instant;
import java.util.Locale;
import java.util.Objects;

/**
 * A client aggregate's demand moved from its old entry node to a new one at once ({@link HandoffRule}).
 *
 * @param ratePerSecond the decayed rate that moved
 */
public record Handoff(WorkloadId workload, ClientAddress client, NodeId from, NodeId to, Instant at,
                      double ratePerSecond) {
    public Handoff {
        Objects.requireNonNull(workload, "workload");
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(at, "at");
    }

    /** "client 198.51.100.7 handed off cloud1 -> edge1". */
    public String describe() {
        return "client " + client + " handed off " + from + " -> " + to;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s at %s (%.3f/s)", describe(), at, ratePerSecond);
    }
}
