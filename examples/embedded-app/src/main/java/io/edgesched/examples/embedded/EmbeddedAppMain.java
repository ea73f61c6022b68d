package io.edgesched.examples.embedded;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.NodeId;
import io.edgesched.api.WorkloadId;
import io.edgesched.examples.k8s.DurationConverter;
import io.edgesched.examples.k8s.Shutdown;
import io.edgesched.k8s.move.KubernetesRescheduler;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** examples/bin/embedded-app: the HTTP service with placement inside. */
@Command(name = "embedded-app", mixinStandardHelpOptions = true,
        description = "An HTTP service that sees its own clients in the kernel and asks to be moved near them.")
public final class EmbeddedAppMain implements Callable<Integer> {
    @Option(names = "--node", required = true, description = "The node this app runs on now.")
    String node;

    @Option(names = {"-i", "--interface"}, required = true, description = "The node's uplink, where clients arrive.")
    String uplink;

    @Option(names = "--port", defaultValue = "8080", description = "HTTP port (default ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--workload", defaultValue = "default/embedded-app",
            description = "This app as NAMESPACE/NAME (the Deployment to move with --kubernetes; default ${DEFAULT-VALUE}).")
    String workload;

    @Option(names = "--peer", paramLabel = "NODE=ADDRESS@RTT",
            description = "A node the app may move to, the address its relayed traffic comes from, and the RTT to it, "
                    + "e.g. edge-b=192.0.2.12@8ms. Repeatable.")
    List<String> peers = new ArrayList<>();

    @Option(names = "--interval", defaultValue = "5s", converter = DurationConverter.class,
            description = "How often to read the counters and decide (default ${DEFAULT-VALUE}).")
    Duration interval;

    @Option(names = "--netns", description = "Serve and attach inside this network namespace (ip netns name).")
    String netns;

    @Option(names = "--move", description = "Really move (default: dry run, decisions only). Needs --kubernetes.")
    boolean move;

    @Option(names = "--kubernetes",
            description = "Move with KubernetesRescheduler through your kubeconfig (the Deployment of --workload).")
    boolean kubernetes;

    @Override
    public Integer call() throws Exception {
        WorkloadId id = parseWorkload(workload);
        if (move && !kubernetes) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    "--move needs a rescheduler: add --kubernetes (or leave out --move for a dry run)");
        }
        try (Shutdown shutdown = new Shutdown()) {
            EmbeddedPlacement.Builder builder = EmbeddedPlacement.builder().node(NodeId.of(node)).uplink(uplink)
                    .serving(id, port).dryRun(!move);
            if (netns != null) {
                builder.networkNamespace(netns);
            }
            for (String p : peers) {
                builder.peer(parsePeer(p));
            }
            if (kubernetes) {
                KubernetesClient client = shutdown.add(new KubernetesClientBuilder().build());
                builder.rescheduler(shutdown.add(KubernetesRescheduler.builder(client)
                        .allowedNamespaces(Set.of(id.namespace())).build()));
            }
            EmbeddedApp app = shutdown.add(EmbeddedApp.start(builder.open(), port, netns));
            app.placement().start(interval);
            System.out.printf("embedded-app: serving :%d on %s (%s); GET /edgesched/clients, /edgesched/placement%n",
                    app.port(), node, move ? "moves on" : "dry run");
            shutdown.awaitStop();
        }
        return 0;
    }

    static WorkloadId parseWorkload(String text) {
        int slash = text.indexOf('/');
        if (slash <= 0 || slash == text.length() - 1) {
            throw new IllegalArgumentException("--workload must be NAMESPACE/NAME, got '" + text + "'");
        }
        return WorkloadId.of(text.substring(0, slash), text.substring(slash + 1));
    }

    static EmbeddedPlacement.Peer parsePeer(String text) {
        int eq = text.indexOf('=');
        int at = text.lastIndexOf('@');
        if (eq <= 0 || at < eq + 2 || at == text.length() - 1) {
            throw new IllegalArgumentException("--peer must be NODE=ADDRESS@RTT (e.g. edge-b=192.0.2.12@8ms), got '"
                    + text + "'");
        }
        return new EmbeddedPlacement.Peer(NodeId.of(text.substring(0, eq)),
                ClientAddress.parse(text.substring(eq + 1, at)), DurationConverter.parse(text.substring(at + 1)));
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new EmbeddedAppMain()).execute(args));
    }
}
