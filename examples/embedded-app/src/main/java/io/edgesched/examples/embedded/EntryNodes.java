package io.edgesched.examples.embedded;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.NodeId;
import io.edgesched.api.OriginRecord;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.OriginStats;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where this app's clients enter the cluster, from its own node's view alone. A client that reaches us directly
 * entered here. Traffic whose source is another node's address was relayed by that node (a NodePort or an ingress
 * on it): those clients entered there. Without an agent on the other nodes, the relaying node stands for its
 * clients (their RTT to it unknown), which is enough to see that most of our demand is elsewhere.
 */
final class EntryNodes {
    private static final Logger LOG = LoggerFactory.getLogger(EntryNodes.class);
    private final NodeId self;
    private final Map<ClientAddress, NodeId> peersByAddress;
    private final AtomicLong relayedFromUnknownNodes = new AtomicLong();

    EntryNodes(NodeId self, Map<ClientAddress, NodeId> peersByAddress) {
        this.self = self;
        this.peersByAddress = Map.copyOf(peersByAddress);
    }

    /** Records of relayed traffic left out because their source is no configured peer (cumulative). */
    long relayedFromUnknownNodes() {
        return relayedFromUnknownNodes.get();
    }

    /** The node a record's traffic entered at; empty for a forwarded record from an address we do not know. */
    Optional<NodeId> entryOf(OriginRecord record) {
        return record.forwarded() ? Optional.ofNullable(peersByAddress.get(record.client())) : Optional.of(self);
    }

    /**
     * One snapshot per entry node: ours with the direct clients, and one per relaying peer in which the peer's
     * address is an (unforwarded) client at RTT unknown. Same instants and generation as the source snapshot,
     * so rates come out per entry node as if each had its own agent.
     */
    List<OriginSnapshot> split(OriginSnapshot snapshot) {
        Map<NodeId, List<OriginRecord>> byEntry = new LinkedHashMap<>();
        byEntry.put(self, new ArrayList<>());
        for (NodeId peer : peersByAddress.values()) {
            byEntry.putIfAbsent(peer, new ArrayList<>());
        }
        for (OriginRecord r : snapshot.records()) {
            Optional<NodeId> entry = entryOf(r);
            if (entry.isEmpty()) {
                // relayed by a node we were not told about (the kernel's node list and ours disagree): not placeable
                if (relayedFromUnknownNodes.incrementAndGet() == 1) {
                    LOG.warn("traffic relayed by {}, which is no configured peer, is left out of the demand "
                            + "(add it with --peer NODE={}@RTT); counted in relayedFromUnknownNodes", r.client(),
                            r.client());
                }
                continue;
            }
            OriginRecord asEntered = r.forwarded()
                    ? new OriginRecord(r.serviceId(), r.localPort(), r.client(), r.connections(), r.packets(),
                            r.bytes(), 0, 0, r.firstSeenNanos(), r.lastSeenNanos(), false)
                    : r;
            byEntry.get(entry.get()).add(asEntered);
        }
        List<OriginSnapshot> out = new ArrayList<>();
        byEntry.forEach((node, records) -> out.add(new OriginSnapshot(node, snapshot.takenAt(),
                snapshot.monotonicNanos(), snapshot.generation(), records,
                node.equals(self) ? snapshot.stats() : OriginStats.EMPTY)));
        return out;
    }
}
