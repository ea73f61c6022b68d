package io.edgesched.ebpf;

import java.util.Arrays;

/**
 * A second, independent reading of the parse rules the origin programs follow (docs/bpf.md), used as the
 * oracle for fuzzed frames: what category must each frame land in, and what would it add to a client.
 */
final class ReferenceParser {
    enum Outcome { NOT_IP, NOT_TCP, TRUNCATED, BAD_HEADER, IPV6_EXT, FRAGMENT, TCP }

    record Parsed(Outcome outcome, int family, byte[] source, byte[] destination, int sourcePort,
            int destinationPort, long seq, long ack, int tcpFlags, long ipBytes) {
        static Parsed of(Outcome outcome) {
            return new Parsed(outcome, 0, null, null, 0, 0, 0, 0, 0, 0);
        }
    }

    private ReferenceParser() {
    }

    static Parsed parse(byte[] f) {
        if (f.length < 14) {
            return Parsed.of(Outcome.TRUNCATED);
        }
        int off = 14;
        int proto = u16(f, 12);
        for (int i = 0; i < 2 && (proto == 0x8100 || proto == 0x88a8); i++) {
            if (f.length < off + 4) {
                return Parsed.of(Outcome.TRUNCATED);
            }
            proto = u16(f, off + 2);
            off += 4;
        }
        if (proto == 0x0800) {
            return ipv4(f, off);
        }
        if (proto == 0x86DD) {
            return ipv6(f, off);
        }
        return Parsed.of(Outcome.NOT_IP);
    }

    private static Parsed ipv4(byte[] f, int off) {
        if (f.length < off + 20) {
            return Parsed.of(Outcome.TRUNCATED);
        }
        int version = (f[off] & 0xff) >> 4;
        int ihl = f[off] & 0x0f;
        if (version != 4 || ihl < 5) {
            return Parsed.of(Outcome.BAD_HEADER);
        }
        long total = u16(f, off + 2);
        if (total == 0) {
            total = f.length - off;
        } else if (total < ihl * 4) {
            return Parsed.of(Outcome.BAD_HEADER);
        }
        total = Math.min(total, f.length - off); // byte counts never exceed the frame
        if ((f[off + 9] & 0xff) != 6) {
            return Parsed.of(Outcome.NOT_TCP);
        }
        if ((u16(f, off + 6) & 0x1fff) != 0) {
            return Parsed.of(Outcome.FRAGMENT);
        }
        return tcp(f, off + ihl * 4, 4, Arrays.copyOfRange(f, off + 12, off + 16),
                Arrays.copyOfRange(f, off + 16, off + 20), total);
    }

    private static Parsed ipv6(byte[] f, int off) {
        if (f.length < off + 40) {
            return Parsed.of(Outcome.TRUNCATED);
        }
        if ((f[off] & 0xff) >> 4 != 6) {
            return Parsed.of(Outcome.BAD_HEADER);
        }
        int payload = u16(f, off + 4);
        long bytes = Math.min(payload != 0 ? payload + 40L : f.length - off, f.length - off);
        byte[] src = Arrays.copyOfRange(f, off + 8, off + 24);
        byte[] dst = Arrays.copyOfRange(f, off + 24, off + 40);
        int next = f[off + 6] & 0xff;
        off += 40;
        for (int i = 0; i < OriginMapLayouts.MAX_IPV6_EXT_HEADERS; i++) {
            if (next == 6) {
                return tcp(f, off, 6, src, dst, bytes);
            }
            if (next != 0 && next != 43 && next != 60 && next != 44 && next != 51) {
                return Parsed.of(Outcome.NOT_TCP);
            }
            if (f.length < off + 8) {
                return Parsed.of(Outcome.TRUNCATED);
            }
            int hdrlen = f[off + 1] & 0xff;
            int following = f[off] & 0xff;
            if (next == 44) {
                if ((u16(f, off + 2) & 0xfff8) != 0) {
                    return Parsed.of(Outcome.FRAGMENT);
                }
                off += 8;
            } else if (next == 51) {
                off += (hdrlen + 2) * 4;
            } else {
                off += (hdrlen + 1) * 8;
            }
            next = following;
        }
        return next == 6 ? tcp(f, off, 6, src, dst, bytes) : Parsed.of(Outcome.IPV6_EXT);
    }

    private static Parsed tcp(byte[] f, int off, int family, byte[] src, byte[] dst, long ipBytes) {
        if (f.length < off + 20) {
            return Parsed.of(Outcome.TRUNCATED);
        }
        if ((f[off + 12] & 0xff) >> 4 < 5) {
            return Parsed.of(Outcome.BAD_HEADER);
        }
        return new Parsed(Outcome.TCP, family, src, dst, u16(f, off), u16(f, off + 2), u32(f, off + 4),
                u32(f, off + 8), f[off + 13] & 0xff, ipBytes);
    }

    private static int u16(byte[] f, int i) {
        return (f[i] & 0xff) << 8 | f[i + 1] & 0xff;
    }

    private static long u32(byte[] f, int i) {
        return ((long) u16(f, i) << 16) | u16(f, i + 2);
    }
}
