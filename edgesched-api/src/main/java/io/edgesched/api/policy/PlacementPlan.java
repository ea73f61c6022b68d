package io.edgesched.api.policy;

import io.edgesched.api.MoveRequest;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/** One round's decisions, sorted by workload. */
public record PlacementPlan(Instant at, List<WorkloadDecision> decisions) {
    public PlacementPlan {
        Objects.requireNonNull(at, "at");
        List<WorkloadDecision> sorted = new ArrayList<>(decisions);
        sorted.sort(Comparator.comparing(WorkloadDecision::workload));
        decisions = List.copyOf(sorted);
    }

    public List<WorkloadDecision> moves() {
        return decisions.stream().filter(WorkloadDecision::isMove).toList();
    }

    public List<MoveRequest> moveRequests() {
        return moves().stream().map(d -> d.toMoveRequest(at)).toList();
    }

    public long count(DecisionReason reason) {
        return decisions.stream().filter(d -> d.reason() == reason).count();
    }
}
