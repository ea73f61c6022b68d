package io.edgesched.examples.lab;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes everything a lab run left: its processes and its network namespaces (with them go the veth
 * links, addresses, iptables rules, tc hooks and BPF programs attached inside). All of it is found by the
 * name prefix, so a run that crashed is cleaned by the next one.
 */
public final class LabCleanup {
    private static final Logger log = LoggerFactory.getLogger(LabCleanup.class);

    private LabCleanup() {
    }

    /** Namespaces whose name starts with {@code prefix}. */
    public static List<String> namespaces(String prefix) {
        List<String> found = new ArrayList<>();
        for (String line : Cmd.run("ip", "netns", "list").split("\n")) {
            String name = line.strip().split("\\s+")[0];
            if (!name.isEmpty() && name.startsWith(prefix)) {
                found.add(name);
            }
        }
        return found;
    }

    /** Ends the processes living in the lab's namespaces, then deletes the namespaces. Returns how many. */
    public static int removeAll(String prefix) {
        List<String> namespaces = namespaces(prefix);
        List<ProcessHandle> processes = new ArrayList<>();
        for (String ns : namespaces) {
            Cmd.Result pids = Cmd.tryRun(List.of("ip", "netns", "pids", ns));
            for (String pid : pids.stdout().split("\\s+")) {
                if (!pid.isBlank()) {
                    ProcessHandle.of(Long.parseLong(pid.strip())).ifPresent(processes::add);
                }
            }
        }
        processes.forEach(ProcessHandle::destroy);
        for (ProcessHandle p : processes) {
            try {
                p.onExit().get(2, TimeUnit.SECONDS);
            } catch (Exception e) {
                p.destroyForcibly();
            }
        }
        for (String ns : namespaces) {
            Cmd.Result result = Cmd.tryRun(List.of("ip", "netns", "delete", ns));
            if (result.exitCode() != 0) {
                log.warn("could not delete network namespace {}: {}", ns, result.stderr().strip());
            }
        }
        return namespaces.size();
    }

    /**
     * Deletes work directories ({@code java.io.tmpdir}/NAME*) that a killed run could not remove: nginx
     * configs and access logs. Returns how many.
     */
    public static int removeStaleWorkDirs(String namePrefix) {
        java.nio.file.Path tmp = java.nio.file.Path.of(System.getProperty("java.io.tmpdir"));
        int removed = 0;
        try (var dirs = java.nio.file.Files.list(tmp)) {
            for (java.nio.file.Path dir : dirs.filter(d -> d.getFileName().toString().startsWith(namePrefix)).toList()) {
                deleteTree(dir);
                removed++;
            }
        } catch (java.io.IOException e) {
            log.warn("could not look for stale lab directories in {}: {}", tmp, e.toString());
        }
        return removed;
    }

    static void deleteTree(java.nio.file.Path dir) {
        if (!java.nio.file.Files.exists(dir)) {
            return;
        }
        try (var paths = java.nio.file.Files.walk(dir)) {
            for (java.nio.file.Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                java.nio.file.Files.deleteIfExists(p);
            }
        } catch (java.io.IOException e) {
            log.warn("could not remove the lab directory {}: {}", dir, e.toString());
        }
    }

    /** Names of links in the root namespace that carry the prefix (the lab creates none there; a check). */
    public static List<String> rootLinks(String prefix) {
        List<String> found = new ArrayList<>();
        for (String line : Cmd.run("ip", "-o", "link", "show").split("\n")) {
            String[] parts = line.split(":\\s+");
            if (parts.length > 1) {
                String name = parts[1].split("@")[0];
                if (name.startsWith(prefix)) {
                    found.add(name);
                }
            }
        }
        return found;
    }

    static Optional<String> check(String prefix) {
        List<String> left = new ArrayList<>(namespaces(prefix));
        left.addAll(rootLinks(prefix));
        return left.isEmpty() ? Optional.empty() : Optional.of(String.join(", ", left));
    }
}
