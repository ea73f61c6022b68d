package io.edgesched.api.demand;

import io.edgesched.api.WorkloadId;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class WorkloadIdentitiesTest {
    @Test
    void findsTheSameObjectOnlyNotAnEqualOne() {
        WorkloadId web = WorkloadId.of("default", "web");
        WorkloadIdentities table = WorkloadIdentities.EMPTY.with(Map.of(web, 7), 10);
        assertThat(table.indexOf(web)).isEqualTo(7);
        assertThat(table.indexOf(WorkloadId.of("default", "web"))).isEqualTo(WorkloadIdentities.ABSENT);
        assertThat(WorkloadIdentities.EMPTY.indexOf(web)).as("the old table is not changed").isEqualTo(WorkloadIdentities.ABSENT);
    }

    @Test
    void keepsEveryEntryAcrossCopiesAndStartsOverWhenFarLargerThanTheWorkloads() {
        List<WorkloadId> ids = new ArrayList<>();
        WorkloadIdentities table = WorkloadIdentities.EMPTY;
        for (int batch = 0; batch < 3; batch++) {
            Map<WorkloadId, Integer> added = new IdentityHashMap<>();
            for (int i = 0; i < 1000; i++) {
                WorkloadId id = WorkloadId.of("ns", "w" + ids.size());
                added.put(id, ids.size());
                ids.add(id);
            }
            table = table.with(added, 3000);
        }
        assertThat(table.size()).isEqualTo(3000);
        for (int i = 0; i < ids.size(); i++) {
            assertThat(table.indexOf(ids.get(i))).isEqualTo(i);
        }
        // a catalog that answers with new objects each time: bounded by 2 x workloads + 1024
        for (int batch = 0; batch < 50; batch++) {
            Map<WorkloadId, Integer> added = new IdentityHashMap<>();
            for (int i = 0; i < 10; i++) {
                added.put(WorkloadId.of("ns", "w" + i), i);
            }
            table = table.with(added, 10);
            assertThat(table.size()).isLessThanOrEqualTo(2 * 10 + 1024);
        }
    }
}
