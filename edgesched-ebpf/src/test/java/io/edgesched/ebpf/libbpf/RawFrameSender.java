package io.edgesched.ebpf.libbpf;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * Test-only: writes whole Ethernet frames onto an interface through an AF_PACKET socket (what a raw-socket
 * attacker does), e.g. SYNs with spoofed source addresses. The socket belongs to the namespace it was opened in.
 */
public final class RawFrameSender implements AutoCloseable {
    private static final int AF_PACKET = 17;
    private static final int SOCK_RAW = 3;
    private static final long SOCKADDR_LL_SIZE = 20;
    private static final MethodHandle SOCKET = LibC.handle("socket",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), LibC.ERRNO);
    private static final MethodHandle SENDTO = LibC.handle("sendto",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT), LibC.ERRNO);

    private final int fd;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment address;
    private final MemorySegment buffer;
    private final MemorySegment capture;

    private RawFrameSender(int fd, int ifindex) {
        this.fd = fd;
        this.address = arena.allocate(SOCKADDR_LL_SIZE, 4);
        address.set(JAVA_SHORT, 0, (short) AF_PACKET);
        address.set(JAVA_INT, 4, ifindex);
        this.buffer = arena.allocate(2048);
        this.capture = LibC.allocateCapture(arena);
    }

    /** An AF_PACKET socket bound for sending on {@code interfaceName} inside the named network namespace. */
    public static RawFrameSender open(String namespace, String interfaceName) {
        return NetworkNamespaces.runIn(namespace, () -> {
            int ifindex = LibC.ifNameToIndex(interfaceName);
            if (ifindex <= 0) {
                throw new IllegalStateException("no interface " + interfaceName + " in " + namespace);
            }
            int fd;
            try (Arena call = Arena.ofConfined()) {
                MemorySegment errno = LibC.allocateCapture(call);
                fd = (int) SOCKET.invokeExact(errno, AF_PACKET, SOCK_RAW, 0);
                if (fd < 0) {
                    throw new IllegalStateException("socket(AF_PACKET): " + Errors.describe(LibC.errno(errno)));
                }
            } catch (Throwable t) {
                throw Errors.rethrow(t);
            }
            return new RawFrameSender(fd, ifindex);
        });
    }

    /** Sends one frame (destination MAC included). Not thread-safe. */
    public void send(byte[] frame) {
        MemorySegment.copy(frame, 0, buffer, JAVA_BYTE, 0, frame.length);
        long sent;
        try {
            sent = (long) SENDTO.invokeExact(capture, fd, buffer, (long) frame.length, 0, address,
                    (int) SOCKADDR_LL_SIZE);
        } catch (Throwable t) {
            throw Errors.rethrow(t);
        }
        if (sent != frame.length) {
            throw new IllegalStateException("sendto: " + (sent < 0 ? Errors.describe(LibC.errno(capture))
                    : sent + " of " + frame.length + " bytes"));
        }
    }

    @Override
    public void close() {
        LibC.close(fd);
        arena.close();
    }
}
