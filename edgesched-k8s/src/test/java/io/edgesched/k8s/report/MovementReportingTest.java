package io.edgesched.k8s.report;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.OriginRecord;
import io.edgesched.k8s.report.OriginReportSpec.Arrival;
import io.edgesched.k8s.report.OriginReportSpec.Departure;
import io.edgesched.k8s.report.OriginReportSpec.WorkloadOrigins;
import io.edgesched.k8s.topology.ClusterSnapshot;
import io.edgesched.k8s.topology.Fixtures;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The agent's end of a handoff: a heavy client's arrival, its evidence and its departure are written at once by a
 * fast read (within the event budget), and nothing else is.
 */
@EnableKubernetesMockClient(crud = true)
class MovementReportingTest {
    static {
        Fixtures.quietMockServer();
    }

    private static final ClientAddress BYSTANDER = ClientAddress.parse("203.0.113.9");
    private static final ClientAddress MOVER = ClientAddress.parse("198.51.100.7");
    private static final int EVIDENCE = 2;

    KubernetesClient client;
    private FakeOriginSource source;
    private OriginReportPublisher publisher;
    private long bystanderPackets;
    private long moverPackets;
    private long moverLastSeen;
    private long startEvents;
    private long moverFirstSeen;

    @BeforeEach
    void steadyNode() {
        source = new FakeOriginSource("edge-1");
        ClusterSnapshot cluster = AgentLoopTest.cluster(30080);
        publisher = new OriginReportPublisher(client, "edgesched", source, () -> cluster, ReportLimits.DEFAULT,
                Clock.systemUTC());
        for (int i = 0; i < 12; i++) { // a baseline, then reports until the first one is written
            tick(1_000, false);
            publisher.publish(PublishRule.defaults());
        }
        assertThat(publisher.published()).isGreaterThanOrEqualTo(1);
        // at the agent's start every client's visit "began" at its first read (the store cannot know earlier):
        // the bystander is an arrival, then gathers evidence; both are written once, then it is no news
        EventBudget budget = new EventBudget(1024, 64 * 1024);
        for (int i = 0; i < 4; i++) {
            tick(250, false);
            if (fastRead(budget).isPresent()) {
                startEvents++;
            }
        }
        assertThat(startEvents).isLessThanOrEqualTo(2);
        assertThat(fastRead(budget)).isEmpty();
    }

    /** Time passes; the bystander sends 10/s, the mover too when {@code moverSends}. */
    private void tick(long millis, boolean moverSends) {
        source.advanceMillis(millis);
        bystanderPackets += millis / 100;
        if (moverSends) {
            if (moverPackets == 0) {
                moverFirstSeen = source.monotonic - 1_000_000; // its first packet, 1 ms before this read
            }
            moverPackets += Math.max(1, millis / 100);
            moverLastSeen = source.monotonic;
        }
        source.records.clear();
        source.records.add(new OriginRecord(1, 30080, BYSTANDER, 1, bystanderPackets, bystanderPackets * 100, 900, 1,
                1, source.monotonic, false));
        if (moverPackets > 0) {
            source.records.add(new OriginRecord(1, 30080, MOVER, 1, moverPackets, moverPackets * 100, 700, 1,
                    moverFirstSeen, moverLastSeen, false));
        }
    }

    private Optional<OriginReport> fastRead(EventBudget budget) {
        return publisher.publishEvents(PublishRule.defaults(), budget, EVIDENCE);
    }

    private static WorkloadOrigins web(OriginReport r) {
        return r.getSpec().workloads().getFirst();
    }

