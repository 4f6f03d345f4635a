package org.gbmixed.learners;

import org.gbmixed.base.Features;
import org.gbmixed.base.Parallel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Binning against its definition: exact bins at every distinct value with midpoint thresholds; quantile bins
 * whose b-th closes where the cumulative count first reaches (b + 1) n / max_bins (a value never split); the
 * sampled quantiles above SAMPLE rows; the missing bin last; storage by bin count (bytes to 256, shorts to
 * 65,536); and the features constant within clusters.
 */
class BinnedFeaturesTest {

    private static BinnedFeatures one(double[] x, int maxBins, boolean exact) {
        return new BinnedFeatures(new Features("x", x, x.length, 1, new int[] {0}), maxBins, exact, Parallel.SERIAL);
    }

    /** Every row's bin is the first b with x <= threshold[b] (missing: the missing bin). */
    private static void assertAssignmentFollowsThresholds(BinnedFeatures bf, double[] x) {
        double[] thr = bf.threshold[0];
        for (int i = 0; i < x.length; i++) {
            int want;
            if (Double.isNaN(x[i])) want = bf.missingBin[0];
            else { want = 0; while (!(x[i] <= thr[want])) want++; }
            assertEquals(want, bf.bin(0, i), "row " + i + ", x = " + x[i]);
        }
    }

    @Test
    void exactBinsHaveMidpointThresholds() {
        double[] x = {3, 1, 2, 2, 7, 1, 3.5};
        BinnedFeatures bf = one(x, 256, false);
        assertEquals(5, bf.nbins[0]);
        assertArrayEquals(new double[] {1.5, 2.5, 3.25, 5.25, Double.POSITIVE_INFINITY}, bf.threshold[0]);
        assertEquals(-1, bf.missingBin[0]);
        assertAssignmentFollowsThresholds(bf, x);
        assertEquals(5, bf.maxBins());
    }

    @Test
    void quantileBinsCloseAtTheCumulativeCountsAndNeverSplitAValue() {
        Random rnd = new Random(2);
        int n = 1000, maxBins = 16;
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = rnd.nextDouble();
        BinnedFeatures bf = one(x, maxBins, false);
        assertEquals(maxBins, bf.nbins[0]);
        int[] count = new int[maxBins];
        for (int i = 0; i < n; i++) count[bf.bin(0, i)]++;
        for (int b = 0; b < maxBins; b++) {
            int want = (int) Math.ceil((b + 1) * (double) n / maxBins) - (int) Math.ceil(b * (double) n / maxBins);
            assertEquals(want, count[b], "rows of bin " + b);
        }
        assertAssignmentFollowsThresholds(bf, x);
        double[] sorted = x.clone();
        Arrays.sort(sorted);
        for (int b = 0; b + 1 < maxBins; b++) {
            // the threshold is the midpoint between the bin's largest value and the next value
            int last = (int) Math.ceil((b + 1) * (double) n / maxBins) - 1;
            assertEquals((sorted[last] + sorted[last + 1]) / 2, bf.threshold[0][b], 1e-15, "threshold " + b);
        }
        // heavy ties: half the rows are 0; a value's rows stay in one bin, the remaining bins share the rest
        double[] t = new double[n];
        for (int i = 0; i < n; i++) t[i] = i % 2 == 0 ? 0 : rnd.nextDouble();
        BinnedFeatures tb = one(t, maxBins, false);
        assertAssignmentFollowsThresholds(tb, t);
        for (int i = 0; i < n; i += 2) assertEquals(0, tb.bin(0, i), "every zero in the first bin");
        int[] tc = new int[tb.nbins[0]];
        for (int i = 0; i < n; i++) tc[tb.bin(0, i)]++;
        assertEquals(n / 2, tc[0]);
        assertTrue(tb.nbins[0] <= maxBins && tb.nbins[0] >= maxBins / 2, "bins " + tb.nbins[0]);
        // 100 single values under one value of 900 rows: no quantile boundary is reached before the big value,
        // so there is one bin (not a second one after the last value)
        double[] top = new double[1000];
        for (int i = 0; i < 1000; i++) top[i] = Math.min(i, 100);
        for (int mb : new int[] {2, 3}) {
            BinnedFeatures one = one(top, mb, false);
            assertEquals(1, one.nbins[0], "max_bins " + mb);
            assertArrayEquals(new double[] {Double.POSITIVE_INFINITY}, one.threshold[0]);
        }
        // more distinct values than bins, few of them: the last bin takes what is left
        double[] few = new double[40];
        for (int i = 0; i < 40; i++) few[i] = i % 5;
        BinnedFeatures fb = one(few, 3, false);
        assertEquals(3, fb.nbins[0]);
        assertArrayEquals(new double[] {1.5, 3.5, Double.POSITIVE_INFINITY}, fb.threshold[0]);
    }

