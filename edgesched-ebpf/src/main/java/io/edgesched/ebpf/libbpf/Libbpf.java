package io.edgesched.ebpf.libbpf;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.edgesched.ebpf.LibbpfMissingException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * Downcall handles into the system libbpf (libbpf.so.1, symbols of the 1.1 API level only).
 *
 * <p>libbpf 1.x returns {@code -errno} from int functions, so only pointer-returning functions capture errno.
 * If the library is missing, every handle is null and {@link #require()} throws {@link LibbpfMissingException};
 * the class itself always initializes.
 */
final class Libbpf {
    static final String LIBRARY = "libbpf.so.1";
    private static final Linker LINKER = Linker.nativeLinker();
    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");

    private static final SymbolLookup LOOKUP;
    private static final LibbpfMissingException MISSING;
    /** First symbol not found in the library; written only during class initialization. */
    private static String missingSymbol;

    static {
        SymbolLookup lookup = null;
        LibbpfMissingException missing = null;
        try {
            lookup = libraryLookup(LIBRARY);
        } catch (LibbpfMissingException e) {
            missing = e;
        }
        LOOKUP = lookup;
        MISSING = missing;
    }

    // bpf_object
    static final MethodHandle OBJECT_OPEN_MEM = handle("bpf_object__open_mem",
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, ADDRESS), ERRNO);
    static final MethodHandle OBJECT_LOAD = handle("bpf_object__load", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    static final MethodHandle OBJECT_CLOSE = handle("bpf_object__close", FunctionDescriptor.ofVoid(ADDRESS));
    static final MethodHandle OBJECT_FIND_MAP = handle("bpf_object__find_map_by_name",
            FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS));
    static final MethodHandle OBJECT_FIND_PROGRAM = handle("bpf_object__find_program_by_name",
            FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS));
    static final MethodHandle OBJECT_NEXT_MAP = handle("bpf_object__next_map",
            FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS));
    static final MethodHandle OBJECT_NEXT_PROGRAM = handle("bpf_object__next_program",
            FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS));

    // bpf_map (libbpf object view)
    static final MethodHandle MAP_NAME = handle("bpf_map__name", FunctionDescriptor.of(ADDRESS, ADDRESS));
    static final MethodHandle MAP_FD = handle("bpf_map__fd", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    static final MethodHandle MAP_TYPE = handle("bpf_map__type", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    static final MethodHandle MAP_KEY_SIZE = handle("bpf_map__key_size", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    static final MethodHandle MAP_VALUE_SIZE = handle("bpf_map__value_size",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));
    static final MethodHandle MAP_MAX_ENTRIES = handle("bpf_map__max_entries",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));
    static final MethodHandle MAP_SET_MAX_ENTRIES = handle("bpf_map__set_max_entries",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    static final MethodHandle MAP_SET_TYPE = handle("bpf_map__set_type",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    static final MethodHandle MAP_MAP_FLAGS = handle("bpf_map__map_flags", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    static final MethodHandle MAP_SET_MAP_FLAGS = handle("bpf_map__set_map_flags",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    static final MethodHandle MAP_SET_PIN_PATH = handle("bpf_map__set_pin_path",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    static final MethodHandle MAP_REUSE_FD = handle("bpf_map__reuse_fd",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    static final MethodHandle MAP_SET_INITIAL_VALUE = handle("bpf_map__set_initial_value",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG));

    // bpf_program
    static final MethodHandle PROGRAM_NAME = handle("bpf_program__name", FunctionDescriptor.of(ADDRESS, ADDRESS));
    static final MethodHandle PROGRAM_FD = handle("bpf_program__fd", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    static final MethodHandle PROGRAM_TYPE = handle("bpf_program__type", FunctionDescriptor.of(JAVA_INT, ADDRESS));

    // low-level bpf(2) wrappers (bpf.h)
    static final MethodHandle MAP_LOOKUP_ELEM = handle("bpf_map_lookup_elem",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    static final MethodHandle MAP_UPDATE_ELEM = handle("bpf_map_update_elem",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG));
    static final MethodHandle MAP_DELETE_ELEM = handle("bpf_map_delete_elem",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    static final MethodHandle MAP_GET_NEXT_KEY = handle("bpf_map_get_next_key",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    static final MethodHandle MAP_LOOKUP_BATCH = handle("bpf_map_lookup_batch",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    static final MethodHandle MAP_UPDATE_BATCH = handle("bpf_map_update_batch",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    static final MethodHandle MAP_DELETE_BATCH = handle("bpf_map_delete_batch",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
    static final MethodHandle MAP_CREATE = handle("bpf_map_create",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    static final MethodHandle OBJ_PIN = handle("bpf_obj_pin", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    static final MethodHandle OBJ_GET = handle("bpf_obj_get", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    static final MethodHandle OBJ_GET_INFO_BY_FD = handle("bpf_obj_get_info_by_fd",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    static final MethodHandle PROG_TEST_RUN_OPTS = handle("bpf_prog_test_run_opts",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));

    // tc
    static final MethodHandle TC_HOOK_CREATE = handle("bpf_tc_hook_create", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    static final MethodHandle TC_HOOK_DESTROY = handle("bpf_tc_hook_destroy",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));
    static final MethodHandle TC_ATTACH = handle("bpf_tc_attach", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    static final MethodHandle TC_DETACH = handle("bpf_tc_detach", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    static final MethodHandle TC_QUERY = handle("bpf_tc_query", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    static final MethodHandle PROG_GET_FD_BY_ID = handle("bpf_prog_get_fd_by_id",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));

    // misc
    static final MethodHandle NUM_POSSIBLE_CPUS = handle("libbpf_num_possible_cpus",
            FunctionDescriptor.of(JAVA_INT));
    static final MethodHandle STRERROR = handle("libbpf_strerror",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG));
    static final MethodHandle SET_PRINT = handle("libbpf_set_print", FunctionDescriptor.of(ADDRESS, ADDRESS));

    static {
        if (MISSING == null && missingSymbol == null) {
            LibbpfLog.install();
        }
    }

    private Libbpf() {
    }

    /** Throws {@link LibbpfMissingException} unless the system libbpf and every needed symbol were found. */
    static void require() {
        if (MISSING != null) {
            throw new LibbpfMissingException(MISSING.getMessage(), MISSING);
        }
        if (missingSymbol != null) {
            // An older libbpf than 1.1 cannot serve the binding.
            throw new LibbpfMissingException(LIBRARY + " has no symbol " + missingSymbol
                    + "; the binding needs libbpf 1.1 or newer: apt-get install libbpf1", null);
        }
    }

    /** Looks up a libbpf by file name; fails with a message saying how to install it. */
    @SuppressWarnings("restricted") // this package is where native access is meant to happen
    static SymbolLookup libraryLookup(String libraryName) {
        try {
            return SymbolLookup.libraryLookup(libraryName, Arena.global());
        } catch (IllegalArgumentException e) {
            throw new LibbpfMissingException(libraryName + " not found: apt-get install libbpf1"
                    + " (the binding needs the system libbpf, API level 1.1)", e);
        }
    }

    @SuppressWarnings("restricted") // this package is where native access is meant to happen
    private static MethodHandle handle(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        if (LOOKUP == null) {
            return null;
        }
        Optional<MemorySegment> symbol = LOOKUP.find(name);
        if (symbol.isEmpty()) {
            if (missingSymbol == null) {
                missingSymbol = name;
            }
            return null;
        }
        return LINKER.downcallHandle(symbol.get(), descriptor, options);
    }

    static int numPossibleCpus() {
        require();
        try {
            int n = (int) NUM_POSSIBLE_CPUS.invokeExact();
            if (n <= 0) {
                throw Errors.of("libbpf_num_possible_cpus", -n);
            }
            return n;
        } catch (Throwable t) {
            throw Errors.rethrow(t);
        }
    }

    /** libbpf's (thread-safe) description of a positive errno or libbpf-specific error code. */
    static String strerror(int errno) {
        if (MISSING != null || missingSymbol != null) {
            return "error " + errno;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(256);
            int rc = (int) STRERROR.invokeExact(errno, buf, 256L);
            return rc == 0 ? buf.getString(0) : "error " + errno;
        } catch (Throwable t) {
            return "error " + errno;
        }
    }
}
