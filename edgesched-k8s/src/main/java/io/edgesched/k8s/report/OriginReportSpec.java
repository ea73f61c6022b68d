package io.edgesched.k8s.report;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * The report body.
 *
 * @param node          the reporting node (equals the object's name)
 * @param generatedAt   RFC 3339 time the agent built the report
 * @param windowSeconds length of the window the rates were measured over
 * @param workloads     per workload: the top clients, aggregated prefixes of the tail, and the rest as one sum
 * @param nodeRtts      this node's RTT to other nodes, where the kernel measured one (forwarded traffic)
 * @param metric        which counter the rates measure ("connections", "packets" or "bytes"): the agent's demand
 *                      store tracks one, and only that column is filled; absent when all three are
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true) // reports from newer agents stay readable
public record OriginReportSpec(String node, String generatedAt, double windowSeconds,
                               List<WorkloadOrigins> workloads, List<NodeRtt> nodeRtts, String metric) {
    public OriginReportSpec {
        workloads = workloads == null ? List.of() : List.copyOf(workloads);
        nodeRtts = nodeRtts == null ? List.of() : List.copyOf(nodeRtts);
    }

    /** Without a metric: every rate column is filled. */
    public OriginReportSpec(String node, String generatedAt, double windowSeconds, List<WorkloadOrigins> workloads,
                            List<NodeRtt> nodeRtts) {
        this(node, generatedAt, windowSeconds, workloads, nodeRtts, null);
    }

    /**
     * Demand for one workload seen on this node.
     *
     * @param workload     Deployment name
     * @param namespace    Deployment namespace
     * @param port         the node-local port the clients reached
     * @param clients      the heaviest clients (full addresses) then tail prefixes ("a.b.c.0/24"), heaviest first
     * @param otherClients everything not listed in {@code clients}, summed
     * @param arrivals     heavy clients whose visit at this node began recently (a controller matches them with
     *                     other nodes' {@code departures} to hand their demand over at once); empty when none
     * @param departures   listed heavy clients that stopped arriving here; empty when none
     */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record WorkloadOrigins(String workload, String namespace, int port, List<ClientDemand> clients,
                                  OtherClients otherClients, List<Arrival> arrivals, List<Departure> departures) {
        public WorkloadOrigins {
            clients = clients == null ? List.of() : List.copyOf(clients);
            if (otherClients == null) {
                otherClients = OtherClients.NONE;
            }
            arrivals = arrivals == null ? List.of() : List.copyOf(arrivals);
            departures = departures == null ? List.of() : List.copyOf(departures);
        }

        /** Without movements. */
        public WorkloadOrigins(String workload, String namespace, int port, List<ClientDemand> clients,
                               OtherClients otherClients) {
            this(workload, namespace, port, clients, otherClients, List.of(), List.of());
        }
    }

    /**
     * A client's visit that began recently at this node (see docs/k8s-reports.md, "Handoff across nodes").
     *
     * @param client           one address (never a prefix)
     * @param arrivedMillisAgo how long before {@code generatedAt} the visit began
     * @param reads            reads of this node that saw the client's counter grow since then (evidence)
     * @param rttMicros        kernel-measured RTT node to client; 0 = unknown
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Arrival(String client, long arrivedMillisAgo, int reads,
                          @JsonInclude(JsonInclude.Include.NON_DEFAULT) long rttMicros) {
    }

    /**
     * A listed client that stopped arriving at this node.
     *
     * @param client            one address
     * @param lastSeenMillisAgo how long before {@code generatedAt} the kernel saw its last packet here
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Departure(String client, long lastSeenMillisAgo) {
    }

    /**
     * One client address or client prefix.
     *
     * @param prefix           "192.0.2.7" for one client, "192.0.2.0/24" or "2001:db8::/48" for an aggregate
     * @param clients          how many distinct client addresses this entry stands for (1 for an address)
     * @param ratePerSecond    new connections per second
     * @param packetsPerSecond packets per second (a request-rate proxy for long-lived connections)
     * @param bytesPerSecond   bytes per second, client to node
     * @param rttMicros        kernel-measured RTT node to client; for a prefix, the rate-weighted mean; 0 = unknown
     *                         <p>Zero rates and an unknown RTT are left out of the JSON (a report fills one rate
     *                         column: the other two would be ~40 bytes of zeros per entry); absent reads as 0.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record ClientDemand(String prefix, long clients,
                               @JsonInclude(JsonInclude.Include.NON_DEFAULT) double ratePerSecond,
                               @JsonInclude(JsonInclude.Include.NON_DEFAULT) double packetsPerSecond,
                               @JsonInclude(JsonInclude.Include.NON_DEFAULT) double bytesPerSecond,
                               @JsonInclude(JsonInclude.Include.NON_DEFAULT) long rttMicros) {
    }

    /** The tail not listed, as one sum. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record OtherClients(long count, double ratePerSecond, double packetsPerSecond, double bytesPerSecond) {
        public static final OtherClients NONE = new OtherClients(0, 0, 0, 0);
    }

    /** This node's measured RTT to another node. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record NodeRtt(String node, long rttMicros) {
    }
}
