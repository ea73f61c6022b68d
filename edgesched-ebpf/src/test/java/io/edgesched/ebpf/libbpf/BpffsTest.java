package io.edgesched.ebpf.libbpf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edgesched.ebpf.BpffsMissingException;
import io.edgesched.ebpf.RequiresBpf;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Pinning needs bpffs: a fresh mount of our own works, another filesystem is a typed refusal, /sys/fs/bpf gets mounted. */
@RequiresBpf
class BpffsTest {
    private static final byte[] KEY = {0, 0, 0, 0};
    private static final byte[] VALUE = {1, 2, 3, 4, 5, 6, 7, 8};

    @Test
    void pinsIntoAFreshBpffsMountOfItsOwn() throws IOException {
        Path dir = Files.createTempDirectory("edgesched-bpffs-");
        Shell.ok("mount", "-t", "bpf", "bpf", dir.toString());
        try {
            assertThat(Bpffs.isBpffs(dir)).isTrue();
            Path pin = dir.resolve("sub").resolve("array");
            Files.createDirectories(pin.getParent());
            try (BpfMap map = BpfMap.create(MapType.ARRAY, "pintest", 4, 8, 1, 0)) {
                map.update(KEY, VALUE, UpdateFlag.ANY);
                map.pin(pin.toString());
            }
            try (BpfMap reopened = BpfMap.openPinned(pin.toString())) {
                assertThat(reopened.lookup(KEY)).hasValue(VALUE);
            }
            Files.delete(pin);
        } finally {
            Shell.ok("umount", dir.toString());
            Files.delete(dir);
        }
        assertThat(Bpffs.isBpffs(dir.getParent())).isFalse();
    }

    @Test
    void aPathElsewhereThatIsNotBpffsIsATypedErrorWithTheExactHint() throws IOException {
        Path dir = Files.createTempDirectory("edgesched-notbpffs-");
        try (BpfMap map = BpfMap.create(MapType.ARRAY, "pintest", 4, 8, 1, 0)) {
            Path pin = dir.resolve("not-yet").resolve("array");
            assertThatThrownBy(() -> map.pin(pin.toString()))
                    .isInstanceOfSatisfying(BpffsMissingException.class, e -> {
                        assertThat(e.hint()).isEqualTo("pin under /sys/fs/bpf or mount bpffs first: mount -t bpf bpf "
                                + dir);
                        assertThat(e.path()).isEqualTo(pin.toString());
                        assertThat(e.getMessage()).contains("is not on bpffs").endsWith("(" + e.hint() + ")");
                    });
            assertThat(pin.getParent()).doesNotExist();
        } finally {
            Files.delete(dir);
        }
    }

    @Test
    void mountsBpffsAtSysFsBpfWhenItIsMissingAndMayMount() {
        String output = probeInPrivateMountNamespace(false);
        assertThat(output).as(output).contains("BEFORE false").contains("PINNED true true");
    }

    @Test
    void withoutCapSysAdminAMissingSysFsBpfIsRefusedWithTheExactMountCommand() {
        String output = probeInPrivateMountNamespace(true);
        assertThat(output).as(output).contains("BEFORE false")
                .contains("REFUSED 1 HINT[mount -t bpf bpf /sys/fs/bpf]");
    }

    /** A child JVM in a mount namespace of its own (private propagation) with /sys/fs/bpf unmounted there. */
    private static String probeInPrivateMountNamespace(boolean dropSysAdmin) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> javaCommand = new ArrayList<>();
        if (dropSysAdmin) {
            javaCommand.addAll(List.of("setpriv", "--inh-caps=-sys_admin", "--bounding-set=-sys_admin", "--"));
        }
        javaCommand.addAll(List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), BpffsProbe.class.getName()));
        String script = "while mountpoint -q /sys/fs/bpf; do umount /sys/fs/bpf || exit 3; done; exec \"$@\"";
        List<String> command = new ArrayList<>(List.of("unshare", "--mount", "--propagation", "private", "--",
                "sh", "-c", script, "sh"));
        command.addAll(javaCommand);
        Shell.Result result = Shell.run(command.toArray(String[]::new));
        assertThat(result.exitCode()).as(result.output()).isZero();
        return result.output();
    }
}
