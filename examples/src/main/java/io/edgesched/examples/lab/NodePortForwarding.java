package io.edgesched.examples.lab;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * NodePort-like forwarding, as kube-proxy does it: on every cluster node, TCP to the node's address and
 * {@link #NODE_PORT} is DNATed to wherever the service runs; traffic that leaves again is masqueraded so
 * replies come back through the node the client reached. Rules live only in the lab's namespaces.
 */
final class NodePortForwarding {
    static final int NODE_PORT = 30080;
    private static final String CHAIN = "ESL-NODEPORT";

    private final LabTopology topology;

    NodePortForwarding(LabTopology topology) {
        this.topology = topology;
    }

    /** Installs the rules on every cluster node, pointing at {@code target}:{@code port}. */
    void install(LabNode target, int port) {
        forEachNode(node -> {
            String ns = topology.namespace(node);
            Cmd.inNs(ns, "iptables", "-w", "-t", "nat", "-N", CHAIN);
            Cmd.inNs(ns, "iptables", "-w", "-t", "nat", "-A", CHAIN, "-p", "tcp", "-j", "DNAT",
                    "--to-destination", target.address() + ":" + port);
            Cmd.inNs(ns, "iptables", "-w", "-t", "nat", "-A", "PREROUTING", "-d", node.address() + "/32", "-p", "tcp",
                    "--dport", String.valueOf(NODE_PORT), "-j", CHAIN);
            Cmd.inNs(ns, "iptables", "-w", "-t", "nat", "-A", "POSTROUTING", "-o", LabTopology.UPLINK, "-m", "conntrack",
                    "--ctstate", "DNAT", "-j", "MASQUERADE");
        });
    }

    /** Points every node's NodePort at {@code target}:{@code port}; one atomic rule replace per node. */
    void pointTo(LabNode target, int port) {
        forEachNode(node -> Cmd.inNs(topology.namespace(node), "iptables", "-w", "-t", "nat", "-R", CHAIN, "1",
                "-p", "tcp", "-j", "DNAT", "--to-destination", target.address() + ":" + port));
    }

    /** Removes the rules (the namespaces going away removes them too; this is for reuse between runs). */
    void uninstall() {
        forEachNode(node -> {
            String ns = topology.namespace(node);
            Cmd.tryRun(List.of("ip", "netns", "exec", ns, "iptables", "-w", "-t", "nat", "-F")); // flush all nat chains
            Cmd.tryRun(List.of("ip", "netns", "exec", ns, "iptables", "-w", "-t", "nat", "-X", CHAIN));
        });
    }

    private interface NodeAction {
        void apply(LabNode node);
    }

    private void forEachNode(NodeAction action) {
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
