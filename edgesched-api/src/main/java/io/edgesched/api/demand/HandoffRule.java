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
 * <p>A client whose path got much shorter needs one read, not {@code evidenceReads}: when its handshake RTT at N
 * is at most {@code closerRatio} of its RTT at every old entry and at least {@link #CLOSER_MIN_GAIN_MICROS} lower,
 * it has come physically closer to N (a detour or a second path through a node that is not closer does not
 * qualify), and the old entries' silence since is still required.
 *
 * @param evidenceReads reads of the new entry node with an increase needed; 0 turns handoff off
 * @param window        how long after the first read at the new entry the evidence may take
 * @param closerRatio   RTT at N / RTT at the old entries at or below which one read is evidence; 0 turns it off
 */
public record HandoffRule(int evidenceReads, Duration window, double closerRatio) {
    /** RTTs of nearby nodes differ by jitter: a gain smaller than this never counts as coming closer. */
    public static final double CLOSER_MIN_GAIN_MICROS = 2_000;

    /** Without the closer-path shortcut: always {@code evidenceReads} reads. */
    public HandoffRule(int evidenceReads, Duration window) {
        this(evidenceReads, window, 0);
    }

    public HandoffRule {
        if (!(closerRatio >= 0 && closerRatio < 1)) {
            throw new IllegalArgumentException("closerRatio must be in [0, 1) (0 = off), got " + closerRatio);
        }
        Objects.requireNonNull(window, "window");
        if (evidenceReads < 0) {
            throw new IllegalArgumentException("evidenceReads must be >= 0 (0 = off), got " + evidenceReads);
        }
        if (window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("handoff window must be positive, got " + window);
        }
    }

    /**
     * Two reads of evidence (one request's detour is not a handoff), or one when the client's RTT at the new entry
     * is at most half of what it was at the old one, within 60 s.
     */
    public static HandoffRule defaults() {
        return new HandoffRule(2, Duration.ofSeconds(60), 0.5);
    }

    /** The same rule with another evidence window. */
    public HandoffRule withWindow(Duration window) {
        return new HandoffRule(evidenceReads, window, closerRatio);
    }

    /** The same rule with the closer-path shortcut at {@code ratio} (0 = off). */
    public HandoffRule withCloserRatio(double ratio) {
        return new HandoffRule(evidenceReads, window, ratio);
    }

    /** Whether one read at RTT {@code newMicros} is evidence against an old entry at RTT {@code oldMicros}. */
    public boolean closer(double newMicros, double oldMicros) {
        return closerRatio > 0 && !Double.isNaN(newMicros) && !Double.isNaN(oldMicros)
                && newMicros <= oldMicros * closerRatio && oldMicros - newMicros >= CLOSER_MIN_GAIN_MICROS;
    }

    /** No handoff: a client's old entry decays with the half-life (the behaviour before handoff existed). */
    public static HandoffRule off() {
        return new HandoffRule(0, Duration.ofSeconds(60));
    }

    public boolean enabled() {
        return evidenceReads > 0;
    }
}
