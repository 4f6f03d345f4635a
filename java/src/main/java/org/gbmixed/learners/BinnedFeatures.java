package org.gbmixed.learners;

import org.gbmixed.base.Features;
import org.gbmixed.base.Parallel;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Every feature binned once per fit and stored compactly: the features with at most 256 bins as bytes, twice (a
 * row-major n x p8 matrix, a row's bins side by side, so that a histogram pass reads each row's cache line once
 * for all of them, as xgboost's hist and LightGBM's multi-value bins do; and per feature, for a split's partition,
 * which reads one feature), the others per feature as shorts (up to 65536 bins) or ints (exact splits beyond
 * that). Numeric: bins at every distinct value when there are at most
 * maxBins of them (or exact splits were asked for), otherwise at quantiles of the values (of a sample of
 * {@link #SAMPLE} rows when there are more); a split "bin <= b" is "x <= threshold[b]", the midpoint between
 * bin b's largest value and the next distinct value. Factor: one bin per level code.
 */
final class BinnedFeatures {
    /** Rows sampled to place quantile cuts (as LightGBM's bin_construct_sample_cnt). */
    static final int SAMPLE = 200_000;

    final int n, p;
    /** Bins of the byte features, row-major: row i's bin of feature k is rows8[i * p8 + col8[k]]. */
    byte[] rows8;
    /**
     * The same bins per feature (null for the others): what one split's partition reads, one byte of one column
     * per row instead of a cache line of rows8.
     */
    final byte[][] bins8;
    /** Number of byte features (the row length of rows8). */
    int p8;
    /** Column of feature k in rows8, or -1 when it is stored in bins16 or bins32. */
    int[] col8;
    final short[][] bins16;      // per feature, null for byte features
    final int[][] bins32;
    final int[] nbins;
    /** Offset of feature k's bins in a histogram holding all features; total = offset[p]. */
    final int[] offset;
    final double[][] threshold;  // numeric only: threshold[k][b]; null for factors
    final boolean[] isFactor;
    /** missingBin[k] = the bin of NaN rows (the last bin), or -1 when feature k has no missing value. */
    final int[] missingBin;
    /**
     * Features constant within every cluster (NaN counting as a value), or null when there are none or the rows
     * have no clusters (the covariates of G are one row per cluster).
     */
    boolean[] clusterLevel;
    /** With cluster-level features: the cluster of every row, and the number of clusters (else null, 0). */
    int[] clusterOf;
    int nclusters;
    /**
     * True when splits on the cluster-level features are scored with the node's cluster weights (cluster_splits);
     * false when those features are only summed by cluster, for speed (the same histograms, fewer updates).
     */
    boolean scoreClusterSplits;

    /** Marks the features whose bin is the same for all rows of each cluster; score: see scoreClusterSplits. */
    void markClusterLevel(int[] cluster, int m, boolean score) {
        scoreClusterSplits = score;
        boolean[] level = new boolean[p];
        boolean any = false;
        int[] seen = new int[m];
        for (int k = 0; k < p; k++) {
            java.util.Arrays.fill(seen, -1);
            boolean constant = true;
            for (int i = 0; i < n && constant; i++) {
                int b = bin(k, i), c = cluster[i];
                if (seen[c] < 0) seen[c] = b; else constant = seen[c] == b;
            }
            level[k] = constant;
            any |= constant;
        }
        clusterLevel = any ? level : null;
        clusterOf = any ? cluster : null;
        nclusters = any ? m : 0;
        // their histograms come from cluster sums, never from rows8: a narrower rows8 without them
        if (any) packRows(level, Parallel.SERIAL);
    }

    BinnedFeatures(Features d, int maxBins, boolean exact, Parallel par) {
        n = d.n;
        p = d.p;
        bins8 = new byte[p][];
        bins16 = new short[p][];
        bins32 = new int[p][];
        nbins = new int[p];
        threshold = new double[p][];
        isFactor = new boolean[p];
        missingBin = new int[p];
        par.forEach(p, k -> {
            int[] b = new int[n];
            boolean miss = false;
            for (int i = 0; i < n && !miss; i++) miss = Double.isNaN(d.x[i + k * n]);
            if (d.nlevels[k] > 0) {
                isFactor[k] = true;
                nbins[k] = d.nlevels[k];
                for (int i = 0; i < n; i++) {
                    double v = d.x[i + k * n];
                    b[i] = Double.isNaN(v) ? d.nlevels[k] : (int) v;
                }
            } else {
                binNumeric(d.x, k * n, b, exact ? Integer.MAX_VALUE : maxBins, exact, k);
            }
            missingBin[k] = miss ? nbins[k] : -1;
            if (miss) {
                if (!isFactor[k]) for (int i = 0; i < n; i++) if (Double.isNaN(d.x[i + k * n])) b[i] = nbins[k];
                nbins[k]++;
            }
            store(k, b, bins8);
        });
        packRows(null, par);
        offset = new int[p + 1];
        for (int k = 0; k < p; k++) offset[k + 1] = offset[k] + nbins[k];
    }

    /** rows8 (and col8, p8) of the byte features but those with leave[k]. */
    private void packRows(boolean[] leave, Parallel par) {
        int[] c = new int[p];
        int c8 = 0;
        for (int k = 0; k < p; k++) c[k] = bins8[k] != null && (leave == null || !leave[k]) ? c8++ : -1;
        int w = c8;
        byte[] r = new byte[n * w];
        int blocks = (n + 65535) >>> 16;
        par.forEach(blocks, blk -> {
            int lo = blk << 16, hi = Math.min(n, lo + 65536);
            for (int k = 0; k < p; k++) {
                if (c[k] < 0) continue;
                byte[] col = bins8[k];
                for (int i = lo, at = lo * w + c[k]; i < hi; i++, at += w) r[at] = col[i];
            }
        });
        col8 = c;
        p8 = w;
        rows8 = r;
    }

    private void store(int k, int[] b, byte[][] bins8) {
        if (nbins[k] <= 256) {
            byte[] s = new byte[n];
            for (int i = 0; i < n; i++) s[i] = (byte) b[i];
            bins8[k] = s;
        } else if (nbins[k] <= 65536) {
            short[] s = new short[n];
            for (int i = 0; i < n; i++) s[i] = (short) b[i];
            bins16[k] = s;
        } else {
            bins32[k] = b;
        }
    }

    /** Bin of row i in feature k. */
    int bin(int k, int i) {
        if (bins8[k] != null) return bins8[k][i] & 0xFF;
        if (bins16[k] != null) return bins16[k][i] & 0xFFFF;
        return bins32[k][i];
    }

    private void binNumeric(double[] x, int off, int[] b, int maxBins, boolean exact, int k) {
        double[] sorted;
        if (!exact && n > SAMPLE) {
            SplittableRandom rnd = new SplittableRandom(0x9E3779B97F4A7C15L + k);
            sorted = new double[SAMPLE];
            for (int i = 0; i < SAMPLE; i++) sorted[i] = x[off + rnd.nextInt(n)];
        } else {
            sorted = Arrays.copyOfRange(x, off, off + n);
        }
        Arrays.sort(sorted);                     // NaN sort last: cut them off
        int ns = sorted.length;
        while (ns > 0 && Double.isNaN(sorted[ns - 1])) ns--;
        if (ns == 0) { sorted = new double[] {0}; ns = 1; }   // all missing: one dummy bin
        // distinct values and their counts
        double[] uniq = new double[ns];
        int[] cnt = new int[ns];
        int u = 0;
        for (int i = 0; i < ns; i++) {
            if (u == 0 || sorted[i] != uniq[u - 1]) { uniq[u] = sorted[i]; cnt[u] = 0; u++; }
            cnt[u - 1]++;
        }
        // upper[bin] = largest distinct value in the bin
        double[] upper;
        if (u <= maxBins) {
            upper = Arrays.copyOf(uniq, u);
        } else {
            double[] tmp = new double[maxBins];
            int nb = 0;
            long cum = 0;
            for (int v = 0; v < u; v++) {
                cum += cnt[v];
                // close the bin when the cumulative count reaches the next quantile boundary
                if (cum * (long) maxBins >= (long) (nb + 1) * ns || v == u - 1) tmp[nb++] = uniq[v];
                if (nb == maxBins - 1 && v < u - 1) { tmp[nb++] = uniq[u - 1]; break; }
            }
            upper = Arrays.copyOf(tmp, nb);
        }
        int nb = upper.length;
        double[] thr = new double[nb];
        for (int t = 0; t < nb - 1; t++) {
            // next distinct value after upper[t]
            int pos = Arrays.binarySearch(uniq, 0, u, upper[t]);
            double next = uniq[pos + 1];
            double mid = upper[t] + (next - upper[t]) / 2;
            thr[t] = mid < next ? mid : upper[t];
        }
        thr[nb - 1] = Double.POSITIVE_INFINITY;
        // assignment by the thresholds, so that training rows and predictions agree even for values that a
        // sample did not contain: bin = first t with x <= thr[t]
        // (a binary search without branches on the data: the halving steps depend on nb alone)
        for (int i = 0; i < n; i++) {
            double v = x[off + i];
            int base = 0, len = nb;
            while (len > 1) {
                int half = len >>> 1;
                base = thr[base + half - 1] < v ? base + half : base;
                len -= half;
            }
            b[i] = base;
        }
        nbins[k] = nb;
        threshold[k] = thr;
    }

    int maxBins() {
        int mx = 1;
        for (int v : nbins) mx = Math.max(mx, v);
        return mx;
    }
}
