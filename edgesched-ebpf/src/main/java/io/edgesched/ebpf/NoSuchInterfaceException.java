package io.edgesched.ebpf;

/** A network interface name does not exist in the caller's network namespace. */
public final class NoSuchInterfaceException extends BpfException {
    private static final long serialVersionUID = 1L;
    private final String interfaceName;

    public NoSuchInterfaceException(String interfaceName, int errno) {
        super("no such interface '" + interfaceName + "' (check `ip link`; for an interface in another network"
                + " namespace, attach inside NetworkNamespaces.runIn(name, ...))", errno);
        this.interfaceName = interfaceName;
    }

    public String interfaceName() {
        return interfaceName;
    }
}
