package com.example.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edgesched.api.NodeId;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.WatchedService;
import io.edgesched.api.WorkloadId;
import io.edgesched.api.control.RoundReport;
import io.edgesched.api.demand.ServiceCatalog;
import io.edgesched.api.policy.WorkloadSpec;
import io.edgesched.api.topology.LatencyMatrix;
import io.edgesched.api.topology.MissingLatency;
import io.edgesched.api.topology.NodeInfo;
import io.edgesched.api.topology.Placement;
import io.edgesched.api.topology.Topology;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The eBPF module on the module path: its programs load from inside the named module's jar and its FFM calls are
 * allowed by --enable-native-access=io.edgesched.ebpf. Runs as root in a network namespace of its own (on its
 * loopback, no traffic); without root it is skipped, except under CI=true, where it fails.
 */
class KernelFedControllerTest {
    static final NodeId EDGE = NodeId.of("edge-1");
    static final WorkloadId WEB = WorkloadId.of("shop", "web");

    @Test
    void kernelSourceOpensOnTheModulePathAndFeedsOurController() throws Exception {
        boolean root = Files.readAllLines(Path.of("/proc/self/status")).stream()
                .anyMatch(l -> l.startsWith("Uid:") && l.split("\\s+")[1].equals("0"));
        if (!root && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("CI=true but not root: the eBPF module test must run here");
        }
        Assumptions.assumeTrue(root, "needs root (eBPF, network namespaces)");
        String ns = "esCC-" + ProcessHandle.current().pid();
        run("ip", "netns", "add", ns);
        try {
            run("ip", "-n", ns, "link", "set", "lo", "up");
            Topology topology = new Topology(List.of(NodeInfo.ready(EDGE)),
                    LatencyMatrix.builder(List.of(EDGE)).build(MissingLatency.SYMMETRIC), List.of(Placement.of(WEB, EDGE)));
            AuditedRescheduler mover = new AuditedRescheduler(r -> { }, Set.of());
            try (KernelFedController fed = KernelFedController.open(EDGE, "lo", ns, List.of(WatchedService.port(8080)),
                    ServiceCatalog.byServiceId(Map.of(8080, WEB)), () -> topology, List.of(WorkloadSpec.of(WEB, 1)),
                    "eu", mover, InstantSource.system())) {
                assertThat(fed.source().getClass().getModule().getName()).isEqualTo("io.edgesched.ebpf");
                assertThat(fed.source().watched()).extracting(WatchedService::port).containsExactly(8080);
                OriginSnapshot snapshot = fed.source().snapshot();
                assertThat(snapshot.node()).isEqualTo(EDGE);
                assertThat(snapshot.records()).isEmpty();
                RoundReport round = fed.controller().reconcileOnce();
                assertThat(round.decisions()).singleElement().satisfies(d -> assertThat(d.workload()).isEqualTo(WEB));
            }
            assertThat(mover.requests()).isEmpty();
        } finally {
            run("ip", "netns", "delete", ns);
        }
    }

    @Test
    void aMissingUplinkIsRefusedBeforeTheKernelIsTouched() {
        assertThatThrownBy(() -> KernelFedController.open(EDGE, " ", null, List.of(), ServiceCatalog.byServiceId(Map.of()),
                () -> null, List.of(), "eu", new AuditedRescheduler(r -> { }, Set.of()), InstantSource.system()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("interfaceName");
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", command) + ": " + out).isZero();
    }
}
