package io.edgesched.api.demand;

/**
 * Open-addressing table of client aggregates, one slot of 6 longs (48 bytes; 8 longs with activity) per aggregate
 * in a single {@code long[]}, no object per client. Key: workload index, packed node/family/prefix, and the 128-bit
 * (masked) client address. Linear probing; no deletion: {@link DemandStore#maintain} rebuilds the table without
 * dropped slots.
 *
 * <p>Why one array: an ingest touches one aggregate per record at a random place in a table of millions; with a
 * field per array that cost a cache miss per field (~9 per record), with the fields side by side one or two.
 *
 * <p>Slot words: 0 = (workload + 1) << 32 | node meta (0 = empty), 1 = address high, 2 = address low,
 * 3 = rate (float bits) << 32 | rate tick, 4 = rtt (float bits) << 32 | last active tick,
 * 5 = last seen tick << 32 | flags; with activity 6 = arrival tick << 32 | active reads, 7 = recent rate.
 */
final class AggregateTable {
    static final int MAX_NODES = 1 << 20;
    private static final double MAX_LOAD = 0.75;
    private static final int FLAG_CANDIDATE = 1;
    private static final long LOW = 0xffffffffL;

    private long[] data;
    private final int stride;
    private int capacity;
    private int size;
    final boolean activity;

    AggregateTable(int expected, boolean activity) {
        this.activity = activity;
        this.stride = activity ? 8 : 6;
        allocate(Math.max(16, (int) Math.ceil(expected / MAX_LOAD) + 1));
    }

    private void allocate(int slots) {
        if ((long) slots * stride > Integer.MAX_VALUE - 16) {
            throw new IllegalStateException("client aggregate table cannot hold " + slots + " slots; lower maxAggregates");
        }
        data = new long[slots * stride];
        capacity = slots;
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
        return capacity;
    }

    long bytes() {
        return 8L * data.length;
    }

    // ---- fields of slot i ----

    boolean used(int i) {
        return data[i * stride] != 0;
    }

    /** The slot's workload index, or -1 when the slot is empty. */
    int workload(int i) {
        return (int) (data[i * stride] >>> 32) - 1;
    }

    int nodeMeta(int i) {
        return (int) data[i * stride];
    }

    long hi(int i) {
        return data[i * stride + 1];
    }

    long lo(int i) {
        return data[i * stride + 2];
    }

    /** Decayed rate as of {@link #rateTick}. */
    float rate(int i) {
        return Float.intBitsToFloat(high(i * stride + 3));
    }

    /** Deciseconds since the store's epoch. */
    int rateTick(int i) {
        return (int) data[i * stride + 3];
    }

    void setRate(int i, float rate, int tick) {
        data[i * stride + 3] = pack(Float.floatToRawIntBits(rate), tick);
    }

    /** Smoothed RTT in microseconds, NaN unknown. */
    float rtt(int i) {
        return Float.intBitsToFloat(high(i * stride + 4));
    }

    void setRtt(int i, float rtt) {
        setHigh(i * stride + 4, Float.floatToRawIntBits(rtt));
    }

    /** Tick of the last read that saw an increase. */
    int lastActiveTick(int i) {
        return (int) data[i * stride + 4];
    }

    void setLastActiveTick(int i, int tick) {
        setLow(i * stride + 4, tick);
    }

    /** The kernel's time of the aggregate's latest packet, as a tick (rates span last packets). */
    int lastSeenTick(int i) {
        return high(i * stride + 5);
    }

    void setLastSeenTick(int i, int tick) {
        setHigh(i * stride + 5, tick);
    }

    /** Whether a handoff candidate is open for this aggregate at this node (saves a map look-up per record). */
    boolean candidate(int i) {
        return (data[i * stride + 5] & FLAG_CANDIDATE) != 0;
    }

    void setCandidate(int i, boolean on) {
        int w = i * stride + 5;
        data[w] = on ? data[w] | FLAG_CANDIDATE : data[w] & ~(long) FLAG_CANDIDATE;
    }

    // Activity at this node, for reports across nodes (see ClientActivity): when the current visit began, reads
    // with an increase since the visit began, the rate of the latest increase. Only with activity.

    int arrivalTick(int i) {
        return high(i * stride + 6);
    }

    void setArrivalTick(int i, int tick) {
        setHigh(i * stride + 6, tick);
    }

    int activeReads(int i) {
        return (int) data[i * stride + 6];
    }

    void setActiveReads(int i, int reads) {
        setLow(i * stride + 6, reads);
    }

    float recentRate(int i) {
        return Float.intBitsToFloat((int) data[i * stride + 7]);
    }

    void setRecentRate(int i, float rate) {
        data[i * stride + 7] = Float.floatToRawIntBits(rate) & LOW;
    }

    private int high(int word) {
        return (int) (data[word] >>> 32);
    }

    private void setHigh(int word, int value) {
        data[word] = (long) value << 32 | (data[word] & LOW);
    }

    private void setLow(int word, int value) {
        data[word] = (data[word] & ~LOW) | (value & LOW);
    }

    private static long pack(int high, int low) {
        return (long) high << 32 | (low & LOW);
    }

    private static long keyWord(int wl, int meta) {
        return (long) (wl + 1) << 32 | (meta & LOW);
    }

    // ---- look-up ----

