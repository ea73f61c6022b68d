package io.edgesched.examples.lab;

import io.edgesched.api.NodeId;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.WorkloadId;
import io.edgesched.api.control.Decision;
import io.edgesched.api.control.DecisionListener;
import io.edgesched.api.control.DemandInput;
import io.edgesched.api.control.PlacementController;
import io.edgesched.api.demand.DemandConfig;
import io.edgesched.api.demand.DemandMetric;
import io.edgesched.api.demand.HandoffRule;
import io.edgesched.api.demand.ServiceCatalog;
import io.edgesched.api.policy.LatencyAwarePolicy;
import io.edgesched.api.policy.PolicyConfig;
import io.edgesched.api.policy.StabilityConfig;
import io.edgesched.api.policy.StabilityGate;
import io.edgesched.api.policy.WorkloadSpec;
import io.edgesched.api.topology.LatencyMatrix;
import io.edgesched.api.topology.MissingLatency;
import io.edgesched.api.topology.NodeInfo;
import io.edgesched.api.topology.Placement;
import io.edgesched.api.topology.Topology;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;

/**
 * The library's {@link PlacementController} set up for the lab: the same controller, policy and stability
 * gate for both methods, only the demand input differs (kernel maps or sidecar logs). Time constants are
 * in scenario seconds and shrink with the time scale, so a shortened run decides like a full one.
 */
final class LabController {
    static final WorkloadId WORKLOAD = WorkloadId.of("lab", "service");
    /**
     * Scenario seconds between decision rounds. Half a request interval: with handoff the move waits for the
     * device's second request at the new entry node, and a round reads every node's maps in well under a
     * millisecond, so a 2 s round would add up to 2 s to the reaction for nothing.
     */
    static final double ROUND_SECONDS = 0.5;
    /**
     * Rounds never come closer than this in real time: each reads every node's maps (a few ms of CPU), and at
     * short time scales 20 rounds a second per method would load the machine the requests are timed on.
     */
    static final Duration MIN_REAL_ROUND = Duration.ofMillis(100);
    /** Demand rates halve in this many scenario seconds without traffic. */
    static final double DEMAND_HALF_LIFE_SECONDS = 10;
    /** A client's second request at a new entry must come within this many scenario seconds to be a handoff. */
    static final double HANDOFF_WINDOW_SECONDS = 20;
    /** After a move the service stays at least this long (scenario seconds). */
    static final double MIN_DWELL_SECONDS = 30;
    /** Latency the controller assumes between cloud nodes (same site; the switch hop). */
    static final double SAME_SITE_MICROS = 200;

    private LabController() {
    }

    static AutoCloseable start(Method method, Supplier<List<OriginSnapshot>> demand, LabRescheduler rescheduler,
                               LabScenario scenario, LabTopology topology, Consumer<String> progress,
                               DoubleSupplier scenarioClock) {
        List<LabNode> cluster = topology.clusterNodes();
        LatencyMatrix latency = configuredLatency(cluster);
        List<NodeInfo> nodes = cluster.stream().map(n -> NodeInfo.ready(n.id())).toList();
        Supplier<Topology> now = () -> {
            NodeId current = rescheduler.currentNode();
            Placement placement = current == null ? Placement.none(WORKLOAD) : Placement.of(WORKLOAD, current);
            return new Topology(nodes, latency, List.of(placement));
        };
        double scale = scenario.timeScale();
        StabilityGate gate = new StabilityGate(StabilityConfig.defaults()
                .withMinDwell(scenario.real(MIN_DWELL_SECONDS))
                .withRateLimit(6 / scale, 3), InstantSource.system());
        PlacementController controller = PlacementController.builder()
                .demand(DemandInput.of(demand), ServiceCatalog.byServiceId(Map.of(LabWiring.SERVICE_ID, WORKLOAD)))
                .demandConfig(DemandConfig.defaults().withMetric(DemandMetric.CONNECTIONS)
                        .withHalfLife(scenario.real(DEMAND_HALF_LIFE_SECONDS))
                        .withHandoff(HandoffRule.defaults().withWindow(scenario.real(HANDOFF_WINDOW_SECONDS))))
                .topology(now)
                .workloads(List.of(WorkloadSpec.of(WORKLOAD, 1)))
                .policy(new LatencyAwarePolicy(PolicyConfig.defaults().withParallel(false)))
                .gate(gate)
                .rescheduler(rescheduler)
                .interval(max(scenario.real(ROUND_SECONDS), MIN_REAL_ROUND))
                .settleTimeout(scenario.real(20))
                .listener(new DecisionListener() {
                    @Override
                    public void onDecision(Decision decision) {
                        if (decision.reason().isMove()) {
                            progress.accept(String.format(Locale.ROOT, "[%s] t=%5.1f s  controller: move %s -> %s (%s)",
                                    method.label(), scenarioClock.getAsDouble(),
                                    decision.current().nodes(), decision.target().nodes(), decision.why()));
                        }
                    }
                })
                .build();
        controller.start();
        return controller;
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    /** The lab's network as configured: cloud nodes share a site, the rest is a 60 ms WAN hop. */
    static LatencyMatrix configuredLatency(List<LabNode> cluster) {
        LatencyMatrix.Builder b = LatencyMatrix.builder(cluster.stream().map(LabNode::id).toList());
        for (LabNode a : cluster) {
            for (LabNode c : cluster) {
                if (a != c) {
                    Duration rtt = LabScenario.baseRtt(a, c);
                    b.measure(a.id(), c.id(), rtt.isZero() ? SAME_SITE_MICROS : rtt.toNanos() / 1000.0);
                }
            }
        }
        return b.build(MissingLatency.UNKNOWN);
    }
}
