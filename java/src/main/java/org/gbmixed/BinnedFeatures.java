package org.gbmixed;

import java.util.Arrays;

/**
 * Every feature binned once per fit. Numeric: bins at every distinct value when there are at most maxBins of
 * them (or exact splits were asked for), otherwise at quantiles of the values; a split "bin <= b" is
 * "x <= threshold[b]", the midpoint between bin b's largest value and the next distinct value.
 * Factor: one bin per level code.
 */
final class BinnedFeatures {
    final int n, p;
    final int[][] bins;          // bins[k][row]
    final int[] nbins;
    final double[][] threshold;  // numeric only: threshold[k][b]; null for factors
    final boolean[] isFactor;

    BinnedFeatures(Features d, int maxBins, boolean exact) {
        n = d.n;
        p = d.p;
        bins = new int[p][];
        nbins = new int[p];
        threshold = new double[p][];
        isFactor = new boolean[p];
        for (int k = 0; k < p; k++) {
            int[] b = new int[n];
            if (d.nlevels[k] > 0) {
                isFactor[k] = true;
                nbins[k] = d.nlevels[k];
                for (int i = 0; i < n; i++) b[i] = (int) d.x[i + k * n];
            } else {
                binNumeric(d.x, k * n, b, exact ? Integer.MAX_VALUE : maxBins, k);
            }
            bins[k] = b;
        }
    }

    private void binNumeric(double[] x, int off, int[] b, int maxBins, int k) {
        double[] sorted = Arrays.copyOfRange(x, off, off + n);
        Arrays.sort(sorted);
        // distinct values and their counts
        double[] uniq = new double[n];
        int[] cnt = new int[n];
        int u = 0;
        for (int i = 0; i < n; i++) {
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
                if (cum * (long) maxBins >= (long) (nb + 1) * n || v == u - 1) tmp[nb++] = uniq[v];
                if (nb == maxBins - 1 && v < u - 1) { tmp[nb++] = uniq[u - 1]; break; }
            }
            upper = Arrays.copyOf(tmp, nb);
        }
        int nb = upper.length;
        double[] thr = new double[nb];
        for (int t = 0; t < nb; t++) {
            if (t == nb - 1) { thr[t] = Double.POSITIVE_INFINITY; break; }
            // next distinct value after upper[t]
            int pos = Arrays.binarySearch(uniq, 0, u, upper[t]);
            double next = uniq[pos + 1];
            double mid = upper[t] + (next - upper[t]) / 2;
            thr[t] = mid < next ? mid : upper[t];
        }
        for (int i = 0; i < n; i++) {
            int pos = Arrays.binarySearch(upper, x[off + i]);
            b[i] = pos >= 0 ? pos : -pos - 1;
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
