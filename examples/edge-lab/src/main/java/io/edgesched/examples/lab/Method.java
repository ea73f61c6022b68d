package io.edgesched.examples.lab;

/** How the lab learns where requests come from. */
public enum Method {
    /** edgesched: requests go straight to the service; the kernel's maps say where they entered. */
    EBPF("ebpf", 30080, 8080, 8080),
    /** The prior work: a proxy beside the service relays every request and logs where it came from. */
    SIDECAR("sidecar", 30081, 8090, SidecarProxy.PORT);

    private final String label;
    private final int nodePort;
    private final int servicePort;
    private final int forwardPort;

    Method(String label, int nodePort, int servicePort, int forwardPort) {
        this.label = label;
        this.nodePort = nodePort;
        this.servicePort = servicePort;
        this.forwardPort = forwardPort;
    }

    public String label() {
        return label;
    }

    /** The port every node forwards to this method's service (its own NodePort: both methods run side by side). */
    public int nodePort() {
        return nodePort;
    }

    /** The port this method's service process listens on. */
    public int servicePort() {
        return servicePort;
    }

    /** Where the NodePort forwarding points on the serving node: the service itself, or its sidecar. */
    public int forwardPort() {
        return forwardPort;
    }

    public static Method parse(String text) {
        for (Method m : values()) {
            if (m.label.equalsIgnoreCase(text)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown method '" + text + "': use ebpf or sidecar");
    }
}
