package io.edgesched.ebpf;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgesched.ebpf.BtfStructs.Member;
import io.edgesched.ebpf.BtfStructs.Struct;
import java.io.InputStream;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Java mirror against the layouts clang actually produced: every struct of origin.h, as recorded in the
 * BTF of the shipped origin.bpf.o, must have the same size and the same member names at the same offsets.
 */
class OriginBtfLayoutTest {
    private static Map<String, Struct> btf;

    @BeforeAll
    static void readObject() throws Exception {
        try (InputStream in = OriginMapLayouts.class.getResourceAsStream(OriginMapLayouts.OBJECT_RESOURCE)) {
            assertThat(in).as("compiled object on the class path").isNotNull();
            btf = new java.util.HashMap<>(BtfStructs.read(in.readAllBytes()));
        }
        try (InputStream in = OriginMapLayouts.class.getResourceAsStream(OriginMapLayouts.SNAPSHOT_OBJECT_RESOURCE)) {
            assertThat(in).as("compiled snapshot object on the class path").isNotNull();
            btf.putAll(BtfStructs.read(in.readAllBytes())); // origin_client_entry lives only there
        }
    }

    static List<StructLayout> mirroredStructs() {
        return List.of(OriginMapLayouts.PORT_VALUE, OriginMapLayouts.SERVICE_KEY, OriginMapLayouts.SERVICE_VALUE,
                OriginMapLayouts.NODE_KEY, OriginMapLayouts.CLIENT_KEY, OriginMapLayouts.CLIENT_VALUE,
                OriginMapLayouts.FLOW_KEY, OriginMapLayouts.HANDSHAKE_VALUE, OriginMapLayouts.CLIENT_ENTRY,
                OriginMapLayouts.NODE_FILTER_VALUE, OriginMapLayouts.CONFIG);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mirroredStructs")
    void javaLayoutMatchesTheCompiledStruct(StructLayout java) {
        String name = java.name().orElseThrow();
        Struct c = btf.get(name);
        assertThat(c).as("struct %s in the object's BTF", name).isNotNull();
        assertThat(java.byteSize()).as("size of %s", name).isEqualTo(c.size());
        List<Member> javaMembers = new ArrayList<>();
        long offset = 0;
        for (MemoryLayout element : java.memberLayouts()) {
            javaMembers.add(new Member(element.name().orElseThrow(), offset));
            offset += element.byteSize();
        }
        assertThat(javaMembers).as("members of %s", name).isEqualTo(c.members());
    }
}
