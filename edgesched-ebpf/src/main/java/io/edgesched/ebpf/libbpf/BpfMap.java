package io.edgesched.ebpf.libbpf;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.edgesched.ebpf.BpfException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A BPF map: either one of a {@link BpfObject}'s maps (configure before load, use after) or a map opened from a
 * pin path with {@link #openPinned(String)} (owns its fd; close it).
 *
 * <p>Operations take native {@link MemorySegment}s of at least {@link #keySize()} / {@link #valueStride()}
 * bytes (byte[] overloads copy). A missing key is a {@code false}/{@code Optional.empty()}, never an exception.
 * Map operations are thread-safe (each is one system call).
 */
public final class BpfMap implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BpfMap.class);

    // struct bpf_map_info (linux/bpf.h) fields we read
    private static final int MAP_INFO_SIZE = 88;
    private static final long INFO_TYPE = 0;
    private static final long INFO_ID = 4;
    private static final long INFO_KEY_SIZE = 8;
    private static final long INFO_VALUE_SIZE = 12;
    private static final long INFO_MAX_ENTRIES = 16;
    private static final long INFO_NAME = 24;

    /** BPF_F_NO_COMMON_LRU: an LRU hash map keeps one LRU list per CPU instead of one shared list. */
    public static final int NO_COMMON_LRU = 1 << 1;
    /** BPF_F_MMAPABLE: an array map whose values user space can {@link #mapValuesReadOnly mmap}. */
    public static final int MMAPABLE = 1 << 10;

    private final BpfObject owner;
    private final MemorySegment handle;
    private final String name;
    private final boolean ownsFd;
    private volatile int fd;
    private volatile boolean closed;
    // Fixed after load (object maps) or at open (pinned maps); -1 until then.
    private int type = -1;
    private int keySize = -1;
    private int valueSize = -1;
    private int maxEntries = -1;
    private int valueStride = -1;
    /** Set when the kernel refused BPF_MAP_LOOKUP_BATCH for this map; then batch reads use get_next_key. */
    private volatile boolean batchUnsupported;

    private BpfMap(BpfObject owner, MemorySegment handle, String name, int fd, boolean ownsFd) {
        this.owner = owner;
        this.handle = handle;
        this.name = name;
        this.fd = fd;
        this.ownsFd = ownsFd;
    }

    static BpfMap ofObject(BpfObject owner, MemorySegment handle) {
        try {
            String name = BpfObject.cString((MemorySegment) Libbpf.MAP_NAME.invokeExact(handle));
            return new BpfMap(owner, handle, name, -1, false);
        } catch (Throwable t) {
            throw Errors.rethrow(t);
        }
    }

    /**
     * Opens a map pinned in bpffs (e.g. by another process that loaded it). Close it when done.
     *
     * @throws BpfException ENOENT if nothing is pinned there, or if the pin is not a map
     */
    public static BpfMap openPinned(String path) {
        Libbpf.require();
        int fd;
        try (Arena arena = Arena.ofConfined()) {
            fd = (int) Libbpf.OBJ_GET.invokeExact(arena.allocateFrom(path));
        } catch (Throwable t) {
            throw Errors.rethrow(t);
        }
        if (fd < 0) {
            throw Errors.of("open pinned map " + path, fd,
                    fd == -Errors.ENOENT ? " (nothing pinned there: is the loader running, and is bpffs mounted"
                            + " at /sys/fs/bpf?)" : "");
        }
        try {
            if (!isMapFd(fd)) {
                throw new BpfException("open pinned map " + path + ": the pinned object is not a map", Errors.EINVAL);
            }
            BpfMap map = new BpfMap(null, null, path, fd, true);
            map.readInfo();
            return map;
        } catch (RuntimeException e) {
            LibC.close(fd);
            throw e;
        }
    }

    // struct bpf_map_create_opts as of libbpf 1.1 (sizeof 48)
    private static final long CREATE_OPTS_SIZE = 48;
    private static final long CREATE_OPTS_MAP_FLAGS = 28;

    /**
     * Creates a stand-alone map (not part of an object), e.g. for tests, benchmarks or a map a program
     * will {@link #reuse}. Close it to release the fd.
     *
     * @param name up to 15 characters of [A-Za-z0-9_.]
     * @param mapFlags BPF_F_* flags (0 for defaults)
     */
    public static BpfMap create(MapType type, String name, int keySize, int valueSize, int maxEntries,
            int mapFlags) {
        Libbpf.require();
        if (!name.matches("[A-Za-z0-9_.]{0,15}")) {
            throw new IllegalArgumentException("map name '" + name + "' must be at most 15 characters of"
                    + " [A-Za-z0-9_.]");
        }
        int fd;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment opts = arena.allocate(CREATE_OPTS_SIZE, 8);
            opts.set(java.lang.foreign.ValueLayout.JAVA_LONG, 0, CREATE_OPTS_SIZE);
            opts.set(JAVA_INT, CREATE_OPTS_MAP_FLAGS, mapFlags);
            fd = (int) Libbpf.MAP_CREATE.invokeExact(type.id(), arena.allocateFrom(name), keySize, valueSize,
                    maxEntries, opts);
        } catch (Throwable t) {
            throw Errors.rethrow(t);
        }
        if (fd < 0) {
            throw Errors.of("create " + type + " map '" + name + "' (key " + keySize + ", value " + valueSize
                    + ", max_entries " + maxEntries + ")", fd);
        }
        BpfMap map = new BpfMap(null, null, name, fd, true);
        try {
            map.readInfo();
        } catch (RuntimeException e) {
            map.close();
            throw e;
        }
        return map;
    }

    private static boolean isMapFd(int fd) {
        try {
            return Files.readAllLines(Path.of("/proc/self/fdinfo/" + fd)).stream()
                    .anyMatch(line -> line.startsWith("map_type:"));
        } catch (IOException e) {
            return true; // cannot tell; the info call below will complain if it is not a map
        }
    }

    /** Reads type, sizes and id from the kernel (bpf_obj_get_info_by_fd). */
    private MapInfo readInfo() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(MAP_INFO_SIZE, 8);
            MemorySegment length = arena.allocate(JAVA_INT);
            length.set(JAVA_INT, 0, MAP_INFO_SIZE);
            int rc = (int) Libbpf.OBJ_GET_INFO_BY_FD.invokeExact(fd(), info, length);
            if (rc < 0) {
                throw Errors.of("read info of map '" + name + "'", rc);
            }
            MapInfo result = new MapInfo(info.get(JAVA_INT, INFO_ID), MapType.ofId(info.get(JAVA_INT, INFO_TYPE)),
                    info.get(JAVA_INT, INFO_KEY_SIZE), info.get(JAVA_INT, INFO_VALUE_SIZE),
                    info.get(JAVA_INT, INFO_MAX_ENTRIES), info.asSlice(INFO_NAME, 16).getString(0));
            type = result.type().id();
            keySize = result.keySize();
            valueSize = result.valueSize();
            maxEntries = result.maxEntries();
            return result;
        } catch (Throwable t) {
            throw Errors.rethrow(t);
        }
    }

    /** What the kernel says about a loaded map; {@code id} is what bpftool calls the map id. */
    public record MapInfo(int id, MapType type, int keySize, int valueSize, int maxEntries, String kernelName) {
    }

    void afterLoad() {
        try {
            int mapFd = (int) Libbpf.MAP_FD.invokeExact(handle);
            if (mapFd < 0) {
                throw Errors.of("map '" + name + "' has no fd after load", mapFd);
            }
            fd = mapFd;
            type = (int) Libbpf.MAP_TYPE.invokeExact(handle);
            keySize = (int) Libbpf.MAP_KEY_SIZE.invokeExact(handle);
            valueSize = (int) Libbpf.MAP_VALUE_SIZE.invokeExact(handle);
            maxEntries = (int) Libbpf.MAP_MAX_ENTRIES.invokeExact(handle);
        } catch (Throwable t) {
            throw Errors.rethrow(t);
        }
    }

    MemorySegment handle() {
        return handle == null ? MemorySegment.NULL : handle;
    }

    /** Name in the object (or the pin path for pinned maps). */
    public String name() {
        return name;
    }

    /** The map's file descriptor (valid after load, until close). */
    public int fd() {
        if (owner != null) {
            if (!owner.isUsable()) { // checked first so the hot path builds no message
                owner.checkLoaded("map '" + name + "'");
            }
        } else if (closed) {
            throw new IllegalStateException("map " + name + " is closed");
        }
        return fd;
    }

    public MapType type() {
        return MapType.ofId(type >= 0 ? type : intGetter(Libbpf.MAP_TYPE));
    }

    public int keySize() {
        return keySize >= 0 ? keySize : intGetter(Libbpf.MAP_KEY_SIZE);
    }

    public int valueSize() {
        return valueSize >= 0 ? valueSize : intGetter(Libbpf.MAP_VALUE_SIZE);
    }

    public int maxEntries() {
        return owner != null && !owner.isLoaded() ? intGetter(Libbpf.MAP_MAX_ENTRIES) : maxEntries;
    }

    /** Bytes one value occupies in lookups: the value size, or for per-CPU maps round_up(size, 8) x possible CPUs. */
    public int valueStride() {
        int stride = valueStride;
        if (stride >= 0) {
            return stride;
        }
        int size = valueSize();
        stride = type().isPerCpu() ? ((size + 7) & ~7) * PossibleCpus.COUNT : size;
        if (type >= 0) {
            valueStride = stride; // fixed once the kernel map exists
        }
        return stride;
    }

    /** Kernel view of the map (id, type, sizes); needs a loaded map. */
    public MapInfo info() {
        fd();
        return readInfo();
    }

    /** Checks that C-mirrored layouts match the map; throws IllegalArgumentException naming the mismatch. */
    public BpfMap requireLayouts(MemoryLayout key, MemoryLayout value) {
        if (key.byteSize() != keySize() || value.byteSize() != valueSize()) {
            throw new IllegalArgumentException("map '" + name + "' has key " + keySize() + " / value "
                    + valueSize() + " bytes but the Java layouts are " + key.byteSize() + " / " + value.byteSize()
                    + " bytes: the Java layout and the C header disagree");
        }
        return this;
    }

    // ---- configuration before load (MapSpec holds the libbpf calls) ----

    /** Resizes the map before load (e.g. the client table to the node's budget). */
    public BpfMap setMaxEntries(int entries) {
        spec("set max_entries of map '" + name + "'").setMaxEntries(entries);
        return this;
    }

    /**
     * Replaces the map's BPF_F_* creation flags before load (e.g. {@link #NO_COMMON_LRU} for an LRU hash).
     * The flags declared in the object are in {@link #mapFlags()}.
     */
    public BpfMap setMapFlags(int flags) {
        spec("set map flags of map '" + name + "'").setMapFlags(flags);
        return this;
    }

    /** Replaces the map's type before load (e.g. to compare an LRU hash with a plain hash in a benchmark). */
    public BpfMap setType(MapType newType) {
        spec("set type of map '" + name + "'").setType(newType);
        return this;
    }

    /** BPF_F_* creation flags of an object's map (as declared, or as set before load). */
    public int mapFlags() {
        return intGetter(Libbpf.MAP_MAP_FLAGS);
    }

    /** Pins the map at {@code path} on load, or reuses the map already pinned there. */
    public BpfMap setPinPath(String path) {
        spec("set pin path of map '" + name + "'").setPinPath(path);
        return this;
    }

    /** Makes the object use an existing map (e.g. {@link #openPinned} from a previous run) instead of creating one. */
    public BpfMap reuse(BpfMap existing) {
        spec("reuse a map for '" + name + "'").reuse(existing);
        return this;
    }

    /** Sets the initial contents before load (e.g. of ".rodata" to configure {@code const volatile} globals). */
    public BpfMap setInitialValue(byte[] data) {
        spec("set initial value of map '" + name + "'").setInitialValue(data, this::valueSize);
        return this;
    }

    private MapSpec spec(String what) {
        if (owner == null) {
            throw new IllegalStateException(what + ": only maps of a BpfObject can be configured before load");
        }
        return new MapSpec(owner, handle, name);
    }

    private int intGetter(java.lang.invoke.MethodHandle getter) {
        if (handle == null) {
            throw new IllegalStateException("map " + name + " has no libbpf handle");
        }
        return new MapSpec(owner, handle, name).get(getter);
    }

    // ---- element operations ----

    /** Copies the value of {@code key} into {@code value}; false if the key is absent. */
    public boolean lookup(MemorySegment key, MemorySegment value) {
        int mapFd = fd();
        requireSegment(key, keySize(), "key");
        requireSegment(value, valueStride(), "value");
        int rc;
        try {
            rc = (int) Libbpf.MAP_LOOKUP_ELEM.invokeExact(mapFd, key, value);
        } catch (Throwable t) {
            throw Errors.rethrow(t);
        }
        if (rc == 0) {
            return true;
        }
        if (rc == -Errors.ENOENT) {
            return false;
        }
        throw Errors.of("lookup in map '" + name + "'", rc);
    }

    /** Creates or replaces ({@code flag}) the value of {@code key}. */
    public void update(MemorySegment key, MemorySegment value, UpdateFlag flag) {
        int mapFd = fd();
        requireSegment(key, keySize(), "key");
        requireSegment(value, valueStride(), "value");
        int rc;
        try {
            rc = (int) Libbpf.MAP_UPDATE_ELEM.invokeExact(mapFd, key, value, flag.bits);
        } catch (Throwable t) {
            throw Errors.rethrow(t);
        }
        if (rc < 0) {
            String hint = switch (-rc) {
                case Errors.E2BIG -> " (map is full: max_entries " + maxEntries() + ")";
                case Errors.EEXIST -> " (key exists and flag is NOEXIST)";
                case Errors.ENOENT -> " (key is absent and flag is EXIST)";
                default -> "";
            };
            throw Errors.of("update map '" + name + "'", rc, hint);
        }
    }

    /** Deletes {@code key}; false if it was absent. */
    public boolean delete(MemorySegment key) {
        int mapFd = fd();
        requireSegment(key, keySize(), "key");
        int rc;
        try {
            rc = (int) Libbpf.MAP_DELETE_ELEM.invokeExact(mapFd, key);
        } catch (Throwable t) {
            throw Errors.rethrow(t);
        }
        if (rc == 0) {
            return true;
        }
        if (rc == -Errors.ENOENT) {
            return false;
        }
        throw Errors.of("delete from map '" + name + "'", rc);
    }

    /**
     * Writes the key after {@code key} (or the first key if {@code key} is null) into {@code nextKey};
     * false at the end of the map.
     */
    public boolean nextKey(MemorySegment key, MemorySegment nextKey) {
        int mapFd = fd();
        if (key != null) {
            requireSegment(key, keySize(), "key");
        }
        requireSegment(nextKey, keySize(), "next key");
        int rc;
        try {
            // (a conditional expression would be typed Object in a signature-polymorphic call)
            MemorySegment current = key == null ? MemorySegment.NULL : key;
            rc = (int) Libbpf.MAP_GET_NEXT_KEY.invokeExact(mapFd, current, nextKey);
        } catch (Throwable t) {
            throw Errors.rethrow(t);
        }
        if (rc == 0) {
            return true;
        }
        if (rc == -Errors.ENOENT) {
            return false;
        }
        throw Errors.of("get next key of map '" + name + "'", rc);
    }

    /**
     * Visits every entry with get_next_key + lookup (one pair of system calls per entry; use a
     * {@link MapSnapshotReader} for whole-map reads). The segments are reused between calls: copy what you keep.
     *
     * @return number of entries visited
     */
    public int forEach(BiConsumer<MemorySegment, MemorySegment> action) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment current = arena.allocate(keySize(), 8);
            MemorySegment next = arena.allocate(keySize(), 8);
            MemorySegment value = arena.allocate(valueStride(), 8);
            int count = 0;
            boolean first = true;
            while (nextKey(first ? null : current, next)) {
                first = false;
                if (lookup(next, value)) { // entry may be deleted between the two calls
                    action.accept(next, value);
                    count++;
                }
                MemorySegment swap = current;
                current = next;
                next = swap;
            }
            return count;
        }
    }

    // ---- byte[] conveniences ----

    public Optional<byte[]> lookup(byte[] key) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(valueStride(), 8);
            return lookup(copyIn(arena, key, keySize(), "key"), value) ? Optional.of(value.toArray(JAVA_BYTE))
                    : Optional.empty();
        }
    }

    public void update(byte[] key, byte[] value, UpdateFlag flag) {
        try (Arena arena = Arena.ofConfined()) {
            update(copyIn(arena, key, keySize(), "key"), copyIn(arena, value, valueStride(), "value"), flag);
        }
    }

    public boolean delete(byte[] key) {
        try (Arena arena = Arena.ofConfined()) {
            return delete(copyIn(arena, key, keySize(), "key"));
        }
    }

    // ---- batch ----

    /** A cursor for {@link #batchLookup}, allocated in {@code arena} (it lives as long as the arena). */
    public MapBatchCursor batchCursor(Arena arena) {
        return new MapBatchCursor(arena, keySize());
    }

    /**
     * Reads up to {@code maxCount} entries following {@code cursor} with BPF_MAP_LOOKUP_BATCH into
     * {@code keys} (packed, keySize each) and {@code values} (packed, valueStride each). Returns how many were
     * read; when {@code cursor.isDone()} the map has been fully traversed. Falls back to get_next_key + lookup
     * (transparently, same results) where the kernel does not support batch operations for this map type.
     *
     * @throws BpfException ENOSPC if {@code maxCount} is smaller than one hash bucket
     */
    public int batchLookup(MapBatchCursor cursor, MemorySegment keys, MemorySegment values, int maxCount) {
        return MapBatchOps.lookup(this, cursor, keys, values, maxCount);
    }

    /** Makes batch reads use the get_next_key fallback, as if the kernel had refused batch lookups. */
    void useNextKeyFallback() {
        batchUnsupported = true;
    }

    /** True once the kernel refused batch lookups for this map (reads then use get_next_key). */
    public boolean batchFallbackActive() {
        return batchUnsupported;
    }

    /**
     * Writes {@code count} packed entries with BPF_MAP_UPDATE_BATCH (one system call).
     *
     * @return entries written
     */
    public int updateBatch(MemorySegment keys, MemorySegment values, int count, UpdateFlag flag) {
        return MapBatchOps.update(this, keys, values, count, flag);
    }

    /**
     * Deletes {@code count} packed keys with BPF_MAP_DELETE_BATCH (keys already absent are skipped).
     *
     * @return keys deleted
     */
    public int deleteBatch(MemorySegment keys, int count) {
        return MapBatchOps.delete(this, keys, count);
    }

    /** A reader that snapshots the whole map into buffers sized for max_entries; close it to free them. */
    public MapSnapshotReader snapshotReader() {
        return new MapSnapshotReader(this, Math.max(1, maxEntries()));
    }

    /** A reader with room for {@code capacity} entries. */
    public MapSnapshotReader snapshotReader(int capacity) {
        return new MapSnapshotReader(this, capacity);
    }

    // ---- memory-mapped arrays ----

    /**
     * Maps the values of a {@code BPF_F_MMAPABLE} array read-only into this process: element {@code i} is at
     * {@code i * round_up(valueSize, 8)}, always current (no system call per read). The mapping lives until
     * {@code arena} closes; keep the map open at least as long.
     *
     * @throws BpfException EINVAL if the map is not an array created with BPF_F_MMAPABLE
     */
    @SuppressWarnings("restricted") // this package is where native access is meant to happen
    public MemorySegment mapValuesReadOnly(Arena arena) {
        int mapFd = fd();
        long length = (long) ((valueSize() + 7) & ~7) * maxEntries();
        long mapped = (length + LibC.PAGE_SIZE - 1) & ~(LibC.PAGE_SIZE - 1);
        long address = LibC.mapReadOnly(mapFd, mapped);
        if (address < 0) {
            throw Errors.of("mmap map '" + name + "' (" + mapped + " bytes)", (int) address,
                    address == -Errors.EINVAL ? " (only arrays created with BPF_F_MMAPABLE can be mapped)" : "");
        }
        return MemorySegment.ofAddress(address).reinterpret(length, arena, segment -> {
            int rc = LibC.unmap(address, mapped);
            if (rc < 0) {
                LOG.warn("munmap of map {}: {}", name, Errors.describe(rc));
            }
        });
    }

    // ---- pinning and lifetime ----

    /** Pins the map in bpffs so another process can {@link #openPinned} it. */
    public void pin(String path) {
        int mapFd = fd();
        Pins.pin(mapFd, path, "pin map '" + name + "'");
    }

    /** Closes the fd of a map opened with {@link #openPinned}; no-op for object maps (the object owns them). */
    @Override
    public void close() {
        if (!ownsFd || closed) {
            return;
        }
        closed = true;
        int rc = LibC.close(fd);
        if (rc < 0) {
            LOG.warn("closing map {} (fd {}): {}", name, fd, Errors.describe(rc));
        }
    }

    @Override
    public String toString() {
        return "BpfMap[" + name + (type >= 0 ? ", " + type() + ", key " + keySize + ", value " + valueSize
                + ", max " + maxEntries : "") + "]";
    }

    static void requireSegment(MemorySegment segment, long minBytes, String what) {
        if (!segment.isNative()) {
            throw new IllegalArgumentException(what + " must be a native segment (allocate it in an Arena)");
        }
        if (segment.byteSize() < minBytes) {
            throw new IllegalArgumentException(what + " has " + segment.byteSize() + " bytes, needs " + minBytes);
        }
    }

    private static MemorySegment copyIn(Arena arena, byte[] bytes, int expected, String what) {
        if (bytes.length != expected) {
            throw new IllegalArgumentException(what + " has " + bytes.length + " bytes, the map expects " + expected);
        }
        MemorySegment segment = arena.allocate(Math.max(1, expected), 8);
        MemorySegment.copy(bytes, 0, segment, JAVA_BYTE, 0, bytes.length);
        return segment;
    }

    /** Number of possible CPUs (libbpf_num_possible_cpus): the per-CPU map value multiplier. */
    public static int possibleCpus() {
        return PossibleCpus.COUNT;
    }

    /** libbpf_num_possible_cpus(), once. */
    static final class PossibleCpus {
        static final int COUNT = Libbpf.numPossibleCpus();

        private PossibleCpus() {
        }
    }
}
