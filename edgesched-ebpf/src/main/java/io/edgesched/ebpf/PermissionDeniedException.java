package io.edgesched.ebpf;

/** The kernel refused a BPF operation for lack of privileges (EPERM). */
public final class PermissionDeniedException extends BpfException {
    private static final long serialVersionUID = 1L;
    /** What to do about it. */
    public static final String HINT = "run as root or grant CAP_BPF, CAP_NET_ADMIN (and CAP_PERFMON)";

    public PermissionDeniedException(String message, int errno) {
        super(message.contains(HINT) ? message : message + "; " + HINT, errno);
    }

    public String hint() {
        return HINT;
    }
}
