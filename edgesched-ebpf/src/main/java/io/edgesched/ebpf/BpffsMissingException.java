package io.edgesched.ebpf;

/**
 * A pin path is not on a BPF filesystem (bpffs), and it could not be mounted there. {@link #hint()} is the
 * command that fixes it, e.g. {@code mount -t bpf bpf /sys/fs/bpf}.
 */
public final class BpffsMissingException extends BpfException {
    private static final long serialVersionUID = 1L;
    private final String path;
    private final String hint;

    public BpffsMissingException(String message, String path, String hint, int errno) {
        super(message + " (" + hint + ")", errno);
        this.path = path;
        this.hint = hint;
    }

    /** The pin path that was asked for. */
    public String path() {
        return path;
    }

    /** What to run, exactly, e.g. {@code mount -t bpf bpf /sys/fs/bpf}. */
    public String hint() {
        return hint;
    }
}
