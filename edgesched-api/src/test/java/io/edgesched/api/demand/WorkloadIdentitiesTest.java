package io.edgesched.api.demand;

import io.edgesched.api.WorkloadId;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class WorkloadIdentitiesTest {
    @Test
    void findsTheSameObjectOnlyNotAnEqualOne() {
        WorkloadIdentities cache = new WorkloadIdentities();
        WorkloadId web = WorkloadId.of("default", "web");
        cache.put(web, 7, 10);
        assertThat(cache.indexOf(web)).isEqualTo(7);
        assertThat(cache.indexOf(WorkloadId.of("default", "web"))).isEqualTo(WorkloadIdentities.ABSENT);
    }

    @Test
    void keepsEveryEntryThroughGrowthAndEmptiesWhenFarLargerThanTheWorkloads() {
        WorkloadIdentities cache = new WorkloadIdentities();
        List<WorkloadId> ids = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            ids.add(WorkloadId.of("ns", "w" + i));
            cache.put(ids.get(i), i, 3000);
        }
        for (int i = 0; i < 3000; i++) {
            assertThat(cache.indexOf(ids.get(i))).isEqualTo(i);
        }
        // a catalog that answers with new objects each time: bounded by 2 x workloads + 1024
        for (int i = 0; i < 20_000; i++) {
            cache.put(WorkloadId.of("ns", "w" + (i % 10)), i % 10, 10);
        }
        assertThat(cache.size()).isLessThanOrEqualTo(2 * 10 + 1024);
    }
}
