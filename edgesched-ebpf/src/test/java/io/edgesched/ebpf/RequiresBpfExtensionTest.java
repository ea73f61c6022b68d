package io.edgesched.ebpf;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

class RequiresBpfExtensionTest {

    @Test
    void unprivilegedSkipsLocallyButFailsUnderCi() {
        assertThatThrownBy(() -> RequiresBpfExtension.refuse("t needs BPF", null))
                .isInstanceOf(TestAbortedException.class);
        assertThatThrownBy(() -> RequiresBpfExtension.refuse("t needs BPF", "false"))
                .isInstanceOf(TestAbortedException.class);
        assertThatThrownBy(() -> RequiresBpfExtension.refuse("t needs BPF", "true"))
                .isInstanceOf(AssertionError.class).hasMessageContaining("CI=true");
    }
}
