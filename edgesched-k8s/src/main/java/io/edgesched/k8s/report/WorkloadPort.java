package io.edgesched.k8s.report;

import io.edgesched.api.WorkloadId;
import java.util.Objects;

/** A workload as reached on one node-local port: the unit a report groups clients by. */
public record WorkloadPort(WorkloadId workload, int port) implements Comparable<WorkloadPort> {
    public WorkloadPort {
        Objects.requireNonNull(workload, "workload");
    }

    @Override
    public int compareTo(WorkloadPort o) {
        int c = workload.compareTo(o.workload);
        return c != 0 ? c : Integer.compare(port, o.port);
    }
}
