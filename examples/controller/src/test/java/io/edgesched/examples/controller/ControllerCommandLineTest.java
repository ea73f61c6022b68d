package io.edgesched.examples.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgesched.k8s.report.ReportedDemand;
import java.time.Duration;
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
        String usage = new CommandLine(new ControllerMain()).getUsageMessage();
        assertThat(usage).contains("--dwell", "--min-gain-percent", "--metrics-port", "--namespaces", "--dry-run");
    }
}
