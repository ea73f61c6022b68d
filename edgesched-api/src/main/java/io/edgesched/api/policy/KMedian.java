package io.edgesched.api.policy;

import java.util.Arrays;

/**
 * Chooses m distinct nodes minimising sum over entries e of w[e] * min over chosen c of lat(e, c)
 * (weighted k-median over the workload's entry nodes): the instance, its bounds and shortlists, and the choice of
 * solver. Exact by enumeration ({@link KMedianExact}) when the number of combinations is small, else greedy
 * construction plus best-improvement swaps ({@link KMedianSwap}). The instance copies the rows it needs into
 * a contiguous entries x candidates matrix so every hot loop runs over consecutive doubles. Deterministic:
 * ties go to the lowest candidate position (candidates are in node order).
 */
final class KMedian {
    private KMedian() {
    }

    /**
     * The problem. {@code sub[rowBase[e] + p]} is the latency from entry e to candidate p; {@code cands[p]} is the
     * candidate's node index in the topology.
     */
    static final class Instance {
        final float[] sub;
        final int[] rowBase;
        final int[] entryPos;  // candidate position of each entry's own node, -1 when it is not a candidate
        final int nc;
        final double[] w;
        final int[] cands;
        final int[] domainOf;
        final int maxPerDomain;

        Instance(float[] sub, int[] rowBase, int[] entryPos, double[] w, int[] cands, int[] domainOf, int maxPerDomain) {
            this.sub = sub;
            this.rowBase = rowBase;
            this.entryPos = entryPos;
            this.nc = cands.length;
            this.w = w;
            this.cands = cands;
            this.domainOf = domainOf;
            this.maxPerDomain = maxPerDomain;
        }

        /**
         * Rows {@code rows} of the dense n x n matrix, restricted to {@code cands}: the matrix itself when every
         * node is a candidate, else a copy into a per-thread buffer.
         */
        static Instance of(double[] lat, int n, int[] rows, double[] w, int[] cands, int[] domainOf, int maxPerDomain) {
            return of(NodeGeometry.toFloats(lat), n, rows, w, cands, domainOf, maxPerDomain);
        }

        /** The same over a float matrix (what the policy keeps: {@link NodeGeometry#lat}). */
        static Instance of(float[] lat, int n, int[] rows, double[] w, int[] cands, int[] domainOf, int maxPerDomain) {
            int nc = cands.length;
            int[] rowBase = new int[rows.length];
            int[] entryPos = new int[rows.length];
            for (int e = 0; e < rows.length; e++) {
                entryPos[e] = Math.max(-1, Arrays.binarySearch(cands, rows[e])); // cands are sorted
            }
            if (nc == n) {
                for (int e = 0; e < rows.length; e++) {
                    rowBase[e] = rows[e] * n;
                }
                return new Instance(lat, rowBase, entryPos, w, cands, domainOf, maxPerDomain);
            }
            float[] sub = scratch(rows.length * nc);
            for (int e = 0; e < rows.length; e++) {
                int base = rows[e] * n;
                rowBase[e] = e * nc;
                for (int p = 0; p < nc; p++) {
                    sub[e * nc + p] = lat[base + cands[p]];
                }
            }
            return new Instance(sub, rowBase, entryPos, w, cands, domainOf, maxPerDomain);
        }

        int entries() {
            return w.length;
        }

        double at(int entry, int candPos) {
            return sub[rowBase[entry] + candPos];
        }
    }

    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * A per-thread buffer for instance matrices: instances live only within one solve, and allocating a fresh
     * entries x candidates matrix per workload (up to a megabyte) would churn the heap at 10k workloads.
     */
    private static float[] scratch(int size) {
        float[] buffer = SCRATCH.get();
        if (buffer.length < size) {
            buffer = new float[Math.max(size, buffer.length + buffer.length / 2)];
            SCRATCH.set(buffer);
        }
        return buffer;
    }

    /** Chosen candidate positions (into {@code cands}), sorted, and whether the result is proven optimal. */
    record Result(int[] chosen, double cost, boolean exact) {
    }

    /** Number of distinct nodes that can be chosen at most, given the domain limit. */
    static int maxDistinct(Instance in, int k) {
        return maxDistinct(in.domainOf, in.maxPerDomain, k);
    }

    /** The same for candidates with domains {@code domainOf} (-1: none) and at most {@code maxPerDomain} per domain. */
    static int maxDistinct(int[] domainOf, int maxPerDomain, int k) {
        if (maxPerDomain >= k) {
            return Math.min(k, domainOf.length);
        }
        int[] perDomain = domainCounts(domainOf);
        long total = 0;
        for (int d : domainOf) {
            if (d < 0) {
                total++;
            }
        }
        for (int c : perDomain) {
            total += Math.min(c, maxPerDomain);
        }
        return (int) Math.min(k, total);
    }

    static int[] domainCounts(Instance in) {
        return domainCounts(in.domainOf);
    }

