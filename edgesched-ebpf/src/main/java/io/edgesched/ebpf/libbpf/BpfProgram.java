package io.edgesched.ebpf.libbpf;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** A program of a {@link BpfObject}; usable after the object is loaded, until it is closed. */
public final class BpfProgram {
    // struct bpf_test_run_opts as of libbpf 1.1 (sizeof 80)
    static final long TEST_RUN_OPTS_SIZE = 80;
    private static final long TR_DATA_IN = 8;
    private static final long TR_DATA_OUT = 16;
    private static final long TR_DATA_SIZE_IN = 24;
    private static final long TR_DATA_SIZE_OUT = 28;
    private static final long TR_RETVAL = 56;
    private static final long TR_REPEAT = 60;
    private static final long TR_DURATION = 64;

    private final BpfObject owner;
    private final MemorySegment handle;
    private final String name;
    private volatile int fd = -1;

    BpfProgram(BpfObject owner, MemorySegment handle) {
        this.owner = owner;
        this.handle = handle;
        try {
            this.name = BpfObject.cString((MemorySegment) Libbpf.PROGRAM_NAME.invokeExact(handle));
        } catch (Throwable t) {
            throw Errors.rethrow(t);
        }
    }

    void afterLoad() {
        try {
            int programFd = (int) Libbpf.PROGRAM_FD.invokeExact(handle);
            fd = programFd;
        } catch (Throwable t) {
            throw Errors.rethrow(t);
        }
    }

    /** The C function name. */
    public String name() {
        return name;
    }

    /** The object this program belongs to. */
    public BpfObject object() {
        return owner;
    }

    /** The program's fd (after load, until the object is closed). */
    public int fd() {
        if (!owner.isUsable()) {
            owner.checkLoaded("program '" + name + "'");
        }
        if (fd < 0) {
            throw new IllegalStateException("program '" + name + "' was not loaded (autoload off?)");
        }
        return fd;
    }

    /** Kernel program type id (enum bpf_prog_type; 3 = SCHED_CLS). */
    public int type() {
        owner.checkOpen();
        try {
            return (int) Libbpf.PROGRAM_TYPE.invokeExact(handle);
        } catch (Throwable t) {
            throw Errors.rethrow(t);
        }
    }

    /** Runs the program {@code repeat} times on {@code dataIn} in the kernel (BPF_PROG_TEST_RUN). */
    public TestRunResult testRun(byte[] dataIn, int repeat) {
        return testRun(dataIn, repeat, dataIn.length + 256);
    }

    /**
     * Like {@link #testRun(byte[], int)} with room for {@code dataOutCapacity} output bytes (programs may grow
     * the packet). For tc programs {@code dataIn} must be at least an Ethernet header (14 bytes).
     */
    public TestRunResult testRun(byte[] dataIn, int repeat, int dataOutCapacity) {
        int programFd = fd();
        if (repeat < 1) {
            throw new IllegalArgumentException("repeat must be >= 1, got " + repeat);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocate(Math.max(1, dataIn.length), 8);
            MemorySegment.copy(dataIn, 0, in, JAVA_BYTE, 0, dataIn.length);
            MemorySegment out = arena.allocate(Math.max(1, dataOutCapacity), 8);
            MemorySegment opts = arena.allocate(TEST_RUN_OPTS_SIZE, 8);
            opts.set(JAVA_LONG, 0, TEST_RUN_OPTS_SIZE);
            opts.set(ADDRESS, TR_DATA_IN, in);
            opts.set(ADDRESS, TR_DATA_OUT, out);
            opts.set(JAVA_INT, TR_DATA_SIZE_IN, dataIn.length);
            opts.set(JAVA_INT, TR_DATA_SIZE_OUT, dataOutCapacity);
            opts.set(JAVA_INT, TR_REPEAT, repeat);
            int rc = (int) Libbpf.PROG_TEST_RUN_OPTS.invokeExact(programFd, opts);
            if (rc < 0) {
                String hint = switch (-rc) {
                    case Errors.EINVAL -> " (input of " + dataIn.length + " bytes; tc programs need at least 14)";
                    case Errors.ENOSPC -> " (output larger than " + dataOutCapacity + " bytes; pass more room)";
                    default -> "";
                };
                throw Errors.of("test run of program '" + name + "'", rc, hint);
            }
            int outSize = Math.min(opts.get(JAVA_INT, TR_DATA_SIZE_OUT), dataOutCapacity);
            return new TestRunResult(opts.get(JAVA_INT, TR_RETVAL),
                    Integer.toUnsignedLong(opts.get(JAVA_INT, TR_DURATION)),
                    out.asSlice(0, outSize).toArray(JAVA_BYTE));
        } catch (Throwable t) {
            throw Errors.rethrow(t);
        }
    }

    /**
     * Runs a syscall program ({@code SEC("syscall")}) once without a context (BPF_PROG_TEST_RUN) and returns its
     * return value. Such programs run in process context and may be sleepable.
     */
    public int run() {
        int programFd = fd();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment opts = arena.allocate(TEST_RUN_OPTS_SIZE, 8);
            opts.set(JAVA_LONG, 0, TEST_RUN_OPTS_SIZE);
            int rc = (int) Libbpf.PROG_TEST_RUN_OPTS.invokeExact(programFd, opts);
            if (rc < 0) {
                throw Errors.of("run program '" + name + "'", rc,
                        rc == -Errors.EINVAL ? " (only syscall programs run without input; kernel >= 5.14)" : "");
            }
            return opts.get(JAVA_INT, TR_RETVAL);
        } catch (Throwable t) {
            throw Errors.rethrow(t);
        }
    }

    /** Pins the program in bpffs. */
    public void pin(String path) {
        Pins.pin(fd(), path, "pin program '" + name + "'");
    }

    @Override
    public String toString() {
        return "BpfProgram[" + name + "]";
    }
}
