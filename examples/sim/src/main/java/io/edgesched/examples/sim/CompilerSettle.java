package io.edgesched.examples.sim;

import java.io.IOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Waits until the JIT compilers are idle (a diagnostic: {@code --settle-compiler-ms}). A deployed controller runs a
 * round every 10 s or so; what the compilers queued during one round they finish in the idle time before the next.
 * The simulator runs steps back to back, so that work (and the compiles its own untimed work between steps starts)
 * lands inside the next timed cycle. Waiting for the compilers between steps models the idle time; the default
 * does not wait.
 */
final class CompilerSettle {
    private static final Path TASKS = Path.of("/proc/self/task");
    private static final long POLL_MILLIS = 50;

    private CompilerSettle() {
    }

    /**
     * Returns after the compiler threads used no CPU for two polls in a row (50 ms apart), or after
     * {@code maxMillis}; the milliseconds waited.
     */
    static long await(long maxMillis) {
        long start = System.nanoTime();
        long deadline = start + maxMillis * 1_000_000L;
        long last = compilerWork();
        int quiet = 0;
        while (quiet < 2 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            long now = compilerWork();
            quiet = now == last ? quiet + 1 : 0;
            last = now;
        }
        return (System.nanoTime() - start) / 1_000_000L;
    }

    /**
     * A number that grows while the compilers work: their threads' CPU ticks from /proc (Linux), else the JVM's
     * total compilation time (which grows only when a compilation ends).
     */
    private static long compilerWork() {
        long ticks = compilerTicks();
        return ticks >= 0 ? ticks : compilationMillis();
    }

    /** Time the JIT compilers spent compiling so far (summed over compiler threads), or 0 when not reported. */
    static long compilationMillis() {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : 0;
    }

    /** User + system clock ticks of the threads named "C1/C2 CompilerThread...", or -1 without /proc. */
    private static long compilerTicks() {
        if (!Files.isDirectory(TASKS)) {
            return -1;
        }
        long total = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(TASKS)) {
            for (Path task : tasks) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    int open = stat.indexOf('(');
                    int close = stat.lastIndexOf(')');
                    if (open < 0 || close < open || !stat.substring(open + 1, close).contains("CompilerThre")) {
                        continue;
                    }
                    // after "(comm) ": state is field 3, utime field 14, stime field 15
                    String[] rest = stat.substring(close + 2).split(" ");
                    total += Long.parseLong(rest[11]) + Long.parseLong(rest[12]);
                } catch (IOException | RuntimeException e) {
                    // the thread ended while we read it: it no longer works
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return total;
    }
}
