package io.edgesched.ebpf;

/**
 * A BPF operation failed. {@link #errno()} is the positive errno the kernel or libbpf reported (0 when the
 * failure did not come from a system call); the message carries the context of every layer, e.g.
 * {@code "attach tc ingress on eth0: EPERM (Operation not permitted)"}.
 */
public class BpfException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int errno;

    public BpfException(String message, int errno) {
        super(message);
        this.errno = Math.abs(errno);
    }

    public BpfException(String message, int errno, Throwable cause) {
        super(message, cause);
        this.errno = Math.abs(errno);
    }

    /** The positive errno, or 0 if none applies. */
    public int errno() {
        return errno;
    }
}
