package io.edgesched.examples.embedded;

import io.edgesched.api.NodeId;
import io.edgesched.api.control.Decision;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/** The app's JSON (written by hand: a few flat objects do not need a JSON library in the image). */
final class PlacementJson {
    private PlacementJson() {
    }

    static String clients(EmbeddedPlacement placement) {
        List<EmbeddedPlacement.ClientView> clients = placement.clients();
        return "{\"node\":" + str(placement.node().toString()) + ",\"workload\":" + str(placement.workload().toString())
                + ",\"clients\":[" + clients.stream().map(PlacementJson::client).collect(Collectors.joining(","))
                + "],\"relayedFromUnknownNodes\":" + placement.relayedFromUnknownNodes() + "}";
    }

    static String placement(EmbeddedPlacement placement) {
        Optional<Decision> decision = placement.lastDecision();
        return "{\"node\":" + str(placement.node().toString()) + ",\"workload\":" + str(placement.workload().toString())
                + ",\"dryRun\":" + placement.isDryRun() + ",\"placement\":" + nodes(placement.placement().nodes())
                + ",\"decision\":" + decision.map(PlacementJson::decision).orElse("null") + "}";
    }

    private static String client(EmbeddedPlacement.ClientView c) {
        return "{\"client\":" + str(c.client().toString()) + ",\"port\":" + c.port() + ",\"entryNode\":"
                + str(c.entryNode().toString()) + ",\"connections\":" + c.connections() + ",\"packets\":" + c.packets()
                + ",\"bytes\":" + c.bytes() + ",\"rttMicros\":" + c.rttMicros().map(String::valueOf).orElse("null")
                + "}";
    }

    private static String decision(Decision d) {
        return "{\"round\":" + d.round() + ",\"at\":" + str(d.at().toString()) + ",\"reason\":"
                + str(d.reason().name()) + ",\"current\":" + nodes(d.current().nodes()) + ",\"target\":"
                + nodes(d.target().nodes()) + ",\"why\":" + str(d.why()) + "}";
    }

    private static String nodes(Collection<NodeId> nodes) {
        return nodes.stream().map(n -> str(n.toString())).collect(Collectors.joining(",", "[", "]"));
    }

    static String str(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
