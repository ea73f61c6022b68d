package io.edgesched.ebpf;

/** The running kernel (or its configuration) lacks a feature the operation needs. */
public final class KernelFeatureMissingException extends BpfException {
    private static final long serialVersionUID = 1L;
    private final String feature;
    private final String hint;

    public KernelFeatureMissingException(String context, String feature, String hint, int errno) {
        super(context + ": kernel lacks " + feature + " (" + hint + ")", errno);
        this.feature = feature;
        this.hint = hint;
    }

    public String feature() {
        return feature;
    }

    public String hint() {
        return hint;
    }
}