    private static int[] domainCounts(int[] domainOf) {
        int max = -1;
        for (int d : domainOf) {
            max = Math.max(max, d);
        }
        int[] counts = new int[max + 1];
        for (int d : domainOf) {
            if (d >= 0) {
                counts[d]++;
            }
        }
        return counts;
    }

    // ---- candidate shortlist for large instances ----

    /**
     * The nodes a large instance searches, as sorted node indices taken from {@code usable}: every entry node, the
     * topology's hubs (nodes spread over the whole matrix, so a central node serving far-apart entries is not
     * missed), the {@code perEntry} nearest nodes of the busiest entries until about {@code 2 * perEntry} nodes
     * were added that way (or that many entries expanded), and {@code extra} (the current nodes). The work per workload is then entries x a
     * bounded number of candidates, whatever the number of nodes.
     *
     * @param expanded out: set to true for each entry whose {@code perEntry} nearest were added
     */
    static int[] nearCandidates(NodeGeometry g, int[] rows, double[] w, int perEntry, int[] usable, int[] extra,
                                boolean[] expanded) {
        int k = Math.min(perEntry, g.near);
        int budget = 2 * k;
        // the marked nodes as a list (a few hundred at most), so nothing here walks all n nodes
        boolean[] mark = MARKS.get();
        if (mark.length < g.n) {
            mark = new boolean[g.n];
            MARKS.set(mark);
        }
        int[] marked = new int[rows.length + g.hubs.length + extra.length + budget + k];
        int count = 0;
        try {
            for (int r : rows) {
                count = mark(mark, r, marked, count);
            }
            for (int h : g.hubs) {
                count = mark(mark, h, marked, count);
            }
            for (int x : extra) {
                if (x >= 0) {
                    count = mark(mark, x, marked, count);
                }
            }
            int added = 0;
            // busiest entry first (ties: lowest position); a few entries usually fill the budget, so pick, not sort;
            // at most `budget` entries, so entries that are all each other's neighbours cannot make this quadratic
            for (int picks = 0; picks < budget && added < budget; picks++) {
                int e = -1;
                for (int i = 0; i < rows.length; i++) {
                    if (!expanded[i] && (e < 0 || w[i] > w[e])) {
                        e = i;
                    }
                }
                if (e < 0) {
                    break;
                }
                int base = rows[e] * g.near;
                for (int j = 0; j < k; j++) {
                    int before = count;
                    count = mark(mark, g.neighbours[base + j], marked, count);
                    added += count - before;
                }
                expanded[e] = true;
            }
        } finally {
            for (int i = 0; i < count; i++) {
                mark[marked[i]] = false; // the thread's marks are clear again for its next workload
            }
        }
        Arrays.sort(marked, 0, count);
        if (usable.length == g.n) { // every node is usable (usable is sorted and distinct)
            return Arrays.copyOf(marked, count);
        }
        int kept = 0;
        for (int i = 0; i < count; i++) {
            if (Arrays.binarySearch(usable, marked[i]) >= 0) {
                marked[kept++] = marked[i];
            }
        }
        return Arrays.copyOf(marked, kept);
    }

    private static final ThreadLocal<boolean[]> MARKS = ThreadLocal.withInitial(() -> new boolean[0]);

    private static int mark(boolean[] mark, int node, int[] marked, int count) {
        if (!mark[node]) {
            mark[node] = true;
            marked[count++] = node;
        }
        return count;
    }

    /**
     * A lower bound on the single-node cost of every node NOT returned by {@link #nearCandidates}: such a node is
     * outside each expanded entry's {@code perEntry} nearest, so at least as far as the last of them (0 for an
     * entry that was not expanded).
     */
    static double outsideLowerBound(NodeGeometry g, int[] rows, double[] w, int perEntry, boolean[] expanded) {
        int k = Math.min(perEntry, g.near);
        double sum = 0;
        for (int e = 0; e < rows.length; e++) {
            if (expanded[e] && k > 0) {
                sum += w[e] * g.radius(rows[e], k - 1);
            }
        }
        return sum;
    }

    static double combinations(int n, int m) {
        double c = 1;
        for (int i = 0; i < m; i++) {
            c = c * (n - i) / (i + 1);
        }
        return c;
    }

    /**
     * @param single      {@link #singleCosts} of the instance (reused, not recomputed)
     * @param swapShortlist how many candidates (cheapest alone first) local search may swap in; entry nodes always
     */
    static Result solve(Instance in, double[] single, int m, int exactLimit, int swapRounds, int swapShortlist) {
        if (m <= 0 || in.nc == 0) {
            return null;
        }
        if (m == 1 && in.maxPerDomain >= 1) {
            int best = 0;
            for (int p = 1; p < in.nc; p++) {
                if (single[p] < single[best]) {
                    best = p;
                }
            }
            return new Result(new int[] {best}, single[best], true);
        }
        if (combinations(in.nc, m) <= exactLimit) {
            return KMedianExact.exact(in, m);
        }
        int[] pool = shortlist(in, single, swapShortlist);
        Result fromGreedy = KMedianSwap.heuristic(in, single, m, swapRounds, pool, new int[0], null);
        Result fromTraffic = KMedianSwap.heuristic(in, single, m, swapRounds, pool, busiestEntries(in, m),
                fromGreedy == null ? null : fromGreedy.chosen());
        if (fromGreedy == null) {
            return fromTraffic;
        }
        return fromTraffic != null && fromTraffic.cost() < fromGreedy.cost() - 1e-9 * Math.max(1, fromGreedy.cost())
                ? fromTraffic : fromGreedy;
    }

