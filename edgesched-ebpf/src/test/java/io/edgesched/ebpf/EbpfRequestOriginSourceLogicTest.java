package io.edgesched.ebpf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.NodeId;
import io.edgesched.api.OriginRecord;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.WatchedService;
import org.junit.jupiter.api.Test;

/** The source's bookkeeping against an in-memory kernel; the real kernel is exercised by the netns tests. */
class EbpfRequestOriginSourceLogicTest {
    private final InMemoryOriginKernel kernel = new InMemoryOriginKernel();
    private final EbpfRequestOriginSource source = new EbpfRequestOriginSource(NodeId.of("n1"), kernel, false);
    private static final byte[] CLIENT = {10, 0, 0, 7};

    @Test
    void watchFillsServicesAndPortsAndSnapshotMapsRecords() {
        source.watch(WatchedService.port(80));
        kernel.packet(80, CLIENT, 60, true);
        kernel.packet(80, CLIENT, 1052, false);
        kernel.packet(81, CLIENT, 60, true); // not watched

        OriginSnapshot snapshot = source.snapshot();
        assertThat(snapshot.node()).isEqualTo(NodeId.of("n1"));
        assertThat(snapshot.generation()).isEqualTo(1);
        assertThat(snapshot.records()).singleElement().satisfies(r -> {
            assertThat(r.client()).isEqualTo(ClientAddress.parse("10.0.0.7"));
            assertThat(r.localPort()).isEqualTo(80);
            assertThat(r.serviceId()).isEqualTo(80);
            assertThat(r.connections()).isEqualTo(1);
            assertThat(r.packets()).isEqualTo(2);
            assertThat(r.bytes()).isEqualTo(1112);
            assertThat(r.rtt()).isEmpty();
            assertThat(r.lastSeenNanos()).isLessThanOrEqualTo(snapshot.monotonicNanos());
        });
        assertThat(snapshot.stats().packetsSeen()).isEqualTo(3);
        assertThat(snapshot.stats().clientTableFull()).isZero();
        assertThat(source.watched()).containsOnly(WatchedService.port(80));
    }

    @Test
    void unwatchStopsCountingDeletesRecordsAndIsNotMistakenForEviction() {
        source.watch(WatchedService.port(80));
        source.watch(WatchedService.port(443));
        kernel.packet(80, CLIENT, 60, true);
        kernel.packet(443, CLIENT, 60, true);
        source.unwatch(80);
        kernel.packet(80, CLIENT, 60, true);

        OriginSnapshot snapshot = source.snapshot();
        assertThat(snapshot.records()).extracting(OriginRecord::localPort).containsOnly(443);
        assertThat(kernel.ports).containsOnlyKeys(443);
        assertThat(snapshot.stats().clientTableFull()).isZero();
    }

    @Test
    void clientsInsertedButGoneAreCountedAsOverflow() {
        source.watch(WatchedService.port(80));
        kernel.packet(80, CLIENT, 60, true);
        kernel.packet(80, new byte[] {10, 0, 0, 8}, 60, true);
        kernel.clients.removeFirst(); // what the LRU does when full
        assertThat(source.snapshot().stats().clientTableFull()).isEqualTo(1);
    }

    @Test
    void withClusterNodesEveryWatchedPortAsksForTheNodeCheck() {
        EbpfRequestOriginSource checking = new EbpfRequestOriginSource(NodeId.of("n1"), kernel, true);
        checking.watch(WatchedService.port(80));
        assertThat(kernel.ports.get(80).flags() & OriginMapLayouts.PORT_CHECK_NODES).isNotZero();
        source.watch(WatchedService.port(81));
        assertThat(kernel.ports.get(81).flags() & OriginMapLayouts.PORT_CHECK_NODES).isZero();
    }

    @Test
    void rttIsReportedInMicrosOnlyWithSamples() {
        OriginRecord record = OriginSnapshots.toRecord(new OriginKernel.RawClient(1, 80,
                new byte[16], 1, 3, 200, 1, 2, 41_600, 40_000, 2, OriginMapLayouts.CLIENT_FORWARDED));
        assertThat(record.rtt()).hasValue(42);
        assertThat(record.forwarded()).isTrue();
        assertThat(record.client().isIpv4()).isFalse();
    }

    @Test
    void closeIsIdempotentAndLaterUseSaysSo() {
        source.close();
        source.close();
        assertThat(kernel.closeCalls).isEqualTo(1);
        assertThatThrownBy(source::snapshot).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }
}
