package io.edgesched.k8s.lite;

/** A request of the light client that failed: HTTP status (0 when no answer came) and what to check. */
public final class LiteApiException extends RuntimeException {
    private final int status;

    public LiteApiException(int status, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    /** HTTP status, 0 when the server did not answer. */
    public int status() {
        return status;
    }

    /** The message of a Kubernetes Status body, else the body itself (cut to 300 characters). */
    static String statusMessage(String body) {
        if (body == null || body.isBlank()) {
            return "(no body)";
        }
        try {
            Object message = Json.parseObject(body).get("message");
            if (message instanceof String s && !s.isBlank()) {
                return s;
            }
        } catch (Json.JsonException notJson) {
            // fall through: the raw text says more than nothing
        }
        return body.length() > 300 ? body.substring(0, 300) + "..." : body;
    }
}
