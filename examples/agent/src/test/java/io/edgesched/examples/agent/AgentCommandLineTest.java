package io.edgesched.examples.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgesched.examples.k8s.Cli;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class AgentCommandLineTest {
    @Test
    void agentParsesItsFlagsAndRefusesToStartWithoutANodeName() throws Exception {
        AgentMain agent = new AgentMain();
        new CommandLine(agent).parseArgs("--interval=5s", "--top-n=8", "--prefix-v4=16", "--namespace=x",
                "--pin-dir=/sys/fs/bpf/edgesched", "--namespaces=a,b");
        assertThat(agent.eventInterval).as("fast reads for events by default").isEqualTo(java.time.Duration.ofMillis(250));
        AgentMain quiet = new AgentMain();
        new CommandLine(quiet).parseArgs("--event-interval=0");
        assertThat(quiet.eventInterval).isZero();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new AgentMain()).setErr(new PrintWriter(err));
        // no --node and (in tests) no NODE_NAME: exit code 2 before anything touches a cluster or the kernel
        if (System.getenv("NODE_NAME") == null) {
            assertThat(cli.execute("--interval=5s")).isEqualTo(2);
        }
        assertThat(new CommandLine(new AgentMain()).setErr(new PrintWriter(err)).execute("--interval=later")).isEqualTo(2);
        assertThat(err.toString()).contains("not a duration");
    }

    @Test
    void aNegativeEventIntervalIsRefusedInOneLineWithExitCodeTwo() {
        StringWriter err = new StringWriter();
        assertThat(Cli.run("agent", new AgentMain(), new PrintWriter(err, true), "--node=n1", "--event-interval=-1s"))
                .isEqualTo(2);
        assertThat(err.toString().lines().toList()).singleElement()
                .satisfies(line -> assertThat(line).startsWith("agent: ").contains("--event-interval"));
    }

    @Test
    void zeroIntervalIsRefusedInOneLineWithExitCodeTwo() {
        StringWriter err = new StringWriter();
        assertThat(Cli.run("agent", new AgentMain(), new PrintWriter(err, true), "--node=n1", "--interval=0")).isEqualTo(2);
        assertThat(err.toString().lines().toList()).singleElement()
                .satisfies(line -> assertThat(line).startsWith("agent: ").contains("--interval"));
    }

    @Test
    void handOverWithoutAPinDirectoryOrWithTcFiltersIsRefusedBeforeAnythingStarts() {
        StringWriter err = new StringWriter();
        AgentMain parsed = new AgentMain();
        new CommandLine(parsed).parseArgs("--node=n1", "--attach=TCX", "--hand-over", "--pin-dir=/sys/fs/bpf/edgesched");
        assertThat(parsed.attachMode).isEqualTo(io.edgesched.ebpf.EbpfRequestOriginSource.AttachMode.TCX);
        assertThat(parsed.handOver).isTrue();
        // exit 2 comes before any cluster client or kernel call: no API server and no bpffs are needed here
        assertThat(Cli.run("agent", new AgentMain(), new PrintWriter(err, true), "--node=n1", "--hand-over")).isEqualTo(2);
        assertThat(Cli.run("agent", new AgentMain(), new PrintWriter(err, true), "--node=n1", "--hand-over",
                "--pin-dir=/sys/fs/bpf/edgesched", "--attach=TC")).isEqualTo(2);
        assertThat(Cli.run("agent", new AgentMain(), new PrintWriter(err, true), "--node=n1", "--attach=SOMETIMES"))
                .isEqualTo(2);
        assertThat(err.toString()).contains("SOMETIMES");
    }
}
