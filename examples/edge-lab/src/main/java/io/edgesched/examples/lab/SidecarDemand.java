package io.edgesched.examples.lab;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.NodeId;
import io.edgesched.api.OriginRecord;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.OriginStats;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The prior work's demand input: what the sidecars' access logs say. Each line names the address a request
 * came from; the entry node masquerades forwarded requests, so that address is the entry node (or, when
 * the device reached the serving node itself, the device: then the entry is the serving node). This turns
 * the lines into the same cumulative {@link OriginSnapshot}s the kernel gives, one per entry node, without
 * RTTs (a proxy cannot see them).
 */
final class SidecarDemand {
    private static final Logger log = LoggerFactory.getLogger(SidecarDemand.class);

    private record Counter(long[] requests, long[] firstNanos, long[] lastNanos) {
    }

    private final Path workDir;
    private final Map<String, String> nodeByAddress = new HashMap<>();
    private final int serviceId;
    private final int localPort;
    private final Map<Path, Long> offsets = new HashMap<>();
    /** entry node -> client address -> counters. */
    private final Map<String, Map<String, Counter>> counts = new HashMap<>();
    private long malformedLines;

    SidecarDemand(Path workDir, List<LabNode> clusterNodes, int serviceId, int localPort) {
        this.workDir = workDir;
        clusterNodes.forEach(n -> nodeByAddress.put(n.address(), n.name()));
        this.serviceId = serviceId;
        this.localPort = localPort;
    }

    /** Reads what the sidecars logged since the last call and returns one snapshot per entry node seen. */
    synchronized List<OriginSnapshot> latest() {
        try (Stream<Path> dirs = Files.list(workDir)) {
            for (Path dir : dirs.filter(d -> d.getFileName().toString().startsWith("sidecar-")).toList()) {
                String servingNode = dir.getFileName().toString().substring("sidecar-".length());
                Path file = dir.resolve("access.log");
                if (Files.exists(file)) {
                    readNew(file, servingNode);
                }
            }
        } catch (IOException e) {
            log.warn("cannot read the sidecar logs under {}: {}", workDir, e.toString());
        }
        Instant now = Instant.now();
        long mono = System.nanoTime();
        List<OriginSnapshot> out = new ArrayList<>();
        counts.forEach((entry, clients) -> {
            List<OriginRecord> records = new ArrayList<>();
            clients.forEach((client, c) -> records.add(new OriginRecord(serviceId, localPort, ClientAddress.parse(client),
                    c.requests()[0], c.requests()[0], 0, 0, 0, c.firstNanos()[0], c.lastNanos()[0], false)));
            long total = records.stream().mapToLong(OriginRecord::packets).sum();
            out.add(new OriginSnapshot(NodeId.of(entry), now, mono, 1, records,
                    new OriginStats(total + malformedLines, malformedLines, 0, 0, 0)));
        });
        return out;
    }

    private void readNew(Path file, String servingNode) throws IOException {
        long offset = offsets.getOrDefault(file, 0L);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            if (raf.length() <= offset) {
                return;
            }
            raf.seek(offset);
            byte[] bytes = new byte[(int) (raf.length() - offset)];
            raf.readFully(bytes);
            String text = new String(bytes, StandardCharsets.US_ASCII);
            int lastNewline = text.lastIndexOf('\n');
            if (lastNewline < 0) {
                return; // a line still being written
            }
            offsets.put(file, offset + lastNewline + 1);
            long nowMono = System.nanoTime();
            long nowEpochMs = System.currentTimeMillis();
            for (String line : text.substring(0, lastNewline).split("\n")) {
                String[] f = line.strip().split(" ");
                if (f.length < 4) {
                    malformedLines++;
                    continue;
                }
                long atMono = nowMono - (nowEpochMs - (long) (Double.parseDouble(f[0]) * 1000)) * 1_000_000L;
                String remote = f[1];
                String entry = nodeByAddress.getOrDefault(remote, servingNode);
                Counter c = counts.computeIfAbsent(entry, k -> new HashMap<>())
                        .computeIfAbsent(remote, k -> new Counter(new long[1], new long[]{atMono}, new long[1]));
                c.requests()[0]++;
                c.lastNanos()[0] = atMono;
            }
        }
    }
}
