package io.edgesched.ebpf.netns;

import io.edgesched.api.NodeId;
import io.edgesched.api.OriginSourceException;
import io.edgesched.ebpf.EbpfRequestOriginSource;

/**
 * Run as an unprivileged user by the tests: tries to open the source on "lo" and prints what failed,
 * as {@code FAILED <cause class> <message>} or {@code OPENED} if it unexpectedly could.
 */
public final class UnprivilegedAttempt {
    private UnprivilegedAttempt() {
    }

    public static void main(String[] args) {
        try (var source = EbpfRequestOriginSource.builder().node(NodeId.of("unprivileged")).interfaceName("lo")
                .open()) {
            System.out.println("OPENED " + source.attachedTo());
        } catch (OriginSourceException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            System.out.println("FAILED " + cause.getClass().getSimpleName() + " " + e.getMessage());
        }
    }
}
