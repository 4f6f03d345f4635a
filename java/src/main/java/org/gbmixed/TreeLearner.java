package org.gbmixed;

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
 * Histograms of (S, W, count) per bin of every feature are built once per node from its rows; for two children
 * only the smaller one is built, the larger is the parent minus it (histogram subtraction). Features are built in
 * parallel, each by one thread in row order, so results do not depend on the thread count.
 */
final class TreeLearner {
    /** Nodes with fewer rows are built on the calling thread. */
    private static final int PARALLEL_MIN_ROWS = 4096;

    private final BinnedFeatures bf;
    private final int maxDepth, minLeaf, total;
    private final int[] idx, tmp;
    private final double[] gh;
    /** Leaf ordinal of every row in the last tree grown, and the node of each leaf. */
    private final int[] leafOf;
    private int[] leafNode = new int[64];
    private int nleaves;
    private final Parallel par;
    private final ArrayDeque<Hist> pool = new ArrayDeque<>();
    /** Accumulated split gain per feature over all trees grown. */
    final double[] gain;

    // node arrays of the tree being grown
    private List<int[]> nodeInt;          // {feature, left, right}
    private List<Double> nodeThr, nodeVal;
    private List<long[]> nodeSet;
    private List<Boolean> nodeMissLeft;
    private double[] h;
    private boolean[] use;      // features this tree may split on (null = all)
    /** Cluster weights of the tree being grown for the features constant within clusters (bf.clusterLevel). */
    private final double[] hc;
    private final boolean[] firstOfCluster;
    private final int minLeafClusters;
    private NodeWeights nodeWeights;   // of the tree being grown, or null
    private int first;          // the first usable feature (node totals are read from its bins)

    /** Per-bin sums of one node for every feature. */
    private static final class Hist {
        final double[] s, w;
        final int[] c;
        /** Clusters per bin (cluster-level features only; null without cluster-level splits). */
        final int[] k;
        Hist(int size, boolean clusters) {
            s = new double[size]; w = new double[size]; c = new int[size]; k = clusters ? new int[size] : null;
        }
    }

    TreeLearner(BinnedFeatures bf, int maxDepth, int minLeaf, Parallel par) {
        this(bf, maxDepth, minLeaf, 1, par);
    }

    /** @param minLeafClusters the fewest clusters a side of a cluster-level split may hold */
    TreeLearner(BinnedFeatures bf, int maxDepth, int minLeaf, int minLeafClusters, Parallel par) {
        this.minLeafClusters = minLeafClusters;
        this.bf = bf;
        this.maxDepth = maxDepth;
        this.minLeaf = minLeaf;
        this.par = par;
        total = bf.offset[bf.p];
        idx = new int[bf.n];
        tmp = new int[bf.n];
        gh = new double[bf.n];
        leafOf = new int[bf.n];
        hc = new double[bf.n];
        firstOfCluster = new boolean[bf.n];
        gain = new double[bf.p];
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
        for (int i = 0; i < bf.n; i++) out[i] = c[leafOf[i]];
    }

    private Hist borrow() {
        Hist x = pool.poll();
        return x != null ? x : new Hist(total, bf.clusterLevel != null);
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
        this.h = h;
        this.use = use;
        this.nodeWeights = bf.clusterLevel == null ? null : nw;
        first = 0;
        if (use != null) while (first < bf.p && !use[first]) first++;
        for (int i = 0; i < bf.n; i++) { idx[i] = i; gh[i] = g[i] * h[i]; }
        nodeInt = new ArrayList<>();
        nodeThr = new ArrayList<>();
        nodeVal = new ArrayList<>();
        nodeSet = new ArrayList<>();
        nodeMissLeft = new ArrayList<>();
        nleaves = 0;
        Hist root = borrow();
        build(root, 0, bf.n);
        grow(root, out, 0, bf.n, 0);
        int size = nodeInt.size();
        int[] f = new int[size], l = new int[size], r = new int[size];
        double[] th = new double[size], v = new double[size];
        long[][] sets = new long[size][];
        boolean[] miss = new boolean[size];
        for (int t = 0; t < size; t++) {
            int[] a = nodeInt.get(t);
            f[t] = a[0]; l[t] = a[1]; r[t] = a[2];
            th[t] = nodeThr.get(t); v[t] = nodeVal.get(t); sets[t] = nodeSet.get(t); miss[t] = nodeMissLeft.get(t);
        }
        this.h = null;
        this.use = null;
        this.nodeWeights = null;
        return new Tree(f, th, sets, miss, l, r, v);
    }

    /** Histogram of rows idx[lo, hi) for every feature. */
    private void build(Hist hist, int lo, int hi) {
        build(hist, lo, hi, false);
    }

