package io.edgesched.examples.lab;

/**
 * A move the controller made, in scenario time.
 *
 * @param issuedSeconds   when the controller handed the move to the rescheduler
 * @param switchedSeconds when the forwarding pointed at the new replica (it serves from then on)
 */
public record MoveRecord(Method method, String from, String to, double issuedSeconds, double switchedSeconds,
                         String reason) {
}
