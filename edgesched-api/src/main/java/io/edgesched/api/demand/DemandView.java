package io.edgesched.api.demand;

import io.edgesched.api.WorkloadId;

import java.time.Instant;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;

/** Immutable per-workload entry-node demand at one instant: what the policy reads. */
public interface DemandView {
    /** When the rates were evaluated. */
    Instant at();

    /** Workloads with any recorded demand, sorted. */
    SortedSet<WorkloadId> workloads();

    /** The workload's demand; {@link WorkloadDemand#none} when nothing is known. */
    WorkloadDemand demand(WorkloadId workload);

    /** The workload's recent client handoffs (see {@link HandoffRule}), oldest first; none by default. */
    default List<Handoff> handoffs(WorkloadId workload) {
        return List.of();
    }

    /** A view over explicitly given demand (simulators, tests, demand reports from elsewhere). */
    static DemandView of(Instant at, Collection<WorkloadDemand> demands) {
        return of(at, demands, Map.of());
    }

    /** A view over explicitly given demand and the handoffs behind it, per workload. */
    static DemandView of(Instant at, Collection<WorkloadDemand> demands, Map<WorkloadId, List<Handoff>> handoffs) {
        Map<WorkloadId, List<Handoff>> handoffsOf = new TreeMap<>();
        handoffs.forEach((w, list) -> handoffsOf.put(w, List.copyOf(list)));
        TreeMap<WorkloadId, WorkloadDemand> byWorkload = new TreeMap<>();
        for (WorkloadDemand d : demands) {
            if (byWorkload.put(d.workload(), d) != null) {
                throw new IllegalArgumentException("workload " + d.workload() + " has two demand entries");
            }
        }
        SortedSet<WorkloadId> ids = Collections.unmodifiableSortedSet(new java.util.TreeSet<>(byWorkload.keySet()));
        return new DemandView() {
            @Override
            public Instant at() {
                return at;
            }

            @Override
            public SortedSet<WorkloadId> workloads() {
                return ids;
            }

            @Override
            public WorkloadDemand demand(WorkloadId workload) {
                WorkloadDemand d = byWorkload.get(workload);
                return d != null ? d : WorkloadDemand.none(workload);
            }

            @Override
            public List<Handoff> handoffs(WorkloadId workload) {
                return handoffsOf.getOrDefault(workload, List.of());
            }

            @Override
            public String toString() {
                return "DemandView{" + byWorkload.size() + " workloads at " + at + "}";
            }
        };
    }

    static DemandView empty(Instant at) {
        return of(at, List.of());
    }
}
