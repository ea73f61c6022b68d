package io.edgesched.k8s.controller;

import static io.edgesched.k8s.topology.Fixtures.deployment;
import static io.edgesched.k8s.topology.Fixtures.node;
import static io.edgesched.k8s.topology.Fixtures.nodePortService;
import static io.edgesched.k8s.topology.Fixtures.pod;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.NodeId;
import io.edgesched.api.OriginRecord;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.OriginStats;
import io.edgesched.api.RequestOriginSource;
import io.edgesched.api.WatchedService;
import io.edgesched.api.WorkloadId;
import io.edgesched.api.control.Decision;
import io.edgesched.api.control.DemandInput;
import io.edgesched.api.control.PlacementController;
import io.edgesched.api.control.RoundReport;
import io.edgesched.api.demand.DemandConfig;
import io.edgesched.api.demand.HandoffRule;
import io.edgesched.api.demand.DemandStore;
import io.edgesched.api.demand.EntryDemand;
import io.edgesched.api.demand.ServiceCatalog;
import io.edgesched.api.policy.LatencyAwarePolicy;
import io.edgesched.api.policy.PolicyConfig;
import io.edgesched.api.policy.StabilityConfig;
import io.edgesched.api.policy.StabilityGate;
import io.edgesched.k8s.metrics.EdgeschedMetrics;
import io.edgesched.k8s.report.OriginReportPublisher;
import io.edgesched.k8s.report.OriginReportWatcher;
import io.edgesched.k8s.report.ReportLimits;
import io.edgesched.k8s.report.ReportedDemand;
import io.edgesched.k8s.topology.ClusterSnapshot;
import io.edgesched.k8s.topology.EngineTopology;
import io.edgesched.k8s.topology.EngineTopology.NodeLatency;
import io.edgesched.k8s.topology.Fixtures;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * One demand pipeline: the same snapshots, fed in-process to the engine's controller (as the lab and the simulator
 * do) and through agent -> OriginReport (CRUD mock API server) -> controller (as a cluster does), give the same
 * demand and the same decisions, round by round, through a counter reset, a missed record, a new heavy client
 * and a handoff of a client between entry nodes.
 */
@EnableKubernetesMockClient(crud = true)
class DemandPipelineEquivalenceTest {
    static {
        Fixtures.quietMockServer();
    }

    static final List<String> NODES = List.of("edge-1", "edge-2", "edge-3");
    static final WorkloadId WEB = WorkloadId.of("shop", "web");
    static final ClusterSnapshot CLUSTER = ClusterSnapshot.of(
            List.of(node("edge-1", "10.0.0.1", true), node("edge-2", "10.0.0.2", true), node("edge-3", "10.0.0.3", true)),
            List.of(deployment("shop", "web", true, 1)),
            List.of(pod("shop", "web", "a", "edge-1", "10.244.1.5")),
            List.of(nodePortService("shop", "web", Map.of("app", "web"), 80, 30080)),
            List.of());
    /** Node RTTs in microseconds; each agent measures its own row from relayed traffic. */
    static final Map<String, Map<String, Long>> NODE_RTT = Map.of(
            "edge-1", Map.of("edge-2", 8000L, "edge-3", 9000L),
            "edge-2", Map.of("edge-1", 8000L, "edge-3", 4000L),
            "edge-3", Map.of("edge-1", 9000L, "edge-2", 4000L));
    static final ClientAddress DEVICE = ClientAddress.parse("198.51.100.7");   // heavy; hands off edge-1 -> edge-3
    static final ClientAddress LIGHT = ClientAddress.parse("203.0.113.9");     // at edge-3; one read misses it
    static final ClientAddress NEWCOMER = ClientAddress.parse("192.0.2.50");   // new heavy client at edge-2
    static final ClientAddress OLD_UNSEEN = ClientAddress.parse("192.0.2.77"); // counting long before a read saw it

    KubernetesClient client;

    static final class MutableClock extends Clock {
        volatile Instant now = Instant.parse("2026-01-01T00:00:00Z");

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    /** A node's kernel counters, scripted: cumulative per client, with first-seen times on the node's own clock. */
    static final class ScriptedNode implements RequestOriginSource {
        final NodeId node;
        final Map<ClientAddress, long[]> counters = new LinkedHashMap<>(); // packets, first seen (s)
        final Map<Integer, WatchedService> watched = new HashMap<>();
        final List<ClientAddress> hidden = new ArrayList<>();
        OriginSnapshot current;

        ScriptedNode(String name) {
            this.node = NodeId.of(name);
        }

        void add(ClientAddress client, long packets, long firstSeenSecond) {
            counters.computeIfAbsent(client, c -> new long[] {0, firstSeenSecond})[0] += packets;
        }

        /** The kernel evicted the record and re-created it: the counter starts again. */
        void recreate(ClientAddress client, long packets, long firstSeenSecond) {
            counters.put(client, new long[] {packets, firstSeenSecond});
        }

