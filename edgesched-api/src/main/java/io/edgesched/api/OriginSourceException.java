package io.edgesched.api;

/** A source could not produce a snapshot or change its watch list. The message says what to do. */
public class OriginSourceException extends RuntimeException {
    public OriginSourceException(String message) {
        super(message);
    }

    public OriginSourceException(String message, Throwable cause) {
        super(message, cause);
    }
}
