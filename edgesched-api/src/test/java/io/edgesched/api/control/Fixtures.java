package io.edgesched.api.control;

import io.edgesched.api.MoveRequest;
import io.edgesched.api.MoveResult;
import io.edgesched.api.NodeId;
import io.edgesched.api.Rescheduler;
import io.edgesched.api.WorkloadId;
import io.edgesched.api.demand.DemandView;
import io.edgesched.api.demand.EntryDemand;
import io.edgesched.api.demand.WorkloadDemand;
import io.edgesched.api.policy.DecisionReason;
import io.edgesched.api.policy.Explanation;
import io.edgesched.api.policy.MoveGate;
import io.edgesched.api.policy.PlacementInput;
import io.edgesched.api.policy.PlacementPlan;
import io.edgesched.api.policy.PlacementPolicy;
import io.edgesched.api.policy.WorkloadDecision;
import io.edgesched.api.policy.WorkloadSpec;
import io.edgesched.api.topology.LatencyMatrix;
import io.edgesched.api.topology.NodeInfo;
import io.edgesched.api.topology.Placement;
import io.edgesched.api.topology.Topology;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/** Small deterministic pieces for controller tests: a settable clock, a mutable cluster, a simple policy, reschedulers. */
final class Fixtures {
    static final NodeId A = NodeId.of("a");
    static final NodeId B = NodeId.of("b");
    static final NodeId C = NodeId.of("c");
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private Fixtures() {
    }

    static WorkloadId workload(String name) {
        return WorkloadId.of("default", name);
    }

    static final class TestClock implements InstantSource {
        private volatile Instant now = T0;

        @Override
        public Instant instant() {
            return now;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }
    }

    /** Three nodes 1 ms apart; placements change when a fake rescheduler completes a move. */
    static final class Cluster {
        final Map<WorkloadId, Placement> placements = new ConcurrentHashMap<>();
        final Map<WorkloadId, WorkloadDemand> demand = new ConcurrentHashMap<>();
        private final LatencyMatrix latency = LatencyMatrix.uniform(List.of(A, B, C), 1000);

        void place(WorkloadId w, NodeId... nodes) {
            placements.put(w, Placement.of(w, nodes));
        }

        /** All demand of the workload enters at {@code entry}. */
        void demandAt(WorkloadId w, NodeId entry, double rate) {
            demand.put(w, WorkloadDemand.of(w, EntryDemand.of(entry, rate, 2000)));
        }

        Topology topology() {
            return new Topology(List.of(NodeInfo.ready(A), NodeInfo.ready(B), NodeInfo.ready(C)), latency,
                    new ArrayList<>(placements.values()));
        }

        Function<Instant, DemandView> demandView() {
            return at -> DemandView.of(at, new ArrayList<>(demand.values()));
        }

        List<WorkloadSpec> specs(String... names) {
            List<WorkloadSpec> specs = new ArrayList<>();
            for (String n : names) {
                specs.add(WorkloadSpec.of(workload(n), 1));
            }
            return specs;
        }

        PlacementController.Builder controller(TestClock clock, String... workloads) {
            return PlacementController.builder()
                    .clock(clock)
                    .demandView(demandView())
                    .topology(this::topology)
                    .workloads(specs(workloads))
                    .policy(new BusiestEntryPolicy())
                    .gate(MoveGate.ANY_IMPROVEMENT)
                    .retryPolicy(new RetryPolicy(Duration.ofSeconds(10), Duration.ofSeconds(80), 2, 0.0, Duration.ofMinutes(5)))
                    .settleTimeout(Duration.ZERO)
                    .seed(42);
        }
    }

    /**
     * Puts the (single) replica on the entry node with the most demand: cost = 1000 us per request not
     * served locally. Simple enough that a test knows the answer; uses the gate like a real policy.
     */
    static final class BusiestEntryPolicy implements PlacementPolicy {
        @Override
        public PlacementPlan plan(PlacementInput input) {
            MoveGate.Round round = input.gate().open(input.now());
            List<WorkloadDecision> out = new ArrayList<>();
            for (WorkloadSpec spec : input.specs().values()) {
                WorkloadId w = spec.workload();
                Placement current = input.topology().placement(w);
                WorkloadDemand d = input.demand().demand(w);
                Explanation ex = new Explanation(d.entries(), List.of(), 3, true, false, "busiest entry");
                if (current.isEmpty()) {
                    out.add(hold(w, current, DecisionReason.HOLD_NOT_RUNNING, d, ex));
                    continue;
                }
                if (d.totalRate() <= 0) {
                    out.add(hold(w, current, DecisionReason.HOLD_NO_DEMAND, d, ex));
                    continue;
                }
                EntryDemand busiest = d.entries().stream().max(Comparator.comparingDouble(EntryDemand::ratePerSecond)).orElseThrow();
                Placement target = Placement.of(w, busiest.entryNode());
                double currentCost = cost(current, d);
                double targetCost = cost(target, d);
                if (target.sameNodesAs(current)) {
                    out.add(hold(w, current, DecisionReason.HOLD_AT_OPTIMUM, d, ex));
                    continue;
                }
                DecisionReason reason = round.admit(w, currentCost, targetCost);
                Explanation moveEx = new Explanation(d.entries(), List.of(), 3, true, false,
                        "busiest entry is " + busiest.entryNode());
                out.add(new WorkloadDecision(w, current, reason == DecisionReason.MOVE ? target : current,
                        reason, currentCost - targetCost, currentCost, targetCost, d.totalRate(), moveEx));
            }
            return new PlacementPlan(input.now(), out);
        }

        private static double cost(Placement p, WorkloadDemand d) {
            double total = d.totalRate();
            double remote = 0;
            for (EntryDemand e : d.entries()) {
                if (p.replicasOn(e.entryNode()) == 0) {
                    remote += e.ratePerSecond();
                }
            }
            return total == 0 ? 0 : 1000 * remote / total;
        }

        private static WorkloadDecision hold(WorkloadId w, Placement current, DecisionReason reason, WorkloadDemand d,
                                             Explanation ex) {
            return new WorkloadDecision(w, current, current, reason, 0, Double.NaN, Double.NaN,
                    d.totalRate(), ex);
        }
    }

    /** Records requests; each move completes only when the test says so. */
    static final class ManualRescheduler implements Rescheduler {
        final List<MoveRequest> requests = new CopyOnWriteArrayList<>();
        final List<CompletableFuture<MoveResult>> pending = new CopyOnWriteArrayList<>();
        final Map<WorkloadId, Integer> running = new ConcurrentHashMap<>();
        volatile int maxConcurrentPerWorkload;

        @Override
        public CompletionStage<MoveResult> move(MoveRequest request) {
            requests.add(request);
            int now = running.merge(request.workload(), 1, Integer::sum);
            maxConcurrentPerWorkload = Math.max(maxConcurrentPerWorkload, now);
            CompletableFuture<MoveResult> f = new CompletableFuture<>();
            f.whenComplete((r, e) -> running.merge(request.workload(), -1, Integer::sum));
            pending.add(f);
            return f;
        }

        void completeAll(Function<MoveRequest, MoveResult> outcome) {
            for (int i = 0; i < pending.size(); i++) {
                CompletableFuture<MoveResult> f = pending.get(i);
                if (!f.isDone()) {
                    f.complete(outcome.apply(requests.get(i)));
                }
            }
        }
    }

    static MoveResult doneIn(Cluster cluster, MoveRequest r) {
        cluster.placements.put(r.workload(), Placement.of(r.workload(), r.targetNodes()));
        return new MoveResult.Done(r, Duration.ofSeconds(1));
    }
}