        OriginSnapshot take(long second) {
            List<OriginRecord> records = new ArrayList<>();
            counters.forEach((c, v) -> {
                if (!hidden.contains(c)) {
                    records.add(new OriginRecord(1, 30080, c, v[0] / 20, v[0], v[0] * 300,
                            1500 + (c.hashCode() & 0xfff), 4, v[1] * 1_000_000_000L, second * 1_000_000_000L, false));
                }
            });
            NODE_RTT.get(node.name()).forEach((peer, rtt) -> records.add(new OriginRecord(1, 30080,
                    ClientAddress.parse("10.0.0." + peer.charAt(5)), 5, second * 10, second * 1000, rtt, 3, 0,
                    second * 1_000_000_000L, true)));
            current = new OriginSnapshot(node, Instant.parse("2026-01-01T00:00:00Z").plusSeconds(second),
                    second * 1_000_000_000L, 1, records, OriginStats.EMPTY);
            return current;
        }

        @Override
        public NodeId node() {
            return node;
        }

        @Override
        public void watch(WatchedService service) {
            watched.put(service.serviceId(), service);
        }

        @Override
        public void unwatch(int serviceId) {
            watched.remove(serviceId);
        }

        @Override
        public Set<WatchedService> watched() {
            return Set.copyOf(watched.values());
        }

        @Override
        public OriginSnapshot snapshot() {
            return current;
        }

        @Override
        public void close() {
        }
    }

    @Test
    void inProcessAndThroughReportsGiveTheSameDemandAndDecisions() throws Exception {
        MutableClock clock = new MutableClock();
        // Handoff needs one store that sees every entry node; an agent's store sees one, so the in-process side
        // runs without it here to compare the two pipelines' counting (docs/engine.md, "Handoff").
        DemandConfig demandConfig = DemandConfig.defaults().withHalfLife(Duration.ofSeconds(20))
                .withHandoff(HandoffRule.off());
        StabilityConfig stability = StabilityConfig.defaults().withMinDwell(Duration.ZERO).withThresholds(0.05, 100);
        PolicyConfig policy = PolicyConfig.defaults();

        Map<String, ScriptedNode> nodes = new LinkedHashMap<>();
        Map<String, OriginReportPublisher> agents = new LinkedHashMap<>();
        for (String n : NODES) {
            ScriptedNode source = new ScriptedNode(n);
            nodes.put(n, source);
            OriginReportPublisher agent = new OriginReportPublisher(client, "edgesched", source, () -> CLUSTER,
                    ReportLimits.DEFAULT, demandConfig, clock);
            agent.syncWatches();
            assertThat(source.watched).containsOnlyKeys(1); // the scripted records use service id 1
            agents.put(n, agent);
        }

        // In-process, as the lab and the simulator run it: snapshots straight into the engine's DemandStore.
        List<NodeLatency> knownLinks = new ArrayList<>();
        PlacementController inProcess = PlacementController.builder()
                .clock(clock)
                .demand(DemandInput.of(() -> nodes.values().stream().map(s -> s.current).toList()),
                        new DemandStore(ServiceCatalog.byPort(Map.of(30080, WEB)), demandConfig))
                .topology(() -> EngineTopology.topology(CLUSTER, List.copyOf(knownLinks)))
                .workloads(EngineTopology.workloadSpecs(CLUSTER))
                .policy(new LatencyAwarePolicy(policy))
                .gate(new StabilityGate(stability, clock))
                .dryRun(true)
                .build();

        // Deployed: each agent publishes its OriginReport, the controller reads them through an informer.
        OriginReportWatcher watcher = OriginReportWatcher.start(client, "edgesched", Duration.ofMinutes(5), clock);
        watcher.awaitSynced(Duration.ofSeconds(10));
        ReportDrivenController.Settings settings = new ReportDrivenController.Settings(Duration.ofHours(1),
                Duration.ofHours(1), ReportedDemand.Rate.PACKETS, policy, stability, true, Duration.ZERO);
        PlacementController throughReports = ReportDrivenController.placementController(() -> CLUSTER, watcher::fresh,
                null, new EdgeschedMetrics(new SimpleMeterRegistry()), settings, clock);

        ScriptedNode edge1 = nodes.get("edge-1");
        ScriptedNode edge2 = nodes.get("edge-2");
        ScriptedNode edge3 = nodes.get("edge-3");
        edge1.add(DEVICE, 500, 1);
        edge3.add(LIGHT, 50, 1);
        List<String> outcomes = new ArrayList<>();
        for (int step = 1; step <= 12; step++) {
            long second = 10L * step;
            switch (step) {
                case 1 -> { } // first read: baselines only
                case 3 -> {
                    edge1.recreate(DEVICE, 300, second - 5); // counter reset: the record was re-created at 25 s
                    edge3.add(LIGHT, 100, 1);
                }
                case 4 -> {
                    edge1.add(DEVICE, 1000, 1);
                    edge3.add(LIGHT, 100, 1);
                    edge3.hidden.add(LIGHT);                  // this read misses LIGHT
                    edge2.add(OLD_UNSEEN, 50_000, 5);         // counting since 5 s, never read before: history only
                }
                case 5 -> {
                    edge3.hidden.clear();
                    edge3.add(LIGHT, 100, 1);
                    edge1.add(DEVICE, 1000, 1);
                    edge2.add(NEWCOMER, 6000, second - 4);    // a new heavy client: all of it is this window's
                    edge2.add(OLD_UNSEEN, 100, 5);
                }
                default -> {
                    if (step >= 6) {                          // handoff: the device now enters at edge-3
                        edge3.add(DEVICE, 1500, step == 6 ? second - 6 : 55);
                    } else {
                        edge1.add(DEVICE, 1000, 1);
                    }
                    edge3.add(LIGHT, 100, 1);
                    if (step >= 5) {
                        edge2.add(NEWCOMER, 6000, 46);
                        edge2.add(OLD_UNSEEN, 100, 5);
                    }
                }
            }
            clock.now = Instant.parse("2026-01-01T00:00:00Z").plusSeconds(second);
            for (ScriptedNode n : nodes.values()) {
                n.take(second);
            }
            int published = 0;
            for (OriginReportPublisher agent : agents.values()) {
                published += agent.publishOnce().isPresent() ? 1 : 0;
            }
            if (published > 0) {
                awaitReportsAt(watcher, clock.now);
                knownLinks.clear(); // the in-process controller knows the node RTTs the reports carry, no more
                NODE_RTT.forEach((from, row) -> row.forEach((to, rtt) ->
                        knownLinks.add(new NodeLatency(NodeId.of(from), NodeId.of(to), rtt))));
            }

            RoundReport a = inProcess.reconcileOnce();
            RoundReport b = throughReports.reconcileOnce();
            assertThat(a.inputError()).isEmpty();
            assertThat(b.inputError()).isEmpty();
            assertSameRound(step, a, b);
            outcomes.add(a.decisions().getFirst().reason() + "/" + a.decisions().getFirst().policy()
                    .map(p -> p.reason().toString()).orElse("-"));
        }
        // not a vacuous agreement: no demand, then held at the optimum through the reset and the missed reads,
        // then the new heavy client pulled the workload away (and it stays pulled after the handoff)
        assertThat(outcomes.getFirst()).isEqualTo("HOLD_NO_DEMAND/HOLD_NO_DEMAND");
        assertThat(outcomes.subList(1, 4)).containsOnly("HOLD_AT_OPTIMUM/HOLD_AT_OPTIMUM");
        assertThat(outcomes.get(4)).isEqualTo("WOULD_MOVE/MOVE");
        assertThat(outcomes.getLast()).isEqualTo("WOULD_MOVE/MOVE");
        // the rules that made the difference ran on both sides
        assertThat(agents.get("edge-1").demand().stats().counterResets()).isEqualTo(1);
        assertThat(agents.get("edge-2").demand().stats().baselineOnly()).isGreaterThanOrEqualTo(1);
    }

