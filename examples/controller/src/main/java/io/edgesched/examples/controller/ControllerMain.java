package io.edgesched.examples.controller;

import io.edgesched.api.control.WarmUp;
import io.edgesched.api.demand.DemandConfig;
import io.edgesched.api.demand.HandoffRule;
import io.edgesched.api.policy.LatencyAwarePolicy;
import io.edgesched.api.policy.PolicyConfig;
import io.edgesched.api.policy.StabilityConfig;
import io.edgesched.examples.k8s.ApiServerUnreachable;
import io.edgesched.examples.k8s.Cli;
import io.edgesched.examples.k8s.DurationConverter;
import io.edgesched.examples.k8s.PositiveDurationConverter;
import io.edgesched.examples.k8s.Shutdown;
import io.edgesched.k8s.controller.ReportDrivenController;
import io.edgesched.k8s.leader.Leadership;
import io.edgesched.k8s.metrics.EdgeschedMetrics;
import io.edgesched.k8s.metrics.MetricsEndpoint;
import io.edgesched.k8s.move.KubernetesRescheduler;
import io.edgesched.k8s.report.OriginReportWatcher;
import io.edgesched.k8s.report.ReportedDemand;
import io.edgesched.k8s.topology.KubernetesTopology;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The placement controller: reads the nodes' OriginReports and the cluster through informers, decides with the
 * latency-aware policy behind the stability gate, and (as the elected leader) moves opted-in Deployments with
 * make-before-break node-affinity patches. Run as deploy/deployment-controller.yaml.
 */
@Command(name = "controller", mixinStandardHelpOptions = true, sortOptions = false, version = "edgesched controller",
        description = "Moves opted-in Deployments toward their clients, using the agents' OriginReports.")
