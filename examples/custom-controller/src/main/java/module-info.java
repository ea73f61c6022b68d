/** Our placement controller: edgesched's controller loop with a policy and a mover of our own. */
module com.example.placement {
    requires transitive io.edgesched.api;

    exports com.example.placement;
}
