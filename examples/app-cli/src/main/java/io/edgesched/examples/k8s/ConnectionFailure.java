package io.edgesched.examples.k8s;

/** Why a connection to the API server failed, in a few words; free of any API client's classes. */
public final class ConnectionFailure {
    private ConnectionFailure() {
    }

    /**
     * The most telling cause: a refused or unresolvable connection by name (the JDK HTTP client reports a refusal as a
     * ConnectException without a message around a ClosedChannelException), else the innermost cause's message.
     */
    public static String reason(Throwable e) {
        Throwable root = e;
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof java.net.ConnectException) {
                return t.getMessage() != null && !t.getMessage().isBlank() ? t.getMessage() : "Connection refused";
            }
            if (t instanceof java.net.UnknownHostException) {
                return "unknown host " + t.getMessage();
            }
            root = t;
        }
        return root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
    }
}
