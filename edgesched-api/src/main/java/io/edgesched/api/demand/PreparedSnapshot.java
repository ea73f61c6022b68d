package io.edgesched.api.demand;

import io.edgesched.api.OriginSnapshot;
import io.edgesched.api.WorkloadId;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * One snapshot after its node-local work (workload resolution, counter baselines, increases, prefixes): what is
 * left to add to the aggregate table, one entry per record. {@link DemandStore#ingestAll} prepares the snapshots of
 * different nodes in parallel and adds them to the table in order on one thread. Pooled: its arrays and its
 * service-resolution cache are reused by later batches.
 */
final class PreparedSnapshot {
    /** {@link #workload} of a record whose workload the store has not numbered yet: {@code NEW_WORKLOAD - k}. */
    static final int NEW_WORKLOAD = -2;

    // the snapshot
    OriginSnapshot snapshot;
    int node;
    int tick;
    int previousReadTick;
    double nodeSeconds;
    double nodeAlpha;

    // the node's history while it is prepared
    NodeHistory history;
    CounterBaselines baselines;
    long[] baselineScratch = new long[0]; // kept for the next batch: where a node's table is tidied
    int baselineFloor;
    double staleSeconds;
    int sequence;
    int previousSequence;
    long nowMono;
    long nowWall;
    long previousMono;
    boolean sameBoot;

    // counters, added to the store's when applied
    long records;
    long forwarded;
    long unresolved;
    long counterResets;
    long baselineOnly;
    long generationChanges;

    // per record that reaches the table
    int size;
    int[] workload = new int[0];      // index, or NEW_WORKLOAD - k for newWorkloads.get(k)
    int[] meta = new int[0];
    long[] hi = new long[0];
    long[] lo = new long[0];
    long[] delta = new long[0];
    double[] seconds = new double[0];
    int[] seen = new int[0];          // the kernel's last packet as a tick (the read's tick without an increase)
    int[] began = new int[0];         // when a visit that starts here began (activity)
    float[] rtt = new float[0];       // NaN: the record carries no RTT

    final List<WorkloadId> newWorkloads = new ArrayList<>();
    /** Workload objects this snapshot found by equality, and their indices: for the store's identity table. */
    final Map<WorkloadId, Integer> foundByEquality = new IdentityHashMap<>();
    int[] newWorkloadIndex = new int[0];

    /** (service id, port) -> workload (index or new-workload marker) in this snapshot. */
    final ServiceWorkloads services = new ServiceWorkloads();

    volatile boolean ready;
    Throwable failure;

    void reset(OriginSnapshot s, int nodeIndex, int expectedRecords) {
        snapshot = s;
        node = nodeIndex;
        records = forwarded = unresolved = counterResets = baselineOnly = generationChanges = 0;
        size = 0;
        newWorkloads.clear();
        foundByEquality.clear();
        failure = null;
        if (workload.length < expectedRecords) {
            int n = Math.max(expectedRecords, workload.length + workload.length / 2);
            workload = Arrays.copyOf(workload, n);
            meta = Arrays.copyOf(meta, n);
            hi = Arrays.copyOf(hi, n);
            lo = Arrays.copyOf(lo, n);
            delta = Arrays.copyOf(delta, n);
            seconds = Arrays.copyOf(seconds, n);
            seen = Arrays.copyOf(seen, n);
            began = Arrays.copyOf(began, n);
            rtt = Arrays.copyOf(rtt, n);
        }
    }

    void add(int wl, int m, long h, long l, long d, double s, int seenTick, int beganTick, float rttMicros) {
        int i = size++;
        workload[i] = wl;
        meta[i] = m;
        hi[i] = h;
        lo[i] = l;
        delta[i] = d;
        seconds[i] = s;
        seen[i] = seenTick;
        began[i] = beganTick;
        rtt[i] = rttMicros;
    }

    /** Bytes of the per-record arrays kept for the next batch. */
    long bytes() {
        return 52L * workload.length + 8L * baselineScratch.length;
    }

    /** Drops the snapshot reference (the records it holds) once applied; the arrays stay for the next batch. */
    void release() {
        snapshot = null;
        history = null;
        baselines = null;
        ready = false;
    }
}
