package io.edgesched.examples.lab;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Checks what the lab needs before it touches anything, and says how to fix what is missing. */
final class LabPreflight {
    private LabPreflight() {
    }

    static void check(List<Method> methods) {
        if (!isRoot()) {
            throw new LabException("the edge lab creates network namespaces and attaches eBPF programs: run it as root"
                    + " (e.g. sudo examples/bin/edge-lab)");
        }
        need("ip", "apt-get install -y iproute2");
        need("iptables", "apt-get install -y iptables");
        if (methods.contains(Method.SIDECAR)) {
            need("nginx", "apt-get install -y nginx-light");
        }
        LabFiles.delaySwitchBinary();
    }

    static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.split("\\s+")[2].equals("0"); // effective uid
                }
            }
        } catch (java.io.IOException e) {
            return false;
        }
        return false;
    }

    private static void need(String tool, String install) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return;
            }
        }
        for (String dir : List.of("/usr/sbin", "/sbin", "/usr/bin")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return;
            }
        }
        throw new LabException("the edge lab needs " + tool + ", which is not on the PATH: " + install);
    }
}
