package io.edgesched.examples.lab;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the system tools the lab needs (ip, iptables, nginx) and fails loudly with their output.
 * The lab builds a throwaway network, so shelling out is fine here; the library itself never does.
 */
final class Cmd {
    private static final long TIMEOUT_SECONDS = 20;

    private Cmd() {
    }

    /** Runs a command and returns its standard output; throws with stderr when it exits non-zero. */
    static String run(List<String> command) {
        Result result = tryRun(command);
        if (result.exitCode() != 0) {
            throw new LabException("command failed (exit " + result.exitCode() + "): " + String.join(" ", command)
                    + (result.stderr().isBlank() ? "" : "\n  " + result.stderr().strip()));
        }
        return result.stdout();
    }

    static String run(String... command) {
        return run(List.of(command));
    }

    /** Runs a command inside a network namespace. */
    static String inNs(String namespace, String... command) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
        full.addAll(List.of(command));
        return run(full);
    }

    record Result(int exitCode, String stdout, String stderr) {
    }

    /** Runs a command and reports how it ended, without throwing on a non-zero exit. */
    static Result tryRun(List<String> command) {
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new LabException("cannot start " + command.getFirst() + " (" + e.getMessage()
                    + "); is it installed? The lab needs iproute2, iptables and nginx-light", e);
        }
        try {
            // Read both streams on their own threads so a chatty tool cannot block on a full pipe.
            StreamReader out = new StreamReader(process.getInputStream());
            StreamReader err = new StreamReader(process.getErrorStream());
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new LabException("command did not finish in " + TIMEOUT_SECONDS + " s: " + String.join(" ", command));
            }
            return new Result(process.exitValue(), out.text(), err.text());
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new LabException("interrupted while running " + String.join(" ", command), e);
        }
    }

    private static final class StreamReader {
        private final Thread thread;
        private volatile String text = "";

        StreamReader(InputStream stream) {
            thread = Thread.ofVirtual().start(() -> {
                try (stream) {
                    text = new String(stream.readAllBytes(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    text = "(output unreadable: " + e.getMessage() + ")";
                }
            });
        }

        String text() throws InterruptedException {
            thread.join();
            return text;
        }
    }
}
