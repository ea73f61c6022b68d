package io.edgesched.k8s.move;

import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one API call with the rescheduler's error policy: 409 goes back to the caller (it must
 * re-read fresh state), 5xx / 429 / timeouts / connection failures back off exponentially (capped)
 * and retry, anything else fails at once with the server's message.
 */
final class ApiCaller {
    private static final Logger LOG = LoggerFactory.getLogger(ApiCaller.class);

    /** The API server answered 409: the object changed since it was read. */
    static final class Conflict extends RuntimeException {
        Conflict(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The call did not succeed and retrying now will not help; the message is meant for users. */
    static final class ApiFailure extends RuntimeException {
        final boolean unreachable;

        ApiFailure(String message, boolean unreachable, Throwable cause) {
            super(message, cause);
            this.unreachable = unreachable;
        }
    }

    /**
     * A write failed in a way that leaves open whether the server applied it (timeout, connection
     * lost, 5xx): the caller must read the object back before deciding to write again.
     */
    static final class OutcomeUnknown extends RuntimeException {
        OutcomeUnknown(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The move was aborted (leadership lost, future cancelled, rescheduler closed). */
    static final class Aborted extends RuntimeException {
        Aborted(String message) {
            super(message, null, false, false);
        }
    }

    private final String masterUrl;
    private final RetryPolicy retry;
    private final BooleanSupplier aborted;
    private final Supplier<String> abortReason;

    ApiCaller(String masterUrl, RetryPolicy retry, BooleanSupplier aborted, Supplier<String> abortReason) {
        this.masterUrl = masterUrl;
        this.retry = retry;
        this.aborted = aborted;
        this.abortReason = abortReason;
    }

    void checkNotAborted() {
        if (aborted.getAsBoolean()) {
            throw new Aborted(abortReason.get());
        }
    }

    /**
     * One attempt of a write that must not be repeated blindly (a JSON patch that starts a rollout):
     * transient failures become {@link OutcomeUnknown} instead of a retry, 409 is {@link Conflict}.
     */
    <T> T callOnce(String what, Supplier<T> op) {
        checkNotAborted();
        try {
            return op.get();
        } catch (KubernetesClientException e) {
            int code = e.getCode();
            if (code == 409) {
                throw new Conflict(what + ": conflict (409), the object changed since it was read", e);
            }
            if (code >= 500 || code == 429 || code <= 0 || isNetworkProblem(e)) {
                if (code == 429) { // rejected before it was applied: safe to treat as not applied
                    throw new OutcomeUnknown(what + ": throttled (HTTP 429)", e);
                }
                throw new OutcomeUnknown(what + ": no definite answer (" + (code > 0 ? "HTTP " + code + ": " : "")
                        + rootMessage(e) + ")", e);
            }
            throw new ApiFailure(describe(what, e), false, e);
        }
    }

    /** Waits the back-off before the next attempt of a write whose outcome was unknown. */
    Duration backOff(Duration current) {
        sleep(current);
        return min(current.multipliedBy(2), retry.maxBackoff());
    }

    RetryPolicy retryPolicy() {
        return retry;
    }

    <T> T call(String what, Supplier<T> op) {
        Duration backoff = retry.initialBackoff();
        for (int attempt = 1; ; attempt++) {
            checkNotAborted();
            try {
                return op.get();
            } catch (KubernetesClientException e) {
                int code = e.getCode();
                if (code == 409) {
                    throw new Conflict(what + ": conflict (409), the object changed since it was read", e);
                }
                boolean transientError = code >= 500 || code == 429 || code <= 0 || isNetworkProblem(e);
                if (!transientError) {
                    throw new ApiFailure(describe(what, e), false, e);
                }
                if (attempt >= retry.maxAttempts()) {
                    boolean unreachable = code <= 0 || isNetworkProblem(e);
                    String msg = unreachable
                            ? "API server unreachable at " + masterUrl + " while trying to " + what + " ("
                                    + rootMessage(e) + "); will retry on the next decision"
                            : "API server failed to " + what + " after " + attempt + " attempts (HTTP " + code + ": "
                                    + statusMessage(e) + "); will retry on the next decision";
                    throw new ApiFailure(msg, unreachable, e);
                }
                LOG.debug("{} failed (attempt {}/{}, HTTP {}): {}; retrying in {} ms", what, attempt,
                        retry.maxAttempts(), code, rootMessage(e), backoff.toMillis());
            }
            sleep(backoff);
            backoff = min(backoff.multipliedBy(2), retry.maxBackoff());
        }
    }

    private void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Aborted("interrupted while backing off");
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static String describe(String what, KubernetesClientException e) {
        if (e.getCode() == 403) {
            return "forbidden to " + what + " (HTTP 403: " + statusMessage(e)
                    + "); grant the edgesched service account the RBAC rules in docs/k8s-move.md";
        }
        return "failed to " + what + " (HTTP " + e.getCode() + ": " + statusMessage(e) + ")";
    }

    private static String statusMessage(KubernetesClientException e) {
        if (e.getStatus() != null && e.getStatus().getMessage() != null) {
            return e.getStatus().getMessage();
        }
        return rootMessage(e);
    }

    static boolean isNetworkProblem(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof ConnectException || c instanceof UnknownHostException || c instanceof TimeoutException
                    || c instanceof InterruptedIOException) {
                return true;
            }
            if (c instanceof IOException && c != t) {
                return true;
            }
            if (c.getCause() == c) {
                break;
            }
        }
        return false;
    }

    static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = root.getMessage();
        return root.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }

    /** Exponential back-off for transient API errors. */
    record RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff) {
        RetryPolicy {
            if (maxAttempts < 1) {
                throw new IllegalArgumentException("maxAttempts must be >= 1");
            }
            if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
                throw new IllegalArgumentException("need 0 <= initialBackoff <= maxBackoff");
            }
        }
    }
}
