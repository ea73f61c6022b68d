package io.edgesched.examples.lab;

import io.edgesched.api.MoveRequest;
import io.edgesched.api.MoveResult;
import io.edgesched.api.NodeId;
import io.edgesched.api.Rescheduler;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lab's own {@link Rescheduler}: the service is one process in one node namespace, and a move is
 * make-before-break: start on the target, wait until it accepts connections, switch every node's NodePort
 * forwarding, let requests in flight finish, stop the old one. With the sidecar method, nginx starts and
 * stops beside the service and the forwarding points at nginx.
 */
final class LabRescheduler implements Rescheduler, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LabRescheduler.class);
    private static final Duration DRAIN = Duration.ofMillis(300);

    /** One finished move, with the moments the lab's summary reports. */
    record Move(NodeId from, NodeId to, String reason, Instant issued, Instant ready, Instant switched) {
    }

    private record Placement(LabNode node, ChildProcess service, Optional<SidecarProxy> sidecar) implements AutoCloseable {
        @Override
        public void close() {
            sidecar.ifPresent(SidecarProxy::close);
            service.close();
        }
    }

    private final LabTopology topology;
    private final NodePortForwarding forwarding;
    /** Another NodePort that points wherever this service runs (the direct baseline), or null. */
    private final NodePortForwarding follower;
    private final Method method;
    private final Path workDir;
    private final ExecutorService mover = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().daemon().name("lab-mover").unstarted(r));
    private final List<Move> moves = new ArrayList<>();
    private volatile Placement current;

    LabRescheduler(LabTopology topology, Method method, Path workDir) {
        this(topology, method, workDir, null);
    }

    /** @param follower a lane whose NodePort follows this service (to its own port), or null */
    LabRescheduler(LabTopology topology, Method method, Path workDir, Method follower) {
        this.topology = topology;
        this.forwarding = new NodePortForwarding(topology, method.nodePort(), method.label());
        this.follower = follower == null ? null : new NodePortForwarding(topology, follower.nodePort(), follower.label());
        this.method = method;
        this.workDir = workDir;
    }

    /** Starts the service on {@code node} and installs the forwarding; blocks until it serves. */
    void deployInitial(LabNode node) {
        Placement placement = launch(node);
        forwarding.install(node, method.forwardPort());
        if (follower != null) {
            follower.install(node, method.servicePort());
        }
        current = placement;
    }

    NodeId currentNode() {
        Placement p = current;
        return p == null ? null : p.node().id();
    }

    synchronized List<Move> moves() {
        return List.copyOf(moves);
    }

    @Override
    public CompletionStage<MoveResult> move(MoveRequest request) {
        Instant issued = Instant.now();
        return CompletableFuture.supplyAsync(() -> doMove(request, issued), mover);
    }

    private MoveResult doMove(MoveRequest request, Instant issued) {
        if (request.targetNodes().size() != 1) {
            return new MoveResult.Refused(request, "the lab's service runs as one replica; asked for " + request.targetNodes());
        }
        NodeId targetId = request.targetNodes().first();
        LabNode target;
        try {
            target = topology.node(targetId.name());
        } catch (IllegalArgumentException e) {
            return new MoveResult.Refused(request, e.getMessage());
        }
        if (!target.isClusterNode()) {
            return new MoveResult.Refused(request, targetId + " is the end device, not a cluster node");
        }
        Placement old = current;
        if (old != null && old.node().equals(target)) {
            return new MoveResult.Done(request, Duration.ZERO);
        }
        long start = System.nanoTime();
        Placement next;
        try {
            next = launch(target);
        } catch (RuntimeException e) {
            log.warn("move to {} failed before switching, service stays on {}: {}", targetId,
                    old == null ? "-" : old.node().name(), e.getMessage());
            return new MoveResult.Failed(request, "could not start the service on " + targetId + ": " + e.getMessage(), true, e);
        }
        Instant ready = Instant.now();
        try {
            forwarding.pointTo(target, method.forwardPort());
            if (follower != null) {
                follower.pointTo(target, method.servicePort());
            }
        } catch (RuntimeException e) {
            next.close();
            return new MoveResult.Failed(request, "could not switch forwarding to " + targetId + ": " + e.getMessage(), true, e);
        }
        Instant switched = Instant.now();
        current = next;
        synchronized (this) {
            moves.add(new Move(old == null ? null : old.node().id(), targetId, request.reason(), issued, ready, switched));
        }
        if (old != null) {
            sleep(DRAIN); // requests already forwarded to the old replica finish there
            old.close();
        }
        log.info("moved service {} -> {} in {} ms ({})", old == null ? "-" : old.node().name(), targetId.name(),
                (System.nanoTime() - start) / 1_000_000, request.reason());
        return new MoveResult.Done(request, Duration.ofNanos(System.nanoTime() - start));
    }

    private Placement launch(LabNode node) {
        String ns = topology.namespace(node);
        ChildProcess service = NginxService.start(ns, node.name(), method.label(), method.servicePort(), workDir);
        try {
            Optional<SidecarProxy> sidecar = method == Method.SIDECAR
                    ? Optional.of(SidecarProxy.start(ns, node.name(), method.servicePort(), workDir))
                    : Optional.empty();
            return new Placement(node, service, sidecar);
        } catch (RuntimeException e) {
            service.close();
            throw e;
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops the service (and sidecar); the forwarding rules go with the run. */
    @Override
    public void close() {
        mover.shutdownNow();
        Placement p = current;
        current = null;
        if (p != null) {
            p.close();
        }
    }
}
