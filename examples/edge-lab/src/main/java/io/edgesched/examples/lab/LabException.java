package io.edgesched.examples.lab;

/** Something in the lab's setup or run went wrong; the message says what and what to do. */
public final class LabException extends RuntimeException {
    public LabException(String message) {
        super(message);
    }

    public LabException(String message, Throwable cause) {
        super(message, cause);
    }
}
