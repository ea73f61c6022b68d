package io.edgesched.k8s.report;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * The publisher's own health, written together with the spec (the CRD has no status subresource:
 * the agent is the only writer). Nothing is dropped without being counted here.
 *
 * @param clientsPerWorkload    the top-N actually used after the size check (may be below the configured N)
 * @param workloadsOmitted      workloads left out by the per-report cap (the lightest ones)
 * @param unmappedRecords       kernel records whose port no longer maps to a workload
 * @param serializedBytes       size of the report as JSON when it was built
 * @param packetsSeen           source counter: packets the observer looked at
 * @param unparsed              source counter: packets it could not parse
 * @param clientTableFull       source counter: new clients not recorded, table full
 * @param rttTableFull          source counter: handshakes not timed, table full
 * @param forwardedPackets      source counter: packets from other cluster nodes
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record OriginReportStatus(int clientsPerWorkload, int workloadsOmitted, long unmappedRecords,
                                 long serializedBytes, long packetsSeen, long unparsed, long clientTableFull,
                                 long rttTableFull, long forwardedPackets) {
}
