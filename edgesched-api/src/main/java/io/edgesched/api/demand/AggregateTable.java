package io.edgesched.api.demand;

/**
 * Open-addressing table of client aggregates in parallel primitive arrays (44 bytes per slot, 56 with activity,
 * no object per client). Key: workload index, packed node/family/prefix, and the 128-bit (masked) client address.
 * Linear probing; no deletion: {@link DemandStore#maintain} rebuilds the table without dropped slots.
 */
final class AggregateTable {
    static final int MAX_NODES = 1 << 20;
    private static final double MAX_LOAD = 0.75;

    int[] workload;      // -1 = empty slot
    int[] nodeMeta;      // node | prefixLength << 20 | ipv6 << 28
    long[] hi;
    long[] lo;
    float[] rate;        // decayed rate as of rateTick
    int[] rateTick;      // deciseconds since the store's epoch
    float[] rtt;         // smoothed RTT in us, NaN unknown
    int[] lastActiveTick;  // tick of the last read that saw an increase
    int[] lastSeenTick;    // the kernel's time of the aggregate's latest packet, as a tick (rates span last packets)
    // Activity at this node, for reports across nodes (see ClientActivity): when the current visit began, reads
    // with an increase since the visit began, the rate of the latest increase.
    // Null unless the table tracks activity (an agent's store; a controller reading snapshots does not need it).
    int[] arrivalTick;
    int[] activeReads;
    float[] recentRate;
    private int size;
    final boolean activity;

    AggregateTable(int expected, boolean activity) {
        this.activity = activity;
        allocate(Math.max(16, (int) Math.ceil(expected / MAX_LOAD) + 1));
    }

    private void allocate(int capacity) {
        workload = new int[capacity];
        java.util.Arrays.fill(workload, -1);
        nodeMeta = new int[capacity];
        hi = new long[capacity];
        lo = new long[capacity];
        rate = new float[capacity];
        rateTick = new int[capacity];
        rtt = new float[capacity];
        lastActiveTick = new int[capacity];
        lastSeenTick = new int[capacity];
        if (activity) {
            arrivalTick = new int[capacity];
            activeReads = new int[capacity];
            recentRate = new float[capacity];
        }
        size = 0;
    }

    static int meta(int node, int prefixLength, boolean ipv6) {
        return node | prefixLength << 20 | (ipv6 ? 1 << 28 : 0);
    }

    static int nodeOf(int meta) {
        return meta & (MAX_NODES - 1);
    }

    static int prefixOf(int meta) {
        return (meta >>> 20) & 0xff;
    }

    static boolean ipv6Of(int meta) {
        return (meta >>> 28 & 1) != 0;
    }

    int size() {
        return size;
    }

    int capacity() {
        return workload.length;
    }

    long bytes() {
        return (activity ? 56L : 40L) * workload.length;
    }

    /**
     * Home slot. A client aggregate's slots at every entry node share one home (the node is left out of the hash),
     * so {@link #nextSameClient} finds them in one probe run; the "other clients" buckets (prefix 0) hash with
     * their node, or one workload's buckets on many nodes would form one long run.
     */
    private static int slot(int wl, int meta, long h, long l, int capacity) {
        int hashed = prefixOf(meta) == 0 ? meta : meta & ~(MAX_NODES - 1);
        long k = CounterBaselines.mix(h * 0x9E3779B97F4A7C15L + l) ^ CounterBaselines.mix(((long) wl << 32) | (hashed & 0xffffffffL));
        return (int) Math.unsignedMultiplyHigh(CounterBaselines.mix(k), capacity);
    }

    /** Mask of {@link #nodeMeta} without the node: family and prefix length. */
    static int clientMeta(int meta) {
        return meta & ~(MAX_NODES - 1);
    }

    /**
     * The next slot after {@code from} (or from the home slot when {@code from < 0}) holding the same client
     * aggregate of the same workload at another node, or -1 at the end of the probe run.
     */
    int nextSameClient(int wl, int meta, long h, long l, int from) {
        int cap = workload.length;
        int i = from < 0 ? slot(wl, meta, h, l, cap) : (from + 1 == cap ? 0 : from + 1);
        int cm = clientMeta(meta);
        for (int steps = 0; steps < cap; steps++) {
            int w = workload[i];
            if (w < 0) {
                return -1;
            }
            if (w == wl && clientMeta(nodeMeta[i]) == cm && nodeMeta[i] != meta && hi[i] == h && lo[i] == l) {
                return i;
            }
            i = i + 1 == cap ? 0 : i + 1;
        }
        return -1;
    }

    /** Slot index of the key, or -1. */
    int find(int wl, int meta, long h, long l) {
        int cap = workload.length;
        int i = slot(wl, meta, h, l, cap);
        while (true) {
            int w = workload[i];
            if (w < 0) {
                return -1;
            }
            if (w == wl && nodeMeta[i] == meta && hi[i] == h && lo[i] == l) {
                return i;
            }
            i = i + 1 == cap ? 0 : i + 1;
        }
    }

    /** Inserts a new zero-rate, unknown-RTT slot (the key must be absent) and returns its index. */
    int insert(int wl, int meta, long h, long l, int tick) {
        if (size + 1 > workload.length * MAX_LOAD) {
            grow();
        }
        int cap = workload.length;
        int i = slot(wl, meta, h, l, cap);
        while (workload[i] >= 0) {
            i = i + 1 == cap ? 0 : i + 1;
        }
        workload[i] = wl;
        nodeMeta[i] = meta;
        hi[i] = h;
        lo[i] = l;
        rate[i] = 0;
        rateTick[i] = tick;
        rtt[i] = Float.NaN;
        lastActiveTick[i] = tick;
        lastSeenTick[i] = tick;
        if (activity) {
            arrivalTick[i] = tick;
            activeReads[i] = 0;
            recentRate[i] = 0;
        }
        size++;
        return i;
    }

    /** Copies slot {@code from} of {@code other} into this table (key must be absent). */
    int copyFrom(AggregateTable other, int from) {
        int i = insert(other.workload[from], other.nodeMeta[from], other.hi[from], other.lo[from], other.rateTick[from]);
        rate[i] = other.rate[from];
        rtt[i] = other.rtt[from];
        lastActiveTick[i] = other.lastActiveTick[from];
        lastSeenTick[i] = other.lastSeenTick[from];
        if (activity && other.activity) {
            arrivalTick[i] = other.arrivalTick[from];
            activeReads[i] = other.activeReads[from];
            recentRate[i] = other.recentRate[from];
        }
        return i;
    }

    private void grow() {
        AggregateTable old = new AggregateTable(0, activity);
        old.workload = workload;
        old.nodeMeta = nodeMeta;
        old.hi = hi;
        old.lo = lo;
        old.rate = rate;
        old.rateTick = rateTick;
        old.rtt = rtt;
        old.lastActiveTick = lastActiveTick;
        old.arrivalTick = arrivalTick;
        old.lastSeenTick = lastSeenTick;
        old.activeReads = activeReads;
        old.recentRate = recentRate;
        allocate(workload.length + workload.length / 2 + 1);
        for (int i = 0; i < old.workload.length; i++) {
            if (old.workload[i] >= 0) {
                copyFrom(old, i);
            }
        }
    }
}
