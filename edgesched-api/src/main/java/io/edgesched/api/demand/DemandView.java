package io.edgesched.api.demand;

import io.edgesched.api.WorkloadId;

import java.time.Instant;
import java.util.Collection;
import java.util.Collections;
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

    /** A view over explicitly given demand (simulators, tests, demand reports from elsewhere). */
    static DemandView of(Instant at, Collection<WorkloadDemand> demands) {
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
            public String toString() {
                return "DemandView{" + byWorkload.size() + " workloads at " + at + "}";
            }
        };
    }

    static DemandView empty(Instant at) {
        return of(at, java.util.List.of());
    }
}
