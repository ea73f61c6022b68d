package io.edgesched.ebpf;

/** The kernel rejected a program while loading it; {@link #log()} is the verifier's explanation. */
public final class VerifierException extends BpfException {
    private static final long serialVersionUID = 1L;
    private final String log;

    public VerifierException(String message, int errno, String log) {
        super(message + (log.isBlank() ? "" : "\n--- verifier log (tail) ---\n" + tail(log, 40)), errno);
        this.log = log;
    }

    /** The complete verifier log, never null. */
    public String log() {
        return log;
    }

    private static String tail(String log, int lines) {
        String[] all = log.strip().split("\n");
        if (all.length <= lines) {
            return log.strip();
        }
        return "... (" + (all.length - lines) + " lines omitted, see log())\n"
                + String.join("\n", java.util.Arrays.copyOfRange(all, all.length - lines, all.length));
    }
}
