package io.edgesched.k8s.report;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgesched.api.NodeId;
import io.edgesched.api.WorkloadId;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A report names the one counter its rates measure; a controller reading another leaves its demand out. */
class ReportedDemandMetricTest {
    static OriginReportWatcher.ReceivedReport report(String node, String metric) {
        OriginReport r = new OriginReport();
        r.setMetadata(new ObjectMetaBuilder().withName(node).build());
        r.setSpec(new OriginReportSpec(node, "2026-01-01T00:00:00Z", 10, List.of(
                new OriginReportSpec.WorkloadOrigins("web", "shop", 30080, List.of(
                        new OriginReportSpec.ClientDemand("192.0.2.1", 1, 0, 0, 5000, 1000)),
                        OriginReportSpec.OtherClients.NONE)),
                List.of(new OriginReportSpec.NodeRtt("edge-9", 700)), metric));
        return new OriginReportWatcher.ReceivedReport(r, Instant.EPOCH, Instant.EPOCH);
    }

    @Test
    void demandInAnotherMetricIsLeftOutButNodeRttsStillCount() {
        ReportedDemand d = ReportedDemand.from(List.of(report("edge-1", "bytes"), report("edge-2", null)),
                ReportedDemand.Rate.PACKETS);
        assertThat(d.wrongMetric()).containsExactly(NodeId.of("edge-1"));
        assertThat(d.workloads().get(WorkloadId.of("shop", "web"))).containsOnlyKeys(NodeId.of("edge-2"));
        assertThat(d.links()).extracting(ReportedDemand.Link::from).containsExactly(NodeId.of("edge-1"), NodeId.of("edge-2"));
    }

    @Test
    void theMatchingMetricCounts() {
        ReportedDemand d = ReportedDemand.from(List.of(report("edge-1", "bytes")), ReportedDemand.Rate.BYTES);
        assertThat(d.wrongMetric()).isEmpty();
        assertThat(d.workloads().get(WorkloadId.of("shop", "web")).get(NodeId.of("edge-1")).ratePerSecond()).isEqualTo(5000);
    }
}