    /** The same for every feature, or (clusterOnly) for the cluster-level ones only. */
    private void build(Hist hist, int lo, int hi, boolean clusterOnly) {
        if (nodeWeights != null) nodeWeights.compute(idx, lo, hi, hc, firstOfCluster);
        Parallel p = hi - lo >= PARALLEL_MIN_ROWS ? par : Parallel.SERIAL;
        p.forEach(bf.p, k -> {
            if ((use == null || use[k]) && (!clusterOnly || isClusterLevel(k))) {
                if (isClusterLevel(k)) buildClusterFeature(hist, k, lo, hi); else buildFeature(hist, k, lo, hi);
            }
        });
    }

    /** A cluster-level feature's histogram: the node's cluster weights, and the clusters per bin. */
    private void buildClusterFeature(Hist hist, int k, int lo, int hi) {
        int off = bf.offset[k], nb = bf.nbins[k];
        double[] s = hist.s, w = hist.w;
        int[] c = hist.c, kc = hist.k;
        java.util.Arrays.fill(s, off, off + nb, 0.0);
        java.util.Arrays.fill(w, off, off + nb, 0.0);
        java.util.Arrays.fill(c, off, off + nb, 0);
        java.util.Arrays.fill(kc, off, off + nb, 0);
        for (int t = lo; t < hi; t++) {
            int i = idx[t], bin = off + bf.bin(k, i);
            s[bin] += gh[i]; w[bin] += hc[i]; c[bin]++;
            if (firstOfCluster[i]) kc[bin]++;
        }
    }

    private void buildFeature(Hist hist, int k, int lo, int hi) {
        int off = bf.offset[k], nb = bf.nbins[k];
        double[] s = hist.s, w = hist.w, hh = h;
        int[] c = hist.c;
        java.util.Arrays.fill(s, off, off + nb, 0.0);
        java.util.Arrays.fill(w, off, off + nb, 0.0);
        java.util.Arrays.fill(c, off, off + nb, 0);
        if (bf.bins8[k] != null) {
            byte[] b = bf.bins8[k];
            for (int t = lo; t < hi; t++) {
                int i = idx[t], bin = off + (b[i] & 0xFF);
                s[bin] += gh[i]; w[bin] += hh[i]; c[bin]++;
            }
        } else if (bf.bins16[k] != null) {
            short[] b = bf.bins16[k];
            for (int t = lo; t < hi; t++) {
                int i = idx[t], bin = off + (b[i] & 0xFFFF);
                s[bin] += gh[i]; w[bin] += hh[i]; c[bin]++;
            }
        } else {
            int[] b = bf.bins32[k];
            for (int t = lo; t < hi; t++) {
                int i = idx[t], bin = off + b[i];
                s[bin] += gh[i]; w[bin] += hh[i]; c[bin]++;
            }
        }
    }

    private int newNode() {
        nodeInt.add(new int[] {-1, -1, -1});
        nodeThr.add(0.0);
        nodeVal.add(0.0);
        nodeSet.add(null);
        nodeMissLeft.add(false);
        return nodeInt.size() - 1;
    }

