package io.edgesched.ebpf.libbpf;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.function.IntSupplier;

/**
 * What an object's map will be, set before load through libbpf's {@code bpf_map__set_*} calls: size, flags,
 * type, pin path, reuse of an existing map, initial contents. {@link BpfMap} exposes these as its before-load
 * methods; everything after load (lookups, batches, pinning a live map) stays in {@link BpfMap}.
 */
final class MapSpec {
    private final BpfObject owner;
    private final MemorySegment handle;
    private final String name;

    MapSpec(BpfObject owner, MemorySegment handle, String name) {
        this.owner = owner;
        this.handle = handle;
        this.name = name;
    }

    void setMaxEntries(int entries) {
        preLoad("set max_entries of map '" + name + "'");
        call("set max_entries of map '" + name + "' to " + entries, () ->
                (int) Libbpf.MAP_SET_MAX_ENTRIES.invokeExact(handle, entries));
    }

    void setMapFlags(int flags) {
        preLoad("set map flags of map '" + name + "'");
        call("set map flags of map '" + name + "' to 0x" + Integer.toHexString(flags), () ->
                (int) Libbpf.MAP_SET_MAP_FLAGS.invokeExact(handle, flags));
    }

    void setType(MapType newType) {
        preLoad("set type of map '" + name + "'");
        call("set type of map '" + name + "' to " + newType, () ->
                (int) Libbpf.MAP_SET_TYPE.invokeExact(handle, newType.id()));
    }

    void setPinPath(String path) {
        preLoad("set pin path of map '" + name + "'");
        Bpffs.ensureFor(Path.of(path));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cPath = arena.allocateFrom(path);
            call("set pin path of map '" + name + "' to " + path, () ->
                    (int) Libbpf.MAP_SET_PIN_PATH.invokeExact(handle, cPath));
        }
    }

    void reuse(BpfMap existing) {
        preLoad("reuse a map for '" + name + "'");
        int existingFd = existing.fd();
        call("reuse map fd " + existingFd + " for map '" + name + "'", () ->
                (int) Libbpf.MAP_REUSE_FD.invokeExact(handle, existingFd));
    }

    void setInitialValue(byte[] data, IntSupplier valueSize) {
        preLoad("set initial value of map '" + name + "'");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment copy = arena.allocate(Math.max(1, data.length), 8);
            MemorySegment.copy(data, 0, copy, JAVA_BYTE, 0, data.length);
            call("set initial value of map '" + name + "' (" + data.length + " bytes; value size "
                    + valueSize.getAsInt() + ")", () ->
                    (int) Libbpf.MAP_SET_INITIAL_VALUE.invokeExact(handle, copy, (long) data.length));
        }
    }

    /** A libbpf {@code bpf_map__*} getter (valid while the object is open, before or after load). */
    int get(MethodHandle getter) {
        owner.checkOpen();
        try {
            return (int) getter.invokeExact(handle);
        } catch (Throwable t) {
            throw Errors.rethrow(t);
        }
    }

    private void preLoad(String what) {
        owner.checkNotLoaded(what);
    }

    private interface IntCall {
        int call() throws Throwable;
    }

    private static void call(String context, IntCall call) {
        int rc;
        try {
            rc = call.call();
        } catch (Throwable t) {
            throw Errors.rethrow(t);
        }
        if (rc < 0) {
            throw Errors.of(context, rc);
        }
    }
}
