package io.edgesched.api.policy;

/** What the controller should do with a workload this round. */
public enum Action {
    MOVE,
    HOLD
}
