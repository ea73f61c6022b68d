package io.edgesched.api.demand;

import io.edgesched.api.NodeId;
import io.edgesched.api.OriginRecord;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.OriginStats;
import io.edgesched.api.WorkloadId;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

import static io.edgesched.api.demand.Snapshots.NANOS;
import static io.edgesched.api.demand.Snapshots.T0;
import static io.edgesched.api.demand.Snapshots.record;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Handoff candidates are judged in parallel, then carried out in order; the result must be the one of judging
 * them one by one: the same hand-offs, splits and expiries, recent handoffs and demand, also when more hand-offs
 * happen than the recent-handoff list keeps (its cap drops entries in the middle of a pass).
 */
class ParallelHandoffJudgingTest {
    private static final int NODES = 6;
    private static final int CLIENTS = 6_000;
    private static final ServiceCatalog CATALOG = (node, serviceId, port) ->
            Optional.of(WorkloadId.of("ns", "w" + serviceId % 9));

    @Test
    void judgingInPartsGivesWhatJudgingOneByOneGives() {
        DemandStore oneByOne = new DemandStore(CATALOG, DemandConfig.defaults());
        oneByOne.judgeHandoffsInParallelFrom(Integer.MAX_VALUE);
        DemandStore inParts = new DemandStore(CATALOG, DemandConfig.defaults());
        inParts.judgeHandoffsInParallelFrom(1);
        Random random = new Random(11);
        int[] node = new int[CLIENTS];
        int[] alsoAt = new int[CLIENTS]; // a second node the client sends from at the same time (a split), or -1
        long[][] packets = new long[CLIENTS][NODES];
        for (int c = 0; c < CLIENTS; c++) {
            node[c] = random.nextInt(NODES);
            alsoAt[c] = -1;
        }
        for (int round = 1; round <= 18; round++) {
            double t = round * 5.0;
            if (round > 2) {
                for (int c = 0; c < CLIENTS; c++) {
                    double u = random.nextDouble();
                    if (c % 3 == 0) {
                        // commuters: between a near and a far node every round or two; a much closer node hands
                        // off at once unless the client was handed off recently, so the recent list fills past its cap
                        if (u < 0.7) {
                            node[c] = node[c] == 0 ? 1 + c % (NODES - 2) : 0;
                        }
                    } else if (u < 0.35) {
                        node[c] = random.nextInt(NODES); // moved (sometimes to where it was)
                        alsoAt[c] = -1;
                    } else if (u < 0.40) {
                        alsoAt[c] = random.nextInt(NODES);
                    }
                }
            }
            List<List<OriginRecord>> records = new ArrayList<>();
            for (int n = 0; n < NODES; n++) {
                records.add(new ArrayList<>());
            }
            for (int c = 0; c < CLIENTS; c++) {
                for (int n : new int[] {node[c], alsoAt[c]}) {
                    if (n >= 0) {
                        packets[c][n] += 1 + random.nextInt(40);
                        // the RTT differs per node, so "much closer" decides some hand-offs before the evidence
                        long rtt = c % 3 == 0 ? (n == 0 ? 300 : 9_000) : 200 + (c * 31L + n * 977L) % 9000;
                        records.get(n).add(record(c % 50, "10.9." + c / 250 + "." + c % 250, packets[c][n],
                                t - 4, rtt));
                    }
                }
            }
            List<OriginSnapshot> batch = new ArrayList<>();
            for (int n = 0; n < NODES; n++) {
                if (round > 3 && random.nextInt(8) == 0 || n == NODES - 1 && round > 3) {
                    // a node that missed this round: its silence is not evidence yet; the last node stays silent,
                    // so candidates that left it wait for a read there until their window ends
                    continue;
                }
                batch.add(new OriginSnapshot(NodeId.of("node-" + n), T0.plusNanos((long) (t * NANOS)),
                        1000 * NANOS + (long) (t * NANOS), 1, records.get(n), OriginStats.EMPTY));
            }
            oneByOne.ingestAll(batch);
            inParts.ingestAll(batch);
            Instant now = T0.plusNanos((long) ((t + 1) * NANOS));
            oneByOne.maintain(now);
            inParts.maintain(now);
            assertThat(inParts.handoffCount()).as("round %d", round).isEqualTo(oneByOne.handoffCount());
            assertThat(inParts.handoffsKeptSplit()).as("round %d", round).isEqualTo(oneByOne.handoffsKeptSplit());
            assertThat(inParts.handoffsExpired()).as("round %d", round).isEqualTo(oneByOne.handoffsExpired());
            assertThat(inParts.recentHandoffs(now)).as("round %d", round).isEqualTo(oneByOne.recentHandoffs(now));
            assertThat(demandOf(inParts.view(now))).as("round %d", round).isEqualTo(demandOf(oneByOne.view(now)));
        }
        // the scenario reaches every path it claims to
        assertThat(oneByOne.handoffCount()).isGreaterThan(4_096 + 1_000); // more than the recent list keeps
        assertThat(oneByOne.handoffsKeptSplit()).isPositive();
        assertThat(oneByOne.handoffsExpired()).isPositive();
    }

