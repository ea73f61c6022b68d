package io.edgesched.ebpf.libbpf;

import io.edgesched.ebpf.BpfException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs code inside another network namespace, e.g. to attach a tc program to a veth end that lives in a
 * namespace created with {@code ip netns add}:
 *
 * <pre>{@code
 * TcAttachment tc = NetworkNamespaces.runIn("edge1", () -> TcAttachment.attach(prog, "veth1", TcDirection.INGRESS));
 * tc.close(); // detaches inside edge1, whatever thread calls it
 * }</pre>
 *
 * <p>Linux network namespaces are per thread ({@code setns(2)}), so the action runs on a fresh platform thread
 * that enters the namespace and then ends: no pooled or virtual-thread carrier is ever left in the wrong
 * namespace, even if switching back would fail. The caller waits for the action and gets its result or
 * exception. Entering a namespace needs CAP_SYS_ADMIN.
 */
public final class NetworkNamespaces {
    /** Where {@code ip netns add NAME} keeps its namespaces. */
    public static final Path NETNS_DIR = Path.of("/run/netns");
    private static final AtomicInteger THREADS = new AtomicInteger();

    private NetworkNamespaces() {
    }

    /** What the action does inside the namespace; may throw {@code E}. */
    @FunctionalInterface
    public interface Action<T, E extends Exception> {
        T run() throws E;
    }

    /**
     * Runs {@code action} inside the named network namespace ({@code /run/netns/<name>}) and returns its result.
     *
     * @throws BpfException ENOENT if there is no such namespace, EPERM without CAP_SYS_ADMIN
     */
    public static <T, E extends Exception> T runIn(String name, Action<T, E> action) throws E {
        if (name.isEmpty() || name.contains("/") || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("invalid network namespace name '" + name + "'");
        }
        Path path = NETNS_DIR.resolve(name);
        int fd = LibC.openReadOnly(path.toString());
        if (fd < 0) {
            throw Errors.of("enter network namespace '" + name + "'", fd, fd == -Errors.ENOENT
                    ? " (" + path + " does not exist; create the namespace with: ip netns add " + name + ")" : "");
        }
        try {
            return runIn(fd, "network namespace '" + name + "'", action);
        } finally {
            LibC.close(fd);
        }
    }

    /** The calling thread's network namespace identity, e.g. {@code net:[4026531840]}. */
    public static String currentId() {
        try {
            return Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /proc/thread-self/ns/net", e);
        }
    }

    /** Runs {@code action} on a new thread that has entered the namespace {@code namespaceFd} refers to. */
    static <T, E extends Exception> T runIn(int namespaceFd, String description, Action<T, E> action) throws E {
        Object[] result = new Object[1];
        Throwable[] failure = new Throwable[1];
        Thread thread = Thread.ofPlatform().daemon(true).name("edgesched-netns-" + THREADS.incrementAndGet())
                .unstarted(() -> {
                    int rc = LibC.setNetns(namespaceFd);
                    if (rc < 0) {
                        failure[0] = Errors.of("enter " + description, rc,
                                rc == -Errors.EPERM ? " (entering a namespace needs CAP_SYS_ADMIN)" : "");
                        return;
                    }
                    try {
                        result[0] = action.run();
                    } catch (Throwable t) {
                        failure[0] = t;
                    }
                    // The thread ends here, and its namespace membership with it.
                });
        thread.start();
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true; // finish the action first: it may hold kernel resources
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (failure[0] != null) {
            throw NetworkNamespaces.<E>sneaky(failure[0]);
        }
        @SuppressWarnings("unchecked")
        T value = (T) result[0];
        return value;
    }

    // The action declares E; anything else it can throw is unchecked, so rethrowing as E is sound.
    @SuppressWarnings("unchecked")
    private static <E extends Exception> E sneaky(Throwable t) throws E {
        throw (E) t;
    }
}
