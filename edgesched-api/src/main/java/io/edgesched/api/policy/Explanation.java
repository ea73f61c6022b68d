package io.edgesched.api.policy;

import io.edgesched.api.demand.EntryDemand;

import java.util.List;

/**
 * Why a decision came out the way it did: the inputs and what each option would cost.
 *
 * @param demand          the workload's demand per entry node (the policy's whole input about clients)
 * @param bestCandidates  the cheapest single-replica candidates, cheapest first (at most the configured number)
 * @param feasibleNodes   how many nodes passed selector, health, taints and capacity
 * @param exact           true when the target is the proven optimum (enumeration), false for the heuristic
 * @param capacityLimited true when remaining node capacity, taken by workloads decided earlier, changed the target
 * @param detail          one human sentence
 */
public record Explanation(List<EntryDemand> demand, List<CandidateCost> bestCandidates, int feasibleNodes,
                          boolean exact, boolean capacityLimited, String detail) {
    public Explanation {
        demand = List.copyOf(demand);
        bestCandidates = List.copyOf(bestCandidates);
    }
}
