package io.edgesched.examples.lab;

import io.edgesched.api.NodeId;
import java.util.Objects;

/**
 * One host of the emulated edge cloud: a network namespace with an uplink called {@code eth0}.
 *
 * @param name    short name (cloud1, edge1, device); the namespace is the lab prefix + name
 * @param role    what the host plays
 * @param address its IPv4 address on the lab network (a private /24 that exists only inside the lab)
 * @param mac     its uplink's MAC, fixed so the delay switch knows where each frame goes
 */
public record LabNode(String name, Role role, String address, String mac) {
    public enum Role { CLOUD, EDGE, DEVICE }

    public LabNode {
        Objects.requireNonNull(name);
        Objects.requireNonNull(role);
        Objects.requireNonNull(address);
        Objects.requireNonNull(mac);
    }

    public NodeId id() {
        return NodeId.of(name);
    }

    /** True for hosts that can run the service (not the end device). */
    public boolean isClusterNode() {
        return role != Role.DEVICE;
    }
}
