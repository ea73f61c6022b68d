package io.edgesched.examples.lab;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lab's own packet-path delay: the native esl-delayswitch running in the wan namespace, with every
 * node's uplink plugged into it. Each pair of nodes gets its own round-trip time and jitter, changeable
 * while traffic flows. The switch exits when this object closes its stdin (or when the JVM dies).
 */
final class DelaySwitch implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DelaySwitch.class);
    private static final long REPLY_TIMEOUT_MS = 5000;

    private final Process process;
    private final OutputStream commands;
    private final BlockingQueue<String> replies = new LinkedBlockingQueue<>();
    private volatile String lastError = "";

    private DelaySwitch(Process process) {
        this.process = process;
        this.commands = process.getOutputStream();
        Thread.ofPlatform().daemon().name("esl-delayswitch-out").start(() -> pump(process));
        Thread.ofPlatform().daemon().name("esl-delayswitch-err").start(() -> {
            try (BufferedReader err = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = err.readLine()) != null; ) {
                    log.warn("{}", line);
                    lastError = line;
                }
            } catch (IOException ignored) {
                // the switch is gone; close() reports how it ended
            }
        });
    }

    /** Starts the switch in {@code namespace}; ports are interface names there, each with the MAC behind it. */
    static DelaySwitch start(String namespace, List<String> portNames, List<String> macs) {
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", namespace,
                LabFiles.delaySwitchBinary().toString()));
        for (int i = 0; i < portNames.size(); i++) {
            command.add(portNames.get(i) + "=" + macs.get(i));
        }
        Process process;
        try {
            process = new ProcessBuilder(command).start();
        } catch (IOException e) {
            throw new LabException("cannot start the delay switch: " + e.getMessage(), e);
        }
        DelaySwitch delaySwitch = new DelaySwitch(process);
        String first = delaySwitch.awaitReply();
        if (!"ready".equals(first)) {
            delaySwitch.close();
            throw new LabException("the delay switch did not start: " + first);
        }
        return delaySwitch;
    }

    /** Sets the round trip between two ports to {@code rtt} +- {@code jitter}; takes effect for new frames. */
    synchronized void setRtt(String portA, String portB, Duration rtt, Duration jitter) {
        String reply = command("delay " + portA + " " + portB + " " + rtt.toNanos() / 1000 + " " + jitter.toNanos() / 1000);
        if (!"ok".equals(reply)) {
            throw new LabException("the delay switch refused a delay change: " + reply);
        }
    }

    /** The switch's counters, e.g. "stats forwarded=12 dropped=0 queued=1". */
    synchronized String stats() {
        return command("stats");
    }

    private String command(String line) {
        try {
            commands.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
            commands.flush();
        } catch (IOException e) {
            throw new LabException("the delay switch is not running any more (" + e.getMessage() + ")", e);
        }
        return awaitReply();
    }

    private String awaitReply() {
        try {
            String reply = replies.poll(REPLY_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            if (reply == null) {
                throw new LabException("the delay switch did not answer in " + REPLY_TIMEOUT_MS + " ms"
                        + (process.isAlive() ? "" : " (it exited with " + process.exitValue() + ")"));
            }
            return reply;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted while waiting for the delay switch", e);
        }
    }

    private void pump(Process p) {
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null; ) {
                replies.add(line);
            }
        } catch (IOException ignored) {
            // closed on exit
        }
        try {
            p.waitFor(1, TimeUnit.SECONDS); // let stderr drain so the reason is known
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        replies.add("error the delay switch exited: " + lastError);
    }

    @Override
    public void close() {
        try {
            commands.close(); // EOF on stdin: the switch exits by itself
        } catch (IOException ignored) {
            // already gone
        }
        try {
            if (!process.waitFor(2, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(2, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
