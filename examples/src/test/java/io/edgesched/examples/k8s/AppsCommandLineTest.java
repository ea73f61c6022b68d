package io.edgesched.examples.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edgesched.examples.agent.AgentMain;
import io.edgesched.examples.controller.ControllerMain;
import io.edgesched.k8s.report.ReportedDemand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class AppsCommandLineTest {
    @Test
    void durationsReadLikeKubernetesFlags() {
        assertThat(DurationConverter.parse("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(DurationConverter.parse("10s")).isEqualTo(Duration.ofSeconds(10));
        assertThat(DurationConverter.parse("5m")).isEqualTo(Duration.ofMinutes(5));
        assertThat(DurationConverter.parse("1h")).isEqualTo(Duration.ofHours(1));
        assertThat(DurationConverter.parse("0")).isEqualTo(Duration.ZERO);
        assertThat(DurationConverter.parse("PT2S")).isEqualTo(Duration.ofSeconds(2));
        assertThatThrownBy(() -> DurationConverter.parse("soon")).hasMessageContaining("not a duration");
    }

    @Test
    void agentParsesItsFlagsAndRefusesToStartWithoutANodeName() throws Exception {
        AgentMain agent = new AgentMain();
        new CommandLine(agent).parseArgs("--interval=5s", "--top-n=8", "--prefix-v4=16", "--namespace=x",
                "--pin-dir=/sys/fs/bpf/edgesched", "--namespaces=a,b");
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
    void controllerParsesItsFlags() {
        ControllerMain controller = new ControllerMain();
        CommandLine.ParseResult r = new CommandLine(controller).parseArgs("--dry-run", "--dwell=0", "--metrics-port=0",
                "--namespaces=shop,web", "--demand=CONNECTIONS", "--report-ttl=2m");
        assertThat(r.hasMatchedOption("--dry-run")).isTrue();
        assertThat(r.matchedOptionValue("--demand", ReportedDemand.Rate.PACKETS)).isEqualTo(ReportedDemand.Rate.CONNECTIONS);
        assertThat(r.matchedOptionValue("--report-ttl", Duration.ZERO)).isEqualTo(Duration.ofMinutes(2));
        String usage = new CommandLine(new ControllerMain()).getUsageMessage();
        assertThat(usage).contains("--dwell", "--min-gain-percent", "--metrics-port", "--namespaces", "--dry-run");
    }

    @Test
    void zeroOrNegativeDurationsAreRefusedInOneLineWithExitCodeTwo() {
        assertThatThrownBy(() -> DurationConverter.parse("-5s")).hasMessageContaining("negative");
        assertThatThrownBy(() -> DurationConverter.parse("PT-1S")).hasMessageContaining("negative");
        assertThatThrownBy(() -> new PositiveDurationConverter().convert("0")).hasMessageContaining("longer than 0");
        for (String bad : java.util.List.of("--interval=0", "--interval=-10s", "--report-ttl=0", "--rollout-timeout=0s",
                "--sync-timeout=PT0S", "--dwell=-1m")) {
            StringWriter err = new StringWriter();
            assertThat(Cli.run("controller", new ControllerMain(), new PrintWriter(err, true), bad)).as(bad).isEqualTo(2);
            assertThat(err.toString().lines().toList()).as(bad).singleElement().satisfies(line -> assertThat(line)
                    .startsWith("controller: ").contains(bad.substring(0, bad.indexOf('='))));
        }
        StringWriter err = new StringWriter();
        assertThat(Cli.run("agent", new AgentMain(), new PrintWriter(err, true), "--node=n1", "--interval=0")).isEqualTo(2);
        assertThat(err.toString().lines().toList()).singleElement()
                .satisfies(line -> assertThat(line).startsWith("agent: ").contains("--interval"));
    }
}
