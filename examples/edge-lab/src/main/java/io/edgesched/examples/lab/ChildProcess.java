package io.edgesched.examples.lab;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A process the lab started (a service, the device, a sidecar): its output lines go to a consumer, its
 * stderr to the log, and closing it closes its stdin, then terminates it if it does not exit by itself.
 */
final class ChildProcess implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ChildProcess.class);

    private final String name;
    private final Process process;
    private final CompletableFuture<String> readyLine = new CompletableFuture<>();
    private final boolean exitsOnStdinClose;

    private ChildProcess(String name, Process process, Predicate<String> isReady, Consumer<String> lines,
                         boolean exitsOnStdinClose) {
        this.name = name;
        this.process = process;
        this.exitsOnStdinClose = exitsOnStdinClose;
        Thread.ofPlatform().daemon().name(name + "-out").start(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = out.readLine()) != null; ) {
                    if (!readyLine.isDone() && isReady.test(line)) {
                        readyLine.complete(line);
                    } else {
                        lines.accept(line);
                    }
                }
            } catch (IOException ignored) {
                // process ended
            }
            readyLine.completeExceptionally(new LabException(name + " exited before it was ready"));
        });
        Thread.ofPlatform().daemon().name(name + "-err").start(() -> {
            try (BufferedReader err = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = err.readLine()) != null; ) {
                    log.warn("[{}] {}", name, line);
                }
            } catch (IOException ignored) {
                // process ended
            }
        });
    }

    /**
     * Starts {@code command} inside network namespace {@code namespace}. {@code exitsOnStdinClose} says the
     * program ends by itself at EOF on stdin (the lab's own mains); others are sent SIGTERM on close.
     */
    static ChildProcess startInNamespace(String name, String namespace, List<String> command,
                                         Predicate<String> isReady, Consumer<String> lines, boolean exitsOnStdinClose) {
        // A higher scheduling priority than the rest of the machine: on a busy host, waiting for a CPU would
        // otherwise add milliseconds to the microseconds the lab compares (both methods alike).
        List<String> full = new java.util.ArrayList<>(List.of("ip", "netns", "exec", namespace, "nice", "-n", "-10"));
        full.addAll(command);
        try {
            return new ChildProcess(name, new ProcessBuilder(full).start(), isReady, lines, exitsOnStdinClose);
        } catch (IOException e) {
            throw new LabException("cannot start " + name + " in " + namespace + ": " + e.getMessage(), e);
        }
    }

    /** Waits until the process printed its ready line. */
    String awaitReady(Duration timeout) {
        try {
            return readyLine.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new LabException(name + " was not ready within " + timeout.toMillis() + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted while starting " + name, e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new LabException(name + " failed to start: " + e.getCause().getMessage(), e.getCause());
        }
    }

    /** Writes one line to the process's stdin. */
    void send(String line) {
        try {
            process.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
            process.getOutputStream().flush();
        } catch (IOException e) {
            throw new LabException(name + " is not running any more (" + e.getMessage() + ")", e);
        }
    }

    boolean isAlive() {
        return process.isAlive();
    }

    long pid() {
        return process.pid();
    }

    /** Waits for the process to end by itself. */
    boolean waitFor(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        try {
            process.getOutputStream().close();
        } catch (IOException ignored) {
            // already closed
        }
        try {
            if (!exitsOnStdinClose || !process.waitFor(1500, TimeUnit.MILLISECONDS)) {
                process.destroy();
                if (!process.waitFor(2, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(2, TimeUnit.SECONDS);
                }
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
