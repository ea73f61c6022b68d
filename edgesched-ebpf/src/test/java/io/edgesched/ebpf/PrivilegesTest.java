package io.edgesched.ebpf;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class PrivilegesTest {
    private static final List<String> ROOT_STATUS = List.of("Name:\tjava", "Uid:\t0\t0\t0\t0",
            "CapEff:\t000001ffffffffff");
    private static final List<String> NOBODY_STATUS = List.of("Uid:\t65534\t65534\t65534\t65534",
            "CapEff:\t0000000000000000");
    private static final List<String> BPF_ONLY = List.of("Uid:\t1000\t1000\t1000\t1000",
            "CapEff:\t0000008000000000"); // CAP_BPF (39) only

    @Test
    void parsesUidAndCapabilities() {
        assertThat(Privileges.effectiveUid(ROOT_STATUS)).isZero();
        assertThat(Privileges.effectiveUid(NOBODY_STATUS)).isEqualTo(65534);
        long root = Privileges.effectiveCapabilities(ROOT_STATUS);
        assertThat(Privileges.has(root, Privileges.CAP_BPF)).isTrue();
        assertThat(Privileges.has(root, Privileges.CAP_NET_ADMIN)).isTrue();
        long bpfOnly = Privileges.effectiveCapabilities(BPF_ONLY);
        assertThat(Privileges.has(bpfOnly, Privileges.CAP_BPF)).isTrue();
        assertThat(Privileges.has(bpfOnly, Privileges.CAP_NET_ADMIN)).isFalse();
        assertThat(Privileges.effectiveCapabilities(NOBODY_STATUS)).isZero();
    }

    @Test
    void liveAnswersAreConsistent() {
        String description = Privileges.describe();
        assertThat(description.equals("ok")).isEqualTo(Privileges.hasBpfCapabilities());
        if (!Privileges.hasBpfCapabilities()) {
            assertThat(description).contains(PermissionDeniedException.HINT);
        }
        assertThat(Privileges.isRoot()).isEqualTo("root".equals(System.getProperty("user.name")));
    }
}
