package io.edgesched.ebpf.libbpf;

/**
 * A program attached to a hook of an interface: a {@link TcxLink} (kernel 6.6+) or a {@link TcAttachment} (tc
 * filter on clsact). Closing detaches it (idempotent, from any thread).
 */
public interface Attachment extends AutoCloseable {
    /**
     * Whether the kernel still runs our program there. False once the interface was deleted (even if one of the
     * same name came back) or someone else detached it; then close this one and attach again.
     */
    boolean isAttached();

    /** The interface name given at attach time. */
    String interfaceName();

    TcDirection direction();

    @Override
    void close();
}
