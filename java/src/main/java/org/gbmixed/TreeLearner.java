package org.gbmixed;

import java.util.ArrayList;
import java.util.List;

/**
 * Regression tree on binned features, grown depth-first to maxDepth. It sees only a target g and weights h
 * (never the loss): a node's value is sum(h g) / sum(h), a split's gain is
 * S_L^2/W_L + S_R^2/W_R - S^2/W with S = sum(h g), W = sum(h) (weighted squared-error reduction).
 * Factor splits order the levels present in the node by their mean target and split along that order.
 */
final class TreeLearner {
    private final BinnedFeatures bf;
    private final int maxDepth, minLeaf;
    private final int[] idx, tmp;
    private final double[] histS, histW;
    private final int[] histN;
    /** Accumulated split gain per feature over all trees grown. */
    final double[] gain;

    // node arrays of the tree being grown
    private List<int[]> nodeInt;          // {feature, left, right}
    private List<Double> nodeThr, nodeVal;
    private List<long[]> nodeSet;

    TreeLearner(BinnedFeatures bf, int maxDepth, int minLeaf) {
        this.bf = bf;
        this.maxDepth = maxDepth;
        this.minLeaf = minLeaf;
        idx = new int[bf.n];
        tmp = new int[bf.n];
        int mb = bf.maxBins();
        histS = new double[mb];
        histW = new double[mb];
        histN = new int[mb];
        gain = new double[bf.p];
    }

    /**
     * Fits a tree to target g with weights h over all rows; writes each row's (unscaled) leaf value to out.
     */
    Tree fit(double[] g, double[] h, double[] out) {
        for (int i = 0; i < bf.n; i++) idx[i] = i;
        nodeInt = new ArrayList<>();
        nodeThr = new ArrayList<>();
        nodeVal = new ArrayList<>();
        nodeSet = new ArrayList<>();
        grow(g, h, out, 0, bf.n, 0);
        int size = nodeInt.size();
        int[] f = new int[size], l = new int[size], r = new int[size];
        double[] th = new double[size], v = new double[size];
        long[][] sets = new long[size][];
        for (int t = 0; t < size; t++) {
            int[] a = nodeInt.get(t);
            f[t] = a[0]; l[t] = a[1]; r[t] = a[2];
            th[t] = nodeThr.get(t); v[t] = nodeVal.get(t); sets[t] = nodeSet.get(t);
        }
        return new Tree(f, th, sets, l, r, v);
    }

    private int newNode() {
        nodeInt.add(new int[] {-1, -1, -1});
        nodeThr.add(0.0);
        nodeVal.add(0.0);
        nodeSet.add(null);
        return nodeInt.size() - 1;
    }

    private int grow(double[] g, double[] h, double[] out, int lo, int hi, int depth) {
        int node = newNode();
        double sumS = 0, sumW = 0;
        for (int t = lo; t < hi; t++) { int i = idx[t]; sumS += h[i] * g[i]; sumW += h[i]; }
        int count = hi - lo;
        int bestF = -1, bestBin = -1;
        double bestGain = 0;
        long[] bestSet = null;
        if (depth < maxDepth && count >= 2 * minLeaf && sumW > 0) {
            double parent = sumS * sumS / sumW;
            for (int k = 0; k < bf.p; k++) {
                int nb = bf.nbins[k];
                int[] b = bf.bins[k];
                java.util.Arrays.fill(histS, 0, nb, 0.0);
                java.util.Arrays.fill(histW, 0, nb, 0.0);
                java.util.Arrays.fill(histN, 0, nb, 0);
                for (int t = lo; t < hi; t++) {
                    int i = idx[t], bin = b[i];
                    histS[bin] += h[i] * g[i];
                    histW[bin] += h[i];
                    histN[bin]++;
                }
                int[] orderOfBins = bf.isFactor[k] ? levelOrder(nb) : null;
                double sL = 0, wL = 0;
                int nL = 0;
                int steps = orderOfBins == null ? nb : orderOfBins.length;
                for (int s = 0; s < steps - 1; s++) {
                    int bin = orderOfBins == null ? s : orderOfBins[s];
                    sL += histS[bin]; wL += histW[bin]; nL += histN[bin];
                    if (histN[bin] == 0 && orderOfBins == null) continue;
                    int nR = count - nL;
                    if (nL < minLeaf) continue;
                    if (nR < minLeaf) break;
                    double wR = sumW - wL;
                    if (wL <= 0 || wR <= 0) continue;
                    double sR = sumS - sL;
                    double gn = sL * sL / wL + sR * sR / wR - parent;
                    if (gn > bestGain * (1 + 1e-12) + 1e-12 * Math.abs(parent)) {
                        bestGain = gn;
                        bestF = k;
                        bestBin = s;
                        bestSet = orderOfBins == null ? null : leftSet(orderOfBins, s, nb);
                    }
                }
            }
        }
        if (bestF < 0) {
            double v = sumW > 0 ? sumS / sumW : 0.0;
            nodeVal.set(node, v);
            for (int t = lo; t < hi; t++) out[idx[t]] = v;
            return node;
        }
        gain[bestF] += bestGain;
        // partition idx[lo, hi) into left then right, stable
        int[] b = bf.bins[bestF];
        int nl = 0, nr = 0;
        for (int t = lo; t < hi; t++) {
            int i = idx[t];
            boolean goLeft = bestSet == null ? b[i] <= bestBin : (bestSet[b[i] >> 6] & (1L << (b[i] & 63))) != 0;
            if (goLeft) idx[lo + nl++] = i; else tmp[nr++] = i;
        }
        System.arraycopy(tmp, 0, idx, lo + nl, nr);
        nodeInt.get(node)[0] = bestF;
        nodeThr.set(node, bestSet == null ? bf.threshold[bestF][bestBin] : Double.NaN);
        nodeSet.set(node, bestSet);
        int l = grow(g, h, out, lo, lo + nl, depth + 1);
        int r = grow(g, h, out, lo + nl, hi, depth + 1);
        nodeInt.get(node)[1] = l;
        nodeInt.get(node)[2] = r;
        return node;
    }

    /** Levels present in the node, sorted by mean target (ties by code). */
    private int[] levelOrder(int nb) {
        int present = 0;
        for (int v = 0; v < nb; v++) if (histN[v] > 0) present++;
        Integer[] ord = new Integer[present];
        int c = 0;
        for (int v = 0; v < nb; v++) if (histN[v] > 0) ord[c++] = v;
        java.util.Arrays.sort(ord, (a, bb) -> {
            double ma = histW[a] > 0 ? histS[a] / histW[a] : 0, mb = histW[bb] > 0 ? histS[bb] / histW[bb] : 0;
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
