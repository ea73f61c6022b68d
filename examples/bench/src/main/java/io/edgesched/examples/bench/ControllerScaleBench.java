package io.edgesched.examples.bench;

import io.edgesched.api.control.PlacementController;
import io.edgesched.api.control.RoundReport;
import io.edgesched.api.policy.PolicyConfig;
import io.edgesched.api.policy.StabilityConfig;
import io.edgesched.examples.k8s.SyntheticCluster;
import io.edgesched.k8s.controller.ReportDrivenController;
import io.edgesched.k8s.metrics.EdgeschedMetrics;
import io.edgesched.k8s.report.OriginReport;
import io.edgesched.k8s.report.OriginReportSpec.NodeRtt;
import io.edgesched.k8s.report.OriginReportSpec.WorkloadOrigins;
import io.edgesched.k8s.report.OriginReportWatcher.ReceivedReport;
import io.edgesched.k8s.report.ReportedDemand;
import io.edgesched.k8s.topology.ClusterSnapshot;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Controller memory and round time at scale: the API objects the informers would cache (1k nodes, 10k opted-in
 * Deployments with their pods and Services), 1k OriginReports, and the engine's view built from them; then
 * dry-run decision rounds over all workloads with the real policy.
 *
 * <p>Usage: bench-controller-scale [nodes=1000] [workloads=10000] [entry-nodes-per-workload=5] [clients-per-entry=16] [rounds=3]
 */
