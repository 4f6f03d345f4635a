package org.gbmixed.learners;

import org.gbmixed.base.Parallel;
import org.gbmixed.likelihood.Basis;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Regression tree on binned features, grown depth-first to maxDepth. It sees only a target g and weights h
 * (never the loss): a node's value is sum(h g) / sum(h), a split's gain is
 * S_L^2/W_L + S_R^2/W_R - S^2/W with S = sum(h g), W = sum(h) (weighted squared-error reduction).
 * Factor splits order the levels present in the node by their mean target and split along that order.
 * Missing values (NaN) have a bin of their own: a numeric split tries them on either side and keeps the better
 * (the learned default side); for a factor they are one more category.
 *
 * Histograms of (S, W, count) per bin of every feature, interleaved in one array, are built once per node from
 * its rows; for two children only the smaller one is built, the larger is the parent minus it (histogram
 * subtraction), and a child that cannot split gets none. The rows' (g h, h) pairs are kept in node order next to
 * the row index (moved with it by each partition), so a histogram pass reads them sequentially and gathers only
 * each row's bins, one stretch of the row-major byte matrix ({@link BinnedFeatures#rows8}) for all byte
 * features. A large node's byte features are built over fixed blocks of its rows, each block into its own buffer,
 * then summed in block order (and, within a block, in groups of features, one task each); the other features
 * take one task each (a cluster-level one from the node's per-cluster sums). The blocks depend on the row count
 * alone, and the partition of a split is stable, so results do not depend on the thread count.
 *
 * A partition moves a node's rows into the same range of a second buffer (the buffers alternate by depth), so
 * nothing is copied back; a split whose children are at max depth only gives its rows their leaf. Rows of weight
 * 0 (a cross-fit mean's left-out fold) follow the weighted rows of their node and are only counted; when every
 * weighted row has the same weight (a constant R), their counts too come from W, and the kernel adds two cells
 * per row and feature instead of three. The two subtrees of a split with at least 32,768 rows on each side grow
 * at the same time, each with a state and scratch of its own ({@link Grower}); whether they do depends on the row
 * counts alone, and the join numbers nodes and leaves, and adds the splits' gains, in the order of a serial
 * growth.
 */
final class TreeLearner {
    /** Nodes with fewer rows are built on the calling thread. */
    private static final int PARALLEL_MIN_ROWS = 4096;

    private final BinnedFeatures bf;
    private final int maxDepth, minLeaf, total;
    private final int[][] idxBuf;
    private final double[][] pairBuf;
    /** The partition's scratch: side[t] = 1 when row idx[t] goes left, else 0. */
    private final byte[] side;
    /**
     * The weight shared by every row of positive weight in the tree being grown, or 0 when the weights differ.
     * With one weight, a bin's count of such rows is W / unitWeight, so a histogram pass adds only S and W for them.
     */
    private double unitWeight;
    /** With unitWeight: counts are exact below this many rows (the rounding error of W grows with the count). */
    private static final int UNIT_WEIGHT_MAX_ROWS = 1 << 25;
    /** Leaf ordinal of every row in the last tree grown, and the node of each leaf. */
    private final int[] leafOf;
    private int[] leafNode = new int[0];
    private int nleaves;
    /** Growers not in use (a tree borrows one for its root and one for each subtree that grows on its own). */
    private final ArrayDeque<Grower> idleGrowers = new ArrayDeque<>();
    /** The join's scratch: leafRank[id] = the ordinal of the leaf named id (the start of its rows). */
    private final int[] leafRank;
    /**
     * Subtrees of at least this many rows on both sides of a split grow at the same time. From 2,048 rows the
     * 1e5-row fits spent about 1 s more in their first 35 rounds (the JIT's threads get no idle core while both
     * workers grow subtrees) than they gained; from 32,768 they do not, and the 1e6-row rounds gain as much.
     */
    static final int SUBTREE_MIN_ROWS = 32_768;
    /** This learner's threshold (SUBTREE_MIN_ROWS; tests lower it). */
    private final int subtreeMinRows;
    private final Parallel par;
    private final ArrayDeque<Hist> pool = new ArrayDeque<>();
    /** Rows per block of a parallel histogram pass, and the most blocks (buffers of 3 x total doubles each). */
    private static final int BLOCK_ROWS = 16384, MAX_BLOCKS = 8;
    /** Rows per block of a parallel partition (any blocking gives the same partition). */
    private static final int PARTITION_ROWS = 4096;
    /** Accumulated split gain per feature over all trees grown. */
    final double[] gain;
    private boolean[] use;      // features this tree may split on (null = all)
    /** Cluster weights of the tree being grown for the features constant within clusters (bf.clusterLevel). */
    private final double[] hc;
    private final boolean[] firstOfCluster;
    private final int minLeafClusters;
    private NodeWeights nodeWeights;   // of the tree being grown, or null
    private int first;          // the first usable feature (node totals are read from its bins)

    /** Per-bin sums of one node for every feature: bin b's S, W and row count at a[3b], a[3b + 1], a[3b + 2]. */
    /** A node's chosen split: feature, the bin it splits after (numeric) or the left level set (factor). */
    private static final class Split {
        final int feature, bin;
        final double gain;
        final long[] set;
        final boolean missLeft;
        Split(int feature, int bin, double gain, long[] set, boolean missLeft) {
            this.feature = feature; this.bin = bin; this.gain = gain; this.set = set; this.missLeft = missLeft;
        }
    }

    private static final Split NO_SPLIT = new Split(-1, -1, 0, null, false);

    private static final class Hist {
        final double[] a;
        /** Clusters per bin (cluster-level features only; null without cluster-level splits). */
        final int[] k;
        Hist(int size, boolean clusters) {
            a = new double[3 * size]; k = clusters ? new int[size] : null;
        }
        double s(int b) { return a[3 * b]; }
        double w(int b) { return a[3 * b + 1]; }
        int c(int b) { return (int) a[3 * b + 2]; }
    }

    TreeLearner(BinnedFeatures bf, int maxDepth, int minLeaf, Parallel par) {
        this(bf, maxDepth, minLeaf, 1, par);
    }

    /** @param minLeafClusters the fewest clusters a side of a cluster-level split may hold */
    TreeLearner(BinnedFeatures bf, int maxDepth, int minLeaf, int minLeafClusters, Parallel par) {
        this(bf, maxDepth, minLeaf, minLeafClusters, par, SUBTREE_MIN_ROWS);
    }

    /** @param subtreeMinRows the fewest rows on each side of a split whose subtrees grow at the same time */
    TreeLearner(BinnedFeatures bf, int maxDepth, int minLeaf, int minLeafClusters, Parallel par, int subtreeMinRows) {
        this.subtreeMinRows = subtreeMinRows;
        this.minLeafClusters = minLeafClusters;
        this.bf = bf;
        this.maxDepth = maxDepth;
        this.minLeaf = minLeaf;
        this.par = par;
        total = bf.offset[bf.p];
        idxBuf = new int[][] {new int[bf.n], new int[bf.n]};
        pairBuf = new double[][] {new double[2 * bf.n], new double[2 * bf.n]};
        side = new byte[bf.n];
        leafOf = new int[bf.n];
        hc = new double[bf.n];
        firstOfCluster = new boolean[bf.n];
        gain = new double[bf.p];
        leafRank = new int[bf.n];
    }

    /**
     * The weight of a row in a split that keeps every cluster's rows of the node on one side (as a split on a
     * covariate constant within clusters does), given the node's rows: with such weights the usual gain
     * S_L^2/W_L + S_R^2/W_R - S^2/W is the exact marginal-likelihood (GLS) gain of the split. See
     * {@link ClusterSplitWeights}.
     */
    interface NodeWeights {
        /**
         * Weights of rows idx[lo, hi) (one node) into out[row]; first[row] = true for the first row of each
         * cluster among them (false for the others).
         */
        void compute(int[] idx, int lo, int hi, double[] out, boolean[] first);
    }

    private boolean isClusterLevel(int k) { return nodeWeights != null && bf.clusterLevel[k]; }

    /**
     * A feature constant within clusters: its histogram comes from the node's cluster sums (weighted by the
     * cluster weights when it is also scored at cluster level, isClusterLevel; by the rows' weights otherwise).
     */
    private boolean constantInCluster(int k) { return bf.clusterLevel != null && bf.clusterLevel[k]; }

    /** Leaf ordinal of every row in the last tree grown (shared: valid until the next fit). */
    int[] leafOf() { return leafOf; }

    /** Number of leaves of the last tree grown. */
    int nleaves() { return nleaves; }

    /** The leaves of the last tree grown as a basis: row j is the indicator of its leaf. */
    Basis leafBasis() {
        int k = nleaves;
        return new Basis() {
            public int ncol() { return k; }
            public int maxNonZero() { return 1; }
            public int row(int j, int[] col, double[] val, int off) { col[off] = leafOf[j]; val[off] = 1; return 1; }
        };
    }

    /** Sets the leaf values of the last tree grown (t) to c (one per leaf, in leaf order) and out to its fit. */
    void setLeafValues(Tree t, double[] c, double[] out) {
        for (int k = 0; k < nleaves; k++) t.value[leafNode[k]] = c[k];
        par.forRows(bf.n, (lo, hi) -> {
            for (int i = lo; i < hi; i++) out[i] = c[leafOf[i]];
        });
    }

    private Hist borrow() {
        Hist x;
        synchronized (pool) { x = pool.poll(); }
        return x != null ? x : new Hist(total, bf.clusterLevel != null && bf.scoreClusterSplits);
    }

    private void release(Hist h) {
        synchronized (pool) { pool.push(h); }
    }

    /**
     * Fits a tree to target g with weights h over all rows; writes each row's (unscaled) leaf value to out.
     */
    Tree fit(double[] g, double[] h, double[] out) {
        return fit(g, h, out, null);
    }

    /** The same, splitting only on the features with use[k] (column subsampling); null = all. */
    Tree fit(double[] g, double[] h, double[] out, boolean[] use) {
        return fit(g, h, out, use, null);
    }

    /**
     * The same; with nw (and features marked in BinnedFeatures.clusterLevel), splits on those features are scored with the
     * node's cluster weights from nw.
     */
    Tree fit(double[] g, double[] h, double[] out, boolean[] use, NodeWeights nw) {
        this.use = use;
        this.nodeWeights = bf.clusterLevel == null || !bf.scoreClusterSplits ? null : nw;
        first = 0;
        if (use != null) while (first < bf.p && !use[first]) first++;
        int[] idx = idxBuf[0];
        double[] pairs = pairBuf[0];
        int own = 0;
        double w0 = Double.NaN;
        boolean same = true;
        for (int i = 0; i < bf.n; i++)
            if (h[i] != 0) {
                if (own++ == 0) w0 = h[i]; else if (h[i] != w0) same = false;
            }
        unitWeight = same && own > 0 && own < UNIT_WEIGHT_MAX_ROWS && w0 > 0 ? w0 : 0;
        for (int i = 0, a = 0, z = own; i < bf.n; i++) {
            int t = h[i] != 0 ? a++ : z++;
            idx[t] = i; pairs[2 * t] = h[i] != 0 ? g[i] * h[i] : 0; pairs[2 * t + 1] = h[i];
        }
        Grower top = borrowGrower();
        Hist root = borrow();
        top.atDepth(0);
        top.build(root, 0, own, bf.n);
        top.grow(root, 0, own, bf.n, 0);
        // join: every grower's nodes in depth-first order, as a serial growth numbers them
        Join jn = new Join(top.countNodes());
        jn.emit(top, 0);
        releaseGrowers(top);
        int size = jn.next;
        int[] f = jn.f, l = jn.l, r = jn.r;
        double[] th = jn.th, v = jn.v;
        long[][] sets = jn.sets;
        boolean[] miss = jn.miss;
        nleaves = jn.leaves;
        leafNode = jn.leafNode;
        double[] leafValue = new double[nleaves];
        for (int k = 0; k < nleaves; k++) leafValue[k] = v[leafNode[k]];
        par.forRows(bf.n, (lo, hi) -> {
            for (int i = lo; i < hi; i++) {
                int k = leafRank[leafOf[i]];
                leafOf[i] = k;
                out[i] = leafValue[k];
            }
        });
        this.use = null;
        this.nodeWeights = null;
        return new Tree(f, th, sets, miss, l, r, v);
    }

    private Grower borrowGrower() {
        Grower g;
        synchronized (idleGrowers) { g = idleGrowers.poll(); }
        if (g == null) g = new Grower();
        g.reset();
        return g;
    }

    private void releaseGrowers(Grower g) {
        for (Grower c : g.children) releaseGrowers(c);
        g.children.clear();
        synchronized (idleGrowers) { idleGrowers.push(g); }
    }

    /**
     * The nodes of a tree's growers in depth-first order (left before right), which is the order of a serial
     * growth: node ids, leaf ordinals (leafRank, leafNode), and the splits' gains added to gain in that order.
     */
    private final class Join {
        final int[] f, l, r, leafNode;
        final double[] th, v;
        final long[][] sets;
        final boolean[] miss;
        int next, leaves;

        Join(int size) {
            f = new int[size]; l = new int[size]; r = new int[size]; leafNode = new int[size];
            th = new double[size]; v = new double[size]; sets = new long[size][]; miss = new boolean[size];
        }

        /** Node t of grower x and its subtree; returns its id. */
        int emit(Grower x, int t) {
            int u = next++;
            int[] a = x.nodeInt.get(t);
            f[u] = a[0];
            th[u] = x.nodeThr.get(t); v[u] = x.nodeVal.get(t); sets[u] = x.nodeSet.get(t); miss[u] = x.nodeMissLeft.get(t);
            if (a[0] >= 0) gain[a[0]] += x.nodeGain.get(t);   // in the order of a serial growth
            int leaf = x.leafId.get(t);
            if (leaf >= 0) { leafRank[leaf] = leaves; leafNode[leaves++] = u; }
            l[u] = child(x, a[1]);
            r[u] = child(x, a[2]);
            return u;
        }

        private int child(Grower x, int c) {
            if (c == -1) return -1;
            if (c <= SUBTREE) return emit(x.children.get(SUBTREE - c), 0);
            return emit(x, c);
        }
    }

    /** A child pointer at or below this names a subtree grown by another grower: children.get(SUBTREE - c). */
    private static final int SUBTREE = -2;

    /**
     * The state of growing one tree, or a subtree handed over at a large split: its nodes and leaves, the current
     * row buffers, and its scratch (histogram blocks, cluster sums). The rows, leaves and cluster weights it writes
     * are those of its own range of rows.
     */
    private final class Grower {
        /**
         * The rows of the node being worked on, idx[lo, hi), with their (g h, h) pairs at pairs[2t], pairs[2t + 1]:
         * the buffers of the node's depth. Two buffers alternate by depth (idxBuf[depth & 1], pairBuf[depth & 1]): a
         * partition moves a node's rows from its buffer into the same range of the other, where its children find
         * them, so nothing is copied back.
         */
        private int[] idx;
        private double[] pairs;
        /**
         * A node's rows idx[lo, hi) hold its rows of positive weight first, idx[lo, mid), then those of weight 0
         * (a cross-fit mean's held-out fold, subsampled-out clusters), which add nothing to S and W: for them a
         * histogram pass adds only the count. The order within each part is the rows' order, as the partition keeps
         * both parts stable. leftMid: the last partition's count of weighted rows going left.
         */
        private int leftMid;
        /** The growers of the subtrees this one handed over, in the order of their pointers. */
        private final List<Grower> children = new ArrayList<>();
        /** Scratch of {@link #build}: the byte features and the other features of the histogram being built. */
        private final int[] feats8 = new int[bf.p], other = new int[bf.p];
        /** Of feats8[j]: its histogram offset (3 x bf.offset) and its column in bf.rows8. */
        private final int[] off8 = new int[bf.p], col8 = new int[bf.p];
        private final double[][] blockBufs = new double[MAX_BLOCKS - 1][];
        /**
         * {@link #sumClusters}: per cluster its slot in the node (valid where clusterStamp = stampMark); per slot a
         * row of the cluster and the sums.
         */
        private int[] clusterSlot, clusterStamp, clusterRow;
        private double[] clusterS, clusterW, clusterN;
        private int stampMark, nodeClusters;
        // node arrays of the (sub)tree being grown
        private List<int[]> nodeInt;          // {feature, left, right}
        private List<Double> nodeThr, nodeVal;
        private List<long[]> nodeSet;
        private List<Boolean> nodeMissLeft;
        /** Per node: its split's gain; for a leaf, its name in leafOf (the start of its rows), else -1. */
        private List<Double> nodeGain;
        private List<Integer> leafId;

        /** Empty, for the next tree. */
        void reset() {
            nodeInt = new ArrayList<>();
            nodeThr = new ArrayList<>();
            nodeVal = new ArrayList<>();
            nodeSet = new ArrayList<>();
            nodeMissLeft = new ArrayList<>();
            nodeGain = new ArrayList<>();
            leafId = new ArrayList<>();
            children.clear();
        }

        /** Nodes of this grower and of those it handed subtrees to. */
        int countNodes() {
            int c = nodeInt.size();
            for (Grower g : children) c += g.countNodes();
            return c;
        }

        /** Makes the buffers of nodes at this depth current (idx, pairs). */
        private void atDepth(int depth) {
            idx = idxBuf[depth & 1];
            pairs = pairBuf[depth & 1];
        }

        /** Histogram of rows idx[lo, hi) (of positive weight before mid) for every feature. */
        private void build(Hist hist, int lo, int mid, int hi) {
            build(hist, lo, mid, hi, false);
        }

        /** The same for every feature, or (clusterOnly) for the cluster-level ones only. */
        private void build(Hist hist, int lo, int mid, int hi, boolean clusterOnly) {
            if (nodeWeights != null) nodeWeights.compute(idx, lo, hi, hc, firstOfCluster);
            // byte features (row-major, in row blocks below) and the others (one task each)
            int nb8 = 0, nOther = 0;
            boolean anyCluster = false;
            for (int k = 0; k < bf.p; k++) {
                if ((use != null && !use[k]) || (clusterOnly && !isClusterLevel(k))) continue;
                if (constantInCluster(k)) { other[nOther++] = k; anyCluster = true; }
                else if (bf.col8[k] >= 0) { off8[nb8] = 3 * bf.offset[k]; col8[nb8] = bf.col8[k]; feats8[nb8++] = k; }
                else other[nOther++] = k;
            }
            if (anyCluster) sumClusters(lo, hi);
            boolean parallel = hi - lo >= PARALLEL_MIN_ROWS;
            Parallel p = parallel ? par : Parallel.SERIAL;
            // the byte features over fixed blocks of rows (by the row count alone, never the thread count), each into
            // its own buffer, then summed in block order
            int blocks = nb8 == 0 ? 0 : parallel ? Math.max(1, Math.min(MAX_BLOCKS, (hi - lo) / BLOCK_ROWS)) : 1;
            // each block's byte features in groups, one task each (a feature's bins are summed in row order within
            // its block whatever the grouping, so the groups may follow the thread count)
            int groups = parallel && blocks < par.threads ? Math.min(nb8, par.threads) : 1;
            int n8 = nb8, tasks8 = blocks * groups;
            p.forEach(tasks8 + nOther, task -> {
                if (task < tasks8) {
                    int blk = task / groups, grp = task % groups;
                    buildRows(blk == 0 ? hist.a : blockBuf(blk - 1), n8 * grp / groups, n8 * (grp + 1) / groups,
                            split(lo, mid, blk, blocks), split(lo, mid, blk + 1, blocks),
                            split(mid, hi, blk, blocks), split(mid, hi, blk + 1, blocks));
                } else {
                    int k = other[task - tasks8];
                    if (constantInCluster(k)) buildClusterFeature(hist, k); else buildFeature(hist, k, lo, hi);
                }
            });
            double unit = unitWeight;
            if (blocks > 1 || unit > 0) {
                double[] a = hist.a;
                p.forEach(n8, j -> {
                    int from = off8[j], to = from + 3 * bf.nbins[feats8[j]];
                    for (int b = 1; b < blocks; b++) {
                        double[] x = blockBuf(b - 1);
                        for (int c = from; c < to; c++) a[c] += x[c];
                    }
                    // the rows of positive weight were not counted: W / unitWeight of them
                    if (unit > 0) for (int c = from; c < to; c += 3) a[c + 2] += Math.rint(a[c + 1] / unit);
                });
            }
        }

        private double[] blockBuf(int b) {
            if (blockBufs[b] == null) blockBufs[b] = new double[3 * total];
            return blockBufs[b];
        }

        /**
         * The byte features feats8[j0, j1) of rows idx[lo, hi) (of positive weight) and idx[zlo, zhi) (of weight 0)
         * into a (bin b's S, W, count at 3b..3b+2; their ranges zeroed first): one pass over the rows, each row's pair
         * read once and its bins from one stretch of rows8. With a unitWeight the rows of positive weight are not
         * counted here (see build); rows of weight 0 are only counted.
         */
        private void buildRows(double[] a, int j0, int j1, int lo, int hi, int zlo, int zhi) {
            int stride = bf.p8;
            int[] off = off8, col = col8, ix = idx;
            double[] pr = pairs;
            byte[] rows = bf.rows8;
            for (int j = j0; j < j1; j++) java.util.Arrays.fill(a, off[j], off[j] + 3 * bf.nbins[feats8[j]], 0.0);
            if (unitWeight > 0) {
                for (int t = lo; t < hi; t++) {
                    int base = ix[t] * stride;
                    double g = pr[2 * t], w = pr[2 * t + 1];
                    for (int j = j0; j < j1; j++) {
                        int b = off[j] + 3 * (rows[base + col[j]] & 0xFF);
                        a[b] += g; a[b + 1] += w;
                    }
                }
            } else {
                for (int t = lo; t < hi; t++) {
                    int base = ix[t] * stride;
                    double g = pr[2 * t], w = pr[2 * t + 1];
                    for (int j = j0; j < j1; j++) {
                        int b = off[j] + 3 * (rows[base + col[j]] & 0xFF);
                        a[b] += g; a[b + 1] += w; a[b + 2] += 1;
                    }
                }
            }
            for (int t = zlo; t < zhi; t++) {
                int base = ix[t] * stride;
                for (int j = j0; j < j1; j++) a[off[j] + 3 * (rows[base + col[j]] & 0xFF) + 2] += 1;
            }
        }

        /**
         * The node's clusters (rows idx[lo, hi)), in order of their first row: their sums of S, of the cluster
         * weights hc and of rows, and a row of each, into nodeClusters. A cluster-level feature has one bin per
         * cluster, so its histogram then costs one update per cluster, not per row.
         */
        private void sumClusters(int lo, int hi) {
            if (clusterSlot == null) {
                int m = bf.nclusters;
                clusterSlot = new int[m]; clusterStamp = new int[m]; clusterRow = new int[m];
                clusterS = new double[m]; clusterW = new double[m]; clusterN = new double[m];
            }
            if (++stampMark == Integer.MAX_VALUE) { java.util.Arrays.fill(clusterStamp, 0); stampMark = 1; }
            int nc = 0;
            int[] of = bf.clusterOf;
            for (int t = lo; t < hi; t++) {
                int i = idx[t], c = of[i];
                if (clusterStamp[c] != stampMark) {
                    clusterStamp[c] = stampMark;
                    clusterSlot[c] = nc;
                    clusterRow[nc] = i;
                    clusterS[nc] = 0; clusterW[nc] = 0; clusterN[nc] = 0;
                    nc++;
                }
                int s = clusterSlot[c];
                // the cluster weights hc for cluster-level scoring, else the rows' own weights
                clusterS[s] += pairs[2 * t]; clusterW[s] += nodeWeights != null ? hc[i] : pairs[2 * t + 1]; clusterN[s] += 1;
            }
            nodeClusters = nc;
        }

        /** A cluster-level feature's histogram from the node's cluster sums: the cluster weights, the clusters per bin. */
        private void buildClusterFeature(Hist hist, int k) {
            int off = bf.offset[k], nb = bf.nbins[k];
            double[] a = hist.a;
            int[] kc = hist.k;
            java.util.Arrays.fill(a, 3 * off, 3 * (off + nb), 0.0);
            if (kc != null) java.util.Arrays.fill(kc, off, off + nb, 0);
            for (int s = 0; s < nodeClusters; s++) {
                int bin = off + bf.bin(k, clusterRow[s]), b = 3 * bin;
                a[b] += clusterS[s]; a[b + 1] += clusterW[s]; a[b + 2] += clusterN[s];
                if (kc != null) kc[bin]++;
            }
        }

        /** A feature stored as shorts or ints. */
        private void buildFeature(Hist hist, int k, int lo, int hi) {
            int off = bf.offset[k], nb = bf.nbins[k];
            double[] a = hist.a, pr = pairs;
            java.util.Arrays.fill(a, 3 * off, 3 * (off + nb), 0.0);
            if (bf.bins16[k] != null) {
                short[] col = bf.bins16[k];
                for (int t = lo; t < hi; t++) {
                    int b = 3 * (off + (col[idx[t]] & 0xFFFF));
                    a[b] += pr[2 * t]; a[b + 1] += pr[2 * t + 1]; a[b + 2] += 1;
                }
            } else {
                int[] col = bf.bins32[k];
                for (int t = lo; t < hi; t++) {
                    int b = 3 * (off + col[idx[t]]);
                    a[b] += pr[2 * t]; a[b + 1] += pr[2 * t + 1]; a[b + 2] += 1;
                }
            }
        }

        private int newNode() {
            nodeInt.add(new int[] {-1, -1, -1});
            nodeThr.add(0.0);
            nodeVal.add(0.0);
            nodeSet.add(null);
            nodeMissLeft.add(false);
            nodeGain.add(0.0);
            leafId.add(-1);
            return nodeInt.size() - 1;
        }

        /**
         * Grows the node of rows idx[lo, hi) whose histogram is hist (returned to the pool when done); hist is null
         * for a node that cannot split (at max depth or too few rows), which becomes a leaf without a histogram.
         */
        private int grow(Hist hist, int lo, int mid, int hi, int depth) {
            int node = newNode();
            atDepth(depth);
            // node totals: S, W and (cluster-level splits) the node's cluster weight W_c; the histograms of this node
            // (and hc of its rows) are current
            double sumS = 0, sumW = 0, sumWc = 0;
            int clusters = 0;
            boolean withC = nodeWeights != null && hist != null;
            if (!withC && hist != null && first < bf.p) {
                int off = bf.offset[first];   // every row is in exactly one bin of each feature
                for (int b = 0; b < bf.nbins[first]; b++) { sumS += hist.s(off + b); sumW += hist.w(off + b); }
            } else {
                for (int t = lo; t < hi; t++) {
                    sumS += pairs[2 * t];
                    sumW += pairs[2 * t + 1];
                    if (withC) { int i = idx[t]; sumWc += hc[i]; if (firstOfCluster[i]) clusters++; }
                }
            }
            int count = hi - lo;
            Split best = hist != null && depth < maxDepth && count >= 2 * minLeaf && sumW > 0
                    ? findSplit(hist, sumS, sumW, sumWc, count, clusters) : NO_SPLIT;
            int bestF = best.feature, bestBin = best.bin;
            double bestGain = best.gain;
            long[] bestSet = best.set;
            boolean bestMissLeft = best.missLeft;
            if (bestF < 0) {
                nodeVal.set(node, sumW > 0 ? sumS / sumW : 0.0);
                int leaf = newLeaf(node, lo);
                for (int t = lo; t < hi; t++) leafOf[idx[t]] = leaf;
                if (hist != null) release(hist);
                return node;
            }
            nodeGain.set(node, bestGain);
            nodeInt.get(node)[0] = bestF;
            nodeThr.set(node, bestSet == null ? bf.threshold[bestF][bestBin] : Double.NaN);
            nodeSet.set(node, bestSet);
            nodeMissLeft.set(node, bestMissLeft);
            if (depth + 1 >= maxDepth) {
                // both children are leaves: their rows get their leaf in one pass, without a partition
                release(hist);
                splitIntoLeaves(node, lo, hi, bestF, bestBin, bestSet, bestMissLeft);
                return node;
            }
            int nl = partition(lo, mid, hi, bestF, bestBin, bestSet, bestMissLeft, idxBuf[(depth + 1) & 1],
                    pairBuf[(depth + 1) & 1]), nr = hi - lo - nl;
            // the children's rows: left idx[lo, lo + nl) (positive weight before midL), right idx[lo + nl, hi)
            int midL = lo + leftMid, midR = lo + nl + (mid - lo - leftMid);
            atDepth(depth + 1);
            // children: only those that can split need a histogram; for two, build the smaller one's and derive the
            // larger one as parent - smaller; for one, build it into the parent's buffer
            boolean canL = depth + 1 < maxDepth && nl >= 2 * minLeaf, canR = depth + 1 < maxDepth && nr >= 2 * minLeaf;
            Hist leftH = null, rightH = null;
            if (canL && canR) {
                Hist small = borrow();
                boolean leftSmall = nl <= nr;
                if (leftSmall) build(small, lo, midL, lo + nl); else build(small, lo + nl, midR, hi);
                double[] pa = hist.a, sa = small.a;
                for (int b = 0; b < 3 * total; b++) pa[b] -= sa[b];
                // cluster weights depend on the node's rows: no subtraction for the cluster-level features
                if (nodeWeights != null) {
                    if (leftSmall) build(hist, lo + nl, midR, hi, true); else build(hist, lo, midL, lo + nl, true);
                }
                leftH = leftSmall ? small : hist;
                rightH = leftSmall ? hist : small;
            } else if (canL) {
                build(hist, lo, midL, lo + nl);
                leftH = hist;
            } else if (canR) {
                build(hist, lo + nl, midR, hi);
                rightH = hist;
            } else {
                release(hist);
            }
            if (canL && canR && Math.min(nl, nr) >= subtreeMinRows) {
                // two large subtrees grow at the same time, each in a grower of its own (joined by fit); whether
                // they do depends on the row counts alone. The cluster-split weights keep scratch of their own, so
                // with them one after the other.
                Grower gl = borrowGrower(), gr = borrowGrower();
                int c = children.size();
                children.add(gl);
                children.add(gr);
                Hist lh = leftH, rh = rightH;
                int lhi = lo + nl, d1 = depth + 1;
                (nodeWeights == null ? par : Parallel.SERIAL).forEach(2, task -> {
                    if (task == 0) gl.grow(lh, lo, midL, lhi, d1); else gr.grow(rh, lhi, midR, hi, d1);
                });
                nodeInt.get(node)[1] = SUBTREE - c;
                nodeInt.get(node)[2] = SUBTREE - c - 1;
                return node;
            }
            int l = grow(leftH, lo, midL, lo + nl, depth + 1);
            int r = grow(rightH, lo + nl, midR, hi, depth + 1);
            nodeInt.get(node)[1] = l;
            nodeInt.get(node)[2] = r;
            return node;
        }

        /**
         * The best split of a node from its finished histogram and totals alone, without its rows: where histograms
         * are built apart from the search (a distributed build merges them first, java/ENGINE.md), this part stays.
         * S, W, the cluster weight W_c and the clusters (cluster-level splits) are the node's totals; count its rows.
         */
        private Split findSplit(Hist hist, double sumS, double sumW, double sumWc, int count, int clusters) {
            int bestF = -1, bestBin = -1;
            double bestGain = 0;
            long[] bestSet = null;
            boolean bestMissLeft = false;
            double parentR = sumS * sumS / sumW, parentC = nodeWeights != null && sumWc > 0 ? sumS * sumS / sumWc : 0;
            for (int k = 0; k < bf.p; k++) {
                if (use != null && !use[k]) continue;
                boolean cl = isClusterLevel(k);
                if (cl && !(sumWc > 0)) continue;
                double parent = cl ? parentC : parentR, totW = cl ? sumWc : sumW;
                int off = bf.offset[k], nb = bf.nbins[k], mb = bf.missingBin[k];
                if (bf.isFactor[k]) {
                    // the missing bin is one more category, ordered with the levels
                    int[] orderOfBins = levelOrder(hist, off, nb);
                    double sL = 0, wL = 0;
                    int nL = 0, kL = 0;
                    for (int s = 0; s < orderOfBins.length - 1; s++) {
                        int bin = off + orderOfBins[s];
                        sL += hist.s(bin); wL += hist.w(bin); nL += hist.c(bin);
                        if (cl) kL += hist.k[bin];
                        int nR = count - nL;
                        if (nL < minLeaf) continue;
                        if (nR < minLeaf) break;
                        if (cl && (kL < minLeafClusters || clusters - kL < minLeafClusters)) continue;
                        double gn = gain(sL, wL, sumS - sL, totW - wL, parent);
                        if (gn > bestGain * (1 + 1e-12) + 1e-12 * Math.abs(parent)) {
                            bestGain = gn; bestF = k; bestBin = s;
                            bestSet = leftSet(orderOfBins, s, nb);
                            bestMissLeft = mb >= 0 ? (bestSet[mb >> 6] & (1L << (mb & 63))) != 0 : wL >= totW - wL;
                        }
                    }
                    continue;
                }
                // numeric: split after regular bin s; rows of the missing bin (if any) go left or right
                int regular = mb >= 0 ? nb - 1 : nb;
                double sM = mb >= 0 ? hist.s(off + mb) : 0, wM = mb >= 0 ? hist.w(off + mb) : 0;
                int nM = mb >= 0 ? hist.c(off + mb) : 0, kM = cl && mb >= 0 ? hist.k[off + mb] : 0;
                double sL = 0, wL = 0;
                int nL = 0, kL = 0;
                int last = nM > 0 ? regular : regular - 1;   // with missing rows, "all regular | missing" is a split too
                for (int s = 0; s < last; s++) {
                    int bin = off + s;
                    sL += hist.s(bin); wL += hist.w(bin); nL += hist.c(bin);
                    if (cl) kL += hist.k[bin];
                    if (hist.c(bin) == 0 && s < regular - 1) continue;
                    for (int side = 0; side < (nM > 0 ? 2 : 1); side++) {
                        boolean missLeft = side == 1;
                        double sl = sL + (missLeft ? sM : 0), wl = wL + (missLeft ? wM : 0);
                        int nl = nL + (missLeft ? nM : 0), nr = count - nl;
                        if (nl < minLeaf || nr < minLeaf) continue;
                        if (cl) {
                            int kl = kL + (missLeft ? kM : 0);
                            if (kl < minLeafClusters || clusters - kl < minLeafClusters) continue;
                        }
                        double gn = gain(sl, wl, sumS - sl, totW - wl, parent);
                        if (gn > bestGain * (1 + 1e-12) + 1e-12 * Math.abs(parent)) {
                            bestGain = gn; bestF = k; bestBin = s; bestSet = null;
                            // without missing rows here, unseen missing values follow the heavier side
                            bestMissLeft = nM > 0 ? missLeft : wl >= totW - wl;
                        }
                    }
                }
            }
            return bestF < 0 ? NO_SPLIT : new Split(bestF, bestBin, bestGain, bestSet, bestMissLeft);
        }

        /**
         * Node is a leaf named id in leafOf until the join numbers the leaves: the start of its rows (lo; lo + 1
         * for the right one of a split into two leaves, which has no other node inside it), unique in the tree and
         * increasing in depth-first order.
         */
        private int newLeaf(int node, int id) {
            leafId.set(node, id);
            return id;
        }

        /**
         * A split of rows idx[lo, hi) whose two children are leaves: the children (left, then right, numbered as the
         * recursion would), their values from the rows' sums in node order (as after a partition: each child's rows of
         * positive weight keep their order, and rows of weight 0 add 0), and every row's leaf.
         */
        private void splitIntoLeaves(int node, int lo, int hi, int f, int bin, long[] set, boolean missLeft) {
            int left = newNode(), leafL = newLeaf(left, lo), right = newNode(), leafR = newLeaf(right, lo + 1);
            nodeInt.get(node)[1] = left;
            nodeInt.get(node)[2] = right;
            int missing = bf.missingBin[f];
            double sL = 0, wL = 0, sR = 0, wR = 0;
            int[] ix = idx, lf = leafOf;
            double[] pr = pairs;
            byte[] col8 = bf.bins8[f];
            for (int t = lo; t < hi; t++) {
                int i = ix[t], b = col8 != null ? col8[i] & 0xFF : bf.bin(f, i);
                if (goesLeft(b, bin, set, missing, missLeft)) {
                    lf[i] = leafL; sL += pr[2 * t]; wL += pr[2 * t + 1];
                } else {
                    lf[i] = leafR; sR += pr[2 * t]; wR += pr[2 * t + 1];
                }
            }
            nodeVal.set(left, wL > 0 ? sL / wL : 0.0);
            nodeVal.set(right, wR > 0 ? sR / wR : 0.0);
        }

        /**
         * Partitions idx[lo, hi) (and the pairs with it) into the same range of toIdx, toPairs: the rows going left,
         * then those going right, each side in its previous order and with its rows of positive weight (before mid)
         * first; returns the number going left, and the number of them of positive weight in leftMid. In blocks of
         * rows (one per part for a small node or one thread): each block marks its rows' sides, prefix sums give every
         * block its place on each side, the blocks move their rows there, without branching on the side. A stable
         * partition is unique, so the result is the same on any thread count.
         */
        private int partition(int lo, int mid, int hi, int f, int bin, long[] set, boolean missLeft, int[] toIdx,
                              double[] toPairs) {
            int missing = bf.missingBin[f];
            int bo = partitionBlocks(mid - lo), bz = partitionBlocks(hi - mid), blocks = bo + bz;
            Parallel p = hi - lo >= 2 * PARTITION_ROWS ? par : Parallel.SERIAL;
            int[] from = new int[blocks + 1], left = new int[blocks];
            for (int b = 0; b < bo; b++) from[b] = split(lo, mid, b, bo);
            for (int b = 1; b < bz; b++) from[bo + b] = split(mid, hi, b, bz);
            from[bo] = mid;
            from[blocks] = hi;
            int[] ix = idx;
            double[] pr = pairs;
            byte[] sd = side, col8 = bf.bins8[f];
            p.forEach(blocks, blk -> {
                int c = 0;
                if (col8 != null && set == null) {
                    // a numeric split of a byte feature: side = b <= bin, the missing bin by missLeft
                    int ml = missLeft ? 1 : 0;
                    for (int t = from[blk]; t < from[blk + 1]; t++) {
                        int b = col8[ix[t]] & 0xFF;
                        int s = b == missing ? ml : b <= bin ? 1 : 0;
                        sd[t] = (byte) s;
                        c += s;
                    }
                } else {
                    for (int t = from[blk]; t < from[blk + 1]; t++) {
                        int s = goesLeft(bf.bin(f, ix[t]), bin, set, missing, missLeft) ? 1 : 0;
                        sd[t] = (byte) s;
                        c += s;
                    }
                }
                left[blk] = c;
            });
            // destination: [left, weight > 0 | left, weight 0 | right, weight > 0 | right, weight 0]
            int lo1 = 0, lz = 0;
            for (int b = 0; b < bo; b++) lo1 += left[b];
            for (int b = bo; b < blocks; b++) lz += left[b];
            int ro = mid - lo - lo1;
            int[] atL = new int[blocks], atR = new int[blocks];
            for (int b = 0, l = lo, r = lo + lo1 + lz; b < bo; b++) {
                atL[b] = l; atR[b] = r;
                l += left[b]; r += from[b + 1] - from[b] - left[b];
            }
            for (int b = bo, l = lo + lo1, r = lo + lo1 + lz + ro; b < blocks; b++) {
                atL[b] = l; atR[b] = r;
                l += left[b]; r += from[b + 1] - from[b] - left[b];
            }
            p.forEach(blocks, blk -> {
                int l = atL[blk], r = atR[blk];
                for (int t = from[blk]; t < from[blk + 1]; t++) {
                    int s = sd[t], u = r + ((l - r) & -s);   // l when s = 1, else r
                    toIdx[u] = ix[t]; toPairs[2 * u] = pr[2 * t]; toPairs[2 * u + 1] = pr[2 * t + 1];
                    l += s; r += 1 - s;
                }
            });
            leftMid = lo1;
            return lo1 + lz;
        }

        /** Blocks of a partition of r rows: none for none, one for a small part or one thread. */
        private int partitionBlocks(int r) {
            return r == 0 ? 0 : par.threads < 2 ? 1 : Math.max(1, Math.min(MAX_BLOCKS, r / PARTITION_ROWS));
        }

    }

    /** Boundary b of `parts` equal parts of [lo, hi). */
    private static int split(int lo, int hi, int b, int parts) {
        return lo + (int) ((long) (hi - lo) * b / parts);
    }

    /** Whether bin b goes left: in the factor split's set, or (numeric) b <= bin, the missing bin by missLeft. */
    private static boolean goesLeft(int b, int bin, long[] set, int missing, boolean missLeft) {
        return set != null ? (set[b >> 6] & (1L << (b & 63))) != 0 : b == missing ? missLeft : b <= bin;
    }

    private static double gain(double sL, double wL, double sR, double wR, double parent) {
        if (wL <= 0 || wR <= 0) return Double.NEGATIVE_INFINITY;
        return sL * sL / wL + sR * sR / wR - parent;
    }

    /** Levels present in the node, sorted by mean target (ties by code). */
    private static int[] levelOrder(Hist hist, int off, int nb) {
        int present = 0;
        for (int v = 0; v < nb; v++) if (hist.c(off + v) > 0) present++;
        Integer[] ord = new Integer[present];
        int c = 0;
        for (int v = 0; v < nb; v++) if (hist.c(off + v) > 0) ord[c++] = v;
        java.util.Arrays.sort(ord, (a, bb) -> {
            double wa = hist.w(off + a), wb = hist.w(off + bb);
            double ma = wa > 0 ? hist.s(off + a) / wa : 0, mb = wb > 0 ? hist.s(off + bb) / wb : 0;
            int cmp = Double.compare(ma, mb);
            return cmp != 0 ? cmp : Integer.compare(a, bb);
        });
        int[] res = new int[present];
        for (int i = 0; i < present; i++) res[i] = ord[i];
        return res;
    }

    private static long[] leftSet(int[] order, int s, int nb) {
        long[] set = new long[(nb + 63) >> 6];
        for (int t = 0; t <= s; t++) set[order[t] >> 6] |= 1L << (order[t] & 63);
        return set;
    }
}
