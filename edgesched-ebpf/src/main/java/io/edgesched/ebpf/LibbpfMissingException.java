package io.edgesched.ebpf;

/** The system libbpf shared library (or a symbol the binding needs) could not be found. */
public final class LibbpfMissingException extends BpfException {
    private static final long serialVersionUID = 1L;

    public LibbpfMissingException(String message, Throwable cause) {
        super(message, 0, cause);
    }
}
