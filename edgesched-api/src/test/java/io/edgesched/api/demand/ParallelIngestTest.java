package io.edgesched.api.demand;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.NodeId;
import io.edgesched.api.OriginRecord;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.OriginStats;
import io.edgesched.api.WorkloadId;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

import static io.edgesched.api.demand.Snapshots.NANOS;
import static io.edgesched.api.demand.Snapshots.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link DemandStore#ingestAll} prepares nodes in parallel; the result must be the one of ingesting one by one. */
class ParallelIngestTest {
    private static final int NODES = 24;

    /** Services 0..59 map to workloads that appear over time; 60+ resolve to nothing; port 1 traffic is ignored. */
    private static final ServiceCatalog CATALOG = (node, serviceId, port) -> serviceId < 60 && port != 1
            ? Optional.of(WorkloadId.of("ns", "w" + serviceId % 40)) : Optional.empty();

    @Test
    void batchesGiveTheSameDemandAsOneByOne() {
        for (boolean activity : new boolean[] {false, true}) {
            DemandConfig config = DemandConfig.defaults().withHalfLife(Duration.ofSeconds(20))
                    .withMaxClientsPerWorkload(25).withMaxAggregates(3000).withStaleAfter(Duration.ofSeconds(90));
            DemandStore serial = new DemandStore(CATALOG, config, activity);
            DemandStore parallel = new DemandStore(CATALOG, config, activity);
            Random random = new Random(activity ? 3 : 4);
            Map<String, long[]> counters = new HashMap<>();
            long[] generation = new long[NODES];
            for (int round = 1; round <= 40; round++) {
                List<OriginSnapshot> batch = new ArrayList<>();
                for (int n = 0; n < NODES; n++) {
                    if (random.nextInt(10) == 0) {
                        continue; // a node that missed this round
                    }
                    if (random.nextInt(60) == 0) {
                        generation[n]++; // its agent restarted
                    }
                    batch.add(snapshot(random, n, round * 5.0 + random.nextDouble(), generation[n], counters));
                }
                if (batch.size() > 3) {
                    batch.add(batch.get(1)); // the same snapshot again: out of order, ignored
                    OriginSnapshot later = batch.get(2);
                    batch.add(new OriginSnapshot(later.node(), later.takenAt().plusMillis(700),
                            later.monotonicNanos() + 700_000_000L, later.generation(), later.records(), OriginStats.EMPTY));
                }
                Collections.shuffle(batch.subList(0, batch.size() - 2), random);
                for (OriginSnapshot s : batch) {
                    serial.ingest(s);
                }
                parallel.ingestAll(batch);
                Instant now = T0.plusSeconds(round * 5L + 2);
                serial.maintain(now);
                parallel.maintain(now);
                assertThat(demandOf(parallel.view(now))).as("round %d", round).isEqualTo(demandOf(serial.view(now)));
                assertThat(parallel.stats()).isEqualTo(serial.stats());
                assertThat(parallel.recentHandoffs(now)).isEqualTo(serial.recentHandoffs(now));
                if (activity) {
                    assertThat(parallel.clientsByWorkload(now)).isEqualTo(serial.clientsByWorkload(now));
                }
            }
            assertThat(serial.stats().staleOutOfOrder()).isPositive();
            assertThat(serial.stats().unresolvedRecords()).isPositive();
            assertThat(serial.stats().generationChanges()).isPositive();
            assertThat(serial.handoffCount()).isPositive();
            assertThat(serial.stats().foldedTopN() + serial.stats().foldedOverCapacity()).isPositive();
        }
    }

