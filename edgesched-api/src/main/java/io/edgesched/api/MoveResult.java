package io.edgesched.api;

import java.time.Duration;
import java.util.Objects;

/** How a move ended. */
public sealed interface MoveResult {
    MoveRequest request();

    /** The workload now runs (ready) on the targets. */
    record Done(MoveRequest request, Duration took) implements MoveResult {
        public Done {
            Objects.requireNonNull(request);
            Objects.requireNonNull(took);
        }
    }

    /** Nothing was changed: the rescheduler would not do it (cordoned target, PDB, not opted in...). */
    record Refused(MoveRequest request, String reason) implements MoveResult {
        public Refused {
            Objects.requireNonNull(request);
            Objects.requireNonNull(reason);
        }
    }

    /**
     * The move was tried and did not complete; {@code rolledBack} says whether the previous
     * placement was restored. Failures may be retried by the caller.
     */
    record Failed(MoveRequest request, String reason, boolean rolledBack, Throwable cause) implements MoveResult {
        public Failed {
            Objects.requireNonNull(request);
            Objects.requireNonNull(reason);
        }
    }

    default boolean isDone() {
        return this instanceof Done;
    }
}
