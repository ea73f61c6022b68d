package io.edgesched.examples.readme;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgesched.api.NodeId;
import io.edgesched.api.control.Decision;
import io.edgesched.api.policy.DecisionReason;
import io.edgesched.ebpf.netns.RootRequirement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Runs the docs snippets in {@link DocsSnippets} that need no cluster and no real interface. */
class DocsExamplesTest {

    @Test
    void controllerDocExampleMovesWebToEdgeBAsItsCommentSays() {
        List<String> printed = new ArrayList<>();
        Decision decision = DocsSnippets.controllerExample(printed);
        assertThat(decision.reason()).isEqualTo(DecisionReason.MOVE_STARTED);
        assertThat(decision.target().nodes()).containsExactly(NodeId.of("edge-b"));
        assertThat(printed).anySatisfy(line -> assertThat(line)
                .contains("round 2 default/web MOVE_STARTED at {edge-a=1} [MOVE -> {edge-b=1}, cost 11000 -> 3000 us"));
    }

    @Test
    void bpfDocExampleLoadsTheObjectAndTestRunsASyn() {
        RootRequirement.assumeRoot();
        DocsSnippets.bpfTestRun();   // throws on any libbpf or verifier error
    }
}