    @Test
    void aSampleOfRowsPlacesTheQuantilesOfLargeColumns() {
        int n = BinnedFeatures.SAMPLE + 50_000, maxBins = 32;
        Random rnd = new Random(3);
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = rnd.nextGaussian();
        x[17] = Double.NaN;
        BinnedFeatures a = one(x, maxBins, false), b = one(x, maxBins, false);
        assertArrayEquals(a.threshold[0], b.threshold[0], "the sample is drawn from a fixed seed");
        assertEquals(maxBins + 1, a.nbins[0], "32 bins and the missing bin");
        assertEquals(maxBins, a.missingBin[0]);
        assertAssignmentFollowsThresholds(a, x);
        int[] count = new int[a.nbins[0]];
        for (int i = 0; i < n; i++) count[a.bin(0, i)]++;
        assertEquals(1, count[maxBins]);
        // the sample's quantiles: each bin within 5% of n / 32 (binomial sd of a sample of 200,000 is ~0.6%)
        for (int k = 0; k < maxBins; k++) assertEquals(n / (double) maxBins, count[k], 0.05 * n / maxBins, "bin " + k);
        // exact splits ignore the sample: every distinct value is a bin, also above SAMPLE rows
        BinnedFeatures ex = one(Arrays.copyOf(x, 70_000), 32, true);
        assertEquals(70_000, ex.nbins[0]);
        assertEquals(n, one(x, 32, true).nbins[0], "n - 1 distinct values and the missing bin");
        // exactly SAMPLE rows: all of them place the quantiles (no sample)
        double[] at = Arrays.copyOf(x, BinnedFeatures.SAMPLE);
        at[17] = 0.123;
        BinnedFeatures all = one(at, maxBins, false);
        int[] cnt = new int[maxBins];
        for (int i = 0; i < at.length; i++) cnt[all.bin(0, i)]++;
        for (int k = 0; k < maxBins; k++) {
            int want = (int) Math.ceil((k + 1) * (double) at.length / maxBins) - (int) Math.ceil(k * (double) at.length / maxBins);
            assertEquals(want, cnt[k], "SAMPLE rows, bin " + k);
        }
    }

    @Test
    void asManyDistinctValuesAsBinsAreBinnedExactly() {
        // 8 distinct values, seven of one row and one of 93, max_bins 8: one bin per value (quantiles would put
        // the seven single rows into one bin with the 93)
        double[] x = new double[100];
        for (int i = 0; i < 100; i++) x[i] = Math.min(i, 7);
        BinnedFeatures bf = one(x, 8, false);
        assertEquals(8, bf.nbins[0]);
        assertArrayEquals(new double[] {0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, Double.POSITIVE_INFINITY}, bf.threshold[0]);
    }

    @Test
    void missingValuesFactorsAndStorage() {
        double[] x = {Double.NaN, 1, Double.NaN, 2};
        BinnedFeatures bf = one(x, 256, false);
        assertEquals(3, bf.nbins[0]);
        assertEquals(2, bf.missingBin[0]);
        assertAssignmentFollowsThresholds(bf, x);
        BinnedFeatures allMissing = one(new double[] {Double.NaN, Double.NaN}, 256, false);
        assertEquals(2, allMissing.nbins[0], "a dummy bin and the missing bin");
        assertEquals(1, allMissing.bin(0, 0));
        double[] codes = {2, 0, Double.NaN, 1, 2};
        BinnedFeatures fac = new BinnedFeatures(new Features("x", codes, 5, 1, new int[] {3}), 256, false, Parallel.SERIAL);
        assertTrue(fac.isFactor[0]);
        assertEquals(4, fac.nbins[0]);
        assertEquals(3, fac.missingBin[0]);
        assertArrayEquals(new int[] {2, 0, 3, 1, 2}, new int[] {fac.bin(0, 0), fac.bin(0, 1), fac.bin(0, 2), fac.bin(0, 3), fac.bin(0, 4)});
        for (int nb : new int[] {256, 257, 65_536, 65_537}) {
            double[] v = new double[nb];
            for (int i = 0; i < nb; i++) v[i] = nb - i;
            BinnedFeatures s = one(v, 0, true);
            assertEquals(nb, s.nbins[0]);
            if (nb <= 256) assertEquals(0, s.col8[0]); else assertEquals(-1, s.col8[0]);
            if (nb <= 256) assertNotNull(s.bins8[0]); else assertNull(s.bins8[0]);
            if (nb > 256 && nb <= 65_536) assertNotNull(s.bins16[0]); else assertNull(s.bins16[0]);
            if (nb > 65_536) assertNotNull(s.bins32[0]); else assertNull(s.bins32[0]);
            for (int i = 0; i < nb; i += 97) assertEquals(nb - 1 - i, s.bin(0, i), nb + " bins, row " + i);
            assertEquals(nb - 1, s.bin(0, 0));
        }
    }

    @Test
    void featuresConstantWithinClustersAreMarked() {
        int[] cluster = {0, 0, 1, 1, 1, 2};
        double[] x = {
            5, 5, 7, 7, 7, 1,                                           // constant within clusters
            5, 5, 7, 7, 8, 1,                                           // not in cluster 1
            Double.NaN, Double.NaN, 2, 2, 2, 3,                         // NaN is a value
            Double.NaN, 1, 2, 2, 2, 3,                                  // NaN and 1 differ
            0, 4, 2, 2, 2, 3};                                          // bin 0 first, then another bin
        BinnedFeatures bf = new BinnedFeatures(new Features("x", x, 6, 5, new int[5]), 256, false, Parallel.SERIAL);
        bf.markClusterLevel(cluster, 3, true);
        assertArrayEquals(new boolean[] {true, false, true, false, false}, bf.clusterLevel);
        BinnedFeatures none = new BinnedFeatures(new Features("x", Arrays.copyOfRange(x, 6, 12), 6, 1, new int[1]), 256,
                false, Parallel.SERIAL);
        none.markClusterLevel(cluster, 3, true);
        assertNull(none.clusterLevel, "no feature constant within clusters");
    }
}
