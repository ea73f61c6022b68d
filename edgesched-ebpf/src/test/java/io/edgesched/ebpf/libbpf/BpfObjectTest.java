package io.edgesched.ebpf.libbpf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edgesched.ebpf.BpfException;
import io.edgesched.ebpf.LibbpfMissingException;
import io.edgesched.ebpf.RequiresBpf;
import io.edgesched.ebpf.VerifierException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class BpfObjectTest {

    @Test
    @RequiresBpf
    void opensFromBytesAndLoads() {
        try (BpfObject object = TestObjects.open("count")) {
            assertThat(object.name()).isEqualTo("count");
            assertThat(object.programs()).containsKeys("count_ingress", "count_egress", "mark_first_byte");
            assertThat(object.maps()).containsKey("packet_counts");
            assertThat(object.isLoaded()).isFalse();

            object.load();

            assertThat(object.isLoaded()).isTrue();
            assertThat(object.program("count_ingress").fd()).isPositive();
            BpfMap counts = object.map("packet_counts");
            assertThat(counts.fd()).isPositive();
            assertThat(counts.type()).isEqualTo(MapType.ARRAY);
            assertThat(counts.keySize()).isEqualTo(4);
            assertThat(counts.valueSize()).isEqualTo(8);
            assertThat(counts.maxEntries()).isEqualTo(2);
            assertThat(counts.info().id()).isPositive();
        }
    }

    @Test
    @RequiresBpf
    void verifierRejectionCarriesTheLog() {
        try (BpfObject object = TestObjects.open("reject")) {
            assertThatThrownBy(object::load)
                    .isInstanceOfSatisfying(VerifierException.class, e -> {
                        assertThat(e.log()).contains("invalid access to packet");
                        assertThat(e.errno()).isPositive();
                        assertThat(e.getMessage()).contains("load BPF object 'reject'").contains("verifier log")
                                .contains("--- libbpf says ---").contains("unbounded_read");
                    });
            assertThat(object.isLoaded()).isFalse();
            assertThatThrownBy(object::load).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("open a new one");
        }
    }

    @Test
    @RequiresBpf
    void testRunReportsRetvalAndRewrittenPacket() {
        try (BpfObject object = TestObjects.open("count").load()) {
            byte[] frame = new byte[64];
            Arrays.fill(frame, (byte) 1);

            TestRunResult result = object.program("mark_first_byte").testRun(frame, 10);

            assertThat(result.retval()).isEqualTo(64);
            assertThat(result.dataOut()).hasSize(64);
            assertThat(result.dataOut()[0]).isEqualTo((byte) 0x42);
            assertThat(result.dataOut()[1]).isEqualTo((byte) 1);
            assertThat(result.durationNs()).isGreaterThanOrEqualTo(0);
        }
    }

    @Test
    @RequiresBpf
    void rodataInitialValueConfiguresTheProgram() {
        try (BpfObject object = TestObjects.open("count")) {
            BpfMap rodata = object.map(".rodata");
            assertThat(rodata.valueSize()).isEqualTo(1);
            rodata.setInitialValue(new byte[] {0x17});
            object.load();

            TestRunResult result = object.program("mark_first_byte").testRun(new byte[20], 1);

            assertThat(result.dataOut()[0]).isEqualTo((byte) 0x17);
        }
    }

    @Test
    @RequiresBpf
    void testRunOnTooShortFrameSaysWhy() {
        try (BpfObject object = TestObjects.open("count").load()) {
            assertThatThrownBy(() -> object.program("mark_first_byte").testRun(new byte[4], 1))
                    .isInstanceOf(BpfException.class)
                    .hasMessageContaining("test run of program 'mark_first_byte'")
                    .hasMessageContaining("EINVAL");
        }
    }

    @Test
    @RequiresBpf
    void unknownNamesListWhatExists() {
        try (BpfObject object = TestObjects.open("count")) {
            assertThatThrownBy(() -> object.map("nope"))
                    .isInstanceOf(BpfException.class)
                    .hasMessageContaining("has no map 'nope'")
                    .hasMessageContaining("packet_counts");
            assertThatThrownBy(() -> object.program("nope"))
                    .hasMessageContaining("has no program 'nope'")
                    .hasMessageContaining("count_ingress");
        }
    }

    @Test
    void garbageIsRejectedAtOpen() {
        assertThatThrownBy(() -> BpfObject.open(new byte[] {1, 2, 3, 4}, "garbage"))
                .isInstanceOf(BpfException.class)
                .hasMessageContaining("open BPF object 'garbage'");
    }

    @Test
    @RequiresBpf
    void closeIsIdempotentAndUseAfterCloseFails() {
        BpfObject object = TestObjects.open("count").load();
        BpfMap counts = object.map("packet_counts");
        object.close();
        object.close();

        assertThatThrownBy(counts::fd).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> object.map("packet_counts")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    @RequiresBpf
    void configurationAfterLoadIsRefused() {
        try (BpfObject object = TestObjects.open("count").load()) {
            assertThatThrownBy(() -> object.map("packet_counts").setMaxEntries(4))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("before load");
        }
    }

    @Test
    void missingLibraryIsATypedException() {
        assertThatThrownBy(() -> Libbpf.libraryLookup("libbpf-does-not-exist.so.9"))
                .isInstanceOf(LibbpfMissingException.class)
                .hasMessageContaining("libbpf-does-not-exist.so.9 not found")
                .hasMessageContaining("apt-get install libbpf1");
    }

    @Test
    void missingResourceSaysWhatToBuild() {
        assertThatThrownBy(() -> BpfObject.openResource(BpfObjectTest.class, "/nope/missing.bpf.o"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not found");
    }
}
