package io.edgesched.api.demand;

import io.edgesched.api.NodeId;
import io.edgesched.api.WorkloadId;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/** All entry-node demand of one workload, sorted by entry node, at most one entry per node. */
public record WorkloadDemand(WorkloadId workload, List<EntryDemand> entries) {
    public WorkloadDemand {
        Objects.requireNonNull(workload, "workload");
        if (!strictlyAscending(entries)) { // the store's views come sorted: one pass instead of a sort
            List<EntryDemand> sorted = new ArrayList<>(entries);
            sorted.sort(Comparator.comparing(EntryDemand::entryNode));
            for (int i = 1; i < sorted.size(); i++) {
                if (sorted.get(i).entryNode().equals(sorted.get(i - 1).entryNode())) {
                    throw new IllegalArgumentException("entry node " + sorted.get(i).entryNode()
                            + " listed twice in the demand of " + workload);
                }
            }
            entries = sorted;
        }
        entries = List.copyOf(entries);
    }

    private static boolean strictlyAscending(List<EntryDemand> entries) {
        EntryDemand previous = null;
        for (EntryDemand e : entries) {
            if (previous != null && previous.entryNode().compareTo(e.entryNode()) >= 0) {
                return false;
            }
            previous = e;
        }
        return true;
    }

    public static WorkloadDemand none(WorkloadId workload) {
        return new WorkloadDemand(workload, List.of());
    }

    public static WorkloadDemand of(WorkloadId workload, EntryDemand... entries) {
        return new WorkloadDemand(workload, List.of(entries));
    }

    public double totalRate() {
        double sum = 0;
        for (EntryDemand e : entries) {
            sum += e.ratePerSecond();
        }
        return sum;
    }

    public double rateAt(NodeId node) {
        for (EntryDemand e : entries) {
            if (e.entryNode().equals(node)) {
                return e.ratePerSecond();
            }
        }
        return 0;
    }
}
