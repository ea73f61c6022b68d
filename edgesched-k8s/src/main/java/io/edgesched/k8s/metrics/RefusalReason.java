package io.edgesched.k8s.metrics;

import java.util.Locale;

/**
 * Why a move was refused, as a small fixed set usable as a metric label (the free-text reason of
 * {@link io.edgesched.api.MoveResult.Refused} goes to logs and events, never to a label).
 */
public enum RefusalReason {
    NOT_LEADER,
    NOT_OPTED_IN,
    NAMESPACE_NOT_ALLOWED,
    WORKLOAD_NOT_FOUND,
    TARGET_MISSING,
    TARGET_CORDONED,
    TARGET_NOT_READY,
    TARGET_TAINTED,
    TARGET_UNSUITABLE,
    DISRUPTION_BUDGET,
    MOVE_IN_PROGRESS,
    SHUTTING_DOWN,
    OTHER;

    /** Best-effort mapping of a refusal text to a reason; anything unrecognised is {@link #OTHER}. */
    public static RefusalReason classify(String text) {
        String t = text == null ? "" : text.toLowerCase(Locale.ROOT);
        if (t.contains("leader")) {
            return NOT_LEADER;
        }
        if (t.contains("opted in") || t.contains("opt-in") || t.contains("not managed")) {
            return NOT_OPTED_IN;
        }
        if (t.contains("namespace") && t.contains("allowed")) {
            return NAMESPACE_NOT_ALLOWED;
        }
        if (t.contains("disruptionbudget") || t.contains("disruption budget") || t.contains("pdb")) {
            return DISRUPTION_BUDGET;
        }
        if (t.contains("target node")) {
            if (t.contains("cordon")) {
                return TARGET_CORDONED;
            }
            if (t.contains("notready") || t.contains("not ready")) {
                return TARGET_NOT_READY;
            }
            if (t.contains("taint")) {
                return TARGET_TAINTED;
            }
            if (t.contains("does not exist")) {
                return TARGET_MISSING;
            }
            return TARGET_UNSUITABLE;
        }
        if (t.contains("not found")) {
            return WORKLOAD_NOT_FOUND;
        }
        if (t.contains("in progress") || t.contains("already moving") || t.contains("under way")) {
            return MOVE_IN_PROGRESS;
        }
        if (t.contains("closed") || t.contains("shutting down") || t.contains("rejected")) {
            return SHUTTING_DOWN;
        }
        return OTHER;
    }

    /** The label value: lower case with dashes. */
    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
