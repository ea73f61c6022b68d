package io.edgesched.api.demand;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.NodeId;
import io.edgesched.api.OriginRecord;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.OriginStats;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

import java.time.Duration;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * A client whose kernel entry, agent and node misbehave at random (entry evicted and re-created, agent restart,
 * reboot, records or whole snapshots missing): the measured rate is never negative, never above the highest
 * true rate (no spikes), and still converges once things calm down.
 */
class DemandStorePropertiesTest {
    private static final double MAX_RATE = 100;

    /** The kernel's view of one client on one node. */
    private static final class Kernel {
        long bootNanos = 50_000_000_000L;
        double uptime;          // seconds since boot
        long counter;
        long firstSeen;         // monotonic nanos
        long generation = 1;

        long mono() {
            return bootNanos + (long) (uptime * 1e9);
        }

        OriginRecord record() {
            return new OriginRecord(8080, 8080, ClientAddress.parse("10.9.8.7"), 1, counter, counter * 100, 1500, 1,
                    firstSeen, mono(), false);
        }
    }

    @Property(tries = 80)
    void ratesStayWithinTheTrueRangeWhateverHappens(@ForAll long seed) {
        Random rnd = new Random(seed);
        DemandStore store = new DemandStore(DemandStoreTest.CATALOG, DemandStoreTest.CONFIG);
        Kernel k = new Kernel();
        k.firstSeen = k.bootNanos;       // the client has been around since boot...
        k.uptime = 3600;
        k.counter = 1_000_000;           // ...with a large count from before the store started
        double wall = 0;
        for (int step = 0; step < 80; step++) {
            int event = rnd.nextInt(20);
            double dt = event == 6 ? 700 : 1 + rnd.nextInt(30); // 6: a long silence, beyond staleAfter
            double rate = rnd.nextDouble() * MAX_RATE;
            long increment = (long) Math.floor(rate * dt);
            double before = k.uptime;
            wall += dt;
            k.uptime += dt;
            switch (event) {
                case 0, 1 -> { // entry evicted and re-created during the interval: count restarts
                    double recreatedAt = before + rnd.nextDouble() * dt;
                    k.firstSeen = k.bootNanos + (long) Math.ceil(recreatedAt * 1e9);
                    k.counter = (long) Math.floor(rate * (k.uptime - recreatedAt));
                }
                case 2 -> { // agent restart: new generation, counters from zero since the restart
                    double restartAt = before + rnd.nextDouble() * dt;
                    k.generation++;
                    k.firstSeen = k.bootNanos + (long) Math.ceil(restartAt * 1e9);
                    k.counter = (long) Math.floor(rate * (k.uptime - restartAt));
                }
                case 3 -> { // reboot: monotonic clock starts again near zero
                    k.generation++;
                    k.bootNanos = 0;
                    k.uptime = rnd.nextDouble() * dt;
                    k.firstSeen = 0;
                    k.counter = (long) Math.floor(rate * k.uptime);
                }
                default -> k.counter += increment;
            }
            List<OriginRecord> records = event == 4 || event == 6 ? List.of() : List.of(k.record()); // record missing
            if (event != 5) { // 5: the whole snapshot is lost
                store.ingest(new OriginSnapshot(NodeId.of("n1"), Snapshots.time(wall), k.mono(), k.generation, records,
                        OriginStats.EMPTY));
            }
            double measured = store.view(Snapshots.time(wall)).demand(DemandStoreTest.WEB).totalRate();
            assertThat(measured).as("step %d event %d", step, event).isFinite().isGreaterThanOrEqualTo(0)
                    .isLessThanOrEqualTo(MAX_RATE * 1.01);
        }
        // calm: 50/s for 10 half-lives
        for (int step = 0; step < 60; step++) {
            wall += 5;
            k.uptime += 5;
            k.counter += 250;
            store.ingest(new OriginSnapshot(NodeId.of("n1"), Snapshots.time(wall), k.mono(), k.generation,
                    List.of(k.record()), OriginStats.EMPTY));
        }
        assertThat(store.view(Snapshots.time(wall)).demand(DemandStoreTest.WEB).totalRate()).isCloseTo(50, within(1.0));
        assertThat(store.config().halfLife()).isEqualTo(Duration.ofSeconds(30));
    }
}
