package io.edgesched.examples.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgesched.examples.k8s.Cli;
import io.edgesched.k8s.report.ReportedDemand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ControllerCommandLineTest {
    @Test
    void controllerParsesItsFlags() {
        ControllerMain controller = new ControllerMain();
        CommandLine.ParseResult r = new CommandLine(controller).parseArgs("--dry-run", "--dwell=0", "--metrics-port=0",
                "--namespaces=shop,web", "--demand=CONNECTIONS", "--report-ttl=2m");
        assertThat(r.hasMatchedOption("--dry-run")).isTrue();
        assertThat(r.matchedOptionValue("--demand", ReportedDemand.Rate.PACKETS)).isEqualTo(ReportedDemand.Rate.CONNECTIONS);
        assertThat(r.matchedOptionValue("--report-ttl", Duration.ZERO)).isEqualTo(Duration.ofMinutes(2));
        assertThat(controller.handoff).as("handoff across nodes is on by default").isTrue();
        ControllerMain without = new ControllerMain();
        new CommandLine(without).parseArgs("--no-handoff");
        assertThat(without.handoff).isFalse();
        String usage = new CommandLine(new ControllerMain()).getUsageMessage();
        assertThat(usage).contains("--dwell", "--min-gain-percent", "--metrics-port", "--namespaces", "--dry-run",
                "--[no-]handoff");
    }

    @Test
    void zeroOrNegativeDurationsAreRefusedInOneLineWithExitCodeTwo() {
        for (String bad : List.of("--interval=0", "--interval=-10s", "--report-ttl=0", "--rollout-timeout=0s",
                "--sync-timeout=PT0S", "--dwell=-1m")) {
            StringWriter err = new StringWriter();
            assertThat(Cli.run("controller", new ControllerMain(), new PrintWriter(err, true), bad)).as(bad).isEqualTo(2);
            assertThat(err.toString().lines().toList()).as(bad).singleElement().satisfies(line -> assertThat(line)
                    .startsWith("controller: ").contains(bad.substring(0, bad.indexOf('='))));
        }
    }

    @Test
    void warmUpRoundsOutsideZeroToAThousandAreRefusedWithExitCodeTwo_beforeAnyClusterIsContacted() {
        for (String bad : List.of("--warm-up-rounds=-1", "--warm-up-rounds=1001")) {
            assertThat(Cli.run("controller", new ControllerMain(), new PrintWriter(new StringWriter(), true), bad))
                    .as(bad).isEqualTo(2);
        }
        ControllerMain parsed = new ControllerMain();
        new CommandLine(parsed).parseArgs();
        assertThat(parsed.warmUpRounds).isEqualTo(12);
    }
}
