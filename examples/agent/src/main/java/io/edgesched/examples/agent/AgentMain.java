package io.edgesched.examples.agent;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.NodeId;
import io.edgesched.api.OriginSourceException;
import io.edgesched.api.demand.DemandConfig;
import io.edgesched.api.demand.DemandMetric;
import io.edgesched.ebpf.EbpfRequestOriginSource;
import io.edgesched.examples.k8s.Cli;
import io.edgesched.examples.k8s.DurationConverter;
import io.edgesched.examples.k8s.PositiveDurationConverter;
import io.edgesched.examples.k8s.Shutdown;
import io.edgesched.k8s.metrics.EdgeschedMetrics;
import io.edgesched.k8s.metrics.MetricsEndpoint;
import io.edgesched.k8s.report.AgentLoop;
import io.edgesched.k8s.report.OriginReportPublisher;
import io.edgesched.k8s.report.PublishRule;
import io.edgesched.k8s.report.ReportLimits;
import io.edgesched.k8s.topology.ClusterNode;
import io.edgesched.k8s.topology.ClusterSnapshot;
import io.edgesched.k8s.topology.KubernetesTopology;
import io.edgesched.k8s.topology.TopologySource;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The node agent: observes the node's uplink with eBPF, learns which ports to watch from the cluster
 * (NodePorts, hostPorts, pod ports of opted-in workloads on this node), and publishes this node's
 * OriginReport every interval. Run one per node (deploy/daemonset-agent.yaml).
 */
@Command(name = "agent", mixinStandardHelpOptions = true, sortOptions = false, version = "edgesched agent",
        description = "Publishes this node's request origins (eBPF) as an OriginReport custom resource.")
