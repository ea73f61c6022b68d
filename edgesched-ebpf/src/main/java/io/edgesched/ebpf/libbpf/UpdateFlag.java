package io.edgesched.ebpf.libbpf;

/** How {@link BpfMap#update} treats an existing or missing key (BPF_ANY, BPF_NOEXIST, BPF_EXIST). */
public enum UpdateFlag {
    /** Create or replace. */
    ANY(0),
    /** Create only; fails with EEXIST if the key exists. */
    NOEXIST(1),
    /** Replace only; fails with ENOENT if the key is missing. */
    EXIST(2);

    final long bits;

    UpdateFlag(long bits) {
        this.bits = bits;
    }
}
