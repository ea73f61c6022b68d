package io.edgesched.ebpf.libbpf;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgesched.ebpf.PermissionDeniedException;
import io.edgesched.ebpf.RequiresBpf;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Loads in a child JVM whose capabilities were dropped (setpriv): must fail with EPERM and say what to do. */
@RequiresBpf
class UnprivilegedLoadTest {

    @Test
    void loadWithoutCapabilitiesIsPermissionDeniedWithHint() {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Shell.Result result = Shell.run("setpriv", "--inh-caps=-all", "--bounding-set=-all", "--",
                java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                UnprivilegedProbe.class.getName());

        assertThat(result.exitCode()).as(result.output()).isZero();
        assertThat(result.output()).contains("CAPS false");
        assertThat(result.output()).contains("RESULT PermissionDeniedException 1");
        assertThat(result.output()).contains("load BPF object 'count'").contains("EPERM")
                .contains(PermissionDeniedException.HINT);
    }
}
