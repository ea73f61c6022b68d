package io.edgesched.ebpf.libbpf;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * libbpf's print callback: formats each message with libc vsnprintf and either appends it to the calling
 * thread's capture buffer (while the binding runs an operation whose messages belong in an exception) or logs
 * it through SLF4J. libbpf prints synchronously on the thread that called it, so a thread-local suffices.
 */
final class LibbpfLog {
    private static final Logger LOG = LoggerFactory.getLogger("io.edgesched.ebpf.libbpf.libbpf");
    private static final ThreadLocal<StringBuilder> CAPTURE = new ThreadLocal<>();
    private static final int LEVEL_WARN = 0;
    private static final int LEVEL_INFO = 1;
    private static final int MAX_MESSAGE = 4096;
    /** Capture no more than this per operation: a verifier log can be megabytes and it is in the log buffer. */
    private static final int MAX_CAPTURE = 64 * 1024;

    private LibbpfLog() {
    }

    @SuppressWarnings("restricted") // this package is where native access is meant to happen
    static void install() {
        try {
            MethodHandle target = MethodHandles.lookup().findStatic(LibbpfLog.class, "print",
                    MethodType.methodType(int.class, int.class, MemorySegment.class, MemorySegment.class));
            MemorySegment stub = Linker.nativeLinker().upcallStub(target,
                    FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS), Arena.global());
            MemorySegment previous = (MemorySegment) Libbpf.SET_PRINT.invokeExact(stub);
            LOG.trace("installed libbpf print callback (previous {})", previous);
        } catch (Throwable t) {
            // Without the callback libbpf prints to stderr; the binding still works.
            LOG.warn("could not install the libbpf print callback; libbpf messages go to stderr", t);
        }
    }

    /** Runs {@code action} with libbpf's messages of this thread collected into {@code sink}. */
    static <T> T capturing(StringBuilder sink, Supplier<T> action) {
        StringBuilder previous = CAPTURE.get();
        CAPTURE.set(sink);
        try {
            return action.get();
        } finally {
            if (previous == null) {
                CAPTURE.remove();
            } else {
                CAPTURE.set(previous);
            }
        }
    }

    // Called from native code: must never throw (an exception escaping an upcall kills the JVM).
    @SuppressWarnings("unused")
    private static int print(int level, MemorySegment format, MemorySegment vaList) {
        try {
            String message;
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment buffer = arena.allocate(MAX_MESSAGE);
                int n = (int) LibC.VSNPRINTF.invokeExact(buffer, (long) MAX_MESSAGE, format, vaList);
                if (n < 0) {
                    return 0;
                }
                message = buffer.getString(0);
            }
            StringBuilder sink = CAPTURE.get();
            if (sink != null) {
                if (sink.length() < MAX_CAPTURE) {
                    sink.append(message);
                }
                LOG.debug("{}", message.stripTrailing());
            } else if (level == LEVEL_WARN) {
                LOG.warn("{}", message.stripTrailing());
            } else if (level == LEVEL_INFO) {
                LOG.debug("{}", message.stripTrailing());
            } else {
                LOG.trace("{}", message.stripTrailing());
            }
            return message.length();
        } catch (Throwable t) {
            return 0;
        }
    }
}
