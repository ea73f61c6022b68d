package io.edgesched.ebpf.libbpf;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.edgesched.ebpf.BpffsMissingException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes sure a pin path is on bpffs before anything is pinned there. Under {@value #DEFAULT_MOUNT} a missing
 * bpffs is mounted (as Cilium's agent does; needs CAP_SYS_ADMIN); anywhere else nothing is mounted for the
 * caller, the error says which command would.
 */
public final class Bpffs {
    private static final Logger LOG = LoggerFactory.getLogger(Bpffs.class);
    /** Where bpffs lives by convention. */
    public static final String DEFAULT_MOUNT = "/sys/fs/bpf";
    /** The command that mounts it there: the hint of a refusal under {@value #DEFAULT_MOUNT}. */
    public static final String MOUNT_HINT = "mount -t bpf bpf " + DEFAULT_MOUNT;
    /** statfs f_type of bpffs (linux/magic.h BPF_FS_MAGIC). */
    static final long BPF_FS_MAGIC = 0xcafe4a11L;

    // struct statfs is 120 bytes on x86-64 and aarch64; f_type (a long) comes first on both.
    private static final long STATFS_SIZE = 256;
    private static final MethodHandle STATFS = LibC.handle("statfs",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), LibC.ERRNO);
    private static final MethodHandle MOUNT = LibC.handle("mount",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS), LibC.ERRNO);

    private Bpffs() {
    }

    /** Whether {@code path} (which must exist) is on bpffs. */
    public static boolean isBpffs(Path path) {
        return filesystemType(path.toAbsolutePath().toString()) == BPF_FS_MAGIC;
    }

    /**
     * Ensures {@code pinPath} (a pin file or a directory, existing or not) lies on bpffs: mounts bpffs at
     * {@value #DEFAULT_MOUNT} when the path is under it and it is not mounted.
     *
     * @throws BpffsMissingException when the path is not on bpffs and could not be made so; the hint is the fix
     */
    public static void ensureFor(Path pinPath) {
        Path path = pinPath.toAbsolutePath().normalize();
        Path existing = nearestExisting(path);
        if (filesystemType(existing.toString()) == BPF_FS_MAGIC) {
            return;
        }
        Path defaultMount = Path.of(DEFAULT_MOUNT);
        if (!path.startsWith(defaultMount)) {
            throw new BpffsMissingException("pin path " + path + " is not on bpffs (" + existing
                    + " is another filesystem)", path.toString(),
                    "pin under " + DEFAULT_MOUNT + " or mount bpffs first: mount -t bpf bpf " + existing, 0);
        }
        if (existing.startsWith(defaultMount) && !existing.equals(defaultMount)) {
            // A directory under /sys/fs/bpf that is not bpffs: something else is mounted there; leave it alone.
            throw new BpffsMissingException("pin path " + path + " is not on bpffs (" + existing
                    + " is another filesystem)", path.toString(), MOUNT_HINT, 0);
        }
        mountDefault(path);
    }

    private static synchronized void mountDefault(Path path) {
        Path defaultMount = Path.of(DEFAULT_MOUNT);
        if (Files.isDirectory(defaultMount) && filesystemType(DEFAULT_MOUNT) == BPF_FS_MAGIC) {
            return; // another thread mounted it
        }
        int rc = mount("bpf", DEFAULT_MOUNT, "bpf", 0, "mode=0700");
        if (rc < 0) {
            String why = switch (-rc) {
                case Errors.EPERM -> "mounting it needs CAP_SYS_ADMIN";
                case Errors.ENOENT -> DEFAULT_MOUNT + " does not exist (is sysfs mounted?)";
                default -> "mount failed";
            };
            throw new BpffsMissingException("pin path " + path + ": bpffs is not mounted at " + DEFAULT_MOUNT
                    + " and " + why + ": " + Errors.describe(rc), path.toString(), MOUNT_HINT, -rc);
        }
        LOG.info("mounted bpffs at {} (it was not mounted; pinning needs it)", DEFAULT_MOUNT);
    }

    private static Path nearestExisting(Path path) {
        Path p = path;
        while (p != null && !Files.exists(p)) {
            p = p.getParent();
        }
        return p == null ? Path.of("/") : p;
    }

    /** statfs f_type, or -errno. */
    static long filesystemType(String path) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = LibC.allocateCapture(arena);
            MemorySegment buf = arena.allocate(STATFS_SIZE, 8);
            int rc = (int) STATFS.invokeExact(capture, arena.allocateFrom(path), buf);
            return rc == 0 ? buf.get(JAVA_LONG, 0) & 0xffffffffL : -LibC.errno(capture);
        } catch (Throwable t) {
            throw Errors.rethrow(t);
        }
    }

    /** mount(2): 0 or -errno. */
    static int mount(String source, String target, String type, long flags, String data) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = LibC.allocateCapture(arena);
            MemorySegment options = data == null ? MemorySegment.NULL : arena.allocateFrom(data);
            int rc = (int) MOUNT.invokeExact(capture, arena.allocateFrom(source), arena.allocateFrom(target),
                    arena.allocateFrom(type), flags, options);
            return rc == 0 ? 0 : -LibC.errno(capture);
        } catch (Throwable t) {
            throw Errors.rethrow(t);
        }
    }
}
