/**
 * edgesched's core: value types, request-origin sources, demand, topology, placement policy and the
 * {@link io.edgesched.api.control.PlacementController}. Depends on SLF4J only.
 */
module io.edgesched.api {
    requires org.slf4j;

    exports io.edgesched.api;
    exports io.edgesched.api.control;
    exports io.edgesched.api.demand;
    exports io.edgesched.api.policy;
    exports io.edgesched.api.topology;
}
