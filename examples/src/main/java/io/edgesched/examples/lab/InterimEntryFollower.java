package io.edgesched.examples.lab;

import io.edgesched.api.MoveRequest;
import io.edgesched.api.NodeId;
import io.edgesched.api.OriginRecord;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.WorkloadId;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** Temporary plumbing check until the PlacementController lands: moves to the entry node with the most new connections. */
final class InterimEntryFollower {
    private InterimEntryFollower() {
    }

    static AutoCloseable start(Supplier<List<OriginSnapshot>> demand, LabRescheduler rescheduler, LabScenario scenario) {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        Map<String, Long> previous = new HashMap<>();
        long period = Math.max(100, scenario.real(2).toMillis());
        timer.scheduleWithFixedDelay(() -> {
            try {
                String best = null;
                long bestDelta = 0;
                for (OriginSnapshot s : demand.get()) {
                    long total = s.records().stream().filter(r -> !r.forwarded()).mapToLong(OriginRecord::connections).sum();
                    long delta = total - previous.getOrDefault(s.node().name(), 0L);
                    previous.put(s.node().name(), total);
                    if (delta > bestDelta) {
                        bestDelta = delta;
                        best = s.node().name();
                    }
                }
                NodeId current = rescheduler.currentNode();
                if (best != null && current != null && !best.equals(current.name())) {
                    rescheduler.move(MoveRequest.of(WorkloadId.of("lab", "service"), Set.of(current), Set.of(NodeId.of(best)),
                            "most new connections enter at " + best, 0, Instant.now())).toCompletableFuture().join();
                }
            } catch (RuntimeException e) {
                e.printStackTrace();
            }
        }, period, period, TimeUnit.MILLISECONDS);
        return timer::shutdownNow;
    }
}
