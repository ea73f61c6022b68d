package io.edgesched.ebpf.libbpf;

import io.edgesched.ebpf.BpfException;
import io.edgesched.ebpf.Privileges;

/** Run by {@link UnprivilegedLoadTest} in a child JVM without capabilities: tries to load and reports. */
public final class UnprivilegedProbe {
    private UnprivilegedProbe() {
    }

    public static void main(String[] args) {
        System.out.println("CAPS " + Privileges.hasBpfCapabilities());
        try (BpfObject object = TestObjects.open("count")) {
            object.load();
            System.out.println("RESULT loaded");
        } catch (BpfException e) {
            System.out.println("RESULT " + e.getClass().getSimpleName() + " " + e.errno());
            System.out.println("MESSAGE " + e.getMessage().replace('\n', ' '));
        }
    }
}
