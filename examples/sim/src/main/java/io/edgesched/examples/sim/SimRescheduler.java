package io.edgesched.examples.sim;

import io.edgesched.api.MoveRequest;
import io.edgesched.api.MoveResult;
import io.edgesched.api.NodeId;
import io.edgesched.api.Rescheduler;

import java.time.Duration;
import java.time.Instant;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A rescheduler for the simulated world: a move takes a random simulated delay, then either places the
 * workload on its targets or fails (rolled back); a few moves are refused at once. Seeded, single-threaded:
 * moves complete only inside {@link #completeDue(Instant)}, which the simulator calls after advancing time.
 */
final class SimRescheduler implements Rescheduler {
    private record Pending(Instant at, long seq, MoveRequest request, int workload, int[] targets, boolean fail,
                           CompletableFuture<MoveResult> future) {
    }

    private final SimWorld world;
    private final SimClock clock;
    private final SplittableRandom random;
    private final double failRate;
    private final double refuseRate;
    private final Duration minDelay;
    private final Duration maxDelay;
    private final PriorityQueue<Pending> pending = new PriorityQueue<>((a, b) -> {
        int c = a.at.compareTo(b.at);
        return c != 0 ? c : Long.compare(a.seq, b.seq);
    });
    private long seq;
    long requested;
    long refused;
    long failed;
    long done;

    SimRescheduler(SimWorld world, SimClock clock, long seed, double failRate, double refuseRate,
                   Duration minDelay, Duration maxDelay) {
        this.world = world;
        this.clock = clock;
        this.random = new SplittableRandom(seed);
        this.failRate = failRate;
        this.refuseRate = refuseRate;
        this.minDelay = minDelay;
        this.maxDelay = maxDelay;
    }

    @Override
    public CompletionStage<MoveResult> move(MoveRequest request) {
        requested++;
        int workload = world.workloadIndex(request.workload());
        if (workload < 0) {
            refused++;
            return CompletableFuture.completedFuture(new MoveResult.Refused(request, "unknown workload " + request.workload()));
        }
        int[] targets = new int[request.targetNodes().size()];
        int i = 0;
        for (NodeId node : request.targetNodes()) {
            int index = world.nodeIndex(node);
            if (index < 0) {
                refused++;
                return CompletableFuture.completedFuture(new MoveResult.Refused(request, "unknown node " + node));
            }
            targets[i++] = index;
        }
        if (random.nextDouble() < refuseRate) {
            refused++;
            return CompletableFuture.completedFuture(new MoveResult.Refused(request, "simulated refusal (target cordoned)"));
        }
        long spanNanos = maxDelay.toNanos() - minDelay.toNanos();
        Duration delay = minDelay.plusNanos(spanNanos <= 0 ? 0 : random.nextLong(spanNanos + 1));
        boolean fail = random.nextDouble() < failRate;
        CompletableFuture<MoveResult> future = new CompletableFuture<>();
        pending.add(new Pending(clock.instant().plus(delay), seq++, request, workload, targets, fail, future));
        return future;
    }

    /** Completes, in time order, every move whose delay has passed by {@code now}. */
    void completeDue(Instant now) {
        while (!pending.isEmpty() && !pending.peek().at.isAfter(now)) {
            Pending p = pending.poll();
            Duration took = Duration.between(p.request.decidedAt(), p.at);
            if (p.fail) {
                failed++;
                p.future.complete(new MoveResult.Failed(p.request, "simulated failure: new replica never became ready",
                        true, null));
            } else {
                done++;
                world.place(p.workload, p.targets);
                p.future.complete(new MoveResult.Done(p.request, took));
            }
        }
    }
}