public final class ControllerMain implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(ControllerMain.class);

    @Option(names = "--namespace", defaultValue = "edgesched",
            description = "Namespace of the OriginReports and the leader Lease (default: ${DEFAULT-VALUE}).")
    String namespace;

    @Option(names = "--namespaces", split = ",", description = "Workload namespaces the controller may move (default: all).")
    Set<String> workloadNamespaces = Set.of();

    @Option(names = "--interval", converter = PositiveDurationConverter.class, defaultValue = "15s",
            description = "Time between decision rounds (default: ${DEFAULT-VALUE}).")
    Duration interval;

    @Option(names = "--report-delay", converter = DurationConverter.class, defaultValue = "1s",
            description = "A round runs this long after a new report arrives (default: ${DEFAULT-VALUE}).")
    Duration reportDelay;

    @Option(names = "--handoff", defaultValue = "true", negatable = true, fallbackValue = "true",
            description = "Count a client that arrives at a new node and has left its old one (the agents' arrivals and"
                    + " departures) at the new node at once, and run a round 50 ms after such a report; --no-handoff"
                    + " lets its old entry's demand decay instead (default: ${DEFAULT-VALUE}).")
    boolean handoff;

    @Option(names = "--report-ttl", converter = PositiveDurationConverter.class, defaultValue = "60s",
            description = "Reports older than this are ignored (default: ${DEFAULT-VALUE}).")
    Duration reportTtl;

    @Option(names = "--demand", defaultValue = "PACKETS",
            description = "Which reported rate is demand: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    ReportedDemand.Rate demand;

    @Option(names = "--dwell", converter = DurationConverter.class, defaultValue = "5m",
            description = "A workload stays at least this long after a move (default: ${DEFAULT-VALUE}).")
    Duration dwell;

    @Option(names = "--min-gain-percent", defaultValue = "10",
            description = "A move must cut the mean latency by at least this percentage (default: ${DEFAULT-VALUE}).")
    double minGainPercent;

    @Option(names = "--min-gain-micros", defaultValue = "500",
            description = "... and by at least this many microseconds (default: ${DEFAULT-VALUE}).")
    double minGainMicros;

    @Option(names = "--moves-per-minute", defaultValue = "6", description = "Long-run move rate limit (default: ${DEFAULT-VALUE}).")
    double movesPerMinute;

    @Option(names = "--burst", defaultValue = "3", description = "Moves allowed at once (default: ${DEFAULT-VALUE}).")
    int burst;

    @Option(names = "--rollout-timeout", converter = PositiveDurationConverter.class, defaultValue = "30m",
            description = "Longest a move's rollout may take before it is rolled back; each move allows the Deployment's"
                    + " progressDeadlineSeconds per batch of maxSurge pods, up to this (default: ${DEFAULT-VALUE}).")
    Duration rolloutTimeout;

    @Option(names = "--dry-run", description = "Decide and log, never move anything.")
    boolean dryRun;

    @Option(names = "--lease-name", defaultValue = "edgesched-controller", description = "Leader Lease name (default: ${DEFAULT-VALUE}).")
    String leaseName;

    @Option(names = "--no-leader-election", description = "Act as leader without a Lease (a single replica only).")
    boolean noLeaderElection;

    @Option(names = "--metrics-port", defaultValue = "9090", description = "Serve /metrics and /healthz on this port, 0 = off (default: ${DEFAULT-VALUE}).")
    int metricsPort;

    @Option(names = "--sync-timeout", converter = PositiveDurationConverter.class, defaultValue = "120s",
            description = "How long to wait for the first cluster listing (default: ${DEFAULT-VALUE}).")
    Duration syncTimeout;

    @Option(names = "--warm-up-rounds", defaultValue = "12", description = "Before running for leadership, run this many"
            + " rounds on a small synthetic cluster so the JIT has compiled the round's code before the first real one;"
            + " 0 = off (default: ${DEFAULT-VALUE}).")
    int warmUpRounds;

    public static void main(String[] args) {
        System.exit(Cli.run("controller", new ControllerMain(), args));
    }

    @Override
    public Integer call() throws Exception {
        StabilityConfig stability;
        try {
            stability = StabilityConfig.defaults().withMinDwell(dwell).withThresholds(minGainPercent / 100.0, minGainMicros)
                    .withRateLimit(movesPerMinute, burst);
        } catch (IllegalArgumentException e) {
            System.err.println("controller: " + e.getMessage());
            return 2;
        }
        if (warmUpRounds < 0 || warmUpRounds > 1_000) {
            System.err.println("controller: --warm-up-rounds must be 0 (off) to 1000, got " + warmUpRounds);
            return 2;
        }
        try (Shutdown shutdown = new Shutdown()) {
            PrometheusMeterRegistry registry = MetricsEndpoint.newRegistry();
            EdgeschedMetrics metrics = new EdgeschedMetrics(registry);
            java.util.concurrent.atomic.AtomicReference<ReportDrivenController> running = new java.util.concurrent.atomic.AtomicReference<>();
            java.util.concurrent.atomic.AtomicReference<KubernetesTopology> runningTopology = new java.util.concurrent.atomic.AtomicReference<>();
            java.util.concurrent.atomic.AtomicReference<OriginReportWatcher> runningReports = new java.util.concurrent.atomic.AtomicReference<>();
            if (metricsPort > 0) {
                shutdown.add(MetricsEndpoint.start(registry, new InetSocketAddress(metricsPort),
                        () -> health(running.get(), runningTopology.get(), runningReports.get())));
            }
            KubernetesClient client = shutdown.add(new KubernetesClientBuilder().build());
            KubernetesTopology topology;
            OriginReportWatcher reports;
            try {
                topology = shutdown.add(KubernetesTopology.start(client,
                        new KubernetesTopology.Options(workloadNamespaces, Optional.empty()).withoutEndpointSlices()));
                reports = shutdown.add(OriginReportWatcher.start(client, namespace, reportTtl, Clock.systemUTC()));
                topology.awaitSynced(syncTimeout);
                reports.awaitSynced(syncTimeout);
                runningTopology.set(topology);
                runningReports.set(reports);
            } catch (TimeoutException e) {
                System.err.println("controller: " + e.getMessage());
                return 3;
            } catch (KubernetesClientException e) {
                System.err.println(ApiServerUnreachable.describe("controller", client, e));
                return 3;
            }

            ReportDrivenController.Settings settings = new ReportDrivenController.Settings(interval, reportDelay, demand,
                    PolicyConfig.defaults(), stability, dryRun).withHandoff(handoff ? HandoffRule.defaults() : HandoffRule.off());
            if (warmUpRounds > 0) { // the policy and the decision round are the engine's; its own synthetic cluster
                WarmUp.run(WarmUp.Shape.defaults().withRounds(warmUpRounds), new LatencyAwarePolicy(settings.policy()),
                        DemandConfig.defaults(), 0.05);
            }
            KubernetesRescheduler k8s = null;
            if (!dryRun) {
                KubernetesRescheduler.Builder rb = KubernetesRescheduler.builder(client).rolloutTimeout(rolloutTimeout);
                k8s = shutdown.add((workloadNamespaces.isEmpty() ? rb.allowAllNamespaces()
                        : rb.allowedNamespaces(workloadNamespaces)).build());
            }
            KubernetesRescheduler mover = k8s;
            java.util.concurrent.atomic.AtomicReference<Leadership> leadership = new java.util.concurrent.atomic.AtomicReference<>();
            // The leader's loops: resume what an earlier leader left unfinished, then decide every interval.
            java.util.function.Supplier<AutoCloseable> loops = () -> {
                if (mover != null) {
                    resume(mover);
                }
                ReportDrivenController c = ReportDrivenController.start(topology, reports, mover, metrics,
                        settings, Clock.systemUTC(), fatal -> {
                            // the loop is dead: let a standby lead at once, exit non-zero so the pod restarts
                            Leadership l = leadership.get();
                            if (l != null) {
                                l.stepDown(); // loops stopped, then the Lease released, off this (loop) thread
                            }
                            Thread.ofPlatform().name("edgesched-exit").start(() -> System.exit(1));
                        });
                running.set(c);
                return () -> {
                    running.set(null);
                    c.close();
                };
            };
            if (dryRun || noLeaderElection) {
                shutdown.add(loops.get()); // dry-run decides on every replica; --no-leader-election: a single replica
            } else {
                // One owner: the loops run only while this instance holds the Lease; a lost Lease ends the
                // process (status 1) so it restarts as a clean standby, as java-operator-sdk does.
                Leadership l = Leadership.builder(client).lease(namespace, leaseName).whileLeading(loops).onLost(() -> {
                    LOG.error("lost the leader Lease {}/{}; exiting so this instance restarts as a standby", namespace,
                            leaseName);
                    Thread.ofPlatform().name("edgesched-exit").start(() -> System.exit(1));
                }).build();
                leadership.set(shutdown.add(l).start());
                LOG.info("running for leadership on Lease {}/{} as {}", namespace, leaseName, l.identity());
            }
            LOG.info("controller started: reports from {}, workloads in {}, interval {}, dwell {}, {}", namespace,
                    workloadNamespaces.isEmpty() ? "all namespaces" : workloadNamespaces, interval, dwell,
                    dryRun ? "DRY RUN" : "moves enabled");
            shutdown.awaitStop();
        }
        return 0;
    }

    /** The leader: its loop's health. A standby: its informers (it takes over with them). Starting: healthy. */
    private static Optional<String> health(ReportDrivenController leader, KubernetesTopology topology,
                                           OriginReportWatcher reports) {
        if (leader != null) {
            return leader.unhealthy();
        }
        if (topology != null && !topology.notSynced().isEmpty()) {
            return Optional.of("topology informers not synced: " + topology.notSynced());
        }
        if (reports != null && !reports.synced()) {
            return Optional.of("OriginReport informer not synced");
        }
        return Optional.empty();
    }

    /** Finishes, rolls back or cleans up moves an earlier leader left unfinished (see docs/k8s-move.md). */
    private static void resume(KubernetesRescheduler k8s) {
        k8s.resumeUnfinishedMoves().whenComplete((results, e) -> {
            if (e != null) {
                LOG.warn("could not look for moves an earlier leader left unfinished: {}", e.toString());
            } else {
                results.forEach(r -> LOG.info("resumed an unfinished move of {}: {}", r.request().workload(), r));
            }
        });
    }
}
