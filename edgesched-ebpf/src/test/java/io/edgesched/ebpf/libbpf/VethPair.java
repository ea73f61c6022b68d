package io.edgesched.ebpf.libbpf;

/**
 * Two network namespaces joined by a veth pair (a: {@code 10.<subnet>.0.1/30}, b: {@code .2}), named after the test's
 * PID so parallel runs do not collide. The test creates it before its first case and deletes it after the last.
 */
record VethPair(String nsA, String nsB, String vethA, String vethB, String addrA, String addrB) {
    static VethPair named(String nsPrefix, String vethPrefix, int subnet) {
        long pid = ProcessHandle.current().pid();
        return new VethPair(nsPrefix + "-a-" + pid, nsPrefix + "-b-" + pid, vethPrefix + "-va", vethPrefix + "-vb",
                "10." + subnet + ".0.1", "10." + subnet + ".0.2");
    }

    /** Deletes what a crashed earlier run left under these names, then builds the pair with both links up. */
    void create() {
        delete();
        Shell.ok("ip", "netns", "add", nsA);
        Shell.ok("ip", "netns", "add", nsB);
        Shell.ok("ip", "-n", nsA, "link", "add", vethA, "type", "veth", "peer", "name", vethB, "netns", nsB);
        Shell.ok("ip", "-n", nsA, "addr", "add", addrA + "/30", "dev", vethA);
        Shell.ok("ip", "-n", nsB, "addr", "add", addrB + "/30", "dev", vethB);
        Shell.ok("ip", "-n", nsA, "link", "set", vethA, "up");
        Shell.ok("ip", "-n", nsB, "link", "set", vethB, "up");
        Shell.ok("ip", "-n", nsA, "link", "set", "lo", "up");
    }

    /** Removing the namespaces removes the veth pair and every tc hook and tcx link on it. */
    void delete() {
        Shell.run("ip", "netns", "del", nsA);
        Shell.run("ip", "netns", "del", nsB);
    }
}
