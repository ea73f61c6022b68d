package io.edgesched.ebpf.libbpf;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * bpf(2) called directly, for commands libbpf 1.1 has no API for (tcx links). Constants come from the kernel's
 * include/uapi/linux/bpf.h; the Debian 12 header (/usr/include/linux/bpf.h, from 6.1) predates tcx (6.6), so the
 * tcx values are defined here, not read from it.
 */
final class BpfSyscall {
    static final int BPF_OBJ_GET_INFO_BY_FD = 15;
    static final int BPF_PROG_QUERY = 16;
    static final int BPF_LINK_CREATE = 28;
    static final int BPF_LINK_UPDATE = 29;
    static final int BPF_LINK_DETACH = 34;
    // union bpf_attr, link_update: link_fd 0, new_prog_fd 4, flags 8, old_prog_fd 12
    static final long LINK_UPDATE_LINK_FD = 0;
    static final long LINK_UPDATE_NEW_PROG_FD = 4;

    /** enum bpf_attach_type: BPF_TCX_INGRESS / BPF_TCX_EGRESS (kernel 6.6+, after BPF_NETFILTER = 45). */
    static final int BPF_TCX_INGRESS = 46;
    static final int BPF_TCX_EGRESS = 47;
    /** enum bpf_link_type BPF_LINK_TYPE_TCX. */
    static final int BPF_LINK_TYPE_TCX = 11;
    /** Ordering flags of multi-program attach points (tcx): before / after the relative object, or all. */
    static final int BPF_F_BEFORE = 1 << 3;
    static final int BPF_F_AFTER = 1 << 4;

    // union bpf_attr, link_create: prog_fd 0, target_ifindex 4, attach_type 8, flags 12,
    // tcx.relative_fd 16, tcx.expected_revision 24 (checked against the 6.18 uapi header)
    static final long LINK_CREATE_PROG_FD = 0;
    static final long LINK_CREATE_TARGET_IFINDEX = 4;
    static final long LINK_CREATE_ATTACH_TYPE = 8;
    static final long LINK_CREATE_FLAGS = 12;
    static final long LINK_CREATE_TCX_RELATIVE_FD = 16;
    static final long LINK_CREATE_TCX_EXPECTED_REVISION = 24;
    /** Bytes of bpf_attr passed: everything up to the tcx fields; the kernel requires the rest to be zero anyway. */
    static final long ATTR_SIZE = 64;

    // union bpf_attr, query: target_ifindex 0, attach_type 4, query_flags 8, attach_flags 12, prog_ids 16,
    // prog_cnt 24 (the rest, up to tcx's revision at 56, zero)
    static final long QUERY_TARGET_IFINDEX = 0;
    static final long QUERY_ATTACH_TYPE = 4;
    static final long QUERY_PROG_IDS = 16;
    static final long QUERY_PROG_CNT = 24;

    // struct bpf_link_info: type 0, id 4, prog_id 8, then the per-type union at 16 (tcx: ifindex, attach_type)
    static final long LINK_INFO_SIZE = 64;
    static final long LINK_INFO_TYPE = 0;
    static final long LINK_INFO_ID = 4;
    static final long LINK_INFO_PROG_ID = 8;
    static final long LINK_INFO_TCX_IFINDEX = 16;
    static final long LINK_INFO_TCX_ATTACH_TYPE = 20;

    private static final long SYS_BPF = switch (System.getProperty("os.arch")) {
        case "amd64", "x86_64" -> 321;
        case "aarch64", "arm64" -> 280;
        default -> -1;
    };
    private static final MethodHandle SYSCALL = LibC.handle("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT), LibC.ERRNO,
            Linker.Option.firstVariadicArg(1));

    private BpfSyscall() {
    }

    /** bpf(cmd, attr, size): the result (an fd for LINK_CREATE), or -errno. */
    static int call(int cmd, MemorySegment attr) {
        if (SYS_BPF < 0) {
            return -Errors.ENOSYS;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = LibC.allocateCapture(arena);
            long rc = (long) SYSCALL.invokeExact(capture, SYS_BPF, cmd, attr, (int) attr.byteSize());
            return rc >= 0 ? (int) rc : -LibC.errno(capture);
        } catch (Throwable t) {
            throw Errors.rethrow(t);
        }
    }

    /** bpf_obj_get_info_by_fd for a link: fills {@code info} ({@value #LINK_INFO_SIZE} bytes); 0 or -errno. */
    static int linkInfo(int linkFd, MemorySegment info) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment length = arena.allocate(JAVA_INT);
            length.set(JAVA_INT, 0, (int) info.byteSize());
            return (int) Libbpf.OBJ_GET_INFO_BY_FD.invokeExact(linkFd, info, length);
        } catch (Throwable t) {
            throw Errors.rethrow(t);
        }
    }
}
