package io.edgesched.api.policy;

/**
 * Why a workload moves or holds: the one reason type for the policy's and the gate's verdict
 * ({@link WorkloadDecision#reason()}) and for what the controller reports ({@code Decision.reason()}).
 * The policy and the gate give {@link #MOVE} or one of their holds ({@link #isPolicyVerdict()}); the controller
 * reports a policy hold as it is, turns {@code MOVE} into {@link #MOVE_STARTED} or {@link #WOULD_MOVE}, and adds
 * its own holds ({@link #HOLD_IN_FLIGHT}, {@link #HOLD_BACKOFF}, {@link #HOLD_REFUSED}, {@link #HOLD_SETTLING}).
 */
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
    HOLD_NOT_RUNNING,
    /** Controller: the policy chose a move and it was handed to the rescheduler. */
    MOVE_STARTED,
    /** Controller, dry run: the policy and the gate chose a move; nothing was started. */
    WOULD_MOVE,
    /** Controller: a move of this workload is still running; no second one is started. */
    HOLD_IN_FLIGHT,
    /** Controller: its last move failed; waiting for the backoff to pass before trying again. */
    HOLD_BACKOFF,
    /** Controller: the rescheduler refused this same move; holding until the proposal changes or a cool-down passes. */
    HOLD_REFUSED,
    /** Controller: a move just completed; waiting for the topology to show the new placement. */
    HOLD_SETTLING;

    /** Whether the workload moves (or, in a dry run, would move); every other reason holds it. */
    public boolean isMove() {
        return this == MOVE || this == MOVE_STARTED || this == WOULD_MOVE;
    }

    /**
     * Whether a policy or a gate gives this reason ({@link #MOVE} and the holds up to {@link #HOLD_NOT_RUNNING});
     * the others are what the controller made of a verdict or why it did not ask for one.
     */
    public boolean isPolicyVerdict() {
        return compareTo(HOLD_NOT_RUNNING) <= 0;
    }
}
