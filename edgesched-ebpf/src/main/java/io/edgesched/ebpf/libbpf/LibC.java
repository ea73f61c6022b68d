package io.edgesched.ebpf.libbpf;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/** The few libc functions the binding needs; errno is captured right at the call. */
final class LibC {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
    static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO_HANDLE =
            CAPTURE_LAYOUT.varHandle(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));

    static final int O_RDONLY = 0;
    static final int O_CLOEXEC = 0x80000;
    static final int CLONE_NEWNET = 0x40000000;

    static final MethodHandle IF_NAMETOINDEX = handle("if_nametoindex",
            FunctionDescriptor.of(JAVA_INT, ADDRESS), ERRNO);
    static final MethodHandle OPEN = handle("open",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), ERRNO, Linker.Option.firstVariadicArg(2));
    static final MethodHandle CLOSE = handle("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), ERRNO);
    static final MethodHandle SETNS = handle("setns", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), ERRNO);
    static final MethodHandle MMAP = handle("mmap",
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG), ERRNO);
    static final MethodHandle MUNMAP = handle("munmap", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG), ERRNO);
    static final int PROT_READ = 1;
    static final int MAP_SHARED = 1;
    static final long PAGE_SIZE = 4096;
    /** va_list decays to a pointer in a call (x86-64 and aarch64 Linux), which is what libbpf hands us. */
    static final MethodHandle VSNPRINTF = handle("vsnprintf",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS));

    private LibC() {
    }

    @SuppressWarnings("restricted") // this package is where native access is meant to happen
    static MethodHandle handle(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        MemorySegment symbol = LIBC.find(name)
                .orElseThrow(() -> new IllegalStateException("libc has no " + name));
        return LINKER.downcallHandle(symbol, descriptor, options);
    }

    static MemorySegment allocateCapture(Arena arena) {
        return arena.allocate(CAPTURE_LAYOUT);
    }

    static int errno(MemorySegment capture) {
        return (int) ERRNO_HANDLE.get(capture, 0L);
    }

    /** Interface index, or -errno when the name is unknown. */
    static int ifNameToIndex(String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = allocateCapture(arena);
            int index = (int) IF_NAMETOINDEX.invokeExact(capture, arena.allocateFrom(name));
            return index != 0 ? index : -errno(capture);
        } catch (Throwable t) {
            throw Errors.rethrow(t);
        }
    }

    /** open(path, O_RDONLY|O_CLOEXEC): fd or -errno. */
    static int openReadOnly(String path) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = allocateCapture(arena);
            int fd = (int) OPEN.invokeExact(capture, arena.allocateFrom(path), O_RDONLY | O_CLOEXEC, 0);
            return fd >= 0 ? fd : -errno(capture);
        } catch (Throwable t) {
            throw Errors.rethrow(t);
        }
    }

    /** close(fd): 0 or -errno. */
    static int close(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = allocateCapture(arena);
            int rc = (int) CLOSE.invokeExact(capture, fd);
            return rc == 0 ? 0 : -errno(capture);
        } catch (Throwable t) {
            throw Errors.rethrow(t);
        }
    }

    /** mmap(NULL, length, PROT_READ, MAP_SHARED, fd, 0): the address, or -errno as a negative long. */
    static long mapReadOnly(int fd, long length) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = allocateCapture(arena);
            MemorySegment address = (MemorySegment) MMAP.invokeExact(capture, MemorySegment.NULL, length, PROT_READ,
                    MAP_SHARED, fd, 0L);
            return address.address() == -1L ? -errno(capture) : address.address();
        } catch (Throwable t) {
            throw Errors.rethrow(t);
        }
    }

    /** munmap(address, length): 0 or -errno. */
    static int unmap(long address, long length) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = allocateCapture(arena);
            int rc = (int) MUNMAP.invokeExact(capture, MemorySegment.ofAddress(address), length);
            return rc == 0 ? 0 : -errno(capture);
        } catch (Throwable t) {
            throw Errors.rethrow(t);
        }
    }

    /** setns(fd, CLONE_NEWNET) for the calling thread: 0 or -errno. */
    static int setNetns(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = allocateCapture(arena);
            int rc = (int) SETNS.invokeExact(capture, fd, CLONE_NEWNET);
            return rc == 0 ? 0 : -errno(capture);
        } catch (Throwable t) {
            throw Errors.rethrow(t);
        }
    }
}
