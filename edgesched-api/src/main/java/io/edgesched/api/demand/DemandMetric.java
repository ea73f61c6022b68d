package io.edgesched.api.demand;

/** Which counter of an {@link io.edgesched.api.OriginRecord} measures demand. */
public enum DemandMetric {
    /** New TCP connections: right when every request opens a connection. */
    CONNECTIONS,
    /** Client packets: follows request volume on kept-alive connections too. */
    PACKETS,
    /** Client bytes: for upload-heavy services. */
    BYTES
}