    /**
     * Home slot. A client aggregate's slots at every entry node share one home (the node is left out of the hash),
     * so {@link #nextSameClient} finds them in one probe run; the "other clients" buckets (prefix 0) hash with
     * their node, or one workload's buckets on many nodes would form one long run.
     */
    private static int slot(int wl, int meta, long h, long l, int capacity) {
        int hashed = prefixOf(meta) == 0 ? meta : meta & ~(MAX_NODES - 1);
        long k = CounterBaselines.mix(h * 0x9E3779B97F4A7C15L + l) ^ CounterBaselines.mix(((long) wl << 32) | (hashed & LOW));
        return (int) Math.unsignedMultiplyHigh(CounterBaselines.mix(k), capacity);
    }

    /** Mask of the node meta without the node: family and prefix length. */
    static int clientMeta(int meta) {
        return meta & ~(MAX_NODES - 1);
    }

    /**
     * The next slot after {@code from} (or from the home slot when {@code from < 0}) holding the same client
     * aggregate of the same workload at another node, or -1 at the end of the probe run.
     */
    int nextSameClient(int wl, int meta, long h, long l, int from) {
        int cap = capacity;
        int i = from < 0 ? slot(wl, meta, h, l, cap) : (from + 1 == cap ? 0 : from + 1);
        int cm = clientMeta(meta);
        long wlWord = (long) (wl + 1) << 32;
        for (int steps = 0; steps < cap; steps++) {
            int b = i * stride;
            long k = data[b];
            if (k == 0) {
                return -1;
            }
            int m = (int) k;
            if ((k & ~LOW) == wlWord && clientMeta(m) == cm && m != meta && data[b + 1] == h && data[b + 2] == l) {
                return i;
            }
            i = i + 1 == cap ? 0 : i + 1;
        }
        return -1;
    }

    /** Slot index of the key, or -1. */
    int find(int wl, int meta, long h, long l) {
        int cap = capacity;
        int i = slot(wl, meta, h, l, cap);
        long key = keyWord(wl, meta);
        while (true) {
            int b = i * stride;
            long k = data[b];
            if (k == 0) {
                return -1;
            }
            if (k == key && data[b + 1] == h && data[b + 2] == l) {
                return i;
            }
            i = i + 1 == cap ? 0 : i + 1;
        }
    }

    /** Inserts a new zero-rate, unknown-RTT slot (the key must be absent) and returns its index. */
    int insert(int wl, int meta, long h, long l, int tick) {
        if (size + 1 > capacity * MAX_LOAD) {
            grow();
        }
        int cap = capacity;
        int i = slot(wl, meta, h, l, cap);
        while (data[i * stride] != 0) {
            i = i + 1 == cap ? 0 : i + 1;
        }
        int b = i * stride;
        data[b] = keyWord(wl, meta);
        data[b + 1] = h;
        data[b + 2] = l;
        data[b + 3] = pack(0, tick);
        data[b + 4] = pack(Float.floatToRawIntBits(Float.NaN), tick);
        data[b + 5] = pack(tick, 0);
        if (activity) {
            data[b + 6] = pack(tick, 0);
            data[b + 7] = 0;
        }
        size++;
        return i;
    }

    /** Copies slot {@code from} of {@code other} into this table (key must be absent); a candidate flag is kept. */
    int copyFrom(AggregateTable other, int from) {
        int ob = from * other.stride;
        long[] od = other.data;
        int i = insert((int) (od[ob] >>> 32) - 1, (int) od[ob], od[ob + 1], od[ob + 2], (int) od[ob + 3]);
        int b = i * stride;
        data[b + 3] = od[ob + 3];
        data[b + 4] = od[ob + 4];
        data[b + 5] = od[ob + 5];
        if (activity && other.activity) {
            data[b + 6] = od[ob + 6];
            data[b + 7] = od[ob + 7];
        }
        return i;
    }

    /**
     * Empties slot {@code i}, moving later slots of its probe run back (backward-shift deletion), so every key stays
     * reachable from its home and a client's slots at all nodes stay in one run. Slots after {@code i} may move.
     */
    void remove(int i) {
        int cap = capacity;
        int hole = i;
        int j = i;
        while (true) {
            j = j + 1 == cap ? 0 : j + 1;
            int b = j * stride;
            long k = data[b];
            if (k == 0) {
                break;
            }
            int home = slot((int) (k >>> 32) - 1, (int) k, data[b + 1], data[b + 2], cap);
            boolean reachable = hole <= j ? hole < home && home <= j : hole < home || home <= j;
            if (!reachable) { // its home is at or before the hole: the hole would cut it off
                System.arraycopy(data, b, data, hole * stride, stride);
                hole = j;
            }
        }
        java.util.Arrays.fill(data, hole * stride, hole * stride + stride, 0);
        size--;
    }

    /** Grows now when more than {@code load} of the slots are used (inserts grow at 75 %); whether it grew. */
    boolean growIfFuller(double load) {
        if (size <= capacity * load) {
            return false;
        }
        grow();
        return true;
    }

    private void grow() {
        AggregateTable old = new AggregateTable(0, activity);
        old.data = data;
        old.capacity = capacity;
        allocate(capacity + capacity / 2 + 1);
        for (int i = 0; i < old.capacity; i++) {
            if (old.used(i)) {
                copyFrom(old, i);
            }
        }
    }
}
