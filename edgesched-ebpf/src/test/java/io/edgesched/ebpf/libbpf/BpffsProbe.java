package io.edgesched.ebpf.libbpf;

import io.edgesched.ebpf.BpffsMissingException;
import java.nio.file.Path;

/**
 * Run by {@link BpffsTest} in a child JVM inside a private mount namespace where /sys/fs/bpf was unmounted:
 * pins a map under /sys/fs/bpf and reports whether bpffs got mounted, or the typed refusal.
 */
public final class BpffsProbe {
    private BpffsProbe() {
    }

    public static void main(String[] args) {
        System.out.println("BEFORE " + Bpffs.isBpffs(Path.of(Bpffs.DEFAULT_MOUNT)));
        Path pin = Path.of(Bpffs.DEFAULT_MOUNT, "edgesched-probe-" + ProcessHandle.current().pid());
        try (BpfMap map = BpfMap.create(MapType.ARRAY, "probe", 4, 8, 1, 0)) {
            map.pin(pin.toString());
            System.out.println("PINNED " + Bpffs.isBpffs(Path.of(Bpffs.DEFAULT_MOUNT)) + " "
                    + java.nio.file.Files.exists(pin));
            java.nio.file.Files.delete(pin);
        } catch (BpffsMissingException e) {
            System.out.println("REFUSED " + e.errno() + " HINT[" + e.hint() + "] PATH[" + e.path() + "]");
        } catch (java.io.IOException e) {
            System.out.println("IOERROR " + e);
        }
    }
}