public final class ControllerScaleBench {
    public static void main(String[] args) throws Exception {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", System.getProperty("bench.log", "warn"));
        BenchArgs parsed = BenchArgs.of("usage: bench-controller-scale [nodes=1000] [workloads=10000] "
                + "[entry-nodes-per-workload=5] [clients-per-entry=16] [rounds=3]", args);
        int nodes = parsed.intAt(0, 1000);
        int workloads = parsed.intAt(1, 10_000);
        int entriesPerWorkload = parsed.intAt(2, 5);
        int clientsPerEntry = parsed.intAt(3, 16);
        int rounds = parsed.intAt(4, 3);
        Random random = new Random(7);

        long base = usedHeap();
        List<Node> nodeObjects = new ArrayList<>(nodes);
        for (int i = 0; i < nodes; i++) {
            nodeObjects.add(SyntheticCluster.node(nodeName(i), "10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255)));
        }
        List<Deployment> deployments = new ArrayList<>(workloads);
        List<Pod> pods = new ArrayList<>(workloads);
        List<Service> services = new ArrayList<>(workloads);
        for (int w = 0; w < workloads; w++) {
            String ns = "ns-" + (w % 20);
            String name = "app-" + w;
            deployments.add(SyntheticCluster.deployment(ns, name, 1));
            pods.add(SyntheticCluster.pod(ns, name, "a", nodeName(random.nextInt(nodes)), "10.200." + (w >> 8 & 255) + "." + (w & 255)));
            services.add(SyntheticCluster.nodePortService(ns, name, 30000 + w % 2768));
        }
        long afterObjects = usedHeap();

        long t0 = System.nanoTime();
        ClusterSnapshot cluster = ClusterSnapshot.of(nodeObjects, deployments, pods, services, List.of());
        long snapshotNanos = System.nanoTime() - t0;
        long afterSnapshot = usedHeap();

        // Each workload's demand enters at a few nodes; each node's report lists its share.
        List<List<WorkloadOrigins>> perNode = new ArrayList<>(nodes);
        for (int i = 0; i < nodes; i++) {
            perNode.add(new ArrayList<>());
        }
        for (int w = 0; w < workloads; w++) {
            for (int e = 0; e < entriesPerWorkload; e++) {
                int node = random.nextInt(nodes);
                perNode.get(node).add(SyntheticCluster.demand("ns-" + (w % 20), "app-" + w, 30000 + w % 2768,
                        10 + random.nextInt(1000), 500 + random.nextInt(20_000), clientsPerEntry, w * 31 + e));
            }
        }
        Instant now = Instant.now();
        List<ReceivedReport> reports = new ArrayList<>(nodes);
        for (int i = 0; i < nodes; i++) {
            List<NodeRtt> rtts = new ArrayList<>();
            for (int k = 1; k <= 8; k++) { // a node measures the nodes that forward to it: a few neighbours
                rtts.add(new NodeRtt(nodeName((i + k * 37) % nodes), 1000L * k + random.nextInt(500)));
            }
            OriginReport r = SyntheticCluster.report("edgesched", nodeName(i), now, perNode.get(i), rtts);
            reports.add(new ReceivedReport(r, now, now));
        }
        perNode = null;
        long afterReports = usedHeap();

        t0 = System.nanoTime();
        ReportedDemand demand = ReportedDemand.from(reports, ReportedDemand.Rate.PACKETS);
        long demandNanos = System.nanoTime() - t0;

        t0 = System.nanoTime();
        var engineTopology = io.edgesched.k8s.topology.EngineTopology.topology(cluster,
                io.edgesched.k8s.report.ReportDemandView.latencies(demand));
        long topologyNanos = System.nanoTime() - t0;
        t0 = System.nanoTime();
        var demandView = io.edgesched.k8s.report.ReportDemandView.demandView(demand, now);
        long viewNanos = System.nanoTime() - t0;

        ReportDrivenController.Settings settings = new ReportDrivenController.Settings(Duration.ofHours(1), Duration.ZERO,
                ReportedDemand.Rate.PACKETS, PolicyConfig.defaults(), StabilityConfig.defaults(), true);
        PlacementController controller = ReportDrivenController.placementController(() -> cluster, () -> reports, null,
                new EdgeschedMetrics(new SimpleMeterRegistry()), settings, Clock.systemUTC());
        List<Long> roundMillis = new ArrayList<>();
        RoundReport last = null;
        for (int r = 0; r < rounds; r++) {
            last = controller.reconcileOnce();
            roundMillis.add(last.took().toMillis());
        }
        long afterRound = usedHeap();
        controller.close();

        System.out.println();
        System.out.printf("controller scale: %d nodes, %d workloads, %d entry nodes x %d client prefixes per workload%n",
                nodes, workloads, entriesPerWorkload, clientsPerEntry);
        System.out.println("| what | heap MiB | time ms |");
        System.out.println("|---|---|---|");
        System.out.printf("| API objects in informer caches (nodes, deployments, pods, services) | %.1f | |%n", mib(afterObjects - base));
        System.out.printf("| ClusterSnapshot (topology index) | %.1f | %.0f |%n", mib(afterSnapshot - afterObjects), snapshotNanos / 1e6);
        System.out.printf("| %d OriginReports (%d client entries) | %.1f | |%n", nodes,
                (long) workloads * entriesPerWorkload * clientsPerEntry, mib(afterReports - afterSnapshot));
        System.out.printf("| ReportedDemand from all reports | | %.0f |%n", demandNanos / 1e6);
        System.out.printf("| engine Topology (1k x 1k latency matrix, symmetric+triangle fill) | | %.0f |%n", topologyNanos / 1e6);
        System.out.printf("| engine DemandView (%d workloads) | | %.0f |%n", demandView.workloads().size(), viewNanos / 1e6);
        System.out.printf("| decision rounds (dry run, real policy) %s | %.1f (retained after) | %s |%n",
                last.inputError().map(e -> "FAILED: " + e).orElse(last.decisions().size() + " decisions"),
                mib(afterRound - afterReports), roundMillis);
        System.out.printf("| total retained by the controller's inputs | %.1f | |%n", mib(afterRound - base));
        System.out.printf("(max heap %d MiB; demand view held %d workloads)%n",
                Runtime.getRuntime().maxMemory() >> 20, demand.workloads().size());
        if (engineTopology.nodes().size() != nodes || cluster.workloads().size() != workloads || reports.isEmpty()) {
            System.exit(1);
        }
    }

    static String nodeName(int i) {
        return "edge-" + i;
    }

    static double mib(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }

    static long usedHeap() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
