package io.edgesched.examples.lab;

/** How the lab learns where requests come from. */
public enum Method {
    /** edgesched: requests go straight to the service; the kernel's maps say where they entered. */
    EBPF("ebpf"),
    /** The prior work: a proxy beside the service relays every request and logs where it came from. */
    SIDECAR("sidecar");

    private final String label;

    Method(String label) {
        this.label = label;
    }

    public String label() {
        return label;
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
