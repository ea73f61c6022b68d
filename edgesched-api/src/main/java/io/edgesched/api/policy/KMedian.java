package io.edgesched.api.policy;

import java.util.Arrays;

/**
 * Chooses m distinct nodes minimising sum over entries e of w[e] * min over chosen c of lat(e, c)
 * (weighted k-median over the workload's entry nodes). Exact by enumeration when the number of combinations
 * is small, else greedy construction plus best-improvement swaps. The instance copies the rows it needs into
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
        final double[] sub;
        final int[] rowBase;
        final int[] entryPos;  // candidate position of each entry's own node, -1 when it is not a candidate
        final int nc;
        final double[] w;
        final int[] cands;
        final int[] domainOf;
        final int maxPerDomain;

        Instance(double[] sub, int[] rowBase, int[] entryPos, double[] w, int[] cands, int[] domainOf, int maxPerDomain) {
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
            double[] sub = scratch(rows.length * nc);
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

    private static final ThreadLocal<double[]> SCRATCH = ThreadLocal.withInitial(() -> new double[0]);

    /**
     * A per-thread buffer for instance matrices: instances live only within one solve, and allocating a fresh
     * entries x candidates matrix per workload (up to a megabyte) would churn the heap at 10k workloads.
     */
    private static double[] scratch(int size) {
        double[] buffer = SCRATCH.get();
        if (buffer.length < size) {
            buffer = new double[Math.max(size, buffer.length + buffer.length / 2)];
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

    private static int[] domainCounts(Instance in) {
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
        boolean[] mark = new boolean[g.n];
        for (int r : rows) {
            mark[r] = true;
        }
        for (int h : g.hubs) {
            mark[h] = true;
        }
        for (int x : extra) {
            if (x >= 0) {
                mark[x] = true;
            }
        }
        int budget = 2 * k;
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
                int v = g.neighbours[base + j];
                if (!mark[v]) {
                    mark[v] = true;
                    added++;
                }
            }
            expanded[e] = true;
        }
        int count = 0;
        for (int u : usable) {
            if (mark[u]) {
                count++;
            }
        }
        int[] out = new int[count];
        int i = 0;
        for (int u : usable) {
            if (mark[u]) {
                out[i++] = u;
            }
        }
        return out;
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
            return exact(in, m);
        }
        int[] pool = shortlist(in, single, swapShortlist);
        Result fromGreedy = heuristic(in, single, m, swapRounds, pool, new int[0], null);
        Result fromTraffic = heuristic(in, single, m, swapRounds, pool, busiestEntries(in, m),
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
        Integer[] order = new Integer[in.entries()];
        for (int e = 0; e < order.length; e++) {
            order[e] = e;
        }
        Arrays.sort(order, (a, b) -> {
            int c = Double.compare(in.w[b], in.w[a]);
            return c != 0 ? c : Integer.compare(a, b);
        });
        int[] picked = new int[m];
        int count = 0;
        int[] domainUse = new int[domainCounts(in).length];
        boolean[] used = new boolean[in.nc];
        for (int e : order) {
            if (count == m) {
                break;
            }
            int p = in.entryPos[e];
            if (p >= 0 && !used[p] && domainAllows(in, domainUse, p, -1)) {
                used[p] = true;
                picked[count++] = p;
                if (in.domainOf[p] >= 0) {
                    domainUse[in.domainOf[p]]++;
                }
            }
        }
        return Arrays.copyOf(picked, count);
    }

    /** Cost of every candidate as the only chosen node, indexed by candidate position. */
    static double[] singleCosts(Instance in) {
        int nc = in.nc;
        double[] cost = new double[nc];
        double[] sub = in.sub;
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

    // ---- exact ----

    static Result exact(Instance in, int m) {
        Enumeration en = new Enumeration(in, m);
        en.run(0, 0);
        return en.bestChosen == null ? null : new Result(en.bestChosen, en.bestCost, true);
    }

    private static final class Enumeration {
        final Instance in;
        final int m;
        final int entries;
        final double[] byCandidate; // candidate-major copy: byCandidate[p * entries + e]
        final int[] current;
        final double[][] minAt;     // minAt[depth][e]: min latency over the first depth chosen nodes
        final int[] domainUse;
        int[] bestChosen;
        double bestCost = Double.POSITIVE_INFINITY;

        Enumeration(Instance in, int m) {
            this.in = in;
            this.m = m;
            this.entries = in.entries();
            this.byCandidate = new double[in.nc * entries];
            for (int e = 0; e < entries; e++) {
                for (int p = 0; p < in.nc; p++) {
                    byCandidate[p * entries + e] = in.at(e, p);
                }
            }
            this.current = new int[m];
            this.minAt = new double[m + 1][entries];
            Arrays.fill(minAt[0], Double.POSITIVE_INFINITY);
            this.domainUse = new int[domainCounts(in).length];
        }

        void run(int depth, int from) {
            if (depth == m) {
                double sum = 0;
                double[] mins = minAt[m];
                for (int e = 0; e < entries; e++) {
                    sum += in.w[e] * mins[e];
                }
                if (sum < bestCost) {
                    bestCost = sum;
                    bestChosen = current.clone();
                }
                return;
            }
            for (int p = from; p <= in.nc - (m - depth); p++) {
                int d = in.domainOf[p];
                if (d >= 0 && domainUse[d] >= in.maxPerDomain) {
                    continue;
                }
                double[] prev = minAt[depth];
                double[] next = minAt[depth + 1];
                int base = p * entries;
                for (int e = 0; e < entries; e++) {
                    next[e] = Math.min(prev[e], byCandidate[base + e]);
                }
                current[depth] = p;
                if (d >= 0) {
                    domainUse[d]++;
                }
                run(depth + 1, p + 1);
                if (d >= 0) {
                    domainUse[d]--;
                }
            }
        }
    }

    // ---- heuristic: greedy add, then best-improvement swaps ----

    /**
     * Starts from {@code seed} (distinct, domain-feasible candidate positions), adds greedily over {@code pool}
     * (a first pick over all candidates), then improves by best-improvement swaps within {@code pool}.
     * Swaps are evaluated with each entry's nearest and second-nearest chosen node (the classic fast interchange):
     * one entries x pool pass prices every (slot out, candidate in) pair at once.
     */
    static Result heuristic(Instance in, double[] single, int m, int swapRounds, int[] pool, int[] seed) {
        return heuristic(in, single, m, swapRounds, pool, seed, null);
    }

    /**
     * @param localOptimum a set (sorted) another start already ended in, or null: reaching it ends the search at
     *                     once (it is a local optimum, so the remaining passes could only confirm it)
     */
    static Result heuristic(Instance in, double[] single, int m, int swapRounds, int[] pool, int[] seed,
                            int[] localOptimum) {
        int nc = in.nc;
        int entries = in.entries();
        int size = pool.length;
        double[] lat;
        int[] base;
        if (size == nc) { // pool is every candidate in order: use the instance's rows as they are
            lat = in.sub;
            base = in.rowBase;
        } else { // the pool's columns, copied contiguously: the loops below then run over consecutive doubles
            lat = new double[entries * size];
            base = new int[entries];
            for (int e = 0; e < entries; e++) {
                int from = in.rowBase[e];
                int to = e * size;
                base[e] = to;
                for (int q = 0; q < size; q++) {
                    lat[to + q] = in.sub[from + pool[q]];
                }
            }
        }
        double[] w = in.w;
        int[] domainUse = new int[domainCounts(in).length];
        boolean[] inSet = new boolean[nc];
        int[] chosen = new int[m];
        double[] best = new double[entries];
        Arrays.fill(best, Double.POSITIVE_INFINITY);
        double[] score = new double[size];
        for (int step = 0; step < m; step++) {
            int pick = -1;
            if (step < seed.length) {
                pick = seed[step];
            } else if (step == 0) {
                for (int p = 0; p < nc; p++) {
                    if (domainAllows(in, domainUse, p, -1) && (pick < 0 || single[p] < single[pick])) {
                        pick = p;
                    }
                }
            } else {
                // score[q]: change of the cost when q is added (only entries closer to q than to the set gain)
                Arrays.fill(score, 0);
                for (int e = 0; e < entries; e++) {
                    int rb = base[e];
                    double we = w[e];
                    double b = best[e];
                    for (int q = 0; q < size; q++) {
                        double l = lat[rb + q];
                        score[q] += we * (Math.min(l, b) - b);
                    }
                }
                int pickQ = -1;
                for (int q = 0; q < size; q++) {
                    int p = pool[q];
                    if (!inSet[p] && domainAllows(in, domainUse, p, -1) && (pickQ < 0 || score[q] < score[pickQ])) {
                        pickQ = q;
                    }
                }
                if (pickQ < 0) { // the pool is exhausted under the domain limits: fall back to every candidate
                    for (int p = 0; p < nc; p++) {
                        if (!inSet[p] && domainAllows(in, domainUse, p, -1)) {
                            pick = p;
                            break;
                        }
                    }
                } else {
                    pick = pool[pickQ];
                }
            }
            if (pick < 0) {
                return null;
            }
            inSet[pick] = true;
            chosen[step] = pick;
            int d = in.domainOf[pick];
            if (d >= 0) {
                domainUse[d]++;
            }
            for (int e = 0; e < entries; e++) {
                best[e] = Math.min(best[e], in.at(e, pick));
            }
        }
        double[] near = new double[entries];     // latency to the nearest chosen node
        double[] second = new double[entries];   // ... and to the second nearest (+inf when m = 1)
        int[] nearSlot = new int[entries];
        double current = nearest(in, chosen, near, second, nearSlot);
        // Cost after swapping slot s out and pool[q] in = total[q] + extra[s * size + q]: total = every entry at
        // min(its nearest, q); extra = what s's entries pay more when their nearest is gone (second-nearest or q).
        // One entries x pool pass prices every pair.
        double[] total = new double[size];
        double[] extra = new double[m * size];
        for (int round = 0; round < swapRounds; round++) {
            if (localOptimum != null && sameSet(chosen, localOptimum)) {
                break;
            }
            Arrays.fill(total, 0);
            Arrays.fill(extra, 0);
            for (int e = 0; e < entries; e++) {
                int rb = base[e];
                double we = w[e];
                double a = near[e];
                double b = second[e];
                int off = nearSlot[e] * size;
                for (int q = 0; q < size; q++) {
                    double l = lat[rb + q];
                    double kept = Math.min(l, a); // Math.min is branch-free; these comparisons are unpredictable
                    double fallback = Math.min(l, b);
                    total[q] += we * kept;
                    extra[off + q] += we * (fallback - kept);
                }
            }
            double bestSwap = current;
            int bestOut = -1;
            int bestIn = -1;
            double margin = 1e-9 * Math.max(1, Math.abs(current));
            for (int slot = 0; slot < m; slot++) {
                int off = slot * size;
                for (int q = 0; q < size; q++) {
                    double c = total[q] + extra[off + q];
                    if (c < bestSwap - margin) {
                        int p = pool[q];
                        if (!inSet[p] && domainAllows(in, domainUse, p, chosen[slot])) {
                            bestSwap = c;
                            bestOut = slot;
                            bestIn = p;
                        }
                    }
                }
            }
            if (bestOut < 0) {
                break;
            }
            int out = chosen[bestOut];
            inSet[out] = false;
            inSet[bestIn] = true;
            int dOut = in.domainOf[out];
            if (dOut >= 0) {
                domainUse[dOut]--;
            }
            int dIn = in.domainOf[bestIn];
            if (dIn >= 0) {
                domainUse[dIn]++;
            }
            chosen[bestOut] = bestIn;
            double next = nearest(in, chosen, near, second, nearSlot);
            if (!(next < current)) { // rounding in the priced swap: stop rather than cycle
                current = next;
                break;
            }
            current = next;
        }
        int[] sorted = chosen.clone();
        Arrays.sort(sorted);
        return new Result(sorted, current, false);
    }

    /** Whether {@code chosen} (any order) holds exactly the nodes of {@code sorted}. */
    private static boolean sameSet(int[] chosen, int[] sorted) {
        if (chosen.length != sorted.length) {
            return false;
        }
        for (int c : chosen) {
            if (Arrays.binarySearch(sorted, c) < 0) {
                return false;
            }
        }
        return true;
    }

    /** Fills each entry's nearest and second-nearest chosen latency and the nearest's slot; returns the cost. */
    private static double nearest(Instance in, int[] chosen, double[] near, double[] second, int[] nearSlot) {
        double sum = 0;
        for (int e = 0; e < near.length; e++) {
            double a = Double.POSITIVE_INFINITY;
            double b = Double.POSITIVE_INFINITY;
            int s = 0;
            for (int slot = 0; slot < chosen.length; slot++) {
                double l = in.at(e, chosen[slot]);
                if (l < a) {
                    b = a;
                    a = l;
                    s = slot;
                } else if (l < b) {
                    b = l;
                }
            }
            near[e] = a;
            second[e] = b;
            nearSlot[e] = s;
            sum += in.w[e] * a;
        }
        return sum;
    }

    /** Whether adding candidate p (after removing candidate position {@code leaving}, or -1) respects the domain limit. */
    private static boolean domainAllows(Instance in, int[] domainUse, int p, int leaving) {
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
