package io.edgesched.api.demand;

import io.edgesched.api.ClientAddress;
import io.edgesched.api.NodeId;
import io.edgesched.api.OriginRecord;
import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.WorkloadId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Turns cumulative {@link OriginSnapshot}s from many nodes into decayed demand rates per
 * (workload, entry node, client aggregate), with smoothed client RTT. Not thread-safe: one controller
 * thread ingests and reads.
 *
 * <p><b>Rates.</b> For each record the store keeps the previous counter (per node, by a 64-bit fingerprint of
 * service, port and client, with the snapshot it came from) and turns the increase d over the time dt since
 * that baseline into a rate d/dt that enters an exponentially decayed average with the configured half-life:
 * {@code rate = rate * e^(-lambda*elapsed) + (1 - e^(-lambda*dt)) * d/dt}. A client that stops sending decays
 * towards zero; a constant rate r converges to r. A record missing from a snapshot keeps its baseline for a
 * while, so a partial read loses nothing.
 *
 * <p><b>Resets.</b> When the snapshot generation changes (agent restarted) or the monotonic clock goes back
 * (reboot) the old baselines are dropped; when a counter goes down (kernel entry evicted and re-created) the
 * record counts as reset, and its counter counts in full only if its first packet came after the baseline.
 * A record without baseline counts in full only if its first packet came after the node's previous read;
 * otherwise it only sets a baseline. Rates therefore never go negative and a restart never shows up as a spike.
 *
 * <p><b>Memory.</b> Aggregates live in one primitive array (48 bytes per slot, 64 with {@link ClientActivity}, 75 % max load); baselines cost
 * 32 bytes per record in one table per node, updated in place, at most 70 % full (tidied or grown with room to
 * spare, so a growing node does not rebuild every snapshot). Clients are optionally aggregated to prefixes before they are stored
 * ({@link DemandConfig#withPrefixes}); {@link #maintain} keeps at most top-N aggregates per workload and
 * folds the rest into one "other clients" aggregate (0.0.0.0/0) per (workload, entry node).
 *
 * <p><b>Handoff.</b> A client aggregate that starts arriving through a new entry node while its latest traffic came
 * through another is a handoff candidate; {@link #maintain} moves its demand to the new entry at once when the
 * {@link HandoffRule}'s evidence is in, or drops the candidate when the old entry sees the client again (then
 * the demand stays split). Handoffs of the last {@link HandoffRule#window} are listed in the view.
 */
public final class DemandStore {
    /**
     * Kernel first-seen times come from the coarse clock and may lag the packet by up to two ticks
     * (HZ=100: 20 ms); a record first seen that shortly before the previous read is still new.
     */
    static final long FIRST_SEEN_SLACK_NANOS = 20_000_000L;

    private static final Logger LOG = LoggerFactory.getLogger(DemandStore.class);
    private static final long NANOS_PER_TICK = 100_000_000L; // a tick is 0.1 s
    private static final long VISIT_GAP_TICKS = ClientActivity.VISIT_GAP.toNanos() / NANOS_PER_TICK;

    private final ServiceCatalog catalog;
    private final DemandConfig config;
    private final double lambdaPerTick;
    /** e^(-lambda * ticks) for ages up to {@link #DECAY_TABLE} ticks: decaying a rate is a look-up, not an exp. */
    private final double[] decayFactors = new double[DECAY_TABLE];
    private final double lambdaPerSecond;
    // Preparing threads read this map while the applying thread numbers new workloads.
    private final Map<WorkloadId, Integer> workloadIndex = new ConcurrentHashMap<>();
    private final List<WorkloadId> workloads = new ArrayList<>();
    /** Buffers for {@link #ingestAll}, one per snapshot of the largest batch so far. */
    private final List<PreparedSnapshot> preparedPool = new ArrayList<>();
    private final Map<NodeId, Integer> nodeIndex = new HashMap<>();
    private final List<NodeId> nodes = new ArrayList<>();
    private final List<NodeHistory> nodeStates = new ArrayList<>();
    private final boolean trackActivity;
    private AggregateTable table;
    private Instant epoch;

    private long snapshots;
    private long records;
    private long unresolved;
    private long forwarded;
    private long generationChanges;
    private long counterResets;
    private long baselineOnly;
    private long staleOutOfOrder;
    private long evictedStale;
    private long foldedTopN;
    private long foldedOverCapacity;

    /** A client aggregate at its new entry node (the table key). */
    private record ClientAtNode(int workload, int meta, long hi, long lo) {
    }

    /** A handoff candidate: the tick of the new entry's first read with an increase, and how many such reads. */
    private static final class Candidate {
        final int firstTick;
        int lastTick;
        int reads = 1;

        Candidate(int tick) {
            this.firstTick = tick;
            this.lastTick = tick;
        }
    }

    /** Handoffs kept for the view, newest last; at most this many. */
    private static final int MAX_RECENT_HANDOFFS = 4096;
    private final Map<ClientAtNode, Candidate> candidates = new HashMap<>();
    private final ArrayDeque<Handoff> recentHandoffs = new ArrayDeque<>();
    /** How many of {@link #recentHandoffs} each (workload, client) has: a look-up per candidate, not a scan. */
    private final Map<RecentClient, Integer> recentByClient = new HashMap<>();

    private record RecentClient(WorkloadId workload, ClientAddress client) {
    }
    private long handoffs;
    /** Slots of the records {@link #apply} looks up ahead (a batch's lines fit in the core's cache). */
    private final int[] foundSlots = new int[32];
    /** {@link #maintain}'s per-slot drop marks and {@link #removeInPlace}'s keys, reused round after round. */
    private boolean[] dropScratch = new boolean[0];
    private long[] removeScratch = new long[0];
    private static final int MAX_KEPT_REMOVE_KEYS = 1 << 20;
    /** Workload indices by answer identity, read by preparing threads; replaced by the applying thread only. */
    private volatile WorkloadIdentities identities = WorkloadIdentities.EMPTY;
    /** What the applied snapshots of a batch found by equality, added to {@link #identities} after the batch. */
    private final Map<WorkloadId, Integer> identitiesToAdd = new java.util.IdentityHashMap<>();
    private final ViewBuilder viewBuilder = new ViewBuilder(this::decayedIn);
    /**
     * Snapshots prepared and applied as one run: bounds the ingest buffers kept (a run's helpers are done by its
     * end, so a longer run only saves a short wait per run).
     */
    private static final int MAX_RUN = 64;
    /** Decay factors are precomputed for rates this many ticks old at most (older ones call exp). */
    private static final int DECAY_TABLE = 4096;
    private long handoffsSplit;
    private long handoffsExpired;

    public DemandStore(ServiceCatalog catalog, DemandConfig config) {
        this(catalog, config, false);
    }

    /**
     * @param trackActivity keep each aggregate's current visit ({@link ClientDemand#activity()}): what a node
     *                      agent's report needs so a controller can hand a client off across nodes; 16 bytes more
     *                      per aggregate
     */
    public DemandStore(ServiceCatalog catalog, DemandConfig config, boolean trackActivity) {
        this.trackActivity = trackActivity;
        this.table = new AggregateTable(16, trackActivity); // grows as clients come; passes over it stay short
        this.catalog = Objects.requireNonNull(catalog, "catalog");
        this.config = Objects.requireNonNull(config, "config");
        double halfLifeTicks = config.halfLife().toNanos() / (double) NANOS_PER_TICK;
        this.lambdaPerTick = Math.log(2) / halfLifeTicks;
        for (int e = 0; e < DECAY_TABLE; e++) {
            decayFactors[e] = Math.exp(-lambdaPerTick * e);
        }
        this.lambdaPerSecond = Math.log(2) / (config.halfLife().toNanos() / 1e9);
    }

    public DemandConfig config() {
        return config;
    }

    /**
     * Adds one node's snapshot. Snapshots of one node must come in time order; older ones are ignored and
     * counted ({@link DemandStats#staleOutOfOrder()}).
     */
    public void ingest(OriginSnapshot snapshot) {
        ingestAll(List.of(Objects.requireNonNull(snapshot, "snapshot")));
    }

    /**
     * Adds a batch of snapshots, as if {@link #ingest} were called for each in order, with the same result. The
     * node-local part of the work (resolving workloads, counter baselines, increases) runs for different nodes in
     * parallel on the common fork-join pool while this thread adds the prepared records to the aggregate table in
     * the batch's order; so the {@link ServiceCatalog} may be called from several threads at once.
     */
    public void ingestAll(Collection<OriginSnapshot> snapshotsToAdd) {
        List<OriginSnapshot> batch = List.copyOf(snapshotsToAdd);
        int from = 0;
        try {
            while (from < batch.size()) {
                from = ingestRun(batch, from);
            }
        } finally {
            if (!identitiesToAdd.isEmpty()) { // the next batch's threads find these by identity
                identities = identities.with(identitiesToAdd, workloads.size());
                identitiesToAdd.clear();
            }
        }
    }

    /**
     * Admits snapshots from {@code from} until a node comes a second time or {@link #MAX_RUN} are admitted, prepares
     * and applies them; the next index.
     */
    private int ingestRun(List<OriginSnapshot> batch, int from) {
        List<PreparedSnapshot> run = new ArrayList<>();
        BitSet nodesInRun = new BitSet();
        int i = from;
        for (; i < batch.size() && run.size() < MAX_RUN; i++) {
            OriginSnapshot snapshot = batch.get(i);
            if (epoch == null) {
                epoch = snapshot.takenAt();
            }
            rebaseIfNeeded(snapshot.takenAt());
            int node = nodeIndex(snapshot.node());
            if (nodesInRun.get(node)) {
                break; // its baselines come from the earlier snapshot: the next run
            }
            NodeHistory state = nodeStates.get(node);
            if (state.seen && !snapshot.takenAt().isAfter(state.takenAt)) {
                staleOutOfOrder++;
                LOG.debug("ignoring snapshot of {} taken at {}: not after the previous one ({})", snapshot.node(),
                        snapshot.takenAt(), state.takenAt);
                continue;
            }
            snapshots++;
            nodesInRun.set(node);
            if (preparedPool.size() <= run.size()) {
                preparedPool.add(new PreparedSnapshot());
            }
            PreparedSnapshot p = preparedPool.get(run.size());
            p.reset(snapshot, node, snapshot.records().size());
            run.add(p);
        }
        if (run.size() == 1 || ForkJoinPool.getCommonPoolParallelism() < 1) {
            for (PreparedSnapshot p : run) {
                try {
                    prepare(p);
                    apply(p);
                } finally {
                    p.release();
                }
            }
        } else {
            prepareInParallelAndApply(run);
        }
        return i;
    }

    /**
     * Helpers on the common pool and this thread claim snapshots to prepare in order; this thread applies each as
     * soon as it is ready, preparing unclaimed ones itself while it waits (so no pool, or a busy one, still works).
     */
    private void prepareInParallelAndApply(List<PreparedSnapshot> run) {
        int n = run.size();
        AtomicInteger next = new AtomicInteger();
        Runnable helper = () -> {
            for (int j = next.getAndIncrement(); j < n; j = next.getAndIncrement()) {
                prepareCatching(run.get(j));
            }
        };
        int helpers = Math.min(ForkJoinPool.getCommonPoolParallelism(), n - 1);
        for (int h = 0; h < helpers; h++) {
            ForkJoinPool.commonPool().execute(helper);
        }
        RuntimeException failure = null;
        try {
            for (int j = 0; j < n; j++) {
                PreparedSnapshot p = run.get(j);
                for (int spins = 0; !p.ready; spins++) {
                    int claim = next.get() < n ? next.getAndIncrement() : n;
                    if (claim < n) {
                        prepareCatching(run.get(claim));
                    } else {
                        waitBriefly(spins); // a helper is preparing it: at most one snapshot's work
                    }
                }
                if (p.failure != null) {
                    // That node's history is untouched: its next snapshot counts from the one before. The other
                    // snapshots of the batch still count; the first failure is thrown after them.
                    RuntimeException e = new IllegalStateException("preparing the snapshot of " + p.snapshot.node()
                            + " failed; it is skipped", p.failure);
                    if (failure == null) {
                        failure = e;
                    } else {
                        failure.addSuppressed(e);
                    }
                    continue;
                }
                apply(p);
            }
        } finally {
            // After an unexpected error: no new claims, and wait for claimed ones (their buffers serve the next run).
            int claimed = Math.min(next.getAndSet(n), n);
            for (int j = 0; j < claimed; j++) {
                for (int spins = 0; !run.get(j).ready; spins++) {
                    waitBriefly(spins);
                }
            }
            for (PreparedSnapshot p : run) {
                p.release();
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** Spins a little, then yields: on a machine with fewer cores than threads the helper needs this one's core. */
    private static void waitBriefly(int spins) {
        if (spins < 1000) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
    }

    private void prepareCatching(PreparedSnapshot p) {
        try {
            prepare(p);
        } catch (Throwable t) {
            p.failure = t;
        }
        p.ready = true;
    }

    /**
     * The node-local work of one snapshot: resolves workloads, updates the node's counter baselines, and turns each
     * record into an increase over some seconds, masked to its prefix. Touches only this node's history, the
     * buffer, and read-only state, so different nodes' snapshots can be prepared at once.
     */
    private void prepare(PreparedSnapshot p) {
        OriginSnapshot snapshot = p.snapshot;
        int node = p.node;
        NodeHistory state = nodeStates.get(node);
        boolean restarted = state.seen && snapshot.generation() != state.generation;
        if (restarted) {
            p.generationChanges++;
            LOG.debug("origin source on {} restarted (generation {} -> {}): counter baselines dropped",
                    snapshot.node(), state.generation, snapshot.generation());
        }
        long nowMono = snapshot.monotonicNanos();
        long nowWall = Duration.between(epoch, snapshot.takenAt()).toNanos();
        // A monotonic clock that went back means the node rebooted: nothing before can be compared.
        boolean sameBoot = state.seen && nowMono >= state.monotonicNanos;
        int previousSequence = state.sequence;
        long previousMono = state.monotonicNanos;
        double nodeSeconds = state.seen ? state.secondsSince(previousSequence, nowMono, nowWall) : 0;
        int sequence = previousSequence + 1;
        int tick = tick(snapshot.takenAt());
        int previousReadTick = state.seen ? tick(state.takenAt) : Integer.MIN_VALUE;
        p.tick = tick;
        p.previousReadTick = previousReadTick;
        p.nodeSeconds = nodeSeconds;
        p.nodeAlpha = 1 - Math.exp(-lambdaPerSecond * nodeSeconds);
        p.history = state;
        p.baselines = state.baselines;
        // after a restart or reboot no earlier counter compares: every baseline so far stops counting
        p.baselineFloor = restarted || !sameBoot ? previousSequence : state.baselineFloor;
        p.staleSeconds = config.staleAfter().toNanos() / 1e9;
        p.sequence = sequence;
        p.previousSequence = previousSequence;
        p.nowMono = nowMono;
        p.nowWall = nowWall;
        p.previousMono = previousMono;
        p.sameBoot = sameBoot;
        p.baselineScratch = p.baselines.tidy(snapshot.records().size(), s -> baselineCounts(p, s), p.baselineScratch);
        try {
            prepareRecords(p);
        } catch (RuntimeException | Error e) {
            p.baselines.rollBack(sequence); // the node's history stays as it was: its next snapshot counts from the last
            throw e;
        }
        state.seen = true;
        state.generation = snapshot.generation();
        state.sequence = sequence;
        state.baselineFloor = p.baselineFloor;
        state.monoBySequence[Math.floorMod(sequence, NodeHistory.RING)] = nowMono;
        state.wallBySequence[Math.floorMod(sequence, NodeHistory.RING)] = nowWall;
        state.monotonicNanos = nowMono;
        state.takenAt = snapshot.takenAt();
    }

    /**
     * Whether a baseline from snapshot {@code s} still counts for the snapshot being prepared: one from the previous
     * snapshot always, an older one (its record was missing since) while it is within the last {@link NodeHistory#RING}
     * snapshots and was at most {@code staleAfter} old when the previous snapshot came; none from before a restart.
     */
    private static boolean baselineCounts(PreparedSnapshot p, int s) {
        if (s == CounterBaselines.NONE || s <= p.baselineFloor || s > p.previousSequence) {
            return false;
        }
        if (s == p.previousSequence) {
            return true;
        }
        NodeHistory h = p.history;
        return s > p.previousSequence - NodeHistory.RING && h.secondsSince(s, h.monoOf(p.previousSequence),
                h.wallOf(p.previousSequence)) <= p.staleSeconds;
    }

    /** The record loop of {@link #prepare}. */
    private void prepareRecords(PreparedSnapshot p) {
        OriginSnapshot snapshot = p.snapshot;
        ServiceWorkloads resolved = p.services;
        resolved.clear();
        WorkloadIdentities known = identities;
        boolean haveLast = false;
        long lastServiceKey = 0;
        int lastWorkload = -1;

        for (OriginRecord r : snapshot.records()) {
            p.records++;
            if (r.forwarded()) {
                p.forwarded++;
                continue;
            }
            long serviceKey = ((long) r.serviceId() << 32) | (r.localPort() & 0xffffffffL);
            int wl;
            if (haveLast && serviceKey == lastServiceKey) { // records usually come grouped by service
                wl = lastWorkload;
            } else {
                // fmix64 is a bijection: a well-spread map key without false matches
                long mixed = CounterBaselines.mix(serviceKey);
                wl = resolved.get(mixed);
                if (wl == ServiceWorkloads.ABSENT) {
                    wl = resolveWorkload(p, r.serviceId(), r.localPort(), known);
                    resolved.put(mixed, wl);
                }
                haveLast = true;
                lastServiceKey = serviceKey;
                lastWorkload = wl;
            }
            if (wl == -1) {
                p.unresolved++;
                continue;
            }
            prepareRecord(p, r, wl, serviceKey);
        }
    }

    /**
     * One record of {@link #prepare}: its baseline, increase and prefix (a method of its own: the JIT compiles and,
     * when a first-time branch traps, recompiles it alone, not the whole snapshot loop).
     */
    private void prepareRecord(PreparedSnapshot p, OriginRecord r, int wl, long serviceKey) {
        ClientAddress client = r.client();
        boolean ipv6 = !client.isIpv4();
        long rawHi = client.highBits();
        long rawLo = client.lowBits();
        int rawPrefix = client.prefixLength();
        long fingerprint = CounterBaselines.mix(serviceKey ^ CounterBaselines.mix(rawHi + 31 * rawPrefix))
                ^ CounterBaselines.mix(rawLo * 0x9E3779B97F4A7C15L + (ipv6 ? 1 : 0));
        long counter = counter(r);
        int at = p.baselines.update(fingerprint, counter, p.sequence);

        // The increase since the baseline, and the seconds it accrued over. Whole counters count only when
        // the record's first packet came after the moment its count could have started unseen.
        long delta = 0;
        double seconds = p.nodeSeconds;
        int baseSequence = p.baselines.baselineSequenceAt(at);
        if (baselineCounts(p, baseSequence)) {
            seconds = baseSequence == p.previousSequence ? p.nodeSeconds
                    : p.history.secondsSince(baseSequence, p.nowMono, p.nowWall);
            long before = p.baselines.baselineAt(at);
            if (counter >= before) {
                delta = counter - before;
            } else {
                p.counterResets++;
                delta = firstSeenAfter(r, p.history.monoOf(baseSequence)) ? counter : 0;
            }
        } else if (p.sameBoot && firstSeenAfter(r, p.previousMono)) {
            delta = counter;
        } else {
            p.baselineOnly++;
        }

        int prefix = Math.min(rawPrefix, ipv6 ? config.ipv6PrefixBits() : config.ipv4PrefixBits());
        long h = rawHi;
        long l = rawLo;
        if (ipv6) {
            h &= mask64(Math.min(prefix, 64));
            l &= mask64(Math.max(0, prefix - 64));
        } else {
            l &= mask64(prefix) >>> 32;
        }
        int seen = delta > 0 ? kernelTick(r.lastSeenNanos(), p.snapshot, p.tick) : p.tick;
        // where a visit that starts with this record began: its first packet when new since the last read
        int began = !trackActivity || delta <= 0 ? p.tick
                : p.sameBoot && firstSeenAfter(r, p.previousMono) ? kernelTick(r.firstSeenNanos(), p.snapshot, p.tick)
                : p.previousReadTick == Integer.MIN_VALUE ? p.tick : p.previousReadTick;
        float rtt = r.rttSamples() > 0 && r.rttMicros() >= 0 ? (float) r.rttMicros() : Float.NaN;
        p.add(wl, AggregateTable.meta(p.node, prefix, ipv6), h, l, delta, seconds, seen, began, rtt);
    }

    /** Adds a prepared snapshot's records to the aggregate table (this thread only, in the batch's order; the caller releases it). */
    private void apply(PreparedSnapshot p) {
        records += p.records;
        forwarded += p.forwarded;
        unresolved += p.unresolved;
        counterResets += p.counterResets;
        baselineOnly += p.baselineOnly;
        generationChanges += p.generationChanges;
        if (p.newWorkloadIndex.length < p.newWorkloads.size()) {
            p.newWorkloadIndex = new int[p.newWorkloads.size() * 2];
        }
        for (int k = 0; k < p.newWorkloads.size(); k++) {
            p.newWorkloadIndex[k] = workloadIndex(p.newWorkloads.get(k));
        }
        p.foundByEquality.forEach(identitiesToAdd::putIfAbsent);
        int[] found = foundSlots;
        int foundFrom = 0;
        int foundCapacity = -1;
        for (int k = 0; k < p.size; k++) {
            if (k == foundFrom + found.length || foundCapacity < 0) {
                // Look the next records up in a tight loop first: their slots are at random places in a table of
                // millions, and independent look-ups in a row wait for memory together, not one after another.
                foundFrom = k;
                foundCapacity = table.capacity();
                for (int j = k, end = Math.min(p.size, k + found.length); j < end; j++) {
                    found[j - k] = table.find(workloadOf(p, j), p.meta[j], p.hi[j], p.lo[j]);
                }
            }
            int slot = found[k - foundFrom];
            if (slot < 0 || table.capacity() != foundCapacity) {
                slot = -1; // inserted since by an earlier record, or the table grew: look it up again
            }
            applyRecord(p, k, slot);
        }
    }

    /**
     * Adds record {@code k} of a prepared snapshot to its aggregate at {@code slot} (-1: not looked up, or absent).
     * A method of its own, so a first-time branch that traps recompiles only this.
     */
    private void applyRecord(PreparedSnapshot p, int k, int slot) {
        int node = p.node;
        int tick = p.tick;
        int previousReadTick = p.previousReadTick;
        double nodeSeconds = p.nodeSeconds;
        boolean handoffOn = config.handoff().enabled();
        int wl = workloadOf(p, k);
        int meta = p.meta[k];
        long h = p.hi[k];
        long l = p.lo[k];
        long delta = p.delta[k];
        double seconds = p.seconds[k];
        if (slot < 0) {
            slot = table.find(wl, meta, h, l);
        }
        boolean inserted = false;
        if (slot < 0) {
            if (table.size() >= config.maxAggregates()) {
                foldedOverCapacity++;
                slot = otherSlot(wl, node, tick);
            } else {
                slot = table.insert(wl, meta, h, l, tick);
                inserted = true;
            }
        }
        int seen = p.seen[k];
        if (delta > 0 && seconds > 0 && !inserted) {
            seconds = betweenLastPackets(slot, seen, tick, previousReadTick, seconds);
        }
        if (delta > 0 && seconds > 0) {
            if (handoffOn && AggregateTable.prefixOf(meta) > 0 && table.nodeMeta(slot) == meta) {
                noteArrival(slot, wl, meta, h, l, inserted ? Integer.MIN_VALUE : table.lastActiveTick(slot),
                        tick, previousReadTick);
            }
            if (trackActivity) {
                noteActivity(slot, inserted, p.began[k], tick, seen, delta / seconds);
            }
            double alpha = seconds == nodeSeconds ? p.nodeAlpha : 1 - Math.exp(-lambdaPerSecond * seconds);
            table.setRate(slot, (float) (decayed(slot, tick) + alpha * delta / seconds), tick);
            table.setLastActiveTick(slot, tick);
            table.setLastSeenTick(slot, Math.max(table.lastSeenTick(slot), seen));
        }
        float rtt = p.rtt[k];
        if (!Float.isNaN(rtt)) {
            float old = table.rtt(slot);
            table.setRtt(slot, Float.isNaN(old) ? rtt : (float) (old + config.rttSmoothing() * (rtt - old)));
        }
    }

    private static int workloadOf(PreparedSnapshot p, int k) {
        int wl = p.workload[k];
        return wl < 0 ? p.newWorkloadIndex[PreparedSnapshot.NEW_WORKLOAD - wl] : wl;
    }

    /**
     * Drops idle aggregates and the counter baselines of nodes silent for longer than {@code staleAfter}, and
     * enforces top-N per workload, folding what it removes into "other clients". Call once per decision round
     * (the view does not call it).
     */
    public void maintain(Instant now) {
        if (epoch == null) {
            return;
        }
        int nowTick = tick(now);
        long staleTicks = config.staleAfter().toNanos() / NANOS_PER_TICK;
        resolveHandoffs(now, nowTick);
        // A node that sent nothing for staleAfter (removed, or its agent gone) no longer needs its baselines.
        for (NodeHistory state : nodeStates) {
            if (state.seen && state.baselines.size() > 0
                    && Duration.between(state.takenAt, now).compareTo(config.staleAfter()) > 0) {
                state.baselines = new CounterBaselines(0);
            }
        }
        AggregateTable old = table;
        int cap = old.capacity();
        // kept between rounds: a fresh array of a few megabytes every round is a humongous allocation for G1,
        // which starts a concurrent marking cycle that takes a core from the round
        if (dropScratch.length < cap) {
            dropScratch = new boolean[cap];
        } else {
            Arrays.fill(dropScratch, 0, cap, false);
        }
        boolean[] drop = dropScratch;
        // One pass over the table, in parts on the pool's threads and this one: idle slots to drop, the rest
        // counted per workload (for top-N); the parts' counts are added after.
        int parts = TableParts.partsFor(old);
        int[][] perWorkloadOfPart = new int[parts][workloads.size()];
        int[] droppedOfPart = new int[parts];
        int[] keptOfPart = new int[parts];
        TableParts.inParallel(parts, part -> {
            int[] counts = perWorkloadOfPart[part];
            int dropped = 0;
            int kept = 0;
            for (int i = TableParts.from(part, parts, cap), end = TableParts.from(part + 1, parts, cap); i < end; i++) {
                int w = old.workload(i);
                if (w < 0) {
                    continue;
                }
                if ((long) nowTick - old.lastActiveTick(i) > staleTicks) {
                    drop[i] = true;
                    dropped++;
                } else {
                    kept++;
                    if (!isOther(old, i)) {
                        counts[w]++;
                    }
                }
            }
            droppedOfPart[part] = dropped;
            keptOfPart[part] = kept;
        });
        int[] perWorkload = perWorkloadOfPart[0];
        int dropped = 0;
        int survivors = 0;
        for (int part = 0; part < parts; part++) {
            if (part > 0) {
                for (int w = 0; w < perWorkload.length; w++) {
                    perWorkload[w] += perWorkloadOfPart[part][w];
                }
            }
            dropped += droppedOfPart[part];
            survivors += keptOfPart[part];
        }
        evictedStale += dropped;
        // Top-N: group the slots of workloads over the limit (counting sort by workload), order each group by
        // decayed rate (ties by slot position: the same history gives the same table), fold all after the first N.
        int limit = config.maxClientsPerWorkload();
        int[] offset = new int[perWorkload.length + 1];
        for (int w = 0; w < perWorkload.length; w++) {
            offset[w + 1] = offset[w] + (perWorkload[w] > limit ? perWorkload[w] : 0);
        }
        List<Integer> folded = new ArrayList<>();
        if (offset[perWorkload.length] > 0) {
            long[] keys = new long[offset[perWorkload.length]];
            int[] fillAt = Arrays.copyOf(offset, perWorkload.length);
            for (int i = 0; i < cap; i++) {
                int w = old.workload(i);
                if (w >= 0 && !drop[i] && !isOther(old, i) && perWorkload[w] > limit) {
                    int rateBits = Float.floatToIntBits((float) decayedIn(old, i, nowTick)); // >= 0: monotonic
                    keys[fillAt[w]++] = ((long) (Integer.MAX_VALUE - rateBits) << 32) | i;
                }
            }
            for (int w = 0; w < perWorkload.length; w++) {
                if (offset[w + 1] > offset[w]) {
                    Arrays.sort(keys, offset[w], offset[w + 1]);
                    for (int j = offset[w] + limit; j < offset[w + 1]; j++) {
                        int i = (int) keys[j];
                        drop[i] = true;
                        folded.add(i);
                        foldedTopN++;
                        dropped++;
                        survivors--;
                    }
                }
            }
        }
        if (dropped > 0 && !candidates.isEmpty()) {
            for (int i = 0; i < cap; i++) {
                if (drop[i] && old.candidate(i)) {
                    // dropped as idle or folded into "other clients": no identity left to hand off
                    candidates.remove(new ClientAtNode(old.workload(i), old.nodeMeta(i), old.hi(i), old.lo(i)));
                }
            }
        }
        if (dropped == 0 && survivors >= cap / 8) {
            return; // the table stays as it is: no copy of millions of slots every round
        }
        // What folding needs, read before slots move; folded in slot order: deterministic for the same history.
        folded.sort(null);
        int foldCount = folded.size();
        int[] foldWorkload = new int[foldCount];
        int[] foldNode = new int[foldCount];
        double[] foldRate = new double[foldCount];
        float[] foldRtt = new float[foldCount];
        int[] foldLastActive = new int[foldCount];
        for (int f = 0; f < foldCount; f++) {
            int i = folded.get(f);
            foldWorkload[f] = old.workload(i);
            foldNode[f] = AggregateTable.nodeOf(old.nodeMeta(i));
            foldRate[f] = decayedIn(old, i, nowTick);
            foldRtt[f] = old.rtt(i);
            foldLastActive[f] = old.lastActiveTick(i);
        }
        if (survivors < cap / 8) {
            // mostly empty now: a smaller table, so passes over it stay proportional to what it holds
            AggregateTable fresh = new AggregateTable(survivors + Math.min(foldCount, survivors / 4 + 16), trackActivity);
            for (int i = 0; i < cap; i++) {
                if (old.used(i) && !drop[i]) {
                    fresh.copyFrom(old, i);
                }
            }
            table = fresh;
        } else {
            removeInPlace(old, drop, cap, dropped);
        }
        for (int f = 0; f < foldCount; f++) {
            int other = otherSlot(foldWorkload[f], foldNode[f], nowTick);
            double add = foldRate[f];
            double base = decayed(other, nowTick);
            float rttAdd = foldRtt[f];
            float rttBase = table.rtt(other);
            if (!Float.isNaN(rttAdd)) {
                table.setRtt(other, Float.isNaN(rttBase) || base + add <= 0 ? rttAdd
                        : (float) ((rttBase * base + rttAdd * add) / (base + add)));
            }
            table.setRate(other, (float) (base + add), nowTick);
            table.setLastActiveTick(other, Math.max(table.lastActiveTick(other), foldLastActive[f]));
        }
    }

    /** Deletes the dropped slots by key: each deletion may move later slots of its probe run back. */
    private void removeInPlace(AggregateTable t, boolean[] drop, int cap, int dropped) {
        // per slot: workload and node meta, then the client's two halves; kept for the next round up to 8 MB (a
        // round's churn), not after a one-off mass fold
        long[] keys = removeScratch.length >= 3 * dropped ? removeScratch : new long[3 * dropped];
        if (keys.length <= MAX_KEPT_REMOVE_KEYS) {
            removeScratch = keys;
        }
        int n = 0;
        for (int i = 0; i < cap; i++) {
            if (drop[i]) {
                keys[n++] = ((long) t.workload(i) << 32) | (t.nodeMeta(i) & 0xffffffffL);
                keys[n++] = t.hi(i);
                keys[n++] = t.lo(i);
            }
        }
        for (int d = 0; d < n; d += 3) {
            t.remove(t.find((int) (keys[d] >>> 32), (int) keys[d], keys[d + 1], keys[d + 2]));
        }
    }

    /** Entry-node demand of every workload, rates decayed to {@code now}. */
    public DemandView view(Instant now) {
        if (epoch == null) {
            return DemandView.empty(now);
        }
        List<WorkloadDemand> out = viewBuilder.build(table, tick(now), workloads, nodes);
        if (recentHandoffs.isEmpty()) {
            return DemandView.of(now, out);
        }
        Instant since = now.minus(config.handoff().window());
        Map<WorkloadId, List<Handoff>> byWorkload = new HashMap<>();
        for (Handoff h : recentHandoffs) {
            if (h.at().isAfter(since) && !h.at().isAfter(now)) {
                byWorkload.computeIfAbsent(h.workload(), w -> new ArrayList<>()).add(h);
            }
        }
        return DemandView.of(now, out, byWorkload);
    }

    /** The workload's largest client aggregates, highest rate first. */
    public List<ClientDemand> topClients(WorkloadId workload, int limit, Instant now) {
        Integer wl = workloadIndex.get(workload);
        if (wl == null || epoch == null) {
            return List.of();
        }
        int nowTick = tick(now);
        List<ClientDemand> all = new ArrayList<>();
        for (int i = 0; i < table.capacity(); i++) {
            if (table.workload(i) == wl) {
                all.add(new ClientDemand(nodes.get(AggregateTable.nodeOf(table.nodeMeta(i))), clientOf(table, i),
                        decayedIn(table, i, nowTick), table.rtt(i)));
            }
        }
        all.sort((a, b) -> {
            int c = Double.compare(b.ratePerSecond(), a.ratePerSecond());
            if (c != 0) {
                return c;
            }
            c = a.entryNode().compareTo(b.entryNode());
            return c != 0 ? c : a.client().compareTo(b.client());
        });
        return List.copyOf(all.subList(0, Math.min(limit, all.size())));
    }

    /**
     * Every client aggregate with a positive rate at {@code now}, per workload, in one pass over the table
     * (what a node agent publishes). The lists are in table order; callers sort as they need.
     */
    public Map<WorkloadId, List<ClientDemand>> clientsByWorkload(Instant now) {
        Map<WorkloadId, List<ClientDemand>> out = new HashMap<>();
        if (epoch == null) {
            return out;
        }
        int nowTick = tick(now);
        AggregateTable t = table;
        for (int i = 0; i < t.capacity(); i++) {
            if (t.workload(i) < 0) {
                continue;
            }
            double r = decayedIn(t, i, nowTick);
            if (r > 0) {
                out.computeIfAbsent(workloads.get(t.workload(i)), w -> new ArrayList<>()).add(new ClientDemand(
                        nodes.get(AggregateTable.nodeOf(t.nodeMeta(i))), clientOf(t, i), r, t.rtt(i),
                        activityOf(t, i)));
            }
        }
        return out;
    }

    /** Handoffs done so far ({@link HandoffRule}). */
    public long handoffCount() {
        return handoffs;
    }

    /** Handoff candidates dropped because the old entry saw the client again: demand kept split. */
    public long handoffsKeptSplit() {
        return handoffsSplit;
    }

    /** Handoff candidates whose evidence did not come within the rule's window. */
    public long handoffsExpired() {
        return handoffsExpired;
    }

    /** Handoffs within the rule's window before {@code now}, oldest first. */
    public List<Handoff> recentHandoffs(Instant now) {
        Instant since = now.minus(config.handoff().window());
        List<Handoff> out = new ArrayList<>();
        for (Handoff h : recentHandoffs) {
            if (h.at().isAfter(since) && !h.at().isAfter(now)) {
                out.add(h);
            }
        }
        return out;
    }

    public DemandStats stats() {
        return new DemandStats(snapshots, records, unresolved, forwarded, generationChanges, counterResets,
                baselineOnly, staleOutOfOrder, evictedStale, foldedTopN, foldedOverCapacity, table.size());
    }

    /**
     * Work that can wait for the idle time between rounds, so that an ingest does not do it: when the aggregate
     * table is more than 60 % full, grows it now (by half) instead of when an ingest takes it past 75 %. A growth
     * rehashes every aggregate, ~0.1-0.2 s at a million, which the ingest that crossed the limit would otherwise pay
     * inside its round. Optional (the table grows by itself when it must); same thread rules as {@link #ingest}.
     * Returns whether it grew.
     */
    public boolean growAhead() {
        int before = table.capacity();
        if (!table.growIfFuller(GROW_AHEAD_LOAD)) {
            return false;
        }
        LOG.debug("aggregate table grown ahead of need: {} -> {} slots for {} aggregates", before, table.capacity(),
                table.size());
        return true;
    }

    /** Load above which {@link #growAhead} grows the aggregate table (60 %). */
    static final double GROW_AHEAD_LOAD = 0.6;

    /** Slots of the aggregate table (used or not). */
    int aggregateCapacity() {
        return table.capacity();
    }

    /** Client aggregates held now. */
    public int aggregateCount() {
        return table.size();
    }

    /** Counter baselines held over all nodes (including ones no longer counted that a rebuild has yet to drop). */
    int baselinesHeld() {
        int held = 0;
        for (NodeHistory s : nodeStates) {
            held += s.baselines.size();
        }
        return held;
    }

    /** Bytes held by the store's arrays (aggregates, per-node counter baselines, ingest buffers, view buckets), excluding small maps. */
    public long estimatedMemoryBytes() {
        long bytes = table.bytes();
        for (NodeHistory s : nodeStates) {
            bytes += s.baselines.bytes();
        }
        for (PreparedSnapshot p : preparedPool) {
            bytes += p.bytes();
        }
        bytes += viewBuilder.bytes();
        return bytes;
    }

    /** Bytes of the aggregate arrays alone (what prefix aggregation and top-N shrink). */
    public long aggregateMemoryBytes() {
        return table.bytes();
    }

    // ---- activity (what a report carries for handoffs across nodes) ----

    /**
     * Updates the slot's current visit for an increase seen in the read at {@code tick}, before
     * {@code lastActiveTick} moves to it. A visit begins after {@link ClientActivity#VISIT_GAP} of silence; it
     * began at the record's kernel first-seen time when the record is new since the previous read, else after
     * that read.
     */
    private void noteActivity(int slot, boolean inserted, int began, int tick, int seen, double ratePerSecond) {
        int last = table.lastActiveTick(slot);
        if (!inserted && last == tick && table.activeReads(slot) > 0) {
            table.setRecentRate(slot, table.recentRate(slot) + (float) ratePerSecond); // another record of the same aggregate in this read
            table.setLastSeenTick(slot, Math.max(table.lastSeenTick(slot), seen));
            return;
        }
        if (inserted || table.activeReads(slot) == 0 || (long) tick - last > VISIT_GAP_TICKS) {
            table.setArrivalTick(slot, Math.min(began, tick));
            table.setActiveReads(slot, 1);
            table.setLastSeenTick(slot, seen);
        } else {
            if (table.activeReads(slot) < Integer.MAX_VALUE) {
                table.setActiveReads(slot, table.activeReads(slot) + 1);
            }
            table.setLastSeenTick(slot, Math.max(table.lastSeenTick(slot), seen));
        }
        table.setRecentRate(slot, (float) ratePerSecond);
    }

    /**
     * The seconds an aggregate's increase in this read accrued over: from its previous last packet to its latest,
     * by the kernel's clock (0.1 s ticks), when that is clearly longer than the read's own window; otherwise the
     * window. The counts since the last read arrived after the previous last packet, so for a client
     * sending one request every 2 s while the reads come every 2.02 s, the read that sees two requests has them
     * over 4 s, not 2.02: without this the estimate jumped by a read's alpha at every such beat, enough to swing a
     * choice between two edges with equal clients (HandoffStabilityTest). Capped at the half-life (or the window, if
     * longer), so a client back after a long absence ramps up as a new one does. Only the first of an aggregate's
     * records in a read uses it (a prefix's further records, usually busy ones, keep the window).
     */
    private double betweenLastPackets(int slot, int seen, int tick, int previousReadTick, double seconds) {
        int before = table.lastSeenTick(slot);
        if (table.lastActiveTick(slot) == tick || previousReadTick == Integer.MIN_VALUE || before >= seen
                || before > previousReadTick) {
            return seconds; // another record of it counted in this read already, or no usable kernel times
        }
        double span = (double) ((long) seen - before) * NANOS_PER_TICK / 1e9;
        if (span <= seconds + 2.0 * NANOS_PER_TICK / 1e9) {
            return seconds; // within the ticks' resolution of the window: the window is exact
        }
        return Math.min(span, Math.max(config.halfLife().toNanos() / 1e9, seconds));
    }

    /** A kernel monotonic time as a store tick, through the snapshot's (wall, monotonic) pair; the read's tick without one. */
    private int kernelTick(long kernelNanos, OriginSnapshot snapshot, int readTick) {
        long mono = snapshot.monotonicNanos();
        if (mono <= 0 || kernelNanos <= 0 || kernelNanos > mono) {
            return readTick;
        }
        long back = (mono - kernelNanos + NANOS_PER_TICK / 2) / NANOS_PER_TICK;
        return (int) Math.max(Integer.MIN_VALUE + 1L, readTick - back);
    }

    private ClientActivity activityOf(AggregateTable t, int i) {
        if (!t.activity || t.activeReads(i) <= 0 || isOther(t, i)) {
            return null;
        }
        return new ClientActivity(instantOf(t.arrivalTick(i)), instantOf(t.lastSeenTick(i)), t.activeReads(i),
                t.recentRate(i));
    }

    private Instant instantOf(int tick) {
        return epoch.plusNanos(tick * NANOS_PER_TICK);
    }

    // ---- handoff ----

    /**
     * An increase of a client aggregate at its node, seen in a read at {@code tick}: counts as evidence for a
     * candidate at this node, or opens one when the aggregate was idle here at the node's previous read and its
     * latest traffic came through another node.
     */
    private void noteArrival(int slot, int wl, int meta, long h, long l, int lastActiveHere, int tick, int previousReadTick) {
        // Most increases are of clients steadily active here with no candidate: the slot's flag saves the look-up.
        Candidate c = table.candidate(slot) ? candidates.get(new ClientAtNode(wl, meta, h, l)) : null;
        if (c != null) {
            if (tick > c.lastTick) {
                c.reads++;
                c.lastTick = tick;
            }
            return;
        }
        if (lastActiveHere >= previousReadTick && lastActiveHere != Integer.MIN_VALUE) {
            return; // active here at the previous read already: not an arrival
        }
        int latestElsewhere = Integer.MIN_VALUE;
        for (int s = table.nextSameClient(wl, meta, h, l, -1); s >= 0; s = table.nextSameClient(wl, meta, h, l, s)) {
            if (table.rate(s) > 0) {
                latestElsewhere = Math.max(latestElsewhere, table.lastActiveTick(s));
            }
        }
        if (latestElsewhere != Integer.MIN_VALUE && latestElsewhere > lastActiveHere) {
            candidates.put(new ClientAtNode(wl, meta, h, l), new Candidate(tick));
            table.setCandidate(slot, true);
        }
    }

    /** Decides every candidate: hand off, keep split, wait, or expire. Before {@link #maintain} rebuilds the table. */
    private void resolveHandoffs(Instant now, int nowTick) {
        Instant since = now.minus(config.handoff().window());
        while (!recentHandoffs.isEmpty() && !recentHandoffs.peekFirst().at().isAfter(since)) {
            pollOldestHandoff();
        }
        if (candidates.isEmpty()) {
            return;
        }
        long windowTicks = config.handoff().window().toNanos() / NANOS_PER_TICK;
        int n = candidates.size();
        ClientAtNode[] keys = new ClientAtNode[n];
        Candidate[] values = new Candidate[n];
        int at = 0;
        for (Map.Entry<ClientAtNode, Candidate> e : candidates.entrySet()) {
            keys[at] = e.getKey();
            values[at++] = e.getValue();
        }
        // Judged in parts on the pool's threads: judging reads the table and the recent handoffs, changes nothing.
        byte[] verdict = new byte[n];
        int parts = n < judgeInParallelFrom ? 1 : TableParts.partsForThreads();
        TableParts.inParallel(parts, part -> {
            for (int j = TableParts.from(part, parts, n), end = TableParts.from(part + 1, parts, n); j < end; j++) {
                verdict[j] = judge(keys[j], values[j], nowTick, windowTicks, null);
            }
        });
        // Carried out in the map's order, as one sequential pass would. Only a hand-off changes what judging reads:
        // its own client's rates and recent handoffs, so a later candidate of that client is judged again; and
        // when the recent-handoff cap drops an old entry (any client), so is every later verdict that asked
        // whether its client was handed off recently.
        Set<ClientKey> handedOff = new HashSet<>();
        boolean capDropped = false;
        List<Integer> old = new ArrayList<>();
        for (int j = 0; j < n; j++) {
            ClientAtNode k = keys[j];
            Candidate c = values[j];
            byte v = verdict[j];
            boolean stale = capDropped && (v & ASKED_RECENT) != 0
                    || !handedOff.isEmpty() && handedOff.contains(ClientKey.of(k));
            v &= ~ASKED_RECENT;
            if (stale || v == HAND_OFF) {
                old.clear();
                v = (byte) (judge(k, c, nowTick, windowTicks, old) & ~ASKED_RECENT);
            }
            if (v == KEEP) {
                continue;
            }
            candidates.remove(k);
            if (v == GONE) {
                continue; // dropped as idle or folded into "other clients": no identity left to hand off
            }
            int here = table.find(k.workload(), k.meta(), k.hi(), k.lo());
            table.setCandidate(here, false);
            if (v == SPLIT) {
                handoffsSplit++;
            } else if (v == EXPIRED) {
                handoffsExpired++;
            } else if (v == HAND_OFF) {
                capDropped |= handOff(k, here, old, now, nowTick);
                handedOff.add(ClientKey.of(k));
            }
        }
    }

    /** Candidates below this many are judged on the calling thread (tests set it to compare both ways). */
    private int judgeInParallelFrom = 4_096;

    void judgeHandoffsInParallelFrom(int candidates) {
        judgeInParallelFrom = candidates;
    }
    private static final byte KEEP = 0;
    private static final byte GONE = 1;
    private static final byte SPLIT = 2;
    private static final byte NO_OLD_ENTRY = 3;
    private static final byte HAND_OFF = 4;
    private static final byte EXPIRED = 5;
    /** Set on a verdict that depended on whether the client was handed off recently. */
    private static final byte ASKED_RECENT = 0x10;

    /** A client of a workload, whatever node it entered at (what {@link AggregateTable#nextSameClient} matches). */
    private record ClientKey(int workload, int clientMeta, long hi, long lo) {
        static ClientKey of(ClientAtNode k) {
            return new ClientKey(k.workload(), AggregateTable.clientMeta(k.meta()), k.hi(), k.lo());
        }
    }

    /**
     * What becomes of one candidate now, with {@link #ASKED_RECENT} when that depended on the recent handoffs;
     * reads only. {@code old}, when given, receives the slots a hand-off takes the rate from.
     */
    private byte judge(ClientAtNode k, Candidate c, int nowTick, long windowTicks, List<Integer> old) {
        int here = table.find(k.workload(), k.meta(), k.hi(), k.lo());
        if (here < 0) {
            return GONE;
        }
        boolean anyOld = false;
        boolean allReadSince = true;
        boolean closer = true; // every old entry is much farther than N (HandoffRule#closer)
        for (int s = table.nextSameClient(k.workload(), k.meta(), k.hi(), k.lo(), -1); s >= 0;
             s = table.nextSameClient(k.workload(), k.meta(), k.hi(), k.lo(), s)) {
            if (table.lastActiveTick(s) >= c.firstTick) {
                return SPLIT; // the old entry saw the client since (or in the same read as) it arrived here
            }
            if (table.rate(s) > 0) {
                anyOld = true;
                if (old != null) {
                    old.add(s);
                }
                closer &= config.handoff().closer(table.rtt(here), table.rtt(s));
                NodeHistory m = nodeStates.get(AggregateTable.nodeOf(table.nodeMeta(s)));
                if (tick(m.takenAt) <= c.firstTick) {
                    allReadSince = false; // not read since: silence there is not yet evidence
                }
            }
        }
        if (!anyOld) {
            return NO_OLD_ENTRY;
        }
        if (allReadSince && c.reads >= config.handoff().evidenceReads()) {
            return HAND_OFF;
        }
        byte asked = 0;
        if (allReadSince && closer) {
            asked = ASKED_RECENT;
            if (!handedOffRecently(k.workload(), clientOf(table, here))) {
                return HAND_OFF | ASKED_RECENT;
            }
        }
        return (byte) (((long) nowTick - c.firstTick > windowTicks ? EXPIRED : KEEP) | asked);
    }

    /** Moves the rate of the client's old entries to {@code here}; whether the recent-handoff cap dropped one. */
    private boolean handOff(ClientAtNode k, int here, List<Integer> old, Instant now, int nowTick) {
        boolean capDropped = false;
        for (int s : old) {
            double moved = decayed(s, nowTick);
            table.setRate(here, (float) (decayed(here, nowTick) + moved), nowTick);
            table.setRate(s, 0, nowTick);
            handoffs++;
            Handoff h = new Handoff(workloads.get(k.workload()), clientOf(table, here),
                    nodes.get(AggregateTable.nodeOf(table.nodeMeta(s))),
                    nodes.get(AggregateTable.nodeOf(k.meta())), now, moved);
            LOG.debug("{}", h);
            recentHandoffs.addLast(h);
            recentByClient.merge(new RecentClient(h.workload(), h.client()), 1, Integer::sum);
            if (recentHandoffs.size() > MAX_RECENT_HANDOFFS) {
                pollOldestHandoff();
                capDropped = true;
            }
        }
        return capDropped;
    }

    /**
     * Whether this client was handed off within the rule's window (the deque holds exactly those): such a client
     * needs the full evidence, so one alternating between a near and a far node hands off at most once per window.
     */
    private boolean handedOffRecently(int workload, ClientAddress client) {
        return recentByClient.containsKey(new RecentClient(workloads.get(workload), client));
    }

    private void pollOldestHandoff() {
        Handoff h = recentHandoffs.pollFirst();
        recentByClient.computeIfPresent(new RecentClient(h.workload(), h.client()), (k, n) -> n > 1 ? n - 1 : null);
    }

    // ---- helpers ----

    private int nodeIndex(NodeId node) {
        Integer i = nodeIndex.get(node);
        if (i != null) {
            return i;
        }
        if (nodes.size() >= AggregateTable.MAX_NODES) {
            throw new IllegalStateException("demand store holds " + nodes.size() + " nodes, the maximum; "
                    + "use one store per cluster of at most " + AggregateTable.MAX_NODES + " nodes");
        }
        nodeIndex.put(node, nodes.size());
        nodes.add(node);
        nodeStates.add(new NodeHistory());
        return nodes.size() - 1;
    }

    /**
     * Asks the catalog; when it answers with a workload object this thread has seen numbered ({@code known}), the
     * index is that one, without comparing ids by their strings.
     */
    private int resolveWorkload(PreparedSnapshot p, int serviceId, int port, WorkloadIdentities known) {
        Optional<WorkloadId> w = catalog.workloadFor(p.snapshot.node(), serviceId, port);
        if (w == null || w.isEmpty()) {
            return -1;
        }
        WorkloadId id = w.get();
        int cached = known.indexOf(id);
        if (cached != WorkloadIdentities.ABSENT) {
            return cached;
        }
        Integer index = workloadIndex.get(id);
        if (index != null) {
            p.foundByEquality.put(id, index);
            return index;
        }
        // numbered when applied, in the batch's order: indices do not depend on which thread prepared what
        int k = p.newWorkloads.indexOf(id);
        if (k < 0) {
            k = p.newWorkloads.size();
            p.newWorkloads.add(id);
        }
        return PreparedSnapshot.NEW_WORKLOAD - k;
    }

    /** The workload's index, numbering it when new (the applying thread only). */
    private int workloadIndex(WorkloadId id) {
        Integer index = workloadIndex.get(id);
        if (index != null) {
            return index;
        }
        workloads.add(id);
        int i = workloads.size() - 1;
        workloadIndex.put(id, i);
        return i;
    }

    private long counter(OriginRecord r) {
        return Math.max(0, switch (config.metric()) {
            case CONNECTIONS -> r.connections();
            case PACKETS -> r.packets();
            case BYTES -> r.bytes();
        });
    }

    /** Whether the record's first packet came after a read at {@code readMonoNanos}, allowing for coarse-clock lag. */
    private static boolean firstSeenAfter(OriginRecord r, long readMonoNanos) {
        return r.firstSeenNanos() >= readMonoNanos - FIRST_SEEN_SLACK_NANOS;
    }

    private int otherSlot(int wl, int node, int tick) {
        int meta = AggregateTable.meta(node, 0, false);
        int slot = table.find(wl, meta, 0, 0);
        return slot >= 0 ? slot : table.insert(wl, meta, 0, 0, tick);
    }

    private static boolean isOther(AggregateTable t, int i) {
        return AggregateTable.prefixOf(t.nodeMeta(i)) == 0 && !AggregateTable.ipv6Of(t.nodeMeta(i));
    }

    /**
     * Times are int ticks (0.1 s) since the epoch: after ~3.4 years of running, move the epoch forward so they
     * never overflow.
     */
    private void rebaseIfNeeded(Instant t) {
        long ticks = Duration.between(epoch, t).toNanos() / NANOS_PER_TICK;
        if (ticks < (1L << 30)) {
            return;
        }
        int shift = 1 << 29;
        epoch = epoch.plusNanos(shift * NANOS_PER_TICK);
        for (int i = 0; i < table.capacity(); i++) {
            if (table.workload(i) >= 0) {
                table.setRate(i, table.rate(i), (int) Math.max(Integer.MIN_VALUE, (long) table.rateTick(i) - shift));
                table.setLastActiveTick(i, (int) Math.max(Integer.MIN_VALUE, (long) table.lastActiveTick(i) - shift));
                table.setLastSeenTick(i, (int) Math.max(Integer.MIN_VALUE, (long) table.lastSeenTick(i) - shift));
                if (trackActivity) {
                    table.setArrivalTick(i, (int) Math.max(Integer.MIN_VALUE, (long) table.arrivalTick(i) - shift));
                }
            }
        }
        for (NodeHistory s : nodeStates) {
            for (int i = 0; i < NodeHistory.RING; i++) {
                s.wallBySequence[i] -= shift * NANOS_PER_TICK;
            }
        }
        for (ClientAtNode k : candidates.keySet()) {
            int here = table.find(k.workload(), k.meta(), k.hi(), k.lo());
            if (here >= 0) {
                table.setCandidate(here, false);
            }
        }
        candidates.clear(); // their ticks are in the old time base; a handoff in progress just waits for new evidence
        LOG.debug("demand store time base moved forward to {}", epoch);
    }

    private int tick(Instant t) {
        long nanos = Duration.between(epoch, t).toNanos();
        return (int) Math.floorDiv(nanos + NANOS_PER_TICK / 2, NANOS_PER_TICK);
    }

    private double decayed(int slot, int toTick) {
        return decayedIn(table, slot, toTick);
    }

    private double decayedIn(AggregateTable t, int slot, int toTick) {
        int elapsed = toTick - t.rateTick(slot);
        double r = t.rate(slot);
        return elapsed <= 0 ? r : elapsed < DECAY_TABLE ? r * decayFactors[elapsed] : r * Math.exp(-lambdaPerTick * elapsed);
    }

    private static ClientAddress clientOf(AggregateTable t, int i) {
        int meta = t.nodeMeta(i);
        int prefix = AggregateTable.prefixOf(meta);
        byte[] bytes;
        if (AggregateTable.ipv6Of(meta)) {
            bytes = new byte[16];
            longToBytes(t.hi(i), bytes, 0);
            longToBytes(t.lo(i), bytes, 8);
        } else {
            long v = t.lo(i);
            bytes = new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
        }
        return ClientAddress.of(bytes).prefix(prefix);
    }

    private static long mask64(int bits) {
        return bits == 0 ? 0 : -1L << (64 - bits);
    }

    private static void longToBytes(long v, byte[] b, int off) {
        for (int i = 7; i >= 0; i--) {
            b[off + i] = (byte) v;
            v >>>= 8;
        }
    }
}
