package io.edgesched.ebpf.libbpf;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.edgesched.ebpf.BpfException;
import io.edgesched.ebpf.VerifierException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A BPF ELF object opened with libbpf: configure its maps, {@link #load()} it, use its programs and maps,
 * {@link #close()} it (unloads everything that is not pinned or attached elsewhere).
 *
 * <pre>{@code
 * try (BpfObject obj = BpfObject.openResource(MyClass.class, "/io/x/origin.bpf.o")) {
 *     obj.map("origin_clients").setMaxEntries(65536);
 *     obj.load();
 *     BpfProgram ingress = obj.program("origin_ingress");
 * }
 * }</pre>
 *
 * <p>Not safe for concurrent configuration/load/close; map and program operations after load are thread-safe.
 */
public final class BpfObject implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BpfObject.class);

    // struct bpf_object_open_opts as of libbpf 1.1 (sizeof 80)
    static final long OPEN_OPTS_SIZE = 80;
    private static final long OPEN_OPTS_OBJECT_NAME = 8;
    private static final long OPEN_OPTS_KERNEL_LOG_BUF = 56;
    private static final long OPEN_OPTS_KERNEL_LOG_SIZE = 64;
    private static final long OPEN_OPTS_KERNEL_LOG_LEVEL = 72;
    /** Verifier log buffer; freed right after load. */
    private static final long LOG_BUFFER_SIZE = 4L << 20;

    private final String name;
    private final Arena arena;
    private final Arena logArena;
    private final MemorySegment logBuffer;
    private final MemorySegment object;
    private final Map<String, BpfMap> maps;
    private final Map<String, BpfProgram> programs;
    private volatile boolean loaded;
    private boolean loadAttempted;
    private volatile boolean closed;

    private BpfObject(String name, Arena arena, Arena logArena, MemorySegment logBuffer, MemorySegment object) {
        this.name = name;
        this.arena = arena;
        this.logArena = logArena;
        this.logBuffer = logBuffer;
        this.object = object;
        this.maps = Collections.unmodifiableMap(collectMaps());
        this.programs = Collections.unmodifiableMap(collectPrograms());
    }

    /** Opens (parses, does not load) an ELF object held in memory. */
    public static BpfObject open(byte[] elf, String name) {
        Libbpf.require();
        if (elf.length == 0) {
            throw new IllegalArgumentException("BPF object '" + name + "' is empty");
        }
        Arena arena = Arena.ofShared();
        Arena logArena = Arena.ofShared();
        try {
            // libbpf keeps pointing into the ELF buffer until the object is closed, so it lives in our arena.
            MemorySegment buffer = arena.allocate(elf.length, 8);
            MemorySegment.copy(elf, 0, buffer, JAVA_BYTE, 0, elf.length);
            MemorySegment logBuffer = logArena.allocate(LOG_BUFFER_SIZE);
            MemorySegment opts = arena.allocate(OPEN_OPTS_SIZE, 8);
            opts.set(JAVA_LONG, 0, OPEN_OPTS_SIZE);
            opts.set(ADDRESS, OPEN_OPTS_OBJECT_NAME, arena.allocateFrom(name));
            opts.set(ADDRESS, OPEN_OPTS_KERNEL_LOG_BUF, logBuffer);
            opts.set(JAVA_LONG, OPEN_OPTS_KERNEL_LOG_SIZE, LOG_BUFFER_SIZE);
            // Level 0: libbpf loads without a log and retries with level 1 into our buffer only on failure.
            opts.set(JAVA_INT, OPEN_OPTS_KERNEL_LOG_LEVEL, 0);

            StringBuilder messages = new StringBuilder();
            MemorySegment capture = LibC.allocateCapture(arena);
            MemorySegment object = LibbpfLog.capturing(messages, () -> {
                try {
                    return (MemorySegment) Libbpf.OBJECT_OPEN_MEM.invokeExact(capture, buffer, (long) elf.length,
                            opts);
                } catch (Throwable t) {
                    throw Errors.rethrow(t);
                }
            });
            if (object.address() == 0) {
                int errno = LibC.errno(capture);
                throw Errors.of("open BPF object '" + name + "' (" + elf.length + " bytes)",
                        errno == 0 ? Errors.EINVAL : errno, libbpfSays(messages));
            }
            try {
                return new BpfObject(name, arena, logArena, logBuffer, object);
            } catch (RuntimeException | Error e) {
                closeObject(object);
                throw e;
            }
        } catch (RuntimeException | Error e) {
            logArena.close();
            arena.close();
            throw e;
        }
    }

    /**
     * Opens an object shipped as a class-path resource, e.g. {@code openResource(X.class, "/io/x/prog.bpf.o")}.
     * The object name is the file name without {@code .bpf.o}.
     */
    public static BpfObject openResource(Class<?> anchor, String resourcePath) {
        byte[] elf;
        try (InputStream in = anchor.getResourceAsStream(resourcePath)) {
            if (in == null) {
                throw new IllegalArgumentException("BPF object resource " + resourcePath + " not found next to "
                        + anchor.getName() + " (is it built? the Maven build compiles bpf/*.bpf.c with clang)");
            }
            elf = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read BPF object resource " + resourcePath, e);
        }
        String file = resourcePath.substring(resourcePath.lastIndexOf('/') + 1);
        String objectName = file.endsWith(".bpf.o") ? file.substring(0, file.length() - 6)
                : file.endsWith(".o") ? file.substring(0, file.length() - 2) : file;
        return open(elf, objectName);
    }

    public String name() {
        return name;
    }

    public boolean isLoaded() {
        return loaded;
    }

    /**
     * Creates the maps and loads every program into the kernel.
     *
     * @throws VerifierException the verifier rejected a program (the exception carries its log)
     * @throws io.edgesched.ebpf.PermissionDeniedException missing privileges
     */
    public BpfObject load() {
        checkOpen();
        if (loadAttempted) {
            throw new IllegalStateException("BPF object '" + name + "' was already " + (loaded ? "loaded"
                    : "loaded unsuccessfully; libbpf cannot retry: close it and open a new one"));
        }
        loadAttempted = true;
        StringBuilder messages = new StringBuilder();
        int rc = LibbpfLog.capturing(messages, () -> {
            try {
                return (int) Libbpf.OBJECT_LOAD.invokeExact(object);
            } catch (Throwable t) {
                throw Errors.rethrow(t);
            }
        });
        try {
            if (rc < 0) {
                int errno = -rc;
                String context = "load BPF object '" + name + "'";
                String verifierLog = logArena.scope().isAlive() ? readLog() : "";
                if (errno != Errors.EPERM && !verifierLog.isBlank()) {
                    throw new VerifierException(context + ": " + Errors.describe(errno) + libbpfSays(messages),
                            errno, verifierLog);
                }
                throw Errors.of(context, errno, libbpfSays(messages));
            }
            loaded = true;
            for (BpfMap map : maps.values()) {
                map.afterLoad();
            }
            for (BpfProgram program : programs.values()) {
                program.afterLoad();
            }
            LOG.debug("loaded BPF object '{}': maps {}, programs {}", name, maps.keySet(), programs.keySet());
            return this;
        } finally {
            logArena.close();
        }
    }

    private String readLog() {
        return logBuffer.getString(0);
    }

    /** All maps of the object by name (including internal ones such as ".rodata"). */
    public Map<String, BpfMap> maps() {
        checkOpen();
        return maps;
    }

    /** All programs of the object by name. */
    public Map<String, BpfProgram> programs() {
        checkOpen();
        return programs;
    }

    /** The map called {@code mapName}; internal maps answer to their section name too (".rodata"). */
    public Optional<BpfMap> findMap(String mapName) {
        checkOpen();
        BpfMap map = maps.get(mapName);
        if (map != null) {
            return Optional.of(map);
        }
        try (Arena temp = Arena.ofConfined()) {
            MemorySegment handle = (MemorySegment) Libbpf.OBJECT_FIND_MAP.invokeExact(object,
                    temp.allocateFrom(mapName));
            return maps.values().stream().filter(m -> m.handle().address() == handle.address()).findFirst();
        } catch (Throwable t) {
            throw Errors.rethrow(t);
        }
    }

    /** The map called {@code mapName}; fails listing the maps that exist. */
    public BpfMap map(String mapName) {
        return findMap(mapName).orElseThrow(() -> new BpfException("BPF object '" + name + "' has no map '"
                + mapName + "'; it has " + maps.keySet(), Errors.ENOENT));
    }

    public Optional<BpfProgram> findProgram(String programName) {
        checkOpen();
        return Optional.ofNullable(programs.get(programName));
    }

    /** The program (C function name) called {@code programName}; fails listing the programs that exist. */
    public BpfProgram program(String programName) {
        return findProgram(programName).orElseThrow(() -> new BpfException("BPF object '" + name
                + "' has no program '" + programName + "'; it has " + programs.keySet(), Errors.ENOENT));
    }

    /** Unloads the object (maps and programs survive only where pinned or still attached). Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            closeObject(object);
        } finally {
            if (logArena.scope().isAlive()) {
                logArena.close();
            }
            arena.close();
        }
    }

    private static void closeObject(MemorySegment object) {
        try {
            Libbpf.OBJECT_CLOSE.invokeExact(object);
        } catch (Throwable t) {
            throw Errors.rethrow(t);
        }
    }

    /** Loaded and not closed. */
    boolean isUsable() {
        return loaded && !closed;
    }

    boolean isClosed() {
        return closed;
    }

    void checkOpen() {
        if (closed) {
            throw new IllegalStateException("BPF object '" + name + "' is closed");
        }
    }

    void checkLoaded(String what) {
        checkOpen();
        if (!loaded) {
            throw new IllegalStateException(what + ": BPF object '" + name + "' is not loaded yet; call load()");
        }
    }

    void checkNotLoaded(String what) {
        checkOpen();
        if (loadAttempted) {
            throw new IllegalStateException(what + ": only possible before load() of BPF object '" + name + "'");
        }
    }

    private Map<String, BpfMap> collectMaps() {
        Map<String, BpfMap> result = new LinkedHashMap<>();
        try {
            MemorySegment map = MemorySegment.NULL;
            while (true) {
                map = (MemorySegment) Libbpf.OBJECT_NEXT_MAP.invokeExact(object, map);
                if (map.address() == 0) {
                    break;
                }
                BpfMap bpfMap = BpfMap.ofObject(this, map);
                result.put(bpfMap.name(), bpfMap);
            }
        } catch (Throwable t) {
            throw Errors.rethrow(t);
        }
        return result;
    }

    private Map<String, BpfProgram> collectPrograms() {
        Map<String, BpfProgram> result = new LinkedHashMap<>();
        try {
            MemorySegment program = MemorySegment.NULL;
            while (true) {
                program = (MemorySegment) Libbpf.OBJECT_NEXT_PROGRAM.invokeExact(object, program);
                if (program.address() == 0) {
                    break;
                }
                BpfProgram bpfProgram = new BpfProgram(this, program);
                result.put(bpfProgram.name(), bpfProgram);
            }
        } catch (Throwable t) {
            throw Errors.rethrow(t);
        }
        return result;
    }

    /** The tail of libbpf's messages for an exception, or "". */
    static String libbpfSays(StringBuilder messages) {
        String text = messages.toString().strip();
        if (text.isEmpty()) {
            return "";
        }
        List<String> lines = new ArrayList<>(List.of(text.split("\n")));
        if (lines.size() > 12) {
            lines = lines.subList(lines.size() - 12, lines.size());
        }
        return "\n--- libbpf says ---\n" + String.join("\n", lines);
    }

    @SuppressWarnings("restricted") // this package is where native access is meant to happen
    static String cString(MemorySegment pointer) {
        return pointer.address() == 0 ? "" : pointer.reinterpret(Long.MAX_VALUE).getString(0);
    }
}
