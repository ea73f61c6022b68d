package io.edgesched.ebpf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.WatchedService;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ServiceTableTest {
    private static final int ANY = OriginMapLayouts.PORT_ANY_IPV4 | OriginMapLayouts.PORT_ANY_IPV6;

    @Test
    void portOnlyServiceLivesInThePortEntryForBothFamilies() {
        ServiceTable table = new ServiceTable();
        ServiceTable.State next = table.withWatched(WatchedService.of(5, "web", 80));
        assertThat(next.services()).isEmpty();
        assertThat(next.ports()).containsExactlyEntriesOf(Map.of(80, new ServiceTable.PortEntry(ANY, 5, 5)));
    }

    @Test
    void exactAddressGetsAServiceKeyAndTheExactBitNextToTheWildcard() {
        ServiceTable table = new ServiceTable();
        table.commitWatched(WatchedService.port(443));
        WatchedService exact = new WatchedService(7, "api", Optional.of(ClientAddress.parse("10.1.2.3")), 443);
        ServiceTable.State next = table.withWatched(exact);
        byte[] expected = Arrays.copyOf(new byte[] {10, 1, 2, 3}, 16);
        assertThat(next.services()).containsExactlyEntriesOf(Map.of(new ServiceTable.Key(4, 443, expected), 7));
        assertThat(next.ports().get(443))
                .isEqualTo(new ServiceTable.PortEntry(ANY | OriginMapLayouts.PORT_EXACT, 443, 443));
    }

    @Test
    void diffWritesOnlyWhatChangedAndClearsPortsNoLongerWatched() {
        ServiceTable table = new ServiceTable();
        table.commitWatched(WatchedService.port(80));
        table.commitWatched(WatchedService.port(81));
        WatchedService exact = new WatchedService(9, "v6", Optional.of(ClientAddress.parse("fd00::1")), 81);
        table.commitWatched(exact);
        ServiceTable.Diff unwatchExact = ServiceTable.diff(table.current(), table.withoutWatched(9));
        assertThat(unwatchExact.deleteServices()).containsOnly(ServiceTable.exactKey(exact));
        assertThat(unwatchExact.putPorts()).containsExactlyEntriesOf(Map.of(81, new ServiceTable.PortEntry(ANY, 81, 81)));
        assertThat(unwatchExact.clearPorts()).isEmpty();

        ServiceTable.Diff unwatch81 = ServiceTable.diff(table.current(), table.withoutWatched(81));
        assertThat(unwatch81.putPorts()).containsOnlyKeys(81); // still EXACT for service 9
        table.commitUnwatched(9);
        ServiceTable.Diff last = ServiceTable.diff(table.current(), table.withoutWatched(81));
        assertThat(last.clearPorts()).containsOnly(81);
        assertThat(last.putPorts()).isEmpty();
        assertThat(ServiceTable.diff(table.current(), table.withWatched(WatchedService.port(80))).isEmpty()).isTrue();
    }

    @Test
    void rejectsAServiceIdReusedForAnotherPortAndOverlappingServices() {
        ServiceTable table = new ServiceTable();
        table.commitWatched(WatchedService.of(1, "web", 80));
        assertThatThrownBy(() -> table.withWatched(WatchedService.of(1, "web", 8080)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("service id 1 is already watched");
        assertThatThrownBy(() -> table.withWatched(WatchedService.of(2, "other", 80)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("overlaps");
    }
}
