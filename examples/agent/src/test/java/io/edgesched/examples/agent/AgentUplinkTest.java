package io.edgesched.examples.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.NodeId;
import io.edgesched.k8s.topology.ClusterNode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AgentUplinkTest {
    static ClusterNode node(String... addresses) {
        return new ClusterNode(NodeId.of("n"), Map.of(), List.of(addresses).stream().map(ClientAddress::parse).toList(),
                List.of(), true, false, List.of());
    }

    @Test
    void theUplinkIsTheInterfaceHoldingANodeAddress() throws Exception {
        assertThat(AgentMain.uplinkOf(node("192.0.2.254", "127.0.0.1"))).isEqualTo("lo");
    }

    @Test
    void noLocalAddressAsksForInterface() {
        assertThatThrownBy(() -> AgentMain.uplinkOf(node("192.0.2.254")))
                .hasMessageContaining("hostNetwork").hasMessageContaining("--interface");
    }
}
