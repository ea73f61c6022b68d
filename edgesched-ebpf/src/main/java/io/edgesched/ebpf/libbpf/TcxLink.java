package io.edgesched.ebpf.libbpf;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.edgesched.ebpf.BpfException;
import io.edgesched.ebpf.KernelFeatureMissingException;
import io.edgesched.ebpf.NoSuchInterfaceException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A tcx BPF link (kernel 6.6+): the program on an interface's ingress or egress, held by a link fd of this
 * process. The kernel detaches it when the fd closes, also when the process dies (kill -9, OOM): nothing is
 * left behind. No qdisc is involved, and other programs on the hook (tcx or tc) are not touched.
 *
 * <p>Attached through bpf(2) BPF_LINK_CREATE (libbpf 1.1 has no tcx API); see {@link BpfSyscall}.
 */
public final class TcxLink implements Attachment {
    private static final Logger LOG = LoggerFactory.getLogger(TcxLink.class);

    /** Where among the programs already on the hook ours goes. */
    public enum Position {
        /** Before every program attached so far (BPF_F_BEFORE): one that drops or redirects cannot hide packets. */
        FIRST(BpfSyscall.BPF_F_BEFORE),
        /** After every program attached so far (BPF_F_AFTER). */
        LAST(BpfSyscall.BPF_F_AFTER);

        final int flag;

        Position(int flag) {
            this.flag = flag;
        }
    }

    private final String interfaceName;
    private final int ifindex;
    private final TcDirection direction;
    private final int linkFd;
    private final int linkId;
    private int programId;
    private boolean closed;

    private TcxLink(String interfaceName, int ifindex, TcDirection direction, int linkFd, int linkId,
            int programId) {
        this.interfaceName = interfaceName;
        this.ifindex = ifindex;
        this.direction = direction;
        this.linkFd = linkFd;
        this.linkId = linkId;
        this.programId = programId;
    }

