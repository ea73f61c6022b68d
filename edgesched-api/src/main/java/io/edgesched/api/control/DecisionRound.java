package io.edgesched.api.control;

import io.edgesched.api.MoveRequest;
import io.edgesched.api.WorkloadId;
import io.edgesched.api.demand.DemandView;
import io.edgesched.api.demand.Handoff;
import io.edgesched.api.demand.WorkloadDemand;
import io.edgesched.api.policy.DecisionReason;
import io.edgesched.api.policy.Explanation;
import io.edgesched.api.policy.MoveGate;
import io.edgesched.api.policy.PlacementInput;
import io.edgesched.api.policy.PlacementPlan;
import io.edgesched.api.policy.PlacementPolicy;
import io.edgesched.api.policy.WorkloadDecision;
import io.edgesched.api.policy.WorkloadSpec;
import io.edgesched.api.topology.Placement;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The round itself, from one {@link RoundInput} to one {@link Decision} per workload: workloads whose move is
 * running, backing off or settling are held; unchanged ones repeat their last verdict (incremental planning); the
 * rest go to the policy behind the gate; a proposed move is held if the same one was just refused, else marked in
 * flight (or only explained in a dry run). Starting the moves is the caller's (the {@link MoveDispatcher}'s) job.
 */
final class DecisionRound {
    /** The decisions, sorted by workload, and the moves to hand to the rescheduler. */
    record Result(List<Decision> decisions, List<MoveRequest> toStart, int planned, int wouldMove, long planNanos) {
    }

    private final PlacementPolicy policy;
    private final MoveGate gate;
    private final MoveTracker tracker;
    private final ReplanFilter replan;
    private final boolean dryRun;

    DecisionRound(PlacementPolicy policy, MoveGate gate, MoveTracker tracker, ReplanFilter replan, boolean dryRun) {
        this.policy = policy;
        this.gate = gate;
        this.tracker = tracker;
        this.replan = replan;
        this.dryRun = dryRun;
    }

    /** Checks that every workload has exactly one spec; the map is by workload. */
    static Map<WorkloadId, WorkloadSpec> specsByWorkload(List<WorkloadSpec> specs) {
        Map<WorkloadId, WorkloadSpec> specOf = new HashMap<>(specs.size() * 2);
        for (WorkloadSpec spec : specs) {
            if (specOf.putIfAbsent(spec.workload(), spec) != null) {
                throw new IllegalArgumentException("workload " + spec.workload()
                        + " has two specs; give each workload exactly one");
            }
        }
        return specOf;
    }

    Result decide(long round, Instant now, RoundInput input, Map<WorkloadId, WorkloadSpec> specOf) {
        List<WorkloadSpec> specs = input.workloads();
        List<Decision> decisions = new ArrayList<>(specs.size());
        List<WorkloadSpec> planned = new ArrayList<>(specs.size());
        replan.beginRound(input.topology());
        // held moves planned earlier (inputs unchanged since) wait for the gate with the fresh plans, by gain
        List<WorkloadDecision> waiting = new ArrayList<>();
        for (WorkloadSpec spec : specs) {
            WorkloadId w = spec.workload();
            Placement current = input.topology().placement(w);
            WorkloadDemand demandOfW = input.demand().demand(w);
            MoveTracker.Admission admission = tracker.admit(w, current.nodes(), now);
            if (!admission.allowed()) {
                replan.forget(w);
                decisions.add(new Decision(round, now, w, admission.reason(), current, demandOfW, Optional.empty(),
                        admission.why()));
                continue;
            }
            String unchanged = replan.skipReason(spec, current, demandOfW, now);
            if (unchanged != null && replan.heldByGate(w)) {
                waiting.add(replan.remembered(w));
            } else if (unchanged != null && !replan.gateHoldWithoutTarget(w)) {
                WorkloadDecision remembered = replan.remembered(w);
                decisions.add(new Decision(round, now, w, remembered.reason(), current, demandOfW,
                        Optional.of(remembered), unchanged));
            } else {
                planned.add(spec);
            }
        }
        tracker.retainOnly(specOf.keySet());
        replan.retainOnly(specOf.keySet());

        long planStart = System.nanoTime();
        GainOrderedGate gateRound = new GainOrderedGate(gate.open(now), waiting);
        PlacementPlan plan = planned.isEmpty() ? new PlacementPlan(now, List.of())
                : policy.plan(PlacementInput.of(now, input.topology(), input.demand(), planned, at -> gateRound));
        List<WorkloadDecision> regated = gateRound.finish();
        long planNanos = System.nanoTime() - planStart;
        List<MoveRequest> toStart = new ArrayList<>();
        int wouldMove = 0;
        List<WorkloadDecision> proposed = new ArrayList<>(regated.size() + plan.decisions().size());
        for (WorkloadDecision again : regated) {
            if (again.isMove()) {
                proposed.add(again);
            } else {
                decisions.add(new Decision(round, now, again.workload(), again.reason(), again.current(),
                        input.demand().demand(again.workload()), Optional.of(again), again.explanation().detail()));
            }
        }
        proposed.addAll(plan.decisions());
        for (WorkloadDecision d : proposed) {
            WorkloadId w = d.workload();
            WorkloadSpec spec = specOf.get(w);
            WorkloadDemand demandOfW = input.demand().demand(w);
            if (spec != null) {
                replan.planned(spec, d, demandOfW, round, now);
            }
            if (!d.isMove()) {
                decisions.add(new Decision(round, now, w, d.reason(), d.current(), demandOfW,
                        Optional.of(d), withHandoffs(d.explanation().detail(), input.demand(), w)));
                continue;
            }
            MoveTracker.Admission refusal = tracker.admitProposal(w, d.current().nodes(), d.target().nodes(), now);
            if (!refusal.allowed()) {
                decisions.add(new Decision(round, now, w, refusal.reason(), d.current(), demandOfW,
                        Optional.of(d), refusal.why()));
            } else if (dryRun) {
                wouldMove++;
                decisions.add(new Decision(round, now, w, DecisionReason.WOULD_MOVE, d.current(), demandOfW,
                        Optional.of(d), withHandoffs("dry run, not moved: " + d.explanation().detail(), input.demand(), w)));
            } else {
                MoveRequest request = d.toMoveRequest(now);
                if (tracker.tryStart(request)) { // marks it in flight before the rescheduler can answer
                    toStart.add(request);
                    decisions.add(new Decision(round, now, w, DecisionReason.MOVE_STARTED, d.current(),
                            demandOfW, Optional.of(d), withHandoffs(d.explanation().detail(), input.demand(), w)));
                } else {
                    decisions.add(new Decision(round, now, w, DecisionReason.HOLD_IN_FLIGHT, d.current(),
                            demandOfW, Optional.of(d), "a move of this workload is already running"));
                }
            }
        }
        decisions.sort((a, b) -> a.workload().compareTo(b.workload()));
        return new Result(decisions, toStart, planned.size(), wouldMove, planNanos);
    }

