package io.edgesched.ebpf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What this process may do with BPF, read from {@code /proc/self/status} (effective uid and CapEff).
 * Loading programs and creating maps needs CAP_BPF (or CAP_SYS_ADMIN on old kernels); tc attach needs
 * CAP_NET_ADMIN.
 */
public final class Privileges {
    static final int CAP_NET_ADMIN = 12;
    static final int CAP_SYS_ADMIN = 21;
    static final int CAP_PERFMON = 38;
    static final int CAP_BPF = 39;

    private Privileges() {
    }

    /** Effective uid is 0. */
    public static boolean isRoot() {
        return effectiveUid(status()) == 0;
    }

    /** The process can load BPF programs/maps and attach them with tc. */
    public static boolean hasBpfCapabilities() {
        long caps = effectiveCapabilities(status());
        boolean bpf = has(caps, CAP_BPF) || has(caps, CAP_SYS_ADMIN);
        return bpf && has(caps, CAP_NET_ADMIN);
    }

    /** A one-line description of what is missing, or "ok". */
    public static String describe() {
        List<String> lines = status();
        long caps = effectiveCapabilities(lines);
        if (has(caps, CAP_BPF) || has(caps, CAP_SYS_ADMIN)) {
            if (has(caps, CAP_NET_ADMIN)) {
                return "ok";
            }
            return "uid " + effectiveUid(lines) + " lacks CAP_NET_ADMIN; " + PermissionDeniedException.HINT;
        }
        return "uid " + effectiveUid(lines) + " lacks CAP_BPF/CAP_SYS_ADMIN (CapEff=" + Long.toHexString(caps)
                + "); " + PermissionDeniedException.HINT;
    }

    static boolean has(long caps, int cap) {
        return (caps & (1L << cap)) != 0;
    }

    static long effectiveCapabilities(List<String> statusLines) {
        return Long.parseUnsignedLong(field(statusLines, "CapEff:").trim(), 16);
    }

    static int effectiveUid(List<String> statusLines) {
        // "Uid:\treal\teffective\tsaved\tfs"
        return Integer.parseInt(field(statusLines, "Uid:").trim().split("\\s+")[1]);
    }

    private static String field(List<String> lines, String name) {
        for (String line : lines) {
            if (line.startsWith(name)) {
                return line.substring(name.length());
            }
        }
        throw new IllegalStateException("/proc/self/status has no " + name + " line; is /proc mounted?");
    }

    private static List<String> status() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /proc/self/status to check privileges", e);
        }
    }
}
