package io.edgesched.examples.lab;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * NodePort-like forwarding, as kube-proxy does it: on every cluster node, TCP to the node's address and
 * the NodePort is DNATed to wherever the service runs; traffic that leaves again is masqueraded so
 * replies come back through the node the client reached. Rules live only in the lab's namespaces.
 */
final class NodePortForwarding {
    private final LabTopology topology;
    private final int nodePort;
    private final String chain;

    /** Forwarding of one NodePort; {@code name} tells the services apart in the chain name. */
    NodePortForwarding(LabTopology topology, int nodePort, String name) {
        this.topology = topology;
        this.nodePort = nodePort;
        this.chain = "ESL-NP-" + name.toUpperCase(java.util.Locale.ROOT);
    }

    /** The masquerade every node needs once, for whatever NodePorts it forwards. */
    static void installMasquerade(LabTopology topology) {
        forEachNode(topology, node -> Cmd.inNs(topology.namespace(node), "iptables", "-w", "-t", "nat", "-A", "POSTROUTING",
                "-o", LabTopology.UPLINK, "-m", "conntrack", "--ctstate", "DNAT", "-j", "MASQUERADE"));
    }

    /** Removes every NAT rule of the lab from every node (the namespaces going away removes them too). */
    static void uninstallAll(LabTopology topology) {
        forEachNode(topology, node -> {
            String ns = topology.namespace(node);
            Cmd.tryRun(List.of("ip", "netns", "exec", ns, "iptables", "-w", "-t", "nat", "-F"));
            Cmd.tryRun(List.of("ip", "netns", "exec", ns, "iptables", "-w", "-t", "nat", "-X"));
        });
    }

    /** Installs this NodePort on every cluster node, pointing at {@code target}:{@code port}. */
    void install(LabNode target, int port) {
        forEachNode(topology, node -> {
            String ns = topology.namespace(node);
            Cmd.inNs(ns, "iptables", "-w", "-t", "nat", "-N", chain);
            Cmd.inNs(ns, "iptables", "-w", "-t", "nat", "-A", chain, "-p", "tcp", "-j", "DNAT",
                    "--to-destination", target.address() + ":" + port);
            Cmd.inNs(ns, "iptables", "-w", "-t", "nat", "-A", "PREROUTING", "-d", node.address() + "/32", "-p", "tcp",
                    "--dport", String.valueOf(nodePort), "-j", chain);
        });
    }

    /** Points every node's NodePort at {@code target}:{@code port}; one atomic rule replace per node. */
    void pointTo(LabNode target, int port) {
        forEachNode(topology, node -> Cmd.inNs(topology.namespace(node), "iptables", "-w", "-t", "nat", "-R", chain, "1",
                "-p", "tcp", "-j", "DNAT", "--to-destination", target.address() + ":" + port));
    }

    private interface NodeAction {
        void apply(LabNode node);
    }

    private static void forEachNode(LabTopology topology, NodeAction action) {
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> done = new ArrayList<>();
            for (LabNode node : topology.clusterNodes()) {
                done.add(pool.submit(() -> action.apply(node)));
            }
            for (Future<?> f : done) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    throw e.getCause() instanceof RuntimeException r ? r : new LabException(e.getCause().getMessage(), e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new LabException("interrupted while changing forwarding", e);
                }
            }
        }
    }
}