    /**
     * One gate round shared by the policy's fresh plans and the held moves asked again: the policy visits
     * workloads by potential gain, so before each of its requests the held moves with a larger gain are asked
     * first, and the rest after it; tokens go to the largest gains as when every held move was planned again.
     */
    private static final class GainOrderedGate implements MoveGate.Round {
        private final MoveGate.Round gate;
        private final List<WorkloadDecision> waiting;
        private final List<WorkloadDecision> answered = new ArrayList<>();
        private int next;

        GainOrderedGate(MoveGate.Round gate, List<WorkloadDecision> waiting) {
            this.gate = gate;
            this.waiting = new ArrayList<>(waiting);
            this.waiting.sort((a, b) -> {
                int c = Double.compare(b.predictedGainMicros(), a.predictedGainMicros());
                return c != 0 ? c : a.workload().compareTo(b.workload());
            });
        }

        @Override
        public synchronized DecisionReason admit(WorkloadId workload, double currentCostMicros, double targetCostMicros) {
            double gain = currentCostMicros - targetCostMicros;
            while (next < waiting.size() && waiting.get(next).predictedGainMicros() > gain) {
                answered.add(regate(waiting.get(next++), gate));
            }
            return gate.admit(workload, currentCostMicros, targetCostMicros);
        }

        /** Asks about the held moves the policy's requests did not come before; all answers, by gain. */
        synchronized List<WorkloadDecision> finish() {
            while (next < waiting.size()) {
                answered.add(regate(waiting.get(next++), gate));
            }
            return answered;
        }
    }

    /**
     * Asks the gate again about a target the policy found while the workload's inputs stayed within tolerance
     * (planning it again would find the same target); the costs are the policy's.
     */
    private static WorkloadDecision regate(WorkloadDecision held, MoveGate.Round gateRound) {
        DecisionReason reason = gateRound.admit(held.workload(), held.currentCostMicros(), held.targetCostMicros());
        Explanation e = held.explanation();
        String detail = String.format(Locale.ROOT, "%s %s -> %s: mean latency %.0f -> %.0f us (-%.1f%%; planned"
                        + " earlier, inputs unchanged since, gate asked again)",
                reason == DecisionReason.MOVE ? "move" : "hold (" + reason + ")",
                held.current().replicasPerNode().keySet(), held.target().replicasPerNode().keySet(),
                held.currentCostMicros(), held.targetCostMicros(),
                100 * held.predictedGainMicros() / held.currentCostMicros());
        return new WorkloadDecision(held.workload(), held.current(), held.target(), reason,
                held.predictedGainMicros(), held.currentCostMicros(), held.targetCostMicros(), held.demandRate(),
                new Explanation(e.demand(), e.bestCandidates(), e.feasibleNodes(), e.exact(), e.capacityLimited(),
                        detail));
    }

    /** The sentence, then the workload's recent client handoffs ("client 198.51.100.7 handed off cloud1 -> edge1"). */
    static String withHandoffs(String why, DemandView demand, WorkloadId w) {
        List<Handoff> handoffs = demand.handoffs(w);
        if (handoffs.isEmpty()) {
            return why;
        }
        StringBuilder sb = new StringBuilder(why);
        int shown = Math.min(3, handoffs.size());
        for (int i = handoffs.size() - shown; i < handoffs.size(); i++) { // the newest three
            sb.append("; ").append(handoffs.get(i).describe());
        }
        if (handoffs.size() > shown) {
            sb.append(" (and ").append(handoffs.size() - shown).append(" more handoffs)");
        }
        return sb.toString();
    }
}
