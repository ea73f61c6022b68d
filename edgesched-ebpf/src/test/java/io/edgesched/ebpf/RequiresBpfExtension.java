package io.edgesched.ebpf;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.opentest4j.TestAbortedException;

/** Backs {@link RequiresBpf}: skip without BPF privileges, fail instead under CI=true. */
public final class RequiresBpfExtension implements BeforeAllCallback, BeforeEachCallback {

    @Override
    public void beforeAll(ExtensionContext context) {
        check(context);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        check(context);
    }

    private static void check(ExtensionContext context) {
        if (!Privileges.hasBpfCapabilities()) {
            refuse(context.getDisplayName() + " needs BPF privileges: " + Privileges.describe(),
                    System.getenv("CI"));
        }
    }

    /** Without privileges: skip (TestAbortedException), or fail (AssertionError) when CI is "true". */
    static void refuse(String why, String ciEnvironment) {
        if ("true".equals(ciEnvironment)) {
            throw new AssertionError(why + " (CI=true: BPF tests must run, not skip)");
        }
        throw new TestAbortedException(why);
    }
}
