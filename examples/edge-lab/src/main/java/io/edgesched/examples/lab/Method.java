package io.edgesched.examples.lab;

/** How the lab learns where requests come from. */
public enum Method {
    /** edgesched: requests go straight to the service; the kernel's maps say where they entered. */
    EBPF("ebpf", 30080, 8080, 8080),
    /** The prior work: a proxy beside the service relays every request and logs where it came from. */
    SIDECAR("sidecar", 30081, 8090, SidecarProxy.PORT),
    /**
     * The baseline of Table 2: the same requests on a NodePort nothing counts, forwarded to the eBPF method's own
     * service wherever it runs (no sidecar, no map update; the classifier on the uplink only looks at the port and
     * lets the packet go). It has no controller and makes no moves: it follows the eBPF method's placement.
     */
    DIRECT("direct", 30082, 8080, 8080);

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

    /** How plots and tables name it. */
    public String title() {
        return switch (this) {
            case EBPF -> "eBPF (edgesched)";
            case SIDECAR -> "sidecar (prior work)";
            case DIRECT -> "direct (no observer)";
        };
    }

    /** Its colour in the plots. */
    public java.awt.Color color() {
        return switch (this) {
            case EBPF -> new java.awt.Color(0x1f77b4);
            case SIDECAR -> new java.awt.Color(0xd62728);
            case DIRECT -> new java.awt.Color(0x7f7f7f);
        };
    }

    /** Decides and moves on its own (the direct lane only follows the eBPF method's service). */
    public boolean placesItself() {
        return this != DIRECT;
    }

    public static Method parse(String text) {
        for (Method m : values()) {
            if (m.label.equalsIgnoreCase(text)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown method '" + text + "': use ebpf, sidecar or direct");
    }
}
