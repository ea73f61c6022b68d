package io.edgesched.api.demand;

/**
 * What a {@link DemandStore} did with its input; nothing is dropped without being counted here.
 *
 * @param snapshots          snapshots ingested
 * @param records            records read
 * @param unresolvedRecords  records whose (node, service, port) the catalog did not map to a workload
 * @param forwardedRecords   records from cluster nodes relaying traffic (not end clients), skipped
 * @param generationChanges  source restarts seen (snapshot generation changed)
 * @param counterResets      records whose counter went down (entry re-created); no negative rates result
 * @param baselineOnly       records first seen with history of unknown age: recorded as a baseline, no rate
 * @param staleOutOfOrder    snapshots older than the node's previous one, ignored
 * @param evictedStale       aggregates dropped because idle for longer than staleAfter
 * @param foldedTopN         aggregates folded into "other clients" because the workload exceeded top-N
 * @param foldedOverCapacity new clients folded into "other clients" because the store was at maxAggregates
 * @param aggregates         aggregates held now
 */
public record DemandStats(long snapshots, long records, long unresolvedRecords, long forwardedRecords,
                          long generationChanges, long counterResets, long baselineOnly, long staleOutOfOrder,
                          long evictedStale, long foldedTopN, long foldedOverCapacity, long aggregates) {
}
