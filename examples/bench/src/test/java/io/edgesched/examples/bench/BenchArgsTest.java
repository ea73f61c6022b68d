package io.edgesched.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class BenchArgsTest {
    static final String USAGE = "usage: bench-x [n=5] [share=0.2]";

    static final class Exited extends RuntimeException {
        final int code;

        Exited(int code) {
            super("exit " + code);
            this.code = code;
        }
    }

    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();

    BenchArgs parse(String... args) {
        return new BenchArgs(USAGE, args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), code -> {
                    throw new Exited(code);
                });
    }

    @Test
    void helpPrintsTheUsageAndExitsZero() {
        assertThatThrownBy(() -> parse("--help")).isInstanceOfSatisfying(Exited.class, e -> assertThat(e.code).isZero());
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(USAGE + System.lineSeparator());
        assertThatThrownBy(() -> parse("3", "-h")).isInstanceOfSatisfying(Exited.class, e -> assertThat(e.code).isZero());
    }

    @Test
    void aBadNumberSaysWhichArgumentAndExitsTwo() {
        BenchArgs a = parse("7", "lots");
        assertThat(a.intAt(0, 5)).isEqualTo(7);
        assertThatThrownBy(() -> a.doubleAt(1, 0.2)).isInstanceOfSatisfying(Exited.class, e -> assertThat(e.code).isEqualTo(2));
        assertThat(err.toString(StandardCharsets.UTF_8).lines().toList())
                .containsExactly("argument 2 'lots' is not a number", USAGE);
        assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    @Test
    void absentArgumentsTakeTheDefaultsAndUnderscoresAreAllowed() {
        BenchArgs a = parse("10_000");
        assertThat(a.intAt(0, 5)).isEqualTo(10_000);
        assertThat(a.intAt(1, 5)).isEqualTo(5);
        assertThat(a.doubleAt(4, 0.2)).isEqualTo(0.2);
        assertThat(a.textAt(3)).isNull();
    }
}
