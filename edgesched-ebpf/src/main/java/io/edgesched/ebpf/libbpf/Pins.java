package io.edgesched.ebpf.libbpf;

import java.lang.foreign.Arena;
import java.nio.file.Path;

/** bpf_obj_pin with errors that say what to check. */
final class Pins {
    private Pins() {
    }

    static void pin(int fd, String path, String context) {
        Libbpf.require();
        Bpffs.ensureFor(Path.of(path));
        int rc;
        try (Arena arena = Arena.ofConfined()) {
            rc = (int) Libbpf.OBJ_PIN.invokeExact(fd, arena.allocateFrom(path));
        } catch (Throwable t) {
            throw Errors.rethrow(t);
        }
        if (rc < 0) {
            String hint = switch (-rc) {
                case Errors.EEXIST -> " (something is already pinned there; remove it with rm " + path + ")";
                case Errors.ENOENT -> " (the parent directory does not exist; create it under /sys/fs/bpf)";
                case Errors.EPERM, Errors.EINVAL -> " (pin paths must be on bpffs, e.g. /sys/fs/bpf/...;"
                        + " mount -t bpf bpf /sys/fs/bpf)";
                default -> "";
            };
            throw Errors.of(context + " at " + path, rc, hint);
        }
    }
}