    /** The failed node's snapshot is skipped (its history untouched); the batch's other snapshots still count. */
    @Test
    void aCatalogThatThrowsFailsTheBatchAndTheStoreGoesOn() {
        ServiceCatalog flaky = (node, serviceId, port) -> {
            if (serviceId == 13) {
                throw new IllegalStateException("catalog broken");
            }
            return CATALOG.workloadFor(node, serviceId, port);
        };
        DemandStore store = new DemandStore(flaky, DemandConfig.defaults());
        Random random = new Random(5);
        List<OriginSnapshot> batch = new ArrayList<>();
        for (int n = 0; n < 8; n++) {
            List<OriginRecord> records = new ArrayList<>();
            records.add(record(random, n == 5 ? 13 : 2, "10.0.0." + n, 10));
            batch.add(new OriginSnapshot(NodeId.of("node-" + n), T0.plusSeconds(1), 1000 * NANOS, 1, records,
                    OriginStats.EMPTY));
        }
        assertThatThrownBy(() -> store.ingestAll(batch)).hasRootCauseMessage("catalog broken")
                .hasMessageContaining("node-5");
        assertThat(store.stats().records()).isEqualTo(7);
        // the next batch, without the broken service, goes through
        List<OriginSnapshot> next = new ArrayList<>();
        for (int n = 0; n < 8; n++) {
            next.add(new OriginSnapshot(NodeId.of("node-" + n), T0.plusSeconds(6), 1005 * NANOS, 1,
                    List.of(record(random, 2, "10.0.0." + n, 60)), OriginStats.EMPTY));
        }
        store.ingestAll(next);
        WorkloadDemand demand = store.view(T0.plusSeconds(6)).demand(WorkloadId.of("ns", "w2"));
        // node-5's first counted snapshot is this one: it only sets a baseline there
        assertThat(demand.entries()).hasSize(7).noneMatch(e -> e.entryNode().equals(NodeId.of("node-5")));
    }

    private static Map<WorkloadId, WorkloadDemand> demandOf(DemandView view) {
        Map<WorkloadId, WorkloadDemand> out = new HashMap<>();
        for (WorkloadId w : view.workloads()) {
            out.put(w, view.demand(w));
        }
        return out;
    }

    private static OriginSnapshot snapshot(Random random, int node, double t, long generation,
                                           Map<String, long[]> counters) {
        List<OriginRecord> records = new ArrayList<>();
        int count = 20 + random.nextInt(60);
        for (int i = 0; i < count; i++) {
            int service = random.nextInt(70);
            // clients wander: the same address shows up at other nodes (handoffs), some stay put
            int clientId = random.nextInt(150);
            String client = clientId % 7 == 0 ? "2001:db8::" + Integer.toHexString(clientId) : "10.1." + (clientId / 200) + "." + clientId % 200;
            String key = node + "/" + service + "/" + client;
            long[] c = counters.computeIfAbsent(key, k -> new long[1]);
            c[0] += random.nextInt(4) == 0 ? 0 : 1 + random.nextInt(30);
            if (random.nextInt(200) == 0) {
                c[0] = random.nextInt(5); // a kernel entry evicted and re-created
            }
            long bootNanos = 1000 * NANOS;
            long now = bootNanos + (long) (t * NANOS);
            long first = now - (long) (random.nextDouble() * 20 * NANOS);
            records.add(new OriginRecord(service, random.nextInt(50) == 0 ? 1 : 8080, ClientAddress.parse(client),
                    c[0], c[0], c[0] * 100, random.nextInt(3) == 0 ? 0 : 200 + random.nextInt(5000),
                    random.nextInt(3) == 0 ? 0 : 1, first, now - random.nextInt(1_000_000_000), random.nextInt(40) == 0));
        }
        return new OriginSnapshot(NodeId.of("node-" + node), T0.plusNanos((long) (t * NANOS)),
                1000 * NANOS + (long) (t * NANOS), generation, records, OriginStats.EMPTY);
    }

    private static OriginRecord record(Random random, int service, String client, long packets) {
        long first = 1000 * NANOS;
        return new OriginRecord(service, 8080, ClientAddress.parse(client), packets, packets, packets, 0, 0,
                first, first + random.nextInt(1000), false);
    }
}
