package io.edgesched.k8s.lite;

/** No usable API server configuration: the message names the file or field and what to do. */
public final class ApiConfigException extends Exception {
    public ApiConfigException(String message) {
        super(message);
    }

    public ApiConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
