package io.edgesched.ebpf.netns;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs short host commands (ip, tc) for tests; a non-zero exit is an exception with the command's output. */
public final class Commands {
    private Commands() {
    }

    public record Result(int exitCode, String stdout, String stderr) {
        public boolean ok() {
            return exitCode == 0;
        }
    }

    /** Runs the command, feeding {@code stdin} (may be null), and returns whatever it exited with. */
    public static Result runAllowingFailure(List<String> command, String stdin) {
        try {
            Process process = new ProcessBuilder(command).start();
            CompletableFuture<String> err = readAsync(process.getErrorStream());
            CompletableFuture<String> out = readAsync(process.getInputStream());
            try (var in = process.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("command did not finish within 60 s: " + String.join(" ", command));
            }
            return new Result(process.exitValue(), out.join(), err.join());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + String.join(" ", command), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + String.join(" ", command), e);
        }
    }

    /** Runs the command and returns its stdout; fails with its stderr when it exits non-zero. */
    public static String run(List<String> command, String stdin) {
        Result result = runAllowingFailure(command, stdin);
        if (!result.ok()) {
            throw new IllegalStateException("'" + String.join(" ", command) + "' exited with " + result.exitCode()
                    + ": " + result.stderr().strip() + (stdin == null ? "" : "\nstdin was:\n" + stdin));
        }
        return result.stdout();
    }

    public static String run(String... command) {
        return run(List.of(command), null);
    }

    static CompletableFuture<String> readAsync(InputStream stream) {
        return CompletableFuture.supplyAsync(() -> {
            try (stream) {
                ByteArrayOutputStream buffer = new ByteArrayOutputStream();
                stream.transferTo(buffer);
                return buffer.toString(StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "<unreadable: " + e + ">";
            }
        }, runnable -> Thread.ofVirtual().start(runnable));
    }
}
