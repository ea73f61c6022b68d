package io.edgesched.api;

import java.util.Objects;

/** A node of the edge cloud (a Kubernetes node name, or a lab host name). */
public record NodeId(String name) implements Comparable<NodeId> {
    public NodeId {
        Objects.requireNonNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("node name must not be blank");
        }
    }

    public static NodeId of(String name) {
        return new NodeId(name);
    }

    @Override
    public int compareTo(NodeId other) {
        if (name == other.name) {
            return 0; // one name object: the demand store and the topology hand out the same ids round after round
        }
        return name.compareTo(other.name);
    }

    @Override
    public String toString() {
        return name;
    }
}
