package io.edgesched.examples.sim;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class EdgeSimTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private record Run(int exitCode, String out, String err) {
        List<JsonNode> lines() throws Exception {
            List<JsonNode> nodes = new ArrayList<>();
            for (String line : out.split("\n")) {
                if (!line.isBlank()) {
                    nodes.add(JSON.readTree(line));
                }
            }
            return nodes;
        }

        /** The output without the only non-deterministic fields (wall-clock timings). */
        String withoutTimings() {
            return out.replaceAll("\"(decideMillis|meanDecideMillis|maxDecideMillis|ingestMillis|meanIngestMillis|inputsMillis|planMillis|cycleMillis|meanCycleMillis|meanCycleCpuMillis|maxCycleMillisAfterFirst|gcMillis|cycleCpuMillis|housekeepMillis|compileMillis|settledMillis|warmUpMillis)\":[0-9.]+", "\"$1\":_");
        }
    }

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = EdgeSim.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** The mobility line's numbers: handoffs, followed, p50 and max steps from handoff to move issued. */
    private static int[] mobility(String out) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                "mobility: (\\d+) handoffs .*?; (\\d+) followed .*? p50 (\\d+), p90 \\d+, max (\\d+)").matcher(out);
        assertThat(m.find()).as(out).isTrue();
        return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)),
                Integer.parseInt(m.group(4))};
    }

    @Test
    void handoffFollowsMovingClientsWithinTwoStepsWhereDecayTakesTens() {
        String common = "--nodes 12 --workloads 200 --clients 200 --steps 300 --step-seconds 2 --jump-rate 0.005"
                + " --drift-km 0 --fail-rate 0 --refuse-rate 0 --move-delay-seconds 1..2 --dwell-seconds 30"
                + " --moves-per-minute 600 --optimal none --handoff ";
        Run on = run((common + "on").split(" "));
        Run off = run((common + "off").split(" "));
        assertThat(on.exitCode()).as(on.err()).isZero();
        assertThat(off.exitCode()).as(off.err()).isZero();
        int[] with = mobility(on.out());
        int[] without = mobility(off.out());
        assertThat(with[0]).isGreaterThan(20).isEqualTo(without[0]);   // the same seeded handoffs
        assertThat(with[1]).isEqualTo(with[0]);                         // every one followed
        assertThat(with[2]).isLessThanOrEqualTo(2);                     // two reads of evidence
        assertThat(without[2]).isGreaterThan(10);                       // decay with a 60 s half-life
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "--workloads 2 --clients 10 --steps 1",                              // --nodes missing
            "--nodes 0 --workloads 2 --clients 10 --steps 1",
            "--nodes 3 --workloads 0 --clients 10 --steps 1",
            "--nodes 3 --workloads 2 --clients -1 --steps 1",
            "--nodes 3 --workloads 2 --clients 10 --steps 0",
            "--nodes three --workloads 2 --clients 10 --steps 1",
            "--nodes 3 --workloads 2 --clients 10 --steps 1 --fail-rate 1.5",
            "--nodes 3 --workloads 2 --clients 10 --steps 1 --optimal best",
            "--nodes 3 --workloads 2 --clients 10 --steps 1 --move-delay-seconds 9..2",
            "--nodes 3 --workloads 2 --clients 10 --steps 1 --max-replicas 4",
            "--nodes 900 --workloads 50 --clients 10 --steps 1 --optimal exact",
            "--nodes 3 --workloads 2 --clients 10 --steps 1 --no-such-option",
            "--nodes 3 --workloads 2 --clients 10 --steps 1 --settle-compiler-ms -5",
    })
    void badArgumentsPrintUsageAndExitWith2(String args) {
        Run r = run(args.split(" "));
        assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
        assertThat(r.err()).contains("Usage: edgesched-sim");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void badArgumentSaysWhatIsWrong() {
        assertThat(run("--nodes", "0", "--workloads", "2", "--clients", "10", "--steps", "1").err())
                .contains("--nodes must be at least 1, got 0");
    }

    @Test
    void jsonRunPrintsOneObjectPerStepAndASummary() throws Exception {
        Run r = run("--nodes", "6", "--workloads", "4", "--clients", "300", "--steps", "5", "--seed", "3", "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        List<JsonNode> lines = r.lines();
        assertThat(lines).hasSize(6);
        for (int i = 0; i < 5; i++) {
            JsonNode step = lines.get(i);
            assertThat(step.get("step").asInt()).isEqualTo(i + 1);
            assertThat(step.get("decideMillis").isNumber()).isTrue();
            assertThat(step.get("decideMillis").asDouble()).isGreaterThanOrEqualTo(0);
            assertThat(step.get("moves").isInt()).isTrue();
            assertThat(step.get("meanLatencyMs").asDouble()).isPositive();
            // small instance: the exact optimum, which no placement can beat
            assertThat(step.get("optimalKind").asString()).isEqualTo("exact");
            assertThat(step.get("optimalMeanLatencyMs").asDouble())
                    .isPositive().isLessThanOrEqualTo(step.get("meanLatencyMs").asDouble() + 1e-9);
        }
        JsonNode summary = lines.get(5).get("summary");
        assertThat(summary).isNotNull();
        assertThat(summary.get("steps").asInt()).isEqualTo(5);
        assertThat(summary.get("moves").asLong()).isEqualTo(lines.subList(0, 5).stream().mapToLong(s -> s.get("moves").asLong()).sum());
        assertThat(summary.get("finalMeanLatencyMs").asDouble()).isEqualTo(lines.get(4).get("meanLatencyMs").asDouble());
        assertThat(summary.has("movesFailed")).isTrue();
        assertThat(summary.get("warmUpMillis").asDouble()).isPositive(); // the controller warmed up before step 1
        Run cold = run("--nodes", "6", "--workloads", "4", "--clients", "300", "--steps", "5", "--seed", "3", "--json",
                "--no-warm-up");
        assertThat(cold.lines().get(5).get("summary").get("warmUpMillis").isNull()).isTrue();
        // the warm-up touches nothing of the simulated cluster: the same decisions
        assertThat(cold.lines().get(5).get("summary").get("moves").asLong()).isEqualTo(summary.get("moves").asLong());
        assertThat(cold.lines().get(5).get("summary").get("finalMeanLatencyMs").asDouble())
                .isEqualTo(summary.get("finalMeanLatencyMs").asDouble());
    }

    @Test
    void largeInstancesHaveNoExactOptimum() throws Exception {
        Run r = run("--nodes", "60", "--workloads", "30", "--clients", "2000", "--steps", "2", "--json", "--optimal", "none");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode first = r.lines().get(0);
        assertThat(first.get("optimalMeanLatencyMs").isNull()).isTrue();
        assertThat(first.get("optimalKind").isNull()).isTrue();
    }

    @Test
    void housekeepingCompileTimeAndSettlingAreReportedAndChangeNoDecision() throws Exception {
        String[] args = {"--nodes", "6", "--workloads", "4", "--clients", "300", "--steps", "3", "--seed", "3", "--json"};
        Run plain = run(args);
        String[] settled = java.util.Arrays.copyOf(args, args.length + 2);
        settled[args.length] = "--settle-compiler-ms";
        settled[args.length + 1] = "2000";
        Run waited = run(settled);
        assertThat(waited.exitCode()).as(waited.err()).isZero();
        for (int i = 0; i < 3; i++) {
            JsonNode step = waited.lines().get(i);
            assertThat(step.get("housekeepMillis").asDouble()).isGreaterThanOrEqualTo(0);
            assertThat(step.get("compileMillis").asLong()).isGreaterThanOrEqualTo(0);
            // it waited at least two quiet polls, and at most the limit plus one poll
            assertThat(step.get("settledMillis").asLong()).isBetween(100L, 2_100L);
            assertThat(plain.lines().get(i).get("settledMillis").asLong()).isZero();
        }
        assertThat(waited.withoutTimings()).isEqualTo(plain.withoutTimings());
    }

    @Test
    void sameSeedSameRun_otherSeedOtherRun() {
        String[] args = {"--nodes", "10", "--workloads", "8", "--clients", "800", "--steps", "12", "--json",
                "--fail-rate", "0.2", "--refuse-rate", "0.1", "--jump-rate", "0.05"};
        Run a = run(withSeed(args, "7"));
        Run b = run(withSeed(args, "7"));
        Run c = run(withSeed(args, "8"));
        assertThat(a.exitCode()).isZero();
        assertThat(a.withoutTimings()).isEqualTo(b.withoutTimings());
        assertThat(c.withoutTimings()).isNotEqualTo(a.withoutTimings());
    }

    @Test
    void latencyConvergesToWithinTenPercentOfTheExactOptimum() throws Exception {
        // static clients, moves that sometimes fail or are refused: the controller must still get there
        Run r = run("--nodes", "9", "--workloads", "12", "--clients", "2000", "--steps", "60", "--seed", "12",
                "--jump-rate", "0", "--drift-km", "0", "--fail-rate", "0.3", "--refuse-rate", "0.1",
                "--dwell-seconds", "60", "--optimal", "exact", "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode summary = r.lines().getLast().get("summary");
        double initial = summary.get("initialMeanLatencyMs").asDouble();
        double last = summary.get("finalMeanLatencyMs").asDouble();
        double optimal = summary.get("finalOptimalMeanLatencyMs").asDouble();
        assertThat(summary.get("optimalKind").asString()).isEqualTo("exact");
        assertThat(initial).as("the random start leaves room to improve").isGreaterThan(optimal * 1.1);
        assertThat(last).isLessThanOrEqualTo(optimal * 1.10).isGreaterThanOrEqualTo(optimal - 1e-9);
        assertThat(summary.get("movesFailed").asLong()).as("failures were exercised (and retried)").isPositive();
        assertThat(summary.get("movesInFlight").asLong()).isZero();
    }

    @Test
    void tableOutputIsReadable() {
        Run r = run("--nodes", "4", "--workloads", "2", "--clients", "100", "--steps", "2");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("decide ms").contains("cycle ms").contains("mean ms").contains("summary: latency")
                .contains("cycle (ingest + decide) mean");
    }

    private static String[] withSeed(String[] args, String seed) {
        String[] out = java.util.Arrays.copyOf(args, args.length + 2);
        out[args.length] = "--seed";
        out[args.length + 1] = seed;
        return out;
    }
}