    /**
     * A client whose only recent hand-off is the oldest the list keeps when, in the same pass, other hand-offs push
     * that entry out: judged one by one it then hands off at once (much closer, not recently handed off any more);
     * a verdict judged before the pass must be judged again.
     */
    @Test
    void aRecentHandoffDroppedByTheCapInTheSamePassIsSeenAsDropped() {
        DemandConfig config = DemandConfig.defaults().withMaxClientsPerWorkload(10_000); // every client keeps its identity
        DemandStore oneByOne = new DemandStore(CATALOG, config);
        oneByOne.judgeHandoffsInParallelFrom(Integer.MAX_VALUE);
        DemandStore inParts = new DemandStore(CATALOG, config);
        inParts.judgeHandoffsInParallelFrom(1);
        int others = 4_095; // with the commuter's hand-off: exactly the 4,096 the recent list keeps
        int late = 200;
        // nodes: a and c far (20 ms), b and d near (5 ms), e nearer still (1 ms); in each round e and d report
        // first, b half a second later, the far nodes a second later: each read of an old node comes after the arrival
        Map<String, Long> rtt = Map.of("a", 20_000L, "b", 5_000L, "c", 20_000L, "d", 5_000L, "e", 1_000L);
        long[] counter = new long[1 + others + late];
        for (int round = 1; round <= 5; round++) {
            Map<String, List<OriginRecord>> at = new HashMap<>();
            // the commuter: a, then b from round 3, then e from round 5
            String commuter = round < 3 ? "a" : round < 5 ? "b" : "e";
            add(at, commuter, 0, counter, rtt, round);
            for (int c = 1; c <= others; c++) {
                add(at, round < 4 ? "c" : "d", c, counter, rtt, round); // hand off in round 4's pass
            }
            for (int c = others + 1; c < counter.length; c++) {
                add(at, round < 5 ? "c" : "d", c, counter, rtt, round); // hand off in round 5's pass, with the commuter
            }
            List<OriginSnapshot> batch = new ArrayList<>();
            for (String node : List.of("a", "b", "c", "d", "e")) {
                double t = round * 5.0 + (node.equals("a") || node.equals("c") ? 1 : node.equals("b") ? 0.5 : 0);
                batch.add(new OriginSnapshot(NodeId.of(node), T0.plusNanos((long) (t * NANOS)),
                        1000 * NANOS + (long) (t * NANOS), 1, at.getOrDefault(node, List.of()), OriginStats.EMPTY));
            }
            oneByOne.ingestAll(batch);
            inParts.ingestAll(batch);
            Instant now = T0.plusSeconds(round * 5L + 2);
            oneByOne.maintain(now);
            inParts.maintain(now);
            assertThat(inParts.handoffCount()).as("round %d", round).isEqualTo(oneByOne.handoffCount());
            assertThat(inParts.recentHandoffs(now)).as("round %d", round).isEqualTo(oneByOne.recentHandoffs(now));
            assertThat(demandOf(inParts.view(now))).as("round %d", round).isEqualTo(demandOf(oneByOne.view(now)));
        }
        // the commuter was handed off twice: a -> b (round 4) and b -> e (round 5, once its entry left the list)
        assertThat(oneByOne.handoffCount()).isEqualTo(1 + others + late + 1);
    }

    private static void add(Map<String, List<OriginRecord>> at, String node, int client, long[] counter,
                            Map<String, Long> rtt, int round) {
        counter[client] += 10;
        // the commuter's address sorts after the others' (the pass meets candidates in hash order, not by address)
        String address = client == 0 ? "10.200.1.1" : "10.7." + client / 250 + "." + client % 250;
        at.computeIfAbsent(node, n -> new ArrayList<>()).add(record(0, address, counter[client], round * 5.0 - 4,
                rtt.get(node)));
    }

    private static Map<WorkloadId, WorkloadDemand> demandOf(DemandView view) {
        Map<WorkloadId, WorkloadDemand> out = new HashMap<>();
        for (WorkloadId w : view.workloads()) {
            out.put(w, view.demand(w));
        }
        return out;
    }
}
