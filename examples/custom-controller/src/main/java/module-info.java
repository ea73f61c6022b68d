/** Our placement controller: edgesched's controller loop with a policy and a mover of our own. */
module com.example.placement {
    requires transitive io.edgesched.api;
    requires transitive io.edgesched.ebpf;

    exports com.example.placement;
}
