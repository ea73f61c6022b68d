package com.example.placement;

import io.edgesched.api.MoveRequest;
import io.edgesched.api.MoveResult;
import io.edgesched.api.NodeId;
import io.edgesched.api.Rescheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * Our own mover: keeps an audit trail of every request, refuses targets that are in maintenance (nothing is
 * changed then), and hands the rest to {@code apply}, which does the actual move in our platform.
 */
public final class AuditedRescheduler implements Rescheduler {
    private final Consumer<MoveRequest> apply;
    private final Set<NodeId> inMaintenance;
    private final List<MoveRequest> requests = new ArrayList<>();
    private final List<MoveResult> results = new ArrayList<>();

    public AuditedRescheduler(Consumer<MoveRequest> apply, Set<NodeId> inMaintenance) {
        this.apply = apply;
        this.inMaintenance = Set.copyOf(inMaintenance);
    }

    @Override
    public synchronized CompletionStage<MoveResult> move(MoveRequest request) {
        requests.add(request);
        MoveResult result;
        List<NodeId> blocked = request.targetNodes().stream().filter(inMaintenance::contains).toList();
        if (!blocked.isEmpty()) {
            result = new MoveResult.Refused(request, "target in maintenance: " + blocked);
        } else {
            apply.accept(request);
            result = new MoveResult.Done(request, Duration.ZERO);
        }
        results.add(result);
        return CompletableFuture.completedFuture(result);
    }

    public synchronized List<MoveRequest> requests() {
        return List.copyOf(requests);
    }

    public synchronized List<MoveResult> results() {
        return List.copyOf(results);
    }
}
