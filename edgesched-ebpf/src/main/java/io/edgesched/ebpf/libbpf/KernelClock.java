package io.edgesched.ebpf.libbpf;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * The kernel clocks the BPF programs stamp with, read through libc's clock_gettime (vDSO, no system call).
 *
 * <ul>
 *   <li>{@link #monotonicNanos()}: CLOCK_MONOTONIC, the clock of {@code bpf_ktime_get_ns()} (the RTT samples).</li>
 *   <li>{@link #monotonicCoarseNanos()}: CLOCK_MONOTONIC_COARSE, the clock of {@code bpf_ktime_get_coarse_ns()}
 *       (the origin programs' first/last-seen times): the same clock as CLOCK_MONOTONIC, advanced once per
 *       tick, so it trails {@link #monotonicNanos()} by less than {@link #coarseResolutionNanos()}.</li>
 * </ul>
 * Reading the clock explicitly rather than through {@link System#nanoTime()} keeps the link to the kernel's
 * clock independent of how the JVM implements nanoTime.
 */
public final class KernelClock {
    static final int CLOCK_MONOTONIC = 1;
    static final int CLOCK_MONOTONIC_COARSE = 6;

    // A few-nanosecond call that never upcalls: critical, so a heap array can receive the timespec.
    private static final MethodHandle CLOCK_GETTIME = LibC.handle("clock_gettime",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS), Linker.Option.critical(true));
    private static final MethodHandle CLOCK_GETRES = LibC.handle("clock_getres",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS), Linker.Option.critical(true));

    private KernelClock() {
    }

    /** clock_gettime(CLOCK_MONOTONIC) in nanoseconds: comparable with bpf_ktime_get_ns() timestamps. */
    public static long monotonicNanos() {
        return read(CLOCK_GETTIME, CLOCK_MONOTONIC, "clock_gettime(CLOCK_MONOTONIC)");
    }

    /** clock_gettime(CLOCK_MONOTONIC_COARSE) in nanoseconds: what bpf_ktime_get_coarse_ns() returns now. */
    public static long monotonicCoarseNanos() {
        return read(CLOCK_GETTIME, CLOCK_MONOTONIC_COARSE, "clock_gettime(CLOCK_MONOTONIC_COARSE)");
    }

    /** clock_getres(CLOCK_MONOTONIC_COARSE): one kernel tick (1 / CONFIG_HZ), e.g. 4 ms at HZ=250. */
    public static long coarseResolutionNanos() {
        return read(CLOCK_GETRES, CLOCK_MONOTONIC_COARSE, "clock_getres(CLOCK_MONOTONIC_COARSE)");
    }

    private static long read(MethodHandle call, int clock, String what) {
        long[] timespec = new long[2]; // struct timespec {time_t tv_sec; long tv_nsec;} on 64-bit Linux
        int rc;
        try {
            rc = (int) call.invokeExact(clock, MemorySegment.ofArray(timespec));
        } catch (Throwable t) {
            throw Errors.rethrow(t);
        }
        if (rc != 0) {
            throw new IllegalStateException(what + " failed (rc " + rc + "): the kernel lacks this clock");
        }
        return timespec[0] * 1_000_000_000L + timespec[1];
    }
}
