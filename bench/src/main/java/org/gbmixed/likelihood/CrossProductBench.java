package org.gbmixed.likelihood;

import org.gbmixed.base.Features;
import org.gbmixed.learners.LinearLearner;
import org.gbmixed.base.Parallel;
import org.gbmixed.base.TrainingData;

import dev.ludovic.netlib.blas.BLAS;
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

import java.util.concurrent.TimeUnit;

/**
 * JMH, issue 10's question on BLAS: the cost of the linear learner's Newton step is the cross-product
 * A'R^-1 A over all rows (A = [1, X], 22 columns at 1e6 x 20 with the level column), then a small per-cluster
 * correction. One thread each (the engine splits the clusters over its threads in every variant alike):
 * <ul>
 *   <li>{@code engineSystem}: NewtonStep.system on the linear learner's basis, as a round runs it (the generic
 *       sparse-row accumulation, plus the per-cluster U'PU correction and A'V^-1 r);</li>
 *   <li>{@code denseRows}: the cross-product alone, written by hand for a dense basis: per row, its weighted
 *       entries times the row into the lower triangle;</li>
 *   <li>{@code blasDsyrk}: the same cross-product by BLAS dsyrk over blocks of 4096 rows (each block's
 *       sqrt(w)-scaled rows copied into a column-major k x 4096 buffer), through dev.ludovic.netlib, which calls
 *       the system's libblas.so.3 by JNI where it loads (the implementation is printed at setup);</li>
 *   <li>{@code blasDgemv}: A'(w r) by dgemv on the column-major design, for scale (one pass).</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms6g", "-Xmx6g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 2)
public class CrossProductBench {
    @Param({"1000000"})
    public int n;

    private static final int BLOCK = 4096;
    private NewtonStep newton;
    private Likelihood lik;
    private Basis basis;
    private double[] resVar, design, rowMajor, w, r, buf;
    private int k;
    private BLAS blas;

    @Setup(Level.Trial)
    public void setup() {
        BenchData d = BenchData.make("lmm", n, 1);
        double[] ones = new double[n];
        java.util.Arrays.fill(ones, 1.0);
        TrainingData td = new TrainingData(d.x, n, d.p, new int[d.p], d.y, ones, d.cluster, d.m, d.z, 1, false);
        Parallel one = Parallel.SERIAL;
        lik = new Likelihood(td, one);
        resVar = new double[n];
        r = new double[n];
        java.util.Arrays.fill(resVar, 4.0);
        for (int j = 0; j < n; j++) r[j] = d.y[j] - 2;
        lik.run(r, resVar, new double[] {1.0}, 0);
        LinearLearner ll = new LinearLearner(new Features("x", d.x, n, d.p, new int[d.p]));
        basis = Basis.concat(Basis.column(null), ll.basis());
        newton = new NewtonStep(td, one);
        k = basis.ncol();
        // the same columns as plain arrays for the hand-written and BLAS variants
        design = new double[n * k];
        rowMajor = new double[n * k];
        int[] col = new int[k];
        double[] val = new double[k];
        for (int j = 0; j < n; j++) {
            int nz = basis.row(j, col, val, 0);
            for (int c = 0; c < nz; c++) { design[j + col[c] * n] = val[c]; rowMajor[j * k + col[c]] = val[c]; }
        }
        w = new double[n];
        for (int j = 0; j < n; j++) w[j] = 1 / resVar[j];
        buf = new double[k * BLOCK];
        blas = BLAS.getInstance();
        System.out.println("# BLAS: " + blas.getClass().getName() + ", k = " + k);
    }

    @Benchmark
    public double engineSystem() {
        double[] g = new double[k];
        double[] h = newton.system(basis, lik, resVar, null, g);
        return h[0] + g[0];
    }

    @Benchmark
    public double denseRows() {
        double[] h = new double[k * k];
        double[] x = rowMajor;
        for (int j = 0; j < n; j++) {
            double wj = w[j];
            int o = j * k;
            for (int c = 0; c < k; c++) {
                double vr = x[o + c] * wj;
                int hc = c * k;
                for (int c2 = 0; c2 <= c; c2++) h[hc + c2] += vr * x[o + c2];
            }
        }
        return h[0] + h[k * k - 1];
    }

    @Benchmark
    public double blasDsyrk() {
        double[] h = new double[k * k];
        for (int lo = 0; lo < n; lo += BLOCK) {
            int rows = Math.min(BLOCK, n - lo);
            // buffer: k x rows, column t = sqrt(w) times row lo + t
            for (int t = 0; t < rows; t++) {
                double s = Math.sqrt(w[lo + t]);
                int o = (lo + t) * k, b = t * k;
                for (int c = 0; c < k; c++) buf[b + c] = rowMajor[o + c] * s;
            }
            blas.dsyrk("L", "N", k, rows, 1.0, buf, k, 1.0, h, k);
        }
        return h[0] + h[k * k - 1];
    }

    @Benchmark
    public double blasDgemv() {
        double[] wr = new double[n], g = new double[k];
        for (int j = 0; j < n; j++) wr[j] = w[j] * r[j];
        blas.dgemv("T", n, k, 1.0, design, n, wr, 1, 0.0, g, 1);
        return g[0];
    }
}
