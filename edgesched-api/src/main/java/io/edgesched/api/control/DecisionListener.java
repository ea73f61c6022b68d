package io.edgesched.api.control;

import io.edgesched.api.MoveResult;

/**
 * Told about every decision a {@link PlacementController} takes and every move that ends.
 * Called on the controller's threads: keep it quick and do not throw (a throwing listener is logged and skipped).
 */
public interface DecisionListener {

    void onDecision(Decision decision);

    /** A move started by the controller ended (done, refused or failed). */
    default void onMoveResult(MoveResult result) {
    }
}
