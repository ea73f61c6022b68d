package io.edgesched.ebpf.libbpf;

import io.edgesched.ebpf.BpfException;
import io.edgesched.ebpf.KernelFeatureMissingException;
import io.edgesched.ebpf.PermissionDeniedException;
import java.util.Map;

/** Turns errno values into typed exceptions whose message names the errno and says what failed. */
final class Errors {
    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int E2BIG = 7;
    static final int EBADF = 9;
    static final int EAGAIN = 11;
    static final int ENOMEM = 12;
    static final int EACCES = 13;
    static final int EFAULT = 14;
    static final int EBUSY = 16;
    static final int EEXIST = 17;
    static final int ENODEV = 19;
    static final int EINVAL = 22;
    static final int ENOSPC = 28;
    static final int ENOSYS = 38;
    static final int EOPNOTSUPP = 95;
    /** Kernel-internal "not supported" that leaks out of bpf(2) for unsupported map operations. */
    static final int ENOTSUPP = 524;

    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(EPERM, "EPERM"), Map.entry(ENOENT, "ENOENT"), Map.entry(3, "ESRCH"), Map.entry(4, "EINTR"),
            Map.entry(5, "EIO"), Map.entry(6, "ENXIO"), Map.entry(E2BIG, "E2BIG"), Map.entry(EBADF, "EBADF"),
            Map.entry(EAGAIN, "EAGAIN"), Map.entry(ENOMEM, "ENOMEM"), Map.entry(EACCES, "EACCES"),
            Map.entry(EFAULT, "EFAULT"), Map.entry(EBUSY, "EBUSY"), Map.entry(EEXIST, "EEXIST"),
            Map.entry(ENODEV, "ENODEV"), Map.entry(20, "ENOTDIR"), Map.entry(21, "EISDIR"),
            Map.entry(EINVAL, "EINVAL"), Map.entry(24, "EMFILE"), Map.entry(ENOSPC, "ENOSPC"),
            Map.entry(30, "EROFS"), Map.entry(34, "ERANGE"), Map.entry(ENOSYS, "ENOSYS"),
            Map.entry(EOPNOTSUPP, "EOPNOTSUPP"), Map.entry(ENOTSUPP, "ENOTSUPP"),
            // libbpf's own codes (libbpf.h enum libbpf_errno)
            Map.entry(4000, "LIBBPF_ERRNO__LIBELF"), Map.entry(4001, "LIBBPF_ERRNO__FORMAT"),
            Map.entry(4002, "LIBBPF_ERRNO__KVERSION"), Map.entry(4003, "LIBBPF_ERRNO__ENDIAN"),
            Map.entry(4004, "LIBBPF_ERRNO__INTERNAL"), Map.entry(4005, "LIBBPF_ERRNO__RELOC"),
            Map.entry(4006, "LIBBPF_ERRNO__LOAD"), Map.entry(4007, "LIBBPF_ERRNO__VERIFY"),
            Map.entry(4008, "LIBBPF_ERRNO__PROG2BIG"), Map.entry(4009, "LIBBPF_ERRNO__KVER"),
            Map.entry(4010, "LIBBPF_ERRNO__PROGTYPE"), Map.entry(4011, "LIBBPF_ERRNO__WRNGPID"),
            Map.entry(4012, "LIBBPF_ERRNO__INVSEQ"), Map.entry(4013, "LIBBPF_ERRNO__NLPARSE"));

    private Errors() {
    }

    /** "EPERM (Operation not permitted)". */
    static String describe(int errno) {
        int positive = Math.abs(errno);
        String name = NAMES.getOrDefault(positive, "errno " + positive);
        return name + " (" + Libbpf.strerror(positive) + ")";
    }

    /** The exception for a failed operation: {@code context + ": " + describe(errno)}, typed by errno. */
    static BpfException of(String context, int errno) {
        return of(context, errno, "");
    }

    /** Like {@link #of(String, int)} with {@code details} (e.g. libbpf's messages) after the errno. */
    static BpfException of(String context, int errno, String details) {
        int positive = Math.abs(errno);
        String message = context + ": " + describe(positive) + details;
        return switch (positive) {
            case EPERM -> new PermissionDeniedException(context + ": " + describe(positive) + "; "
                    + PermissionDeniedException.HINT + details, positive);
            case ENOSYS -> new KernelFeatureMissingException(message, "the bpf(2) system call",
                    "build the kernel with CONFIG_BPF_SYSCALL=y", positive);
            case ENOTSUPP, EOPNOTSUPP -> new KernelFeatureMissingException(message, "support for this operation",
                    "use a newer kernel (>= 5.10) or another map/program type", positive);
            default -> new BpfException(message, positive);
        };
    }

    /** Rethrows runtime exceptions and errors unchanged; wraps what a MethodHandle declared as Throwable. */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException("unexpected checked exception from a native call", t);
    }
}