public final class AgentMain implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(AgentMain.class);

    @Option(names = "--node", description = "This node's name (default: env NODE_NAME).")
    String node = System.getenv("NODE_NAME");

    @Option(names = "--interface", description = "Uplink to observe (default: the interface holding the node's InternalIP).")
    String interfaceName;

    @Option(names = "--interval", converter = PositiveDurationConverter.class, defaultValue = "10s",
            description = "How often to build the report; it is written when demand changed materially"
                    + " (default: ${DEFAULT-VALUE}).")
    Duration interval;

    @Option(names = "--heartbeat", converter = DurationConverter.class, defaultValue = "30s",
            description = "Write the report at least this often even without a material change; keep it below half"
                    + " the controller's --report-ttl; 0 writes every report (default: ${DEFAULT-VALUE}).")
    Duration heartbeat;

    @Option(names = "--event-interval", converter = DurationConverter.class, defaultValue = "250ms",
            description = "Read the counters this often between reports (stretched to stay under 0.5 % of a core) and write"
                    + " at once when a heavy client arrives or leaves, so the controller can follow a moving client;"
                    + " 0 = off (default: ${DEFAULT-VALUE}).")
    Duration eventInterval;

    @Option(names = "--namespace", defaultValue = "edgesched", description = "Namespace of the OriginReports (default: ${DEFAULT-VALUE}).")
    String namespace;

    @Option(names = "--namespaces", split = ",", description = "Workload namespaces to watch (default: all).")
    Set<String> workloadNamespaces = Set.of();

    @Option(names = "--metric", defaultValue = "PACKETS",
            description = "Which counter is demand: ${COMPLETION-CANDIDATES}; the controller's --demand must match"
                    + " (default: ${DEFAULT-VALUE}).")
    DemandMetric metric;

    @Option(names = "--top-n", defaultValue = "16", description = "Clients listed per workload (default: ${DEFAULT-VALUE}).")
    int topN;

    @Option(names = "--prefix-v4", defaultValue = "24", description = "IPv4 prefix the client tail is aggregated to (default: ${DEFAULT-VALUE}).")
    int prefixV4;

    @Option(names = "--prefix-v6", defaultValue = "48", description = "IPv6 prefix the client tail is aggregated to (default: ${DEFAULT-VALUE}).")
    int prefixV6;

    @Option(names = "--max-workloads", defaultValue = "512", description = "Workloads per report (default: ${DEFAULT-VALUE}).")
    int maxWorkloads;

    @Option(names = "--max-report-bytes", defaultValue = "65536",
            description = "Report size budget; top-N is halved until the report fits (default: ${DEFAULT-VALUE}).")
    int maxReportBytes;

    @Option(names = "--api-client", defaultValue = "LITE", description = "API client: LITE (JSON over the JDK's HTTP"
            + " client; kubeconfig with a token or client certificate, or the in-cluster service account; ~45 MiB less"
            + " memory) or FABRIC8 (every kubeconfig feature, e.g. exec credential plugins) (default: ${DEFAULT-VALUE}).")
    ClusterAccess.Kind apiClient;

    @Option(names = "--netns", description = "Named network namespace (ip netns) the interface lives in; for labs, "
            + "a DaemonSet uses the host's (hostNetwork).")
    String networkNamespace;

    @Option(names = "--pin-dir", description = "Pin the BPF maps under this bpffs directory, e.g. /sys/fs/bpf/edgesched.")
    Path pinDir;

    @Option(names = "--attach", defaultValue = "AUTO", description = "How to attach: AUTO (tcx links on kernels 6.6+, "
            + "else tc filters), TCX or TC (default: ${DEFAULT-VALUE}).")
    EbpfRequestOriginSource.AttachMode attachMode;

    @Option(names = "--hand-over", description = "Keep counting across an agent upgrade: pin the tcx links in --pin-dir "
            + "so they outlive this process, and take over the pinned links and maps a previous agent left there.")
    boolean handOver;

    @Option(names = "--metrics-port", defaultValue = "0", description = "Serve /metrics and /healthz on this port (0 = off).")
    int metricsPort;

    @Option(names = "--metrics-address", description = "Address to serve metrics on, e.g. the node's own (the DaemonSet"
            + " passes status.hostIP). Default: every interface, which on the host network means every address of the"
            + " node; a warning says so.")
    String metricsAddress;

    @Option(names = "--watch-sync-delay", converter = DurationConverter.class, defaultValue = "5s",
            description = "After a cluster change, update the watch list this much later; changes within it are"
                    + " batched (default: ${DEFAULT-VALUE}).")
    Duration watchSyncDelay;

    @Option(names = "--sync-timeout", converter = PositiveDurationConverter.class, defaultValue = "60s",
            description = "How long to wait for the first cluster listing (default: ${DEFAULT-VALUE}).")
    Duration syncTimeout;

    public static void main(String[] args) {
        System.exit(Cli.run("agent", new AgentMain(), args));
    }

    @Override
    public Integer call() throws Exception {
        if (node == null || node.isBlank()) {
            System.err.println("agent: no node name: pass --node or set NODE_NAME (the DaemonSet sets it from spec.nodeName)");
            return 2;
        }
        if (heartbeat.isNegative()) {
            System.err.println("agent: --heartbeat must not be negative (0 writes every report), got " + heartbeat);
            return 2;
        }
        if (handOver && (pinDir == null || attachMode == EbpfRequestOriginSource.AttachMode.TC)) {
            System.err.println("agent: --hand-over needs --pin-dir (a bpffs directory) and tcx links (not --attach TC)");
            return 2;
        }
        ReportLimits limits;
        try {
            limits = new ReportLimits(topN, prefixV4, prefixV6, maxWorkloads, 2048, maxReportBytes);
        } catch (IllegalArgumentException e) {
            System.err.println("agent: " + e.getMessage());
            return 2;
        }
        NodeId self = NodeId.of(node);
        try (Shutdown shutdown = new Shutdown()) {
            KubernetesTopology.Options watchOptions = new KubernetesTopology.Options(workloadNamespaces, Optional.of(self));
            ClusterAccess access;
            try {
                access = apiClient == ClusterAccess.Kind.FABRIC8
                        ? Fabric8ClusterAccess.open(shutdown, watchOptions, namespace, syncTimeout)
                        : LiteClusterAccess.open(shutdown, watchOptions, namespace, syncTimeout);
            } catch (ClusterAccess.Unavailable e) {
                System.err.println("agent: " + e.getMessage());
                return e.exitCode();
            }
            LOG.info("cluster view synced from {}", access.describe());
            TopologySource topology = access.topology();
            ClusterSnapshot cluster = topology.snapshot();
            ClusterNode me = cluster.nodes().get(self);
            if (me == null) {
                System.err.println("agent: node " + node + " is not among the cluster's nodes " + cluster.nodes().keySet()
                        + "; check --node / NODE_NAME");
                return 2;
            }
            String uplink;
            try {
                if (interfaceName == null && networkNamespace != null) {
                    throw new IllegalStateException("--netns needs --interface (the node's addresses are looked up in this namespace only)");
                }
                uplink = interfaceName != null ? interfaceName : uplinkOf(me);
            } catch (IllegalStateException e) {
                System.err.println("agent: " + e.getMessage());
                return 2;
            } catch (SocketException e) {
                System.err.println("agent: cannot look up the local interfaces to find node " + node + "'s uplink ("
                        + e.getMessage() + "); pass --interface explicitly");
                return 2;
            }
            List<ClientAddress> otherNodes = cluster.nodeByAddress().entrySet().stream()
                    .filter(e -> !e.getValue().equals(self)).map(java.util.Map.Entry::getKey).toList();
            EbpfRequestOriginSource.Builder sb = EbpfRequestOriginSource.builder().node(self).interfaceName(uplink)
                    .clusterNodes(otherNodes).networkNamespace(networkNamespace);
            if (pinDir != null) {
                sb.pinDirectory(pinDir);
            }
            sb.attachMode(attachMode).handOver(handOver);
            EbpfRequestOriginSource source;
            try {
                source = shutdown.add(sb.open());
            } catch (OriginSourceException e) {
                System.err.println("agent: " + e.getMessage());
                return 4;
            }
            LOG.info("observing {} for node {} ({} other node addresses marked as forwarders)", source.attachedTo(), node,
                    otherNodes.size());

            // the publish loop, once started: /healthz reports its last turn
            AtomicReference<AgentLoop> agentLoop = new AtomicReference<>();
            PrometheusMeterRegistry registry = MetricsEndpoint.newRegistry();
            EdgeschedMetrics metrics = new EdgeschedMetrics(registry);
            metrics.refusedClusterObjects(topology::refusedObjects);
            if (metricsPort > 0) {
                InetSocketAddress bind;
                if (metricsAddress == null || metricsAddress.isBlank()) {
                    LOG.warn("serving /metrics and /healthz on port {} of every interface (with hostNetwork: every"
                            + " address of the node); pass --metrics-address to bind one", metricsPort);
                    bind = new InetSocketAddress(metricsPort);
                } else {
                    bind = new InetSocketAddress(metricsAddress, metricsPort);
                    if (bind.isUnresolved()) {
                        System.err.println("agent: --metrics-address " + metricsAddress + " is not an address of this host");
                        return 2;
                    }
                }
                shutdown.add(MetricsEndpoint.start(registry, bind, () -> agentLoop.get() == null ? Optional.empty()
                        : agentHealth(agentLoop.get().lastTurn(), interval)));
            }
            OriginReportPublisher publisher = new OriginReportPublisher(access.store(), namespace, source, topology::snapshot,
                    limits, DemandConfig.defaults().withMetric(metric), Clock.systemUTC());
            AgentLoop loop = AgentLoop.start(publisher, topology::addListener, metrics,
                    new AgentLoop.Settings(interval, watchSyncDelay, heartbeat.isZero() ? PublishRule.everyReport()
                            : PublishRule.defaults().withHeartbeat(heartbeat),
                            AgentLoop.Events.defaults().withReadInterval(eventInterval)), fatal -> {
                        // an Error (e.g. OutOfMemoryError) must not leave a live pod that no longer reports
                        LOG.error("the publish loop stopped by {}; exiting", fatal.toString(), fatal);
                        Thread.ofPlatform().name("edgesched-exit").start(() -> System.exit(1));
                    });
            agentLoop.set(loop);
            shutdown.add(loop);
            shutdown.awaitStop();
        }
        return 0;
    }

    /** Unhealthy when the publish loop has not finished a turn for three intervals plus 30 s. */
    static Optional<String> agentHealth(java.time.Instant lastLoopEnd, Duration interval) {
        Duration age = Duration.between(lastLoopEnd, java.time.Instant.now());
        Duration limit = interval.multipliedBy(3).plusSeconds(30);
        return age.compareTo(limit) > 0
                ? Optional.of("the publish loop has not run for " + age.toSeconds() + " s (limit " + limit.toSeconds() + " s)")
                : Optional.empty();
    }

    /** The interface that holds one of the node's addresses (the agent runs with hostNetwork). */
    static String uplinkOf(ClusterNode node) throws SocketException {
        for (ClientAddress a : node.addresses()) {
            NetworkInterface nic = NetworkInterface.getByInetAddress(a.toInetAddress());
            if (nic != null) {
                return nic.getName();
            }
        }
        throw new IllegalStateException("none of node " + node.id()
                + "'s addresses " + node.addresses() + " is on a local interface; is the agent running with hostNetwork?"
                + " Pass --interface explicitly");
    }
}
