package io.edgesched.ebpf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class TcpFramesTest {

    @Test
    void ipv4SynHasValidHeaderAndTcpChecksums() {
        TcpFrames.Builder builder = TcpFrames.tcp("10.0.0.1", 40000, "10.0.0.2", 80).flags(TcpFrames.SYN).seq(1000)
                .ipv4Options(new byte[] {1, 1, 1, 0});
        byte[] frame = builder.build();
        assertThat(frame).hasSize(14 + 24 + 20);
        assertThat(frame[12]).isEqualTo((byte) 0x08);
        assertThat(frame[14]).isEqualTo((byte) 0x46); // version 4, IHL 6
        byte[] ip = Arrays.copyOfRange(frame, 14, 38);
        assertThat(TcpFrames.checksum(new byte[0], ip)).isZero();
        byte[] tcp = Arrays.copyOfRange(frame, 38, frame.length);
        byte[] pseudo = {10, 0, 0, 1, 10, 0, 0, 2, 0, 6, 0, 20};
        assertThat(TcpFrames.checksum(pseudo, tcp)).isZero();
        assertThat(tcp[13]).isEqualTo((byte) TcpFrames.SYN);
        assertThat(builder.ipLength()).isEqualTo(44);
    }

    @Test
    void ipv6ExtensionHeadersChainTheirNextHeaderFields() {
        byte[] frame = TcpFrames.tcp("2001:db8::1", 40000, "2001:db8::2", 443)
                .ipv6OptionsHeader(TcpFrames.IPV6_HOP_BY_HOP, 0)
                .ipv6Fragment(0, true)
                .ipv6AuthenticationHeader(1)
                .payload(10).build();
        int l3 = 14;
        assertThat(frame[l3 + 6]).isEqualTo((byte) TcpFrames.IPV6_HOP_BY_HOP);
        assertThat(frame[l3 + 40]).isEqualTo((byte) TcpFrames.IPV6_FRAGMENT);
        assertThat(frame[l3 + 48]).isEqualTo((byte) TcpFrames.IPV6_AH);
        assertThat(frame[l3 + 56]).isEqualTo((byte) TcpFrames.PROTO_TCP);
        assertThat(frame[l3 + 57]).isEqualTo((byte) 2); // AH: 16 bytes = (2 + 2) * 4
        int payloadLength = (frame[l3 + 4] & 0xff) << 8 | frame[l3 + 5] & 0xff;
        assertThat(payloadLength).isEqualTo(8 + 8 + 16 + 20 + 10);
        assertThat(frame).hasSize(14 + 40 + payloadLength);
    }

    @Test
    void mixingFamiliesOrMisplacedOptionsIsRejected() {
        assertThatThrownBy(() -> TcpFrames.tcp("10.0.0.1", 1, "::1", 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("both be IPv4 or both IPv6");
        assertThatThrownBy(() -> TcpFrames.tcp("::2", 1, "::1", 2).ipv4Options(new byte[4]))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("IPv4");
        assertThatThrownBy(() -> TcpFrames.tcp("10.0.0.1", 1, "10.0.0.2", 2).ipv4Options(new byte[41]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most 40");
    }
}
