package io.edgesched.examples.sim;

import io.edgesched.api.NodeId;
import io.edgesched.api.WorkloadId;
import io.edgesched.api.control.Decision;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Follows clients that are the only client of a one-replica workload (so the best place for the workload is
 * the client's entry node): when such a client's entry node changes (a handoff: it jumped or drifted to another
 * node), counts the steps until the controller issues a move of its workload onto the new entry node.
 */
final class MobilityTracker {
    private final SimWorld world;
    private final boolean[] tracked;
    private final int[] entryBefore;
    private final int[] openSince;   // step of the handoff still waiting for its move, -1 none
    private final List<Integer> stepsToMove = new ArrayList<>();
    private int handoffs;
    private int superseded;

    MobilityTracker(SimWorld world) {
        this.world = world;
        int[] clientsOf = new int[world.workloadCount];
        for (int c = 0; c < world.clientCount; c++) {
            clientsOf[world.clientWorkload[c]]++;
        }
        tracked = new boolean[world.clientCount];
        for (int c = 0; c < world.clientCount; c++) {
            int w = world.clientWorkload[c];
            tracked[c] = clientsOf[w] == 1 && world.replicas[w] == 1;
        }
        entryBefore = new int[world.clientCount];
        openSince = new int[world.clientCount];
        Arrays.fill(openSince, -1);
    }

    /** Before the clients move this step. */
    void beforeMove() {
        System.arraycopy(world.clientEntry, 0, entryBefore, 0, world.clientCount);
    }

    /** After the clients moved and the round ran: opens new handoffs, closes the ones whose move was issued. */
    void afterRound(int step, Map<WorkloadId, Decision> decisions) {
        for (int c = 0; c < world.clientCount; c++) {
            if (!tracked[c]) {
                continue;
            }
            if (world.clientEntry[c] != entryBefore[c]) {
                handoffs++;
                if (openSince[c] >= 0) {
                    superseded++; // moved again before its workload followed
                }
                openSince[c] = step;
            }
            if (openSince[c] < 0) {
                continue;
            }
            int w = world.clientWorkload[c];
            NodeId entry = world.nodeIds[world.clientEntry[c]];
            boolean runsThere = false;
            for (int n : world.placement[w]) {
                runsThere |= n == world.clientEntry[c];
            }
            Decision d = decisions.get(world.workloadIds[w]);
            boolean moveThere = d != null && d.reason().isMove() && d.target().nodes().contains(entry);
            if (moveThere || runsThere) {
                if (moveThere) {
                    stepsToMove.add(step - openSince[c]);
                }
                openSince[c] = -1; // already there (a handoff back home) counts as followed at once, without a move
            }
        }
    }

    String summary() {
        int open = 0;
        for (int s : openSince) {
            open += s >= 0 ? 1 : 0;
        }
        if (stepsToMove.isEmpty()) {
            return String.format(Locale.ROOT, "mobility: %d handoffs of tracked clients, none followed by a move"
                    + " (%d moved again first, %d still waiting)", handoffs, superseded, open);
        }
        int[] s = stepsToMove.stream().mapToInt(Integer::intValue).sorted().toArray();
        double mean = Arrays.stream(s).average().orElse(0);
        return String.format(Locale.ROOT, "mobility: %d handoffs of tracked clients (the only client of a one-replica"
                        + " workload); %d followed by a move to the new entry: steps from handoff to move issued"
                        + " p50 %d, p90 %d, max %d, mean %.2f; %d moved again first, %d still waiting",
                handoffs, s.length, s[(s.length - 1) / 2], s[(int) Math.ceil(0.9 * s.length) - 1], s[s.length - 1], mean,
                superseded, open);
    }
}
