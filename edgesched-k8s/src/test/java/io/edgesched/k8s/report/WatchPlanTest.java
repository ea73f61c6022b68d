package io.edgesched.k8s.report;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.WatchedService;
import io.edgesched.api.WorkloadId;
import io.edgesched.k8s.topology.PortBinding;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class WatchPlanTest {
    static final WorkloadId WEB = WorkloadId.of("shop", "web");
    static final WorkloadId API = WorkloadId.of("shop", "api");

    static PortBinding nodePort(int port, WorkloadId w) {
        return new PortBinding(PortBinding.Kind.NODE_PORT, Optional.empty(), port, w, "service");
    }

    static PortBinding podPort(String ip, int port, WorkloadId w) {
        return new PortBinding(PortBinding.Kind.POD_PORT, Optional.of(ClientAddress.parse(ip)), port, w, "slice");
    }

    @Test
    void keepsIdsStableUnwatchesWhatIsGoneAndReusesFreedIds() {
        FakeOriginSource source = new FakeOriginSource("edge-1");
        WatchPlan plan = new WatchPlan();
        plan.apply(List.of(nodePort(30080, WEB), podPort("10.244.1.5", 8080, WEB)), source);
        assertThat(source.watched()).hasSize(2);
        int nodePortId = source.watched().stream().filter(s -> s.port() == 30080).findFirst().orElseThrow().serviceId();
        int podId = source.watched().stream().filter(s -> s.port() == 8080).findFirst().orElseThrow().serviceId();
        assertThat(source.watched().stream().filter(s -> s.port() == 8080).findFirst().orElseThrow().localAddress())
                .contains(ClientAddress.parse("10.244.1.5"));

        // the pod left; the NodePort now fronts another workload; a new NodePort appears
        plan.apply(List.of(nodePort(30080, API), nodePort(30090, WEB)), source);
        assertThat(source.watched()).extracting(WatchedService::port).containsExactlyInAnyOrder(30080, 30090);
        assertThat(source.watched().stream().filter(s -> s.port() == 30080).findFirst().orElseThrow().serviceId())
                .isEqualTo(nodePortId);                                  // still counting under the same id
        assertThat(plan.workloadFor(nodePortId)).contains(new WorkloadPort(API, 30080));
        assertThat(source.watched().stream().filter(s -> s.port() == 30090).findFirst().orElseThrow().serviceId())
                .isEqualTo(podId);                                       // the freed id is reused
        assertThat(plan.workloadFor(podId)).contains(new WorkloadPort(WEB, 30090));

        plan.apply(List.of(), source);
        assertThat(source.watched()).isEmpty();
        assertThat(plan.workloadFor(nodePortId)).isEmpty();
    }

    @Test
    void oneFailedWatchLeavesTheOthersAndThePlanInStepWithTheKernel() {
        java.util.Set<Integer> fullPorts = new java.util.HashSet<>(java.util.Set.of(30090));
        FakeOriginSource source = new FakeOriginSource("edge-1") {
            @Override
            public void watch(WatchedService service) {
                if (fullPorts.contains(service.port())) {
                    throw new IllegalStateException("service table full (injected)");
                }
                super.watch(service);
            }
        };
        WatchPlan plan = new WatchPlan();
        assertThat(plan.apply(List.of(nodePort(30080, WEB), nodePort(30090, API)), source)).isEqualTo(1);
        assertThat(source.watched()).extracting(WatchedService::port).containsExactly(30080);
        assertThat(plan.services()).as("the plan holds only what the kernel accepted")
                .extracting(WatchedService::port).containsExactly(30080);
        assertThat(plan.failures()).isEqualTo(1);
        int webId = source.watched().iterator().next().serviceId();
        assertThat(plan.workloadFor(webId)).contains(new WorkloadPort(WEB, 30080));

        fullPorts.clear(); // room again: the next sync catches up
        assertThat(plan.apply(List.of(nodePort(30080, WEB), nodePort(30090, API)), source)).isZero();
        assertThat(source.watched()).extracting(WatchedService::port).containsExactlyInAnyOrder(30080, 30090);
        assertThat(plan.services()).hasSize(2);
        assertThat(source.watched()).extracting(WatchedService::serviceId).doesNotHaveDuplicates();
    }
}
