package io.edgesched.k8s.report;

import io.edgesched.api.NodeId;
import io.edgesched.api.WorkloadId;
import io.edgesched.api.demand.DemandView;
import io.edgesched.api.demand.EntryDemand;
import io.edgesched.api.demand.Handoff;
import io.edgesched.api.demand.WorkloadDemand;
import io.edgesched.k8s.topology.EngineTopology.NodeLatency;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;

/** Adapts {@link ReportedDemand} to the engine's {@link DemandView} and latency measurements. */
public final class ReportDemandView {
    private ReportDemandView() {
    }

    public static DemandView demandView(ReportedDemand demand, Instant at) {
        List<WorkloadDemand> workloads = new ArrayList<>(demand.workloads().size());
        for (Map.Entry<WorkloadId, SortedMap<NodeId, ReportedDemand.Entry>> w : demand.workloads().entrySet()) {
            List<EntryDemand> entries = new ArrayList<>(w.getValue().size());
            w.getValue().forEach((node, e) -> entries.add(new EntryDemand(node, Math.max(0, e.ratePerSecond()),
                    e.meanRttMicros(), (int) Math.min(Integer.MAX_VALUE, e.clients()))));
            workloads.add(new WorkloadDemand(w.getKey(), entries));
        }
        Map<WorkloadId, List<Handoff>> handoffs = new HashMap<>();
        for (Handoff h : demand.handoffs()) {
            handoffs.computeIfAbsent(h.workload(), w -> new ArrayList<>()).add(h);
        }
        return DemandView.of(at, workloads, handoffs);
    }

    public static List<NodeLatency> latencies(ReportedDemand demand) {
        return demand.links().stream().map(l -> new NodeLatency(l.from(), l.to(), l.rttMicros())).toList();
    }
}