    private static void assertSameRound(int step, RoundReport inProcess, RoundReport throughReports) {
        assertThat(throughReports.decisions()).as("step %d decisions", step).hasSameSizeAs(inProcess.decisions());
        for (int i = 0; i < inProcess.decisions().size(); i++) {
            Decision a = inProcess.decisions().get(i);
            Decision b = throughReports.decisions().get(i);
            String at = "step " + step + " " + a.workload();
            assertThat(b.workload()).as(at).isEqualTo(a.workload());
            assertThat(b.reason()).as(at + " reason; in-process: %s; through reports: %s", a, b).isEqualTo(a.reason());
            assertThat(b.target()).as(at + " target").isEqualTo(a.target());
            assertThat(b.policy().map(p -> p.reason())).as(at + " policy reason").isEqualTo(a.policy().map(p -> p.reason()));
            List<EntryDemand> ea = a.demand().entries();
            List<EntryDemand> eb = b.demand().entries();
            assertThat(eb).as(at + " entry nodes").extracting(EntryDemand::entryNode)
                    .isEqualTo(ea.stream().map(EntryDemand::entryNode).toList());
            for (int j = 0; j < ea.size(); j++) {
                // the report rounds rates to 1/1000 and RTTs to whole microseconds
                assertThat(eb.get(j).ratePerSecond()).as(at + " rate at " + ea.get(j).entryNode())
                        .isCloseTo(ea.get(j).ratePerSecond(), within(2e-3));
                assertThat(eb.get(j).meanRttMicros()).as(at + " rtt at " + ea.get(j).entryNode())
                        .isCloseTo(ea.get(j).meanRttMicros(), within(1.0));
                assertThat(eb.get(j).clients()).as(at + " clients at " + ea.get(j).entryNode())
                        .isEqualTo(ea.get(j).clients());
            }
        }
    }

    private static void awaitReportsAt(OriginReportWatcher watcher, Instant at) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!NODES.stream().allMatch(n -> watcher.report(NodeId.of(n))
                .map(r -> r.generatedAt().equals(at)).orElse(false))) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("reports generated at " + at + " did not reach the controller within 15 s");
            }
            Thread.sleep(10);
        }
    }
}
