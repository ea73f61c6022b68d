package io.edgesched.ebpf.libbpf;

/**
 * Result of BPF_PROG_TEST_RUN.
 *
 * @param retval the program's return value (for tc: TC_ACT_*)
 * @param durationNs average time per repetition in nanoseconds, as the kernel measured it
 * @param dataOut the packet after the program ran
 */
public record TestRunResult(int retval, long durationNs, byte[] dataOut) {
}
