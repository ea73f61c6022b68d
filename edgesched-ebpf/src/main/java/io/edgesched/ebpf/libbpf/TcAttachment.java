package io.edgesched.ebpf.libbpf;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.edgesched.ebpf.BpfException;
import io.edgesched.ebpf.KernelFeatureMissingException;
import io.edgesched.ebpf.NoSuchInterfaceException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A tc (clsact) BPF filter on one interface and direction, attached with libbpf's netlink calls (no {@code tc}
 * process): the fallback for kernels without tcx ({@link TcxLink}). Creates the clsact qdisc if missing and never
 * deletes it (a filter another tool added after us would go with it). Closing detaches this filter only, and only
 * while the handle/priority still holds our program.
 *
 * <p>A filter outlives its process: {@link #attachReplacing} takes over a stale filter of ours (same handle and
 * priority, program name ours) left by a crashed run, and refuses a slot another program holds.
 *
 * <p>The attachment remembers the network namespace it was made in: {@link #close()} detaches there from any
 * thread (see {@link NetworkNamespaces}).
 */
public final class TcAttachment implements Attachment {
    private static final Logger LOG = LoggerFactory.getLogger(TcAttachment.class);

    // struct bpf_tc_hook (sizeof 24) and struct bpf_tc_opts (sizeof 32) as of libbpf 1.1
    private static final long HOOK_SIZE = 24;
    private static final long HOOK_IFINDEX = 8;
    private static final long HOOK_ATTACH_POINT = 12;
    private static final long OPTS_SIZE = 32;
    private static final long OPTS_PROG_FD = 8;
    private static final long OPTS_FLAGS = 12;
    private static final long OPTS_PROG_ID = 16;
    private static final long OPTS_HANDLE = 20;
    private static final long OPTS_PRIORITY = 24;
    /** bpf_tc_opts.flags: replace the filter at this handle/priority. */
    private static final int BPF_TC_F_REPLACE = 1;
    // struct bpf_prog_info: name[16] at 64 (sizeof 232 in the 6.1 uapi; the kernel fills what we size)
    private static final long PROG_INFO_SIZE = 232;
    private static final long PROG_INFO_NAME = 64;

    /** clsact hooks this process uses, per (namespace, ifindex): how many attachments, and whether we made it. */
    private static final Map<String, HookUse> HOOKS = new HashMap<>();

    private static final class HookUse {
        int attachments;
        boolean createdByUs;
    }

    private final String interfaceName;
    private final int ifindex;
    private final TcDirection direction;
    private final int handle;
    private final int priority;
    private final int programId;
    private final String namespaceId;
    private final int namespaceFd;
    private final boolean hookCreated;
    private boolean closed;

    private TcAttachment(String interfaceName, int ifindex, TcDirection direction, int handle, int priority,
            int programId, String namespaceId, int namespaceFd, boolean hookCreated) {
        this.interfaceName = interfaceName;
        this.ifindex = ifindex;
        this.direction = direction;
        this.handle = handle;
        this.priority = priority;
        this.programId = programId;
        this.namespaceId = namespaceId;
        this.namespaceFd = namespaceFd;
        this.hookCreated = hookCreated;
    }

    /** Attaches with handle 1 and priority 1 (one edgesched filter per direction). */
    public static TcAttachment attach(BpfProgram program, String interfaceName, TcDirection direction) {
        return attach(program, interfaceName, direction, 1, 1);
    }

    /**
     * Attaches {@code program} to {@code interfaceName} (in the calling thread's network namespace).
     *
     * @param handle filter handle, or 0 to let the kernel choose
     * @param priority filter priority 1..65535, or 0 to let the kernel choose
     * @throws NoSuchInterfaceException if the interface does not exist here
     */
    public static TcAttachment attach(BpfProgram program, String interfaceName, TcDirection direction, int handle,
            int priority) {
        Libbpf.require();
        int ifindex = LibC.ifNameToIndex(interfaceName);
        if (ifindex < 0) {
            throw new NoSuchInterfaceException(interfaceName, -ifindex);
        }
        return attach(program, interfaceName, ifindex, direction, handle, priority);
    }

    /** Attaches by interface index (in the calling thread's network namespace). */
    public static TcAttachment attach(BpfProgram program, int ifindex, TcDirection direction, int handle,
            int priority) {
        Libbpf.require();
        return attach(program, "ifindex " + ifindex, ifindex, direction, handle, priority);
    }

    /**
     * Attaches at a fixed {@code handle}/{@code priority} (both non-zero) with replace semantics: an existing filter
     * there whose program is called one of {@code ourProgramNames} (left by a crashed run of ours) is replaced; a
     * filter of any other program is left alone and the attach fails.
     */
    public static TcAttachment attachReplacing(BpfProgram program, String interfaceName, TcDirection direction,
            int handle, int priority, java.util.Set<String> ourProgramNames) {
        Libbpf.require();
        if (handle == 0 || priority == 0) {
            throw new IllegalArgumentException("replace needs a fixed handle and priority, got " + handle + "/"
                    + priority);
        }
        int ifindex = LibC.ifNameToIndex(interfaceName);
        if (ifindex < 0) {
            throw new NoSuchInterfaceException(interfaceName, -ifindex);
        }
        int existing = queryProgramId(ifindex, direction, handle, priority);
        boolean replace = false;
        if (existing > 0) {
            String name = programName(existing);
            if (!ourProgramNames.contains(name)) {
                throw new BpfException("attach tc " + direction.label() + " on " + interfaceName + ": handle 0x"
                        + Integer.toHexString(handle) + " priority " + priority + " holds another program ('" + name
                        + "', id " + existing + "); it is not ours, so it stays: configure another handle/priority",
                        Errors.EEXIST);
            }
            LOG.warn("replacing a stale tc {} filter of ours on {} (program '{}', id {}: left by a run that did not"
                    + " detach)", direction.label(), interfaceName, name, existing);
            replace = true;
        }
        return attach(program, interfaceName, ifindex, direction, handle, priority, replace ? BPF_TC_F_REPLACE : 0);
    }

    private static TcAttachment attach(BpfProgram program, String interfaceName, int ifindex,
            TcDirection direction, int handle, int priority) {
        return attach(program, interfaceName, ifindex, direction, handle, priority, 0);
    }

    /** Program id at handle/priority of the hook (calling thread's namespace), 0 if none, or -errno. */
    static int queryProgramId(int ifindex, TcDirection direction, int handle, int priority) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment hook = hook(arena, ifindex, direction.attachPoint);
            MemorySegment opts = arena.allocate(OPTS_SIZE, 8);
            opts.set(JAVA_LONG, 0, OPTS_SIZE);
            opts.set(JAVA_INT, OPTS_HANDLE, handle);
            opts.set(JAVA_INT, OPTS_PRIORITY, priority);
            int rc = LibbpfLog.capturing(new StringBuilder(), () -> {
                try {
                    return (int) Libbpf.TC_QUERY.invokeExact(hook, opts);
                } catch (Throwable t) {
                    throw Errors.rethrow(t);
                }
            });
            if (rc == -Errors.ENOENT || rc == -Errors.EINVAL || rc == -Errors.ENODEV) {
                return 0; // no filter (or no qdisc, or no interface)
            }
            return rc < 0 ? rc : opts.get(JAVA_INT, OPTS_PROG_ID);
        }
    }

    /** The kernel's name of program {@code id} (up to 15 characters), or "" if it is gone. */
    static String programName(int id) {
        int fd;
        try {
            fd = (int) Libbpf.PROG_GET_FD_BY_ID.invokeExact(id);
        } catch (Throwable t) {
            throw Errors.rethrow(t);
        }
        if (fd < 0) {
            return "";
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(PROG_INFO_SIZE, 8);
            MemorySegment length = arena.allocate(JAVA_INT);
            length.set(JAVA_INT, 0, (int) PROG_INFO_SIZE);
            int rc = (int) Libbpf.OBJ_GET_INFO_BY_FD.invokeExact(fd, info, length);
            return rc < 0 ? "" : info.getString(PROG_INFO_NAME);
        } catch (Throwable t) {
            throw Errors.rethrow(t);
        } finally {
            LibC.close(fd);
        }
    }

    private static TcAttachment attach(BpfProgram program, String interfaceName, int ifindex,
            TcDirection direction, int handle, int priority, int flags) {
        if (priority < 0 || priority > 0xffff) {
            throw new IllegalArgumentException("tc priority must be 0..65535, got " + priority);
        }
        String context = "attach tc " + direction.label() + " on " + interfaceName;
        int programFd = program.fd();
        String namespaceId = NetworkNamespaces.currentId();
        String hookKey = namespaceId + "/" + ifindex;
        int namespaceFd = LibC.openReadOnly("/proc/thread-self/ns/net");
        if (namespaceFd < 0) {
            throw Errors.of(context + ": open /proc/thread-self/ns/net", namespaceFd);
        }
        boolean hookCreated;
        try (Arena arena = Arena.ofConfined()) {
            synchronized (HOOKS) {
                HookUse use = HOOKS.get(hookKey);
                if (use == null) {
                    use = new HookUse();
                    StringBuilder messages = new StringBuilder();
                    MemorySegment createHook = hook(arena, ifindex, direction.attachPoint);
                    int rc = LibbpfLog.capturing(messages, () -> hookCall(Libbpf.TC_HOOK_CREATE, createHook));
                    if (rc == 0) {
                        use.createdByUs = true;
                    } else if (rc == -Errors.ENOENT || rc == -Errors.EOPNOTSUPP) {
                        throw new KernelFeatureMissingException(context + ": create clsact qdisc: "
                                + Errors.describe(rc), "the clsact qdisc",
                                "modprobe sch_ingress (CONFIG_NET_SCH_INGRESS)", -rc);
                    } else if (rc != -Errors.EEXIST) { // EEXIST: a clsact qdisc is already there; use it
                        throw attachError(context + ": create clsact qdisc", rc, ifindex, messages);
                    }
                    HOOKS.put(hookKey, use);
                }
                use.attachments++;
                hookCreated = use.createdByUs;
            }
            MemorySegment hook = hook(arena, ifindex, direction.attachPoint);
            MemorySegment opts = arena.allocate(OPTS_SIZE, 8);
            opts.set(JAVA_LONG, 0, OPTS_SIZE);
            opts.set(JAVA_INT, OPTS_PROG_FD, programFd);
            opts.set(JAVA_INT, OPTS_HANDLE, handle);
            opts.set(JAVA_INT, OPTS_PRIORITY, priority);
            opts.set(JAVA_INT, OPTS_FLAGS, flags);
            StringBuilder messages = new StringBuilder();
            int rc = LibbpfLog.capturing(messages, () -> {
                try {
                    return (int) Libbpf.TC_ATTACH.invokeExact(hook, opts);
                } catch (Throwable t) {
                    throw Errors.rethrow(t);
                }
            });
            if (rc < 0) {
                releaseHook(hookKey, ifindex);
                if (rc == -Errors.ENOENT || rc == -Errors.EOPNOTSUPP) {
                    throw new KernelFeatureMissingException(context + ": " + Errors.describe(rc),
                            "the cls_bpf classifier",
                            "modprobe cls_bpf (CONFIG_NET_CLS_BPF)", -rc);
                }
                throw attachError(context + " (program '" + program.name() + "', handle " + handle + ", priority "
                        + priority + ")", rc, ifindex, messages);
            }
            TcAttachment attachment = new TcAttachment(interfaceName, ifindex, direction,
                    opts.get(JAVA_INT, OPTS_HANDLE), opts.get(JAVA_INT, OPTS_PRIORITY),
                    opts.get(JAVA_INT, OPTS_PROG_ID), namespaceId, namespaceFd, hookCreated);
            LOG.debug("attached {}", attachment);
            return attachment;
        } catch (RuntimeException | Error e) {
            LibC.close(namespaceFd);
            throw e;
        }
    }

    private static BpfException attachError(String context, int rc, int ifindex, StringBuilder messages) {
        String hint = switch (-rc) {
            case Errors.EEXIST -> " (a filter with this handle and priority exists; pick others or remove it:"
                    + " tc filter show dev <if> ingress|egress)";
            case Errors.EINVAL -> " (is it a tc program, SEC(\"tc\")? is the handle/priority valid?)";
            case Errors.ENODEV -> " (interface " + ifindex + " vanished)";
            default -> "";
        };
        return Errors.of(context, rc, hint + BpfObject.libbpfSays(messages));
    }

    private static MemorySegment hook(Arena arena, int ifindex, int attachPoint) {
        MemorySegment hook = arena.allocate(HOOK_SIZE, 8);
        hook.set(JAVA_LONG, 0, HOOK_SIZE);
        hook.set(JAVA_INT, HOOK_IFINDEX, ifindex);
        hook.set(JAVA_INT, HOOK_ATTACH_POINT, attachPoint);
        return hook;
    }

    private static int hookCall(java.lang.invoke.MethodHandle call, MemorySegment hook) {
        try {
            return (int) call.invokeExact(hook);
        } catch (Throwable t) {
            throw Errors.rethrow(t);
        }
    }

    /** One attachment fewer on the hook. The clsact qdisc stays: filters of other tools may hang off it. */
    private static void releaseHook(String hookKey, int ifindex) {
        synchronized (HOOKS) {
            HookUse use = HOOKS.get(hookKey);
            if (use != null && --use.attachments <= 0) {
                HOOKS.remove(hookKey);
            }
        }
    }

    /** True while our program is still the filter at our handle/priority (false once deleted or replaced). */
    @Override
    public synchronized boolean isAttached() {
        if (closed) {
            return false;
        }
        NetworkNamespaces.Action<Integer, RuntimeException> query =
                () -> queryProgramId(ifindex, direction, handle, priority);
        int id = NetworkNamespaces.currentId().equals(namespaceId) ? query.run()
                : NetworkNamespaces.runIn(namespaceFd, "network namespace " + namespaceId, query);
        return id == programId;
    }

    @Override
    public String interfaceName() {
        return interfaceName;
    }

    public int ifindex() {
        return ifindex;
    }

    @Override
    public TcDirection direction() {
        return direction;
    }

    /** The filter handle (as the kernel assigned it if 0 was asked for). */
    public int handle() {
        return handle;
    }

    public int priority() {
        return priority;
    }

    /** Kernel id of the attached program (as in {@code bpftool prog show id N}). */
    public int programId() {
        return programId;
    }

    /** True if this process created the clsact qdisc (it stays after close all the same). */
    public boolean createdHook() {
        return hookCreated;
    }

    /** The network namespace this attachment lives in ({@code net:[inode]}). */
    public String namespaceId() {
        return namespaceId;
    }

    /** Detaches the filter if it still holds our program (never the qdisc). Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (NetworkNamespaces.currentId().equals(namespaceId)) {
                detachHere();
            } else {
                NetworkNamespaces.runIn(namespaceFd, "network namespace " + namespaceId, () -> {
                    detachHere();
                    return null;
                });
            }
        } finally {
            LibC.close(namespaceFd);
        }
    }

    private void detachHere() {
        String hookKey = namespaceId + "/" + ifindex;
        int current = queryProgramId(ifindex, direction, handle, priority);
        if (current != programId) {
            // gone already, or someone put another program there since: not ours to remove
            LOG.debug("detach tc {} on {}: our filter is no longer there (found program id {})", direction.label(),
                    interfaceName, current);
            releaseHook(hookKey, ifindex);
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment opts = arena.allocate(OPTS_SIZE, 8);
            opts.set(JAVA_LONG, 0, OPTS_SIZE);
            opts.set(JAVA_INT, OPTS_HANDLE, handle);
            opts.set(JAVA_INT, OPTS_PRIORITY, priority);
            opts.set(JAVA_INT, OPTS_FLAGS, 0);
            MemorySegment hook = hook(arena, ifindex, direction.attachPoint);
            StringBuilder messages = new StringBuilder();
            int rc = LibbpfLog.capturing(messages, () -> {
                try {
                    return (int) Libbpf.TC_DETACH.invokeExact(hook, opts);
                } catch (Throwable t) {
                    throw Errors.rethrow(t);
                }
            });
            if (rc < 0) {
                if (rc == -Errors.ENOENT || rc == -Errors.ENODEV || rc == -Errors.EINVAL) {
                    // interface or qdisc already gone (e.g. the veth was deleted): nothing left to detach
                    LOG.debug("detach tc {} on {}: already gone ({})", direction.label(), interfaceName,
                            Errors.describe(rc));
                } else {
                    releaseHook(hookKey, ifindex);
                    throw Errors.of("detach tc " + direction.label() + " on " + interfaceName, rc,
                            BpfObject.libbpfSays(messages));
                }
            }
        }
        releaseHook(hookKey, ifindex);
        LOG.debug("detached {}", this);
    }

    @Override
    public String toString() {
        return "TcAttachment[" + direction.label() + " on " + interfaceName + " (ifindex " + ifindex + ", "
                + namespaceId + "), handle " + handle + ", priority " + priority + ", prog id " + programId + "]";
    }
}
