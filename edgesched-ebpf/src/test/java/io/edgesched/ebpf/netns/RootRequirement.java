package io.edgesched.ebpf.netns;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/** Tests that need root: skipped without it, except under CI=true where a missing privilege fails. */
public final class RootRequirement {
    private RootRequirement() {
    }

    public static boolean isRoot() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .filter(l -> l.startsWith("Uid:"))
                    .map(l -> l.split("\\s+")[2]) // effective uid
                    .anyMatch("0"::equals);
        } catch (IOException e) {
            return false;
        }
    }

    public static void assumeRoot() {
        if (isRoot()) {
            return;
        }
        String why = "this test needs root (network namespaces, eBPF); run it as root";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            Assertions.fail(why + " (CI=true: a missing privilege is a failure, not a skip)");
        }
        Assumptions.abort(why);
    }
}