    @Test
    void arrivalEvidenceAndDepartureAreWrittenAtOnceAndQuietReadsWriteNothing() {
        EventBudget budget = new EventBudget(1024, 64 * 1024);
        tick(250, false);
        assertThat(fastRead(budget)).as("nothing moved").isEmpty();

        tick(250, true);
        OriginReport arrived = fastRead(budget).orElseThrow();
        assertThat(publisher.lastReason()).isEqualTo("arrival");
        assertThat(web(arrived).arrivals()).filteredOn(a -> a.client().equals(MOVER.toString())).singleElement()
                .satisfies(a -> {
            assertThat(a.reads()).isEqualTo(1);
            assertThat(a.rttMicros()).isEqualTo(700);
        });

        tick(250, true);
        OriginReport evidence = fastRead(budget).orElseThrow();
        assertThat(publisher.lastReason()).isEqualTo("arrival evidence");
        assertThat(web(evidence).arrivals()).filteredOn(a -> a.client().equals(MOVER.toString()))
                .extracting(Arrival::reads).containsExactly(2);

        tick(250, true);
        assertThat(fastRead(budget)).as("a third read is no news").isEmpty();

        // it stops arriving: after two of its 250 ms beats (at least 500 ms) it is listed as departed
        tick(250, false);
        assertThat(fastRead(budget)).isEmpty();
        Optional<OriginReport> departed = Optional.empty();
        for (int i = 0; i < 4 && departed.isEmpty(); i++) {
            tick(250, false);
            departed = fastRead(budget);
        }
        assertThat(departed).isPresent();
        assertThat(publisher.lastReason()).isEqualTo("departure");
        assertThat(web(departed.get()).departures()).singleElement().satisfies(d -> {
            assertThat(d.client()).isEqualTo(MOVER.toString());
            assertThat(d.lastSeenMillisAgo()).isBetween(500L, 1_250L);
        });
        assertThat(web(departed.get()).departures()).extracting(Departure::client)
                .doesNotContain(BYSTANDER.toString());

        tick(250, true);
        assertThat(fastRead(budget)).isPresent();
        assertThat(publisher.lastReason()).isEqualTo("return");
        assertThat(publisher.eventWrites() - startEvents).isEqualTo(4);
        assertThat(budget.spentBytes()).isPositive();
    }

    @Test
    void anEventTheBudgetCannotPayForWaitsAndIsWrittenOnceItCan() {
        EventBudget budget = new EventBudget(1, 0); // refills 1 byte a second: nothing now
        tick(250, true);
        assertThat(fastRead(budget)).isEmpty();
        assertThat(publisher.eventsDeferred()).isEqualTo(1);
        assertThat(budget.refused()).isEqualTo(1);
        EventBudget generous = new EventBudget(1024, 64 * 1024);
        tick(250, true);
        assertThat(fastRead(generous)).as("still news at the next read").isPresent();
        assertThat(publisher.lastReason()).isIn("arrival", "arrival evidence");
    }

    @Test
    void theBudgetRefillsAtItsRateUpToItsBurst() {
        EventBudget b = new EventBudget(1000, 3000);
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        assertThat(b.tryTake(t, 2000)).isTrue();
        assertThat(b.tryTake(t, 2000)).as("1000 left").isFalse();
        assertThat(b.tryTake(t.plusSeconds(1), 2000)).as("refilled to 2000").isTrue();
        assertThat(b.tryTake(t.plusSeconds(60), 3001)).as("never above the burst").isFalse();
        assertThat(b.tryTake(t.plusSeconds(60), 3000)).isTrue();
        assertThat(b.refused()).isEqualTo(2);
        assertThat(new EventBudget(0, 100).tryTake(t, 1)).as("0 B/s is off").isFalse();
    }

    @Test
    void aLightClientIsNeitherAnArrivalNorADeparture() {
        // 1 packet per read against the bystander's 10/s... and 400 other heavy clients: under 2 % of the total
        for (int i = 0; i < 3; i++) {
            source.advanceMillis(250);
            bystanderPackets += 2000;
            source.records.clear();
            source.records.add(new OriginRecord(1, 30080, BYSTANDER, 1, bystanderPackets, 1, 900, 1, 1,
                    source.monotonic, false));
            source.records.add(new OriginRecord(1, 30080, MOVER, 1, i + 1, 1, 700, 1, source.monotonic - 1_000_000 * (i + 1),
                    source.monotonic, false));
            Optional<OriginReport> r = fastRead(new EventBudget(1024, 64 * 1024));
            r.ifPresent(report -> assertThat(web(report).arrivals()).extracting(Arrival::client)
                    .doesNotContain(MOVER.toString()));
        }
        assertThat(publisher.eventWrites() - startEvents).isZero();
    }
}
