package io.edgesched.ebpf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the struct layouts (size, member names and byte offsets) out of the BTF section of a compiled BPF ELF
 * object, so tests can compare the Java mirror with what clang actually laid out. Little-endian ELF64 only.
 */
final class BtfStructs {
    record Member(String name, long byteOffset) {
    }

    record Struct(String name, long size, List<Member> members) {
    }

    private static final int KIND_INT = 1;
    private static final int KIND_ARRAY = 3;
    private static final int KIND_STRUCT = 4;
    private static final int KIND_UNION = 5;
    private static final int KIND_ENUM = 6;
    private static final int KIND_FUNC_PROTO = 13;
    private static final int KIND_VAR = 14;
    private static final int KIND_DATASEC = 15;
    private static final int KIND_DECL_TAG = 17;
    private static final int KIND_ENUM64 = 19;

    private BtfStructs() {
    }

    /** All named structs of the object's .BTF section, by name. */
    static Map<String, Struct> read(byte[] elf) {
        ByteBuffer e = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);
        if (e.getInt(0) != 0x464c457f || elf[4] != 2 || elf[5] != 1) {
            throw new IllegalArgumentException("not a little-endian ELF64 object");
        }
        long sectionHeaders = e.getLong(0x28);
        int entrySize = Short.toUnsignedInt(e.getShort(0x3A));
        int count = Short.toUnsignedInt(e.getShort(0x3C));
        int namesIndex = Short.toUnsignedInt(e.getShort(0x3E));
        long namesOffset = e.getLong((int) (sectionHeaders + (long) namesIndex * entrySize + 24));
        for (int i = 0; i < count; i++) {
            int header = (int) (sectionHeaders + (long) i * entrySize);
            String name = cString(elf, (int) (namesOffset + e.getInt(header)));
            if (name.equals(".BTF")) {
                int offset = (int) e.getLong(header + 24);
                int size = (int) e.getLong(header + 32);
                return parseBtf(ByteBuffer.wrap(elf, offset, size).slice().order(ByteOrder.LITTLE_ENDIAN));
            }
        }
        throw new IllegalArgumentException("object has no .BTF section");
    }

    private static Map<String, Struct> parseBtf(ByteBuffer b) {
        if (Short.toUnsignedInt(b.getShort(0)) != 0xEB9F) {
            throw new IllegalArgumentException("bad BTF magic");
        }
        int headerLength = b.getInt(4);
        int typesStart = headerLength + b.getInt(8);
        int typesEnd = typesStart + b.getInt(12);
        int stringsStart = headerLength + b.getInt(16);
        Map<String, Struct> structs = new HashMap<>();
        int at = typesStart;
        while (at < typesEnd) {
            int nameOffset = b.getInt(at);
            int info = b.getInt(at + 4);
            int sizeOrType = b.getInt(at + 8);
            int vlen = info & 0xffff;
            int kind = (info >>> 24) & 0x1f;
            boolean kindFlag = info < 0;
            at += 12;
            switch (kind) {
                case KIND_INT, KIND_VAR, KIND_DECL_TAG -> at += 4;
                case KIND_ARRAY -> at += 12;
                case KIND_STRUCT, KIND_UNION -> {
                    List<Member> members = new ArrayList<>();
                    for (int m = 0; m < vlen; m++) {
                        int bits = b.getInt(at + 8);
                        long bitOffset = kindFlag ? bits & 0xffffff : Integer.toUnsignedLong(bits);
                        members.add(new Member(string(b, stringsStart + b.getInt(at)), bitOffset / 8));
                        at += 12;
                    }
                    String name = string(b, stringsStart + nameOffset);
                    if (kind == KIND_STRUCT && !name.isEmpty()) {
                        structs.put(name, new Struct(name, Integer.toUnsignedLong(sizeOrType), List.copyOf(members)));
                    }
                }
                case KIND_ENUM, KIND_FUNC_PROTO -> at += 8 * vlen;
                case KIND_DATASEC, KIND_ENUM64 -> at += 12 * vlen;
                default -> { } // PTR, FWD, TYPEDEF, VOLATILE, CONST, RESTRICT, FUNC, FLOAT, TYPE_TAG: nothing more
            }
        }
        return structs;
    }

    private static String string(ByteBuffer b, int offset) {
        int end = offset;
        while (b.get(end) != 0) {
            end++;
        }
        byte[] bytes = new byte[end - offset];
        b.get(offset, bytes);
        return new String(bytes, StandardCharsets.US_ASCII);
    }

    private static String cString(byte[] bytes, int offset) {
        int end = offset;
        while (bytes[end] != 0) {
            end++;
        }
        return new String(bytes, offset, end - offset, StandardCharsets.US_ASCII);
    }
}
