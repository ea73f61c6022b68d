/**
 * Request origins learned in the kernel: {@link io.edgesched.ebpf.EbpfRequestOriginSource} and the libbpf
 * binding it stands on. The binding's public types (maps, objects, programs, attachments) are exported; its
 * native entry points, errno handling and pinning helpers are package-private in {@code io.edgesched.ebpf.libbpf}
 * and stay out of reach. Run with {@code --enable-native-access=io.edgesched.ebpf} on the module path
 * ({@code ALL-UNNAMED} on the class path).
 */
module io.edgesched.ebpf {
    requires transitive io.edgesched.api;
    requires org.slf4j;

    exports io.edgesched.ebpf;
    exports io.edgesched.ebpf.libbpf;
}
