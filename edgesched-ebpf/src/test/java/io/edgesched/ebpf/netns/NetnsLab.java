package io.edgesched.ebpf.netns;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Two network namespaces joined by a veth pair, for real TCP between a "server" and many "clients".
 *
 * <pre>
 *   [esT-PID-N-s]  srv0  10.213.0.1/16  fd00:213::1/64
 *        |  veth
 *   [esT-PID-N-c]  cli0  10.213.1.1 ... 10.213.x.y/16, fd00:213::c:1 ... /64 (one per client)
 * </pre>
 * Every address lives only inside the two namespaces; nothing is added to the host's own namespace.
 * {@link #close()} deletes both namespaces (which removes the veth pair and every address with them).
 * {@link #create} first deletes leftovers of earlier runs whose JVM is gone.
 */
public final class NetnsLab implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NetnsLab.class);
    /** Every namespace the tests create starts with this, followed by the JVM's pid. */
    public static final String PREFIX = "esT-";
    public static final String SERVER_INTERFACE = "srv0";
    public static final String CLIENT_INTERFACE = "cli0";
    private static final AtomicInteger COUNTER = new AtomicInteger();
    // Fixed MACs (the namespaces are private) so that neighbours can be entered up front: no ARP/ND on the
    // path, hence no handshake delayed or retransmitted by address resolution, hence exact counts.
    public static final String SERVER_MAC = "02:e5:00:00:00:01";
    public static final String CLIENT_MAC = "02:e5:00:00:00:02";

    private final String serverNs;
    private final String clientNs;
    private final InetAddress serverV4;
    private final InetAddress serverV6;
    private final List<InetAddress> clientV4;
    private final List<InetAddress> clientV6;
    private final List<Process> children = Collections.synchronizedList(new ArrayList<>());
    private boolean closed;

    private NetnsLab(String serverNs, String clientNs, List<InetAddress> clientV4, List<InetAddress> clientV6) {
        this.serverNs = serverNs;
        this.clientNs = clientNs;
        this.serverV4 = address("10.213.0.1");
        this.serverV6 = address("fd00:213::1");
        this.clientV4 = List.copyOf(clientV4);
        this.clientV6 = List.copyOf(clientV6);
    }

    /** Creates the two namespaces with {@code v4Clients} IPv4 and {@code v6Clients} IPv6 client addresses. */
    public static NetnsLab create(int v4Clients, int v6Clients) {
        if (v4Clients < 0 || v4Clients > 60_000 || v6Clients < 0 || v6Clients > 60_000) {
            throw new IllegalArgumentException("client address counts must be within 0..60000");
        }
        removeLeftovers();
        String base = PREFIX + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet();
        List<InetAddress> v4 = new ArrayList<>();
        for (int i = 0; i < v4Clients; i++) {
            v4.add(address("10.213." + (1 + i / 250) + "." + (1 + i % 250)));
        }
        List<InetAddress> v6 = new ArrayList<>();
        for (int i = 0; i < v6Clients; i++) {
            v6.add(address("fd00:213::c:" + Integer.toHexString(i + 1)));
        }
        NetnsLab lab = new NetnsLab(base + "-s", base + "-c", v4, v6);
        try {
            lab.build();
        } catch (RuntimeException e) {
            lab.close();
            throw e;
        }
        return lab;
    }

    private void build() {
        Commands.run("ip", "netns", "add", serverNs);
        Commands.run("ip", "netns", "add", clientNs);
        // Created inside the server namespace, so no name is ever taken in the host namespace.
        Commands.run("ip", "-n", serverNs, "link", "add", SERVER_INTERFACE, "address", SERVER_MAC, "type", "veth",
                "peer", "name", CLIENT_INTERFACE, "address", CLIENT_MAC, "netns", clientNs);
        StringBuilder server = new StringBuilder()
                .append("link set lo up\n")
                .append("addr add 10.213.0.1/16 dev ").append(SERVER_INTERFACE).append('\n')
                .append("addr add fd00:213::1/64 dev ").append(SERVER_INTERFACE).append(" nodad\n")
                .append("link set ").append(SERVER_INTERFACE).append(" up\n");
        for (InetAddress a : clientV4) {
            neighbour(server, a, CLIENT_MAC, SERVER_INTERFACE);
        }
        for (InetAddress a : clientV6) {
            neighbour(server, a, CLIENT_MAC, SERVER_INTERFACE);
        }
        Commands.run(List.of("ip", "-n", serverNs, "-batch", "-"), server.toString());
        StringBuilder client = new StringBuilder().append("link set lo up\n");
        for (InetAddress a : clientV4) {
            client.append("addr add ").append(a.getHostAddress()).append("/16 dev ").append(CLIENT_INTERFACE).append('\n');
        }
        for (InetAddress a : clientV6) {
            client.append("addr add ").append(a.getHostAddress()).append("/64 dev ").append(CLIENT_INTERFACE)
                    .append(" nodad\n");
        }
        // One MSS-sized segment per skb: the observer then sees every TCP segment as one packet.
        client.append("link set ").append(CLIENT_INTERFACE).append(" gso_max_segs 1\n");
        client.append("link set ").append(CLIENT_INTERFACE).append(" up\n");
        neighbour(client, serverV4, SERVER_MAC, CLIENT_INTERFACE);
        neighbour(client, serverV6, SERVER_MAC, CLIENT_INTERFACE);
        Commands.run(List.of("ip", "-n", clientNs, "-batch", "-"), client.toString());
        LOG.info("netns lab {} <-> {} with {} IPv4 and {} IPv6 client addresses", serverNs, clientNs,
                clientV4.size(), clientV6.size());
    }

    private static void neighbour(StringBuilder batch, InetAddress address, String mac, String device) {
        batch.append("neigh replace ").append(address.getHostAddress()).append(" lladdr ").append(mac)
                .append(" dev ").append(device).append(" nud permanent\n");
    }

    public String serverNs() {
        return serverNs;
    }

    public String clientNs() {
        return clientNs;
    }

    /** The interface in {@link #serverNs()} that the clients' packets arrive on. */
    public String serverInterface() {
        return SERVER_INTERFACE;
    }

    public String clientInterface() {
        return CLIENT_INTERFACE;
    }

    public InetAddress serverV4() {
        return serverV4;
    }

    public InetAddress serverV6() {
        return serverV6;
    }

    public List<InetAddress> clientV4() {
        return clientV4;
    }

    public List<InetAddress> clientV6() {
        return clientV6;
    }

    /** Runs {@code ip -n NS args...} and returns its stdout. */
    public String ipIn(String ns, String... args) {
        List<String> command = new ArrayList<>(List.of("ip", "-n", ns));
        command.addAll(List.of(args));
        return Commands.run(command, null);
    }

    /** Runs a command inside a namespace ({@code ip netns exec}) and returns its stdout. */
    public String execIn(String ns, String... command) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        full.addAll(List.of(command));
        return Commands.run(full, null);
    }

    /**
     * Starts a child JVM inside a namespace running {@code mainClass} from this test code's classpath entry.
     * The child is destroyed on {@link #close()} at the latest.
     */
    public Process startJava(String ns, Class<?> mainClass, List<String> args) {
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", ns,
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx64m", "-Xss512k",
                "-cp", codeLocation(mainClass), mainClass.getName()));
        command.addAll(args);
        try {
            Process process = new ProcessBuilder(command).start();
            children.add(process);
            return process;
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + mainClass.getSimpleName() + " in " + ns, e);
        }
    }

    static String codeLocation(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Deletes namespaces and bpffs pin directories (/sys/fs/bpf/{@value #PREFIX}PID-...) of earlier runs whose
     * JVM no longer runs.
     */
    public static void removeLeftovers() {
        removeLeftoverPins();
        Commands.Result list = Commands.runAllowingFailure(List.of("ip", "netns", "list"), null);
        if (!list.ok()) {
            return;
        }
        for (String line : list.stdout().split("\n")) {
            String name = line.strip().split("\\s+")[0];
            if (!name.startsWith(PREFIX)) {
                continue;
            }
            if (!ownerAlive(name)) {
                LOG.info("removing leftover test namespace {}", name);
                Commands.runAllowingFailure(List.of("ip", "netns", "del", name), null);
            }
        }
    }

    /** Whether the JVM whose pid follows the prefix in {@code name} still runs (true if no pid can be read). */
    static boolean ownerAlive(String name) {
        String[] parts = name.substring(PREFIX.length()).split("-");
        try {
            long pid = Long.parseLong(parts[0]);
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        } catch (NumberFormatException e) {
            return true; // not one of ours: leave it
        }
    }

    private static void removeLeftoverPins() {
        Path bpffs = Path.of("/sys/fs/bpf");
        try (var entries = java.nio.file.Files.list(bpffs)) {
            for (Path dir : entries.toList()) {
                String name = dir.getFileName().toString();
                if (name.startsWith(PREFIX) && !ownerAlive(name)) {
                    LOG.info("removing leftover test pins {}", dir);
                    try (var pins = java.nio.file.Files.walk(dir)) {
                        for (Path p : pins.sorted(java.util.Comparator.reverseOrder()).toList()) {
                            java.nio.file.Files.deleteIfExists(p);
                        }
                    }
                }
            }
        } catch (IOException e) {
            LOG.debug("no leftover pins removed: {}", e.toString());
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        synchronized (children) {
            for (Process child : children) {
                child.destroy();
            }
            for (Process child : children) {
                try {
                    if (!child.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
                        child.destroyForcibly();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    child.destroyForcibly();
                }
            }
        }
        Commands.runAllowingFailure(List.of("ip", "netns", "del", clientNs), null);
        Commands.runAllowingFailure(List.of("ip", "netns", "del", serverNs), null);
    }

    /** Whether a namespace of this name currently exists. */
    public static boolean namespaceExists(String name) {
        return Commands.run("ip", "netns", "list").lines().anyMatch(l -> l.strip().split("\\s+")[0].equals(name));
    }

    static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal); // numeric literal only: never a lookup
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(literal, e);
        }
    }
}
