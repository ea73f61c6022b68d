package io.edgesched.api;

import java.util.Objects;

/** A placeable workload: a Deployment in Kubernetes, a service in the lab. */
public record WorkloadId(String namespace, String name) implements Comparable<WorkloadId> {
    public WorkloadId {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("workload name must not be blank");
        }
    }

    public static WorkloadId of(String namespace, String name) {
        return new WorkloadId(namespace, name);
    }

    @Override
    public int compareTo(WorkloadId other) {
        int c = namespace.compareTo(other.namespace);
        return c != 0 ? c : name.compareTo(other.name);
    }

    @Override
    public String toString() {
        return namespace.isEmpty() ? name : namespace + "/" + name;
    }
}
