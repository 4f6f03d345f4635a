package org.gbmixed.learners;

import org.gbmixed.base.Features;
import org.gbmixed.base.Parallel;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.gbmixed.bench.BenchData;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH, evidence for the profile (not engine code): the histogram kernel that dominates a round
 * (TreeLearner.buildFeature) against layouts a faster engine could use, one thread each, on the engine's own
 * bins of the Friedman data (n = 1e6, 20 features) for one node holding a fraction {@code frac} of the rows,
 * scattered over the data (0.5: a node near the root; 0.02: a node at depth 5-6, whose rows each sit on their own
 * cache line). Score = ms per node histogram (all 20 features); divide by (frac x n x 20) for the cost per update.
 * <ul>
 *   <li>{@code engineColumnwise}: as TreeLearner.buildFeature before the row-major bins (engine 94d31aa to
 *       8581572): per feature, gather gh[i], h[i] through the row
 *       index and add to three arrays (sum g h, sum h, count);</li>
 *   <li>{@code columnwisePairs}: the same loop, (g h, h) interleaved per row and per bin, no count array;</li>
 *   <li>{@code rowwisePairs}: a row-major n x p byte matrix, each row's gradient pair read once for its 20 bins
 *       (the layout of xgboost's hist and LightGBM's multi-value bins);</li>
 *   <li>{@code rowwiseOrdered}: as rowwisePairs with the gradient pairs stored in node order (copied when the
 *       node's rows are partitioned), so only the bins are gathered (the engine's layout since 660210f, which
 *       also keeps a count per bin, interleaved).</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class HistKernelBench {
    @Param({"1000000"})
    public int n;

    @Param({"0.5", "0.02"})
    public double frac;

    /** rowwiseOrderedTouch: how many rows ahead it reads. */
    @Param({"16"})
    public int ahead;

    private int p, rows, total;
    private int[] idx, off;
    private byte[][] cols;
    private byte[] rowMajor;
    private double[] gh, h, pair, pairOrdered;
    private double[] s, w, hist, hist3;
    private int[] c;

    @Setup(Level.Trial)
    public void setup() {
        BenchData d = BenchData.make("friedman", n, 1);
        p = d.p;
        BinnedFeatures bf = new BinnedFeatures(new Features("x", d.x, n, p, new int[p]), 256, false, Parallel.SERIAL);
        cols = new byte[p][n];   // the column-major layout of the engine before its row-major bins
        for (int k = 0; k < p; k++) for (int i = 0; i < n; i++) cols[k][i] = (byte) bf.bin(k, i);
        off = bf.offset;
        total = off[p];
        rowMajor = new byte[n * p];
        for (int k = 0; k < p; k++) for (int i = 0; i < n; i++) rowMajor[i * p + k] = cols[k][i];
        SplittableRandom rnd = new SplittableRandom(7);
        gh = new double[n];
        h = new double[n];
        pair = new double[2 * n];
        for (int i = 0; i < n; i++) {
            h[i] = 0.5 + rnd.nextDouble();
            gh[i] = rnd.nextGaussian() * h[i];
            pair[2 * i] = gh[i];
            pair[2 * i + 1] = h[i];
        }
        // a node: a fraction frac of the rows, scattered, in increasing order (as TreeLearner's stable partition keeps them)
        int[] tmp = new int[n];
        int m = 0;
        for (int i = 0; i < n; i++) if (rnd.nextDouble() < frac) tmp[m++] = i;
        rows = m;
        idx = java.util.Arrays.copyOf(tmp, m);
        pairOrdered = new double[2 * m];
        for (int t = 0; t < m; t++) { pairOrdered[2 * t] = gh[idx[t]]; pairOrdered[2 * t + 1] = h[idx[t]]; }
        s = new double[total];
        w = new double[total];
        c = new int[total];
        hist = new double[2 * total];
        hist3 = new double[3 * total];
    }

    @Benchmark
    public double engineColumnwise() {
        java.util.Arrays.fill(s, 0);
        java.util.Arrays.fill(w, 0);
        java.util.Arrays.fill(c, 0);
        for (int k = 0; k < p; k++) {
            byte[] b = cols[k];
            int o = off[k];
            for (int t = 0; t < rows; t++) {
                int i = idx[t], bin = o + (b[i] & 0xFF);
                s[bin] += gh[i]; w[bin] += h[i]; c[bin]++;
            }
        }
        return s[0] + w[1] + c[2];
    }

    @Benchmark
    public double columnwisePairs() {
        java.util.Arrays.fill(hist, 0);
        for (int k = 0; k < p; k++) {
            byte[] b = cols[k];
            int o = off[k];
            for (int t = 0; t < rows; t++) {
                int i = idx[t], bin = 2 * (o + (b[i] & 0xFF));
                hist[bin] += pair[2 * i]; hist[bin + 1] += pair[2 * i + 1];
            }
        }
        return hist[0] + hist[3];
    }

    @Benchmark
    public double rowwisePairs() {
        java.util.Arrays.fill(hist, 0);
        for (int t = 0; t < rows; t++) {
            int i = idx[t], base = i * p;
            double g = pair[2 * i], hh = pair[2 * i + 1];
            for (int k = 0; k < p; k++) {
                int bin = 2 * (off[k] + (rowMajor[base + k] & 0xFF));
                hist[bin] += g; hist[bin + 1] += hh;
            }
        }
        return hist[0] + hist[3];
    }

    @Benchmark
    public double rowwiseOrdered() {
        java.util.Arrays.fill(hist, 0);
        for (int t = 0; t < rows; t++) {
            int base = idx[t] * p;
            double g = pairOrdered[2 * t], hh = pairOrdered[2 * t + 1];
            for (int k = 0; k < p; k++) {
                int bin = 2 * (off[k] + (rowMajor[base + k] & 0xFF));
                hist[bin] += g; hist[bin + 1] += hh;
            }
        }
        return hist[0] + hist[3];
    }

    /** As rowwiseOrdered with a row count per bin interleaved (S, W, count): the engine's kernel since 660210f. */
    @Benchmark
    public double rowwiseOrderedCount() {
        double[] a = hist3;
        java.util.Arrays.fill(a, 0);
        for (int t = 0; t < rows; t++) {
            int base = idx[t] * p;
            double g = pairOrdered[2 * t], hh = pairOrdered[2 * t + 1];
            for (int k = 0; k < p; k++) {
                int bin = 3 * (off[k] + (rowMajor[base + k] & 0xFF));
                a[bin] += g; a[bin + 1] += hh; a[bin + 2] += 1;
            }
        }
        return a[0] + a[4];
    }

    /**
     * As rowwiseOrdered, reading one byte of the row 16 ahead first (a load whose value is kept, so the JIT keeps
     * it): its cache miss then overlaps this row's updates, a software prefetch.
     */
    @Benchmark
    public double rowwiseOrderedTouch() {
        java.util.Arrays.fill(hist, 0);
        int touch = 0;
        for (int t = 0; t < rows; t++) {
            if (t + ahead < rows) touch += rowMajor[idx[t + ahead] * p];
            int base = idx[t] * p;
            double g = pairOrdered[2 * t], hh = pairOrdered[2 * t + 1];
            for (int k = 0; k < p; k++) {
                int bin = 2 * (off[k] + (rowMajor[base + k] & 0xFF));
                hist[bin] += g; hist[bin + 1] += hh;
            }
        }
        return hist[0] + hist[3] + touch;
    }
}
