package io.edgesched.ebpf.libbpf;

/** The test BPF objects compiled from src/test/bpf. */
final class TestObjects {
    private TestObjects() {
    }

    static BpfObject open(String name) {
        return BpfObject.openResource(TestObjects.class, "/io/edgesched/ebpf/testbpf/" + name + ".bpf.o");
    }
}
