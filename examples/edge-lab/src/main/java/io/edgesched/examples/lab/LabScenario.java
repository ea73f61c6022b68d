package io.edgesched.examples.lab;

import java.time.Duration;
import java.util.List;

/**
 * The thesis's experiment: 300 s; 60 ms +- 10 ms round trip between cloud and edge and between the end device
 * and every node; the device's delay to edge1 is removed from 60 to 120 s and to edge2 from 180 to 240 s
 * (the device moves near one edge, then the other). One request every 2 s.
 * {@code timeScale} shrinks the schedule (0.1 = a 30 s run), never the delays.
 */
public record LabScenario(double timeScale) {
    public static final double LENGTH_SECONDS = 300;
    public static final double REQUEST_INTERVAL_SECONDS = 2;
    public static final Duration WAN_RTT = Duration.ofMillis(60);
    public static final Duration WAN_JITTER = Duration.ofMillis(10);

    /** A stretch of scenario time in which the device sits next to one edge node. */
    public record NearWindow(String edge, double fromSeconds, double toSeconds) {
        public boolean contains(double t) {
            return t >= fromSeconds && t < toSeconds;
        }
    }

    /** At scenario time {@code atSeconds}, the device-to-{@code node} round trip becomes {@code rtt}. */
    public record DelayChange(double atSeconds, String node, Duration rtt, Duration jitter) {
    }

    public LabScenario {
        if (!(timeScale > 0) || timeScale > 10) {
            throw new IllegalArgumentException("time scale must be in (0, 10], got " + timeScale);
        }
    }

    public List<NearWindow> nearWindows() {
        return List.of(new NearWindow("edge1", 60, 120), new NearWindow("edge2", 180, 240));
    }

    /** The device's delay changes, in scenario order. */
    public List<DelayChange> delayChanges() {
        return nearWindows().stream()
                .flatMap(w -> java.util.stream.Stream.of(
                        new DelayChange(w.fromSeconds(), w.edge(), Duration.ZERO, Duration.ZERO),
                        new DelayChange(w.toSeconds(), w.edge(), WAN_RTT, WAN_JITTER)))
                .toList();
    }

    /** Round trip between two hosts before any change: cloud nodes share a site, everything else is across the WAN. */
    public static Duration baseRtt(LabNode a, LabNode b) {
        return a.role() == LabNode.Role.CLOUD && b.role() == LabNode.Role.CLOUD ? Duration.ZERO : WAN_RTT;
    }

    public static Duration baseJitter(LabNode a, LabNode b) {
        return baseRtt(a, b).isZero() ? Duration.ZERO : WAN_JITTER;
    }

    /** Wall-clock length of a scenario span. */
    public Duration real(double scenarioSeconds) {
        return Duration.ofNanos(Math.round(scenarioSeconds * timeScale * 1e9));
    }

    public Duration length() {
        return real(LENGTH_SECONDS);
    }

    public Duration requestInterval() {
        return real(REQUEST_INTERVAL_SECONDS);
    }

    /** Scenario seconds elapsed for {@code realNanos} of wall-clock time. */
    public double scenarioSeconds(long realNanos) {
        return realNanos / 1e9 / timeScale;
    }

    /** The window the device is in at scenario time t, if any. */
    public java.util.Optional<NearWindow> windowAt(double t) {
        return nearWindows().stream().filter(w -> w.contains(t)).findFirst();
    }
}