    /**
     * A second, different start for local search: the candidates that are the m busiest entry nodes themselves
     * (the follow-the-traffic placement), within domain limits; fewer when fewer entries are candidates.
     */
    static int[] busiestEntries(Instance in, int m) {
        int entries = in.entries();
        int[] picked = new int[m];
        int count = 0;
        int[] domainUse = new int[domainCounts(in).length];
        boolean[] used = new boolean[in.nc];
        // pick the busiest remaining entry each time (ties: lowest position), the order a sort would give; a
        // workload needs m <= a few picks, so this saves sorting boxed indices for every workload
        boolean[] considered = new boolean[entries];
        int picks = 0;
        while (count < m && picks < SELECT_BUSIEST_MAX) {
            int e = -1;
            for (int i = 0; i < entries; i++) {
                if (!considered[i] && (e < 0 || in.w[i] > in.w[e])) {
                    e = i;
                }
            }
            if (e < 0) {
                return Arrays.copyOf(picked, count);
            }
            considered[e] = true;
            picks++;
            count = pickEntry(in, e, picked, count, used, domainUse);
        }
        // many busy entries were unusable (not candidates, domain limits): sort the rest rather than pick quadratically
        if (count < m) {
            Integer[] order = new Integer[entries - picks];
            int k = 0;
            for (int e = 0; e < entries; e++) {
                if (!considered[e]) {
                    order[k++] = e;
                }
            }
            Arrays.sort(order, (a, b) -> {
                int c = Double.compare(in.w[b], in.w[a]);
                return c != 0 ? c : Integer.compare(a, b);
            });
            for (int e : order) {
                if (count == m) {
                    break;
                }
                count = pickEntry(in, e, picked, count, used, domainUse);
            }
        }
        return Arrays.copyOf(picked, count);
    }

    /** Picks {@link #busiestEntries} makes by selection before it sorts what is left. */
    private static final int SELECT_BUSIEST_MAX = 64;

    /** Takes entry e's own node when it is a candidate, unused and within its domain's limit; the new count. */
    private static int pickEntry(Instance in, int e, int[] picked, int count, boolean[] used, int[] domainUse) {
        int p = in.entryPos[e];
        if (p >= 0 && !used[p] && domainAllows(in, domainUse, p, -1)) {
            used[p] = true;
            picked[count++] = p;
            if (in.domainOf[p] >= 0) {
                domainUse[in.domainOf[p]]++;
            }
        }
        return count;
    }

    /** Cost of every candidate as the only chosen node, indexed by candidate position. */
    static double[] singleCosts(Instance in) {
        int nc = in.nc;
        double[] cost = new double[nc];
        float[] sub = in.sub;
        for (int e = 0; e < in.entries(); e++) {
            int base = in.rowBase[e];
            double w = in.w[e];
            for (int p = 0; p < nc; p++) {
                cost[p] += w * sub[base + p];
            }
        }
        return cost;
    }

    /**
     * Candidate positions greedy steps after the first and local search consider: the cheapest ones alone
     * (ties at the cut included), plus every entry node that is a candidate.
     */
    static int[] shortlist(Instance in, double[] single, int size) {
        int nc = in.nc;
        if (size >= nc) {
            int[] all = new int[nc];
            for (int p = 0; p < nc; p++) {
                all[p] = p;
            }
            return all;
        }
        double[] sorted = single.clone();
        Arrays.sort(sorted);
        double cut = sorted[size - 1];
        boolean[] allowed = new boolean[nc];
        for (int p = 0; p < nc; p++) {
            allowed[p] = single[p] <= cut;
        }
        for (int pos : in.entryPos) {
            if (pos >= 0) {
                allowed[pos] = true;
            }
        }
        int count = 0;
        for (boolean a : allowed) {
            if (a) {
                count++;
            }
        }
        int[] out = new int[count];
        int i = 0;
        for (int p = 0; p < nc; p++) {
            if (allowed[p]) {
                out[i++] = p;
            }
        }
        return out;
    }

    /** Whether adding candidate p (after removing candidate position {@code leaving}, or -1) respects the domain limit. */
    static boolean domainAllows(Instance in, int[] domainUse, int p, int leaving) {
        int d = in.domainOf[p];
        if (d < 0) {
            return true;
        }
        int use = domainUse[d];
        if (leaving >= 0 && in.domainOf[leaving] == d) {
            use--;
        }
        return use < in.maxPerDomain;
    }
}
