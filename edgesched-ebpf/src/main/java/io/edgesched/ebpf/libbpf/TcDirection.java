package io.edgesched.ebpf.libbpf;

/** Which side of an interface a tc program sees (the clsact qdisc's ingress or egress hook). */
public enum TcDirection {
    INGRESS(1), EGRESS(2);

    /** enum bpf_tc_attach_point */
    final int attachPoint;

    TcDirection(int attachPoint) {
        this.attachPoint = attachPoint;
    }

    String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
