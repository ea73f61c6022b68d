package io.edgesched.examples.lab;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * One edge lab (or lab bench) at a time on a machine: each one clears everything named {@code esl-*} when
 * it starts, which would pull the network from under a run in progress. The kernel releases the lock when
 * its holder exits in any way (even kill -9), so a crashed run never blocks the next one.
 */
final class LabLock implements AutoCloseable {
    private static final Path FILE = Path.of(System.getProperty("java.io.tmpdir"), "esl-lab.lock");

    private final FileChannel channel;
    private final FileLock lock;

    private LabLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** Takes the lock, waiting up to {@code maxWait} for a run in progress to end. */
    static LabLock acquire(Duration maxWait, Consumer<String> progress) {
        try {
            FileChannel channel = FileChannel.open(FILE, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.READ);
            long deadline = System.nanoTime() + maxWait.toNanos();
            boolean told = false;
            while (true) {
                FileLock lock = channel.tryLock();
                if (lock != null) {
                    channel.truncate(0);
                    channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
                    return new LabLock(channel, lock);
                }
                if (System.nanoTime() > deadline) {
                    channel.close();
                    throw new LabException("another edge lab run holds " + FILE + " (pid " + holder() + "); wait for it"
                            + " to finish or stop it, then try again");
                }
                if (!told) {
                    progress.accept("waiting for another edge lab run to finish (pid " + holder() + ", lock " + FILE + ")");
                    told = true;
                }
                Thread.sleep(500);
            }
        } catch (IOException e) {
            throw new LabException("cannot take the lab lock " + FILE + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted while waiting for another edge lab run", e);
        }
    }

    private static String holder() {
        try {
            return Files.readString(FILE).strip();
        } catch (IOException e) {
            return "unknown";
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException ignored) {
            // released when the process exits anyway
        }
    }
}
