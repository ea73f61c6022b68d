package io.edgesched.api.policy;

/** Why a workload moves or stays. */
public enum DecisionReason {
    /** The target beats the current placement by more than both thresholds and the gates let it through. */
    MOVE,
    /** The current placement is already the best feasible one. */
    HOLD_AT_OPTIMUM,
    /** A better placement exists but its gain is below the relative or absolute threshold (hysteresis). */
    HOLD_BELOW_THRESHOLD,
    /** The workload moved less than the minimum dwell time ago. */
    HOLD_DWELL,
    /** The global move budget (token bucket) is used up for now. */
    HOLD_RATE_LIMIT,
    /** No demand (or less than the configured minimum) was observed for the workload. */
    HOLD_NO_DEMAND,
    /** No set of nodes satisfies selector, health, spreading and capacity. */
    HOLD_NO_FEASIBLE_NODE,
    /** The workload runs nowhere now (not started, or unknown to the topology): nothing to move. */
    HOLD_NOT_RUNNING;

    /** Whether the workload moves (every other reason holds it). */
    public boolean isMove() {
        return this == MOVE;
    }
}
