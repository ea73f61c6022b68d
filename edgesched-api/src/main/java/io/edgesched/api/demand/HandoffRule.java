package io.edgesched.api.demand;

import java.time.Duration;
import java.util.Objects;

/**
 * When a client's demand moves to a new entry node at once instead of decaying at the old one (see
 * docs/engine.md, "Handoff"). A client aggregate (an address, or a prefix with {@link DemandConfig#withPrefixes})
 * that starts arriving at node N while its most recent traffic came through another node M is a handoff
 * candidate; it is handed off M -> N when N saw its traffic grow in {@code evidenceReads} reads of N and every
 * old entry M was read after N's first such read without seeing it again, all within {@code window} of that
 * first read. If any old entry sees the client again after it, the candidate is dropped: the client arrives
 * through both and its demand stays split.
 *
 * @param evidenceReads reads of the new entry node with an increase needed; 0 turns handoff off
 * @param window        how long after the first read at the new entry the evidence may take
 */
public record HandoffRule(int evidenceReads, Duration window) {
    public HandoffRule {
        Objects.requireNonNull(window, "window");
        if (evidenceReads < 0) {
            throw new IllegalArgumentException("evidenceReads must be >= 0 (0 = off), got " + evidenceReads);
        }
        if (window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("handoff window must be positive, got " + window);
        }
    }

    /** Two reads of evidence (one request's detour is not a handoff), within 60 s. */
    public static HandoffRule defaults() {
        return new HandoffRule(2, Duration.ofSeconds(60));
    }

    /** No handoff: a client's old entry decays with the half-life (the behaviour before handoff existed). */
    public static HandoffRule off() {
        return new HandoffRule(0, Duration.ofSeconds(60));
    }

    public boolean enabled() {
        return evidenceReads > 0;
    }
}
