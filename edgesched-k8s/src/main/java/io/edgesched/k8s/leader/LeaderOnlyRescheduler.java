package io.edgesched.k8s.leader;

import io.edgesched.api.MoveRequest;
import io.edgesched.api.MoveResult;
import io.edgesched.api.Rescheduler;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets only the leader move workloads. A follower's move is {@link MoveResult.Refused}. When the
 * lease is lost, every move under way completes at once as {@link MoveResult.Failed} (not rolled
 * back) and the delegate's future is cancelled, which stops it without further patches; the new
 * leader decides afresh.
 *
 * <p>The controller app does not use this: {@link Leadership} runs its loops (and so its moves) only while
 * it leads. This stays for embedders whose loops run on every replica.
 */
public final class LeaderOnlyRescheduler implements Rescheduler, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LeaderOnlyRescheduler.class);

    private final LeaderGate gate;
    private final Rescheduler delegate;
    /** A move under way, keyed by the future handed to the caller. */
    private record Running(MoveRequest request, CompletableFuture<MoveResult> inner) {
    }

    private final Map<CompletableFuture<MoveResult>, Running> running = new ConcurrentHashMap<>();
    private final LeaderGate.Subscription subscription;

    public LeaderOnlyRescheduler(LeaderGate gate, Rescheduler delegate) {
        this.gate = Objects.requireNonNull(gate, "gate");
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.subscription = gate.addListener(new LeaderGate.Listener() {
            @Override
            public void stoppedLeading() {
                abortAll("leadership lost during the move");
            }
        });
    }

    @Override
    public CompletableFuture<MoveResult> move(MoveRequest request) {
        if (!gate.isLeader()) {
            return CompletableFuture.completedFuture(new MoveResult.Refused(request, notLeader()));
        }
        CompletableFuture<MoveResult> outer = new CompletableFuture<>();
        CompletableFuture<MoveResult> inner = delegate.move(request).toCompletableFuture();
        running.put(outer, new Running(request, inner));
        inner.whenComplete((r, t) -> {
            running.remove(outer);
            if (t != null) {
                outer.complete(new MoveResult.Failed(request, "move failed: " + t, false, t));
            } else {
                outer.complete(r);
            }
        });
        if (!gate.isLeader()) { // lost between the check and the registration
            abort(outer, new Running(request, inner), "leadership lost as the move started");
        }
        return outer;
    }

    private String notLeader() {
        return "this instance (" + gate.identity() + ") is not the leader"
                + gate.currentLeader().map(l -> "; the leader is " + l).orElse("")
                + "; only the leader moves workloads";
    }

    private void abortAll(String why) {
        running.forEach((outer, run) -> abort(outer, run, why));
    }

    private void abort(CompletableFuture<MoveResult> outer, Running run, String why) {
        if (outer.complete(new MoveResult.Failed(run.request(), why
                + "; stopped without further changes, the new leader decides again", false, null))) {
            LOG.info("{}: abandoning the move of {}", why, run.request().workload());
        }
        run.inner().cancel(true);
        running.remove(outer);
    }

    /** Stops listening to the gate (moves under way are not touched). */
    @Override
    public void close() {
        subscription.close();
    }
}
