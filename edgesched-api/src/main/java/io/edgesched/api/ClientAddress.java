package io.edgesched.api;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A client's IP address (4 or 16 bytes), optionally a prefix of it when demand is aggregated.
 * Kept as bytes, not {@link InetAddress}, so that millions of them stay cheap and no lookup ever runs.
 */
public final class ClientAddress implements Comparable<ClientAddress> {
    private final byte[] bytes;
    private final int prefixLength;

    private ClientAddress(byte[] bytes, int prefixLength) {
        this.bytes = bytes;
        this.prefixLength = prefixLength;
    }

    /** A full address from 4 (IPv4) or 16 (IPv6) bytes; the array is copied. */
    public static ClientAddress of(byte[] address) {
        if (address.length != 4 && address.length != 16) {
            throw new IllegalArgumentException("address must be 4 or 16 bytes, got " + address.length);
        }
        return new ClientAddress(address.clone(), address.length * 8);
    }

    public static ClientAddress of(InetAddress address) {
        return new ClientAddress(address.getAddress(), address.getAddress().length * 8);
    }

    /** Parses a numeric IPv4 or IPv6 literal, optionally with a /prefix; never resolves names. */
    public static ClientAddress parse(String text) {
        String addressPart = text;
        int prefix = -1;
        int slash = text.indexOf('/');
        if (slash >= 0) {
            addressPart = text.substring(0, slash);
            prefix = Integer.parseInt(text.substring(slash + 1));
        }
        if (!addressPart.contains(":") && !addressPart.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
            throw new IllegalArgumentException("not a numeric IP address: " + text);
        }
        try {
            ClientAddress full = of(InetAddress.getByName(addressPart));
            return prefix < 0 ? full : full.prefix(prefix);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not a numeric IP address: " + text, e);
        }
    }

    public boolean isIpv4() {
        return bytes.length == 4;
    }

    /** Prefix length in bits: 32 or 128 for a full address. */
    public int prefixLength() {
        return prefixLength;
    }

    public boolean isPrefix() {
        return prefixLength < bytes.length * 8;
    }

    /** The network prefix of this address with the given number of leading bits kept. */
    public ClientAddress prefix(int bits) {
        int max = bytes.length * 8;
        if (bits < 0 || bits > max) {
            throw new IllegalArgumentException("prefix length " + bits + " outside 0.." + max);
        }
        if (bits >= prefixLength) {
            return this;
        }
        byte[] masked = bytes.clone();
        for (int i = 0; i < masked.length; i++) {
            int keep = Math.max(0, Math.min(8, bits - i * 8));
            masked[i] = (byte) (masked[i] & (0xff << (8 - keep)));
        }
        return new ClientAddress(masked, bits);
    }

    public byte[] toBytes() {
        return bytes.clone();
    }

    /** The upper 64 bits of the address read as a 128-bit number; 0 for IPv4. No copy, unlike {@link #toBytes()}. */
    public long highBits() {
        return bytes.length == 4 ? 0 : longAt(0);
    }

    /** The lower 64 bits of the address read as a 128-bit number; an IPv4 address is its 32 bits, unsigned. */
    public long lowBits() {
        if (bytes.length == 4) {
            return (bytes[0] & 0xffL) << 24 | (bytes[1] & 0xffL) << 16 | (bytes[2] & 0xffL) << 8 | (bytes[3] & 0xffL);
        }
        return longAt(8);
    }

    private long longAt(int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = v << 8 | (bytes[off + i] & 0xff);
        }
        return v;
    }

    public InetAddress toInetAddress() {
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // cannot happen for 4 or 16 bytes
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClientAddress other && prefixLength == other.prefixLength && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(bytes) + prefixLength;
    }

    @Override
    public int compareTo(ClientAddress other) {
        int c = Integer.compare(bytes.length, other.bytes.length);
        if (c != 0) {
            return c;
        }
        c = Arrays.compareUnsigned(bytes, other.bytes);
        return c != 0 ? c : Integer.compare(prefixLength, other.prefixLength);
    }

    @Override
    public String toString() {
        InetAddress inet = toInetAddress();
        String text = inet instanceof Inet6Address
                ? compressIpv6(bytes)
                : ((Inet4Address) inet).getHostAddress();
        return isPrefix() ? text + "/" + prefixLength : text;
    }

    private static String compressIpv6(byte[] b) {
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLen = 0;
        for (int i = 0; i < 8; ) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLen && j - i > 1) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder sb = new StringBuilder();
        HexFormat hex = HexFormat.of();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append(i == 0 ? "::" : ":");
                i += bestLen - 1;
                continue;
            }
            sb.append(hex.toHexDigits((short) groups[i]).replaceFirst("^0+(?=.)", ""));
            if (i < 7) {
                sb.append(':');
            }
        }
        return sb.toString();
    }
}