    /**
     * Grows the node of rows idx[lo, hi) whose histogram is hist (returned to the pool when done); hist is null
     * for a node that cannot split (at max depth or too few rows), which becomes a leaf without a histogram.
     */
    private int grow(Hist hist, double[] out, int lo, int hi, int depth) {
        int node = newNode();
        // node totals: S, W and (cluster-level splits) the node's cluster weight W_c; the histograms of this node
        // (and hc of its rows) are current
        double sumS = 0, sumW = 0, sumWc = 0;
        int clusters = 0;
        boolean withC = nodeWeights != null && hist != null;
        if (!withC && hist != null && first < bf.p) {
            int off = bf.offset[first];   // every row is in exactly one bin of each feature
            for (int b = 0; b < bf.nbins[first]; b++) { sumS += hist.s[off + b]; sumW += hist.w[off + b]; }
        } else {
            for (int t = lo; t < hi; t++) {
                int i = idx[t];
                sumS += gh[i];
                sumW += h[i];
                if (withC) { sumWc += hc[i]; if (firstOfCluster[i]) clusters++; }
            }
        }
        int count = hi - lo;
        int bestF = -1, bestBin = -1;
        double bestGain = 0;
        long[] bestSet = null;
        boolean bestMissLeft = false;
        if (hist != null && depth < maxDepth && count >= 2 * minLeaf && sumW > 0) {
            double parentR = sumS * sumS / sumW, parentC = withC && sumWc > 0 ? sumS * sumS / sumWc : 0;
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
                        sL += hist.s[bin]; wL += hist.w[bin]; nL += hist.c[bin];
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
                double sM = mb >= 0 ? hist.s[off + mb] : 0, wM = mb >= 0 ? hist.w[off + mb] : 0;
                int nM = mb >= 0 ? hist.c[off + mb] : 0, kM = cl && mb >= 0 ? hist.k[off + mb] : 0;
                double sL = 0, wL = 0;
                int nL = 0, kL = 0;
                int last = nM > 0 ? regular : regular - 1;   // with missing rows, "all regular | missing" is a split too
                for (int s = 0; s < last; s++) {
                    int bin = off + s;
                    sL += hist.s[bin]; wL += hist.w[bin]; nL += hist.c[bin];
                    if (cl) kL += hist.k[bin];
                    if (hist.c[bin] == 0 && s < regular - 1) continue;
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
        }
        if (bestF < 0) {
            double v = sumW > 0 ? sumS / sumW : 0.0;
            nodeVal.set(node, v);
            for (int t = lo; t < hi; t++) { out[idx[t]] = v; leafOf[idx[t]] = nleaves; }
            if (nleaves == leafNode.length) leafNode = java.util.Arrays.copyOf(leafNode, 2 * nleaves);
            leafNode[nleaves++] = node;
            if (hist != null) pool.push(hist);
            return node;
        }
        gain[bestF] += bestGain;
        // partition idx[lo, hi) into left then right, stable (each side keeps increasing row order)
        int nl = 0, nr = 0;
        int missing = bf.missingBin[bestF];
        for (int t = lo; t < hi; t++) {
            int i = idx[t], b = bf.bin(bestF, i);
            boolean goLeft = bestSet != null ? (bestSet[b >> 6] & (1L << (b & 63))) != 0
                    : b == missing ? bestMissLeft : b <= bestBin;
            if (goLeft) idx[lo + nl++] = i; else tmp[nr++] = i;
        }
        System.arraycopy(tmp, 0, idx, lo + nl, nr);
        nodeInt.get(node)[0] = bestF;
        nodeThr.set(node, bestSet == null ? bf.threshold[bestF][bestBin] : Double.NaN);
        nodeSet.set(node, bestSet);
        nodeMissLeft.set(node, bestMissLeft);
        // children: only those that can split need a histogram; for two, build the smaller one's and derive the
        // larger one as parent - smaller; for one, build it into the parent's buffer
        boolean canL = depth + 1 < maxDepth && nl >= 2 * minLeaf, canR = depth + 1 < maxDepth && nr >= 2 * minLeaf;
        Hist leftH = null, rightH = null;
        if (canL && canR) {
            Hist small = borrow();
            boolean leftSmall = nl <= nr;
            if (leftSmall) build(small, lo, lo + nl); else build(small, lo + nl, hi);
            for (int b = 0; b < total; b++) {
                hist.s[b] -= small.s[b];
                hist.w[b] -= small.w[b];
                hist.c[b] -= small.c[b];
            }
            // cluster weights depend on the node's rows: no subtraction for the cluster-level features
            if (nodeWeights != null) {
                if (leftSmall) build(hist, lo + nl, hi, true); else build(hist, lo, lo + nl, true);
            }
            leftH = leftSmall ? small : hist;
            rightH = leftSmall ? hist : small;
        } else if (canL) {
            build(hist, lo, lo + nl);
            leftH = hist;
        } else if (canR) {
            build(hist, lo + nl, hi);
            rightH = hist;
        } else {
            pool.push(hist);
        }
        int l = grow(leftH, out, lo, lo + nl, depth + 1);
        int r = grow(rightH, out, lo + nl, hi, depth + 1);
        nodeInt.get(node)[1] = l;
        nodeInt.get(node)[2] = r;
        return node;
    }

    private static double gain(double sL, double wL, double sR, double wR, double parent) {
        if (wL <= 0 || wR <= 0) return Double.NEGATIVE_INFINITY;
        return sL * sL / wL + sR * sR / wR - parent;
    }

    /** Levels present in the node, sorted by mean target (ties by code). */
    private static int[] levelOrder(Hist hist, int off, int nb) {
        int present = 0;
        for (int v = 0; v < nb; v++) if (hist.c[off + v] > 0) present++;
        Integer[] ord = new Integer[present];
        int c = 0;
        for (int v = 0; v < nb; v++) if (hist.c[off + v] > 0) ord[c++] = v;
        java.util.Arrays.sort(ord, (a, bb) -> {
            double wa = hist.w[off + a], wb = hist.w[off + bb];
            double ma = wa > 0 ? hist.s[off + a] / wa : 0, mb = wb > 0 ? hist.s[off + bb] / wb : 0;
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
