package io.edgesched.examples.lab;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The emulated edge cloud: one network namespace per host, each with an uplink {@code eth0} whose other
 * end sits in a "wan" namespace, plugged into the {@link DelaySwitch}. The switch gives every pair of hosts
 * its own round-trip time. Addresses are private and exist only inside these namespaces; nothing is
 * routed anywhere else. Closing removes every namespace (and so every link, rule and hook in them).
 */
public final class LabTopology implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LabTopology.class);
    public static final String DEFAULT_PREFIX = "esl-";
    static final String UPLINK = "eth0";
    private static final String SUBNET_PREFIX_LENGTH = "/24";

    private final String prefix;
    private final Map<String, LabNode> nodes;
    private DelaySwitch delaySwitch;
    private boolean netemAvailable;
    private boolean closed;

    private LabTopology(String prefix, List<LabNode> nodes) {
        this.prefix = prefix;
        this.nodes = new LinkedHashMap<>();
        nodes.forEach(n -> this.nodes.put(n.name(), n));
    }

    /** The thesis's cloud: 4 cloud nodes, 2 edge nodes, 1 end device on 10.77.0.0/24. */
    public static List<LabNode> thesisNodes() {
        List<LabNode> list = new ArrayList<>();
        for (int i = 1; i <= 4; i++) {
            list.add(node("cloud" + i, LabNode.Role.CLOUD, 10 + i));
        }
        list.add(node("edge1", LabNode.Role.EDGE, 21));
        list.add(node("edge2", LabNode.Role.EDGE, 22));
        list.add(node("device", LabNode.Role.DEVICE, 100));
        return list;
    }

    static LabNode node(String name, LabNode.Role role, int hostNumber) {
        return new LabNode(name, role, "10.77.0." + hostNumber, String.format("02:e5:1a:00:00:%02x", hostNumber));
    }

    /** Builds the namespaces, links and the delay switch (all delays start at zero). */
    public static LabTopology create(String prefix, List<LabNode> nodes) {
        LabTopology topology = new LabTopology(prefix, nodes);
        try {
            topology.build();
            return topology;
        } catch (RuntimeException e) {
            topology.close();
            throw e;
        }
    }

    private void build() {
        String wan = wanNamespace();
        Cmd.run("ip", "netns", "add", wan);
        quietIpv6(wan);
        List<String> ports = new ArrayList<>();
        List<String> macs = new ArrayList<>();
        for (LabNode node : nodes.values()) {
            String ns = namespace(node);
            Cmd.run("ip", "netns", "add", ns);
            quietIpv6(ns);
            String port = port(node);
            Cmd.run("ip", "-n", wan, "link", "add", port, "type", "veth", "peer", "name", UPLINK, "netns", ns);
            Cmd.run("ip", "-n", ns, "link", "set", UPLINK, "address", node.mac());
            Cmd.run("ip", "-n", ns, "addr", "add", node.address() + SUBNET_PREFIX_LENGTH, "dev", UPLINK);
            Cmd.run("ip", "-n", ns, "link", "set", "lo", "up");
            Cmd.run("ip", "-n", ns, "link", "set", UPLINK, "up");
            Cmd.run("ip", "-n", wan, "link", "set", port, "up");
            Cmd.inNs(ns, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
            // Ephemeral ports recycle fast: the device opens a connection per request.
            Cmd.inNs(ns, "sysctl", "-q", "-w", "net.ipv4.tcp_tw_reuse=1");
            ports.add(port);
            macs.add(node.mac());
        }
        // Static neighbours: no ARP round trips through the delays, and no broadcast storms.
        for (LabNode node : nodes.values()) {
            for (LabNode other : nodes.values()) {
                if (other != node) {
                    Cmd.run("ip", "-n", namespace(node), "neigh", "replace", other.address(), "lladdr", other.mac(),
                            "nud", "permanent", "dev", UPLINK);
                }
            }
        }
        netemAvailable = netemAvailable(wan);
        delaySwitch = DelaySwitch.start(wan, ports, macs);
        log.info("lab network up: {} hosts in namespaces {}*", nodes.size(), prefix);
    }

    /** Whether this kernel has sch_netem (tried on the loopback of the lab's own wan namespace). */
    private static boolean netemAvailable(String ns) {
        try {
            return Cmd.tryRun(List.of("ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", "lo", "root", "netem",
                    "delay", "1ms")).exitCode() == 0;
        } catch (LabException noTc) {
            return false;
        }
    }

    private static void quietIpv6(String ns) {
        // IPv4 only: no router solicitations or DAD frames wandering through the switch.
        Cmd.inNs(ns, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1");
        Cmd.inNs(ns, "sysctl", "-q", "-w", "net.ipv6.conf.default.disable_ipv6=1");
    }

    public String prefix() {
        return prefix;
    }

    public String wanNamespace() {
        return prefix + "wan";
    }

    public String namespace(LabNode node) {
        return prefix + node.name();
    }

    private static String port(LabNode node) {
        return "p-" + node.name();
    }

    public List<LabNode> nodes() {
        return List.copyOf(nodes.values());
    }

    public List<LabNode> clusterNodes() {
        return nodes.values().stream().filter(LabNode::isClusterNode).toList();
    }

    public LabNode node(String name) {
        LabNode node = nodes.get(name);
        if (node == null) {
            throw new IllegalArgumentException("no lab host named " + name + "; hosts: " + nodes.keySet());
        }
        return node;
    }

    /** Sets the round-trip time between two hosts (both directions), effective for the next frame. */
    public void setRtt(LabNode a, LabNode b, Duration rtt, Duration jitter) {
        delaySwitch.setRtt(port(a), port(b), rtt, jitter);
    }

    /**
     * How the delays are made. The lab always uses its own switch, also where the kernel has sch_netem, so
     * that runs on different kernels delay packets the same way (and jitter never reorders a pair's frames).
     */
    public String delayMechanism() {
        return "esl-delayswitch in " + wanNamespace() + " (sch_netem " + (netemAvailable ? "is available in this kernel but"
                + " not used, so runs on any kernel delay packets alike)" : "is not available in this kernel)");
    }

    public String switchStats() {
        return delaySwitch.stats();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (delaySwitch != null) {
            delaySwitch.close();
        }
        LabCleanup.removeAll(prefix);
    }
}
