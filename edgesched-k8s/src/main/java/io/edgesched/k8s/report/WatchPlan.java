package io.edgesched.k8s.report;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.RequestOriginSource;
import io.edgesched.api.WatchedService;
import io.edgesched.k8s.topology.PortBinding;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's watch list: which (local address, port) the kernel counts, under which service id, and which
 * workload that id stands for. Service ids stay stable while a binding exists, so rates carry across updates.
 * Not thread-safe: the agent's one publishing thread owns it.
 */
public final class WatchPlan {
    private static final Logger LOG = LoggerFactory.getLogger(WatchPlan.class);

    private final Map<String, Integer> idByKey = new HashMap<>();
    private final Map<Integer, WorkloadPort> workloadById = new HashMap<>();
    private final Map<Integer, WatchedService> serviceById = new HashMap<>();
    private final Deque<Integer> freeIds = new ArrayDeque<>();
    private int nextId = 1;
    private long failures;

    /**
     * Brings the plan and the source's watch list to these bindings, as far as the kernel lets it: a
     * binding whose watch or unwatch fails (e.g. the service table is full) is logged, counted and tried
     * again on the next apply; the others still apply. The plan changes only after the source accepted.
     *
     * @return how many watch or unwatch calls failed this time
     */
    public int apply(Collection<PortBinding> bindings, RequestOriginSource source) {
        Map<String, PortBinding> wanted = new HashMap<>();
        for (PortBinding b : bindings) {
            wanted.putIfAbsent(key(b.localAddress(), b.port()), b);
        }
        int failed = 0;
        Set<String> gone = new HashSet<>(idByKey.keySet());
        gone.removeAll(wanted.keySet());
        for (String k : gone) {
            int id = idByKey.get(k);
            try {
                source.unwatch(id);
            } catch (RuntimeException e) {
                failed++;
                LOG.warn("could not stop watching {} (service id {}): {}; still counted under it, retrying on the"
                        + " next sync", k, id, e.toString());
                continue;
            }
            idByKey.remove(k);
            workloadById.remove(id);
            serviceById.remove(id);
            freeIds.add(id);
            LOG.info("stopped watching {} (service id {})", k, id);
        }
        for (Map.Entry<String, PortBinding> e : wanted.entrySet()) {
            PortBinding b = e.getValue();
            Integer id = idByKey.get(e.getKey());
            WorkloadPort wp = new WorkloadPort(b.workload(), b.port());
            if (id != null) {
                workloadById.put(id, wp); // the port may now front another workload: relabel, keep counting
                continue;
            }
            int newId = freeIds.isEmpty() ? nextId : freeIds.peek();
            WatchedService service = new WatchedService(newId, b.workload() + ":" + b.port(), b.localAddress(), b.port());
            try {
                source.watch(service);
            } catch (RuntimeException ex) {
                failed++;
                LOG.warn("could not watch {} for {}: {}; the other workloads are still reported, retrying on the"
                        + " next sync", e.getKey(), b.workload(), ex.toString());
                continue;
            }
            if (freeIds.isEmpty()) {
                nextId++;
            } else {
                freeIds.poll();
            }
            idByKey.put(e.getKey(), newId);
            workloadById.put(newId, wp);
            serviceById.put(newId, service);
            LOG.info("watching {} for {} ({}, service id {})", e.getKey(), b.workload(), b.origin(), newId);
        }
        failures += failed;
        return failed;
    }

    /** Watch and unwatch calls that failed so far (each retried on the next apply). */
    public long failures() {
        return failures;
    }

    public Optional<WorkloadPort> workloadFor(int serviceId) {
        return Optional.ofNullable(workloadById.get(serviceId));
    }

    public List<WatchedService> services() {
        return List.copyOf(serviceById.values());
    }

    private static String key(Optional<ClientAddress> address, int port) {
        return address.map(ClientAddress::toString).orElse("*") + ":" + port;
    }
}