    /**
     * Attaches {@code program} to {@code interfaceName} in the calling thread's network namespace.
     *
     * @throws NoSuchInterfaceException if there is no such interface here
     * @throws KernelFeatureMissingException if the kernel has no tcx (before 6.6): use a {@link TcAttachment}
     */
    public static TcxLink attach(BpfProgram program, String interfaceName, TcDirection direction,
            Position position) {
        Libbpf.require();
        int ifindex = LibC.ifNameToIndex(interfaceName);
        if (ifindex < 0) {
            throw new NoSuchInterfaceException(interfaceName, -ifindex);
        }
        String context = "attach tcx " + direction.label() + " link on " + interfaceName + " (program '"
                + program.name() + "', " + position.name().toLowerCase(java.util.Locale.ROOT) + ")";
        int linkFd;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(BpfSyscall.ATTR_SIZE, 8);
            attr.set(JAVA_INT, BpfSyscall.LINK_CREATE_PROG_FD, program.fd());
            attr.set(JAVA_INT, BpfSyscall.LINK_CREATE_TARGET_IFINDEX, ifindex);
            attr.set(JAVA_INT, BpfSyscall.LINK_CREATE_ATTACH_TYPE, attachType(direction));
            attr.set(JAVA_INT, BpfSyscall.LINK_CREATE_FLAGS, position.flag);
            attr.set(JAVA_INT, BpfSyscall.LINK_CREATE_TCX_RELATIVE_FD, 0); // 0 with BEFORE/AFTER: the whole chain
            attr.set(JAVA_LONG, BpfSyscall.LINK_CREATE_TCX_EXPECTED_REVISION, 0L);
            linkFd = BpfSyscall.call(BpfSyscall.BPF_LINK_CREATE, attr);
        }
        if (linkFd < 0) {
            throw switch (-linkFd) {
                case Errors.EINVAL -> new KernelFeatureMissingException(context + ": " + Errors.describe(linkFd),
                        "tcx links (BPF_TCX_INGRESS/EGRESS)",
                        "kernel 6.6 or newer, or attach with the tc fallback", -linkFd);
                case Errors.ENODEV -> new NoSuchInterfaceException(interfaceName, -linkFd);
                default -> Errors.of(context, linkFd);
            };
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(BpfSyscall.LINK_INFO_SIZE, 8);
            int rc = BpfSyscall.linkInfo(linkFd, info);
            if (rc < 0) {
                throw Errors.of(context + ": read link info", rc);
            }
            TcxLink link = new TcxLink(interfaceName, ifindex, direction, linkFd,
                    info.get(JAVA_INT, BpfSyscall.LINK_INFO_ID), info.get(JAVA_INT, BpfSyscall.LINK_INFO_PROG_ID));
            LOG.debug("attached {}", link);
            return link;
        } catch (RuntimeException | Error e) {
            LibC.close(linkFd);
            throw e;
        }
    }

    /** Names of the programs on the interface's tcx hook, in the order they run (see {@link #attachedProgramIds}). */
    public static java.util.List<String> attachedProgramNames(String interfaceName, TcDirection direction) {
        return attachedProgramIds(interfaceName, direction).stream().map(TcAttachment::programName).toList();
    }

    /**
     * Ids of the programs on the interface's tcx hook, in the order they run (calling thread's namespace); empty
     * if none or no such interface.
     */
    public static java.util.List<Integer> attachedProgramIds(String interfaceName, TcDirection direction) {
        Libbpf.require();
        int ifindex = LibC.ifNameToIndex(interfaceName);
        if (ifindex < 0) {
            return java.util.List.of();
        }
        try (Arena arena = Arena.ofConfined()) {
            int capacity = 64;
            MemorySegment ids = arena.allocate(JAVA_INT, capacity);
            MemorySegment attr = arena.allocate(BpfSyscall.ATTR_SIZE, 8);
            attr.set(JAVA_INT, BpfSyscall.QUERY_TARGET_IFINDEX, ifindex);
            attr.set(JAVA_INT, BpfSyscall.QUERY_ATTACH_TYPE, attachType(direction));
            attr.set(JAVA_LONG, BpfSyscall.QUERY_PROG_IDS, ids.address());
            attr.set(JAVA_INT, BpfSyscall.QUERY_PROG_CNT, capacity);
            int rc = BpfSyscall.call(BpfSyscall.BPF_PROG_QUERY, attr);
            if (rc < 0) {
                if (rc == -Errors.ENODEV || rc == -Errors.ENOENT) {
                    return java.util.List.of();
                }
                throw Errors.of("query tcx " + direction.label() + " programs on " + interfaceName, rc);
            }
            int count = Math.min(capacity, attr.get(JAVA_INT, BpfSyscall.QUERY_PROG_CNT));
            java.util.List<Integer> found = new java.util.ArrayList<>();
            for (int i = 0; i < count; i++) {
                found.add(ids.getAtIndex(JAVA_INT, i));
            }
            return found;
        }
    }

    static int attachType(TcDirection direction) {
        return direction == TcDirection.INGRESS ? BpfSyscall.BPF_TCX_INGRESS : BpfSyscall.BPF_TCX_EGRESS;
    }

    /** False once the interface is gone (the kernel then reports ifindex 0) or someone detached the link. */
    @Override
    public synchronized boolean isAttached() {
        if (closed) {
            return false;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(BpfSyscall.LINK_INFO_SIZE, 8);
            int rc = BpfSyscall.linkInfo(linkFd, info);
            if (rc < 0) {
                throw Errors.of("read tcx link " + linkId + " info", rc);
            }
            return info.get(JAVA_INT, BpfSyscall.LINK_INFO_TCX_IFINDEX) != 0;
        }
    }

    /**
     * Pins the link in bpffs: it then stays attached after this fd closes and after the process exits, until the
     * pin is removed (rm) and no fd holds it. For a hand-over across an upgrade: the next process
     * {@link #openPinned opens} it and {@link #update updates} the program, so the hook is never empty.
     */
    public void pin(String path) {
        Pins.pin(fd(), path, "pin tcx link " + linkId);
    }

    /**
     * Opens a tcx link pinned by {@link #pin} (e.g. by the previous agent).
     *
     * @throws BpfException ENOENT if nothing is pinned there; EINVAL if the pin is not a tcx link
     */
    public static TcxLink openPinned(String path, String interfaceName) {
        Libbpf.require();
        int fd;
        try (Arena arena = Arena.ofConfined()) {
            fd = (int) Libbpf.OBJ_GET.invokeExact(arena.allocateFrom(path));
        } catch (Throwable t) {
            throw Errors.rethrow(t);
        }
        if (fd < 0) {
            throw Errors.of("open pinned tcx link " + path, fd);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(BpfSyscall.LINK_INFO_SIZE, 8);
            int rc = BpfSyscall.linkInfo(fd, info);
            if (rc < 0) {
                throw Errors.of("open pinned tcx link " + path + ": read link info", rc);
            }
            if (info.get(JAVA_INT, BpfSyscall.LINK_INFO_TYPE) != BpfSyscall.BPF_LINK_TYPE_TCX) {
                throw new BpfException("open pinned tcx link " + path + ": the pin is a link of type "
                        + info.get(JAVA_INT, BpfSyscall.LINK_INFO_TYPE) + ", not tcx", Errors.EINVAL);
            }
            int attachType = info.get(JAVA_INT, BpfSyscall.LINK_INFO_TCX_ATTACH_TYPE);
            TcDirection direction = attachType == BpfSyscall.BPF_TCX_INGRESS ? TcDirection.INGRESS : TcDirection.EGRESS;
            return new TcxLink(interfaceName, info.get(JAVA_INT, BpfSyscall.LINK_INFO_TCX_IFINDEX), direction, fd,
                    info.get(JAVA_INT, BpfSyscall.LINK_INFO_ID), info.get(JAVA_INT, BpfSyscall.LINK_INFO_PROG_ID));
        } catch (RuntimeException | Error e) {
            LibC.close(fd);
            throw e;
        }
    }

    /** Replaces the program the link runs (BPF_LINK_UPDATE), in place: no moment without a program there. */
    public synchronized void update(BpfProgram program) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(BpfSyscall.ATTR_SIZE, 8);
            attr.set(JAVA_INT, BpfSyscall.LINK_UPDATE_LINK_FD, fd());
            attr.set(JAVA_INT, BpfSyscall.LINK_UPDATE_NEW_PROG_FD, program.fd());
            int rc = BpfSyscall.call(BpfSyscall.BPF_LINK_UPDATE, attr);
            if (rc < 0) {
                throw Errors.of("update tcx link " + linkId + " on " + interfaceName + " to program '"
                        + program.name() + "'", rc);
            }
            MemorySegment info = arena.allocate(BpfSyscall.LINK_INFO_SIZE, 8);
            if (BpfSyscall.linkInfo(linkFd, info) == 0) {
                programId = info.get(JAVA_INT, BpfSyscall.LINK_INFO_PROG_ID);
            }
        }
    }

    private int fd() {
        if (closed) {
            throw new IllegalStateException("tcx link " + linkId + " is closed");
        }
        return linkFd;
    }

    /** Detaches the link (BPF_LINK_DETACH) without closing it: what "someone detached it" looks like. For tests. */
    void detachForTest() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(BpfSyscall.ATTR_SIZE, 8);
            attr.set(JAVA_INT, 0, linkFd);
            int rc = BpfSyscall.call(BpfSyscall.BPF_LINK_DETACH, attr);
            if (rc < 0) {
                throw new BpfException("detach tcx link " + linkId + ": " + Errors.describe(rc), -rc);
            }
        }
    }

    @Override
    public String interfaceName() {
        return interfaceName;
    }

    @Override
    public TcDirection direction() {
        return direction;
    }

    public int ifindex() {
        return ifindex;
    }

    /** Kernel id of the link ({@code bpftool link show id N}). */
    public int linkId() {
        return linkId;
    }

    /** Kernel id of the attached program (the latest, after {@link #update}). */
    public synchronized int programId() {
        return programId;
    }

    /** Closes the link fd: the kernel detaches the program. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        int rc = LibC.close(linkFd);
        if (rc < 0) {
            throw Errors.of("close tcx link " + linkId + " on " + interfaceName, rc);
        }
        LOG.debug("detached {}", this);
    }

    @Override
    public String toString() {
        return "TcxLink[" + direction.label() + " on " + interfaceName + " (ifindex " + ifindex + "), link id "
                + linkId + ", prog id " + programId + "]";
    }
}
