package org.gbmixed.likelihood;

import org.gbmixed.base.Parallel;
import org.gbmixed.base.TrainingData;

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
 * JMH: the E-step (Likelihood.run: per cluster C_i = G^-1 + Z'R^-1 Z, its Cholesky, BLUPs, P_i, row residuals e
 * and the NLL), clusters of 100 rows, q = 1 (random intercept) or q = 2 (intercept + slope on x1), with one
 * shared G (Base, RBoost: {@code sharedG}) or one G per cluster (GBoost, GRBoost: {@code perClusterG}).
 * Package org.gbmixed, compiled against the engine jar, as TreeBench.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 2)
public class EStepBench {
    @Param({"100000", "1000000"})
    public int n;

    @Param({"1", "2"})
    public int q;

    private Likelihood lik;
    private double[] r, resVar, lShared, lPerCluster;

    @Setup(Level.Trial)
    public void setup() {
        BenchData d = BenchData.make("friedman", n, 1);
        double[] z = new double[n * q];
        for (int j = 0; j < n; j++) {
            z[j] = 1;
            if (q > 1) z[j + n] = d.x[j];
        }
        double[] w = new double[n];
        java.util.Arrays.fill(w, 1.0);
        TrainingData td = new TrainingData(d.x, n, d.p, new int[d.p], d.y, w, d.cluster, d.m, z, q, false);
        lik = new Likelihood(td, new Parallel(0));
        double mean = 0;
        for (double v : d.y) mean += v;
        mean /= n;
        r = new double[n];
        resVar = new double[n];
        for (int j = 0; j < n; j++) { r[j] = d.y[j] - mean; resVar[j] = 1.0; }
        lShared = new double[q * q];
        for (int a = 0; a < q; a++) lShared[a + a * q] = 1.5;
        lPerCluster = new double[d.m * q * q];
        for (int i = 0; i < d.m; i++) System.arraycopy(lShared, 0, lPerCluster, i * q * q, q * q);
    }

    @Benchmark
    public double sharedG() {
        return lik.run(r, resVar, lShared, 0);
    }

    @Benchmark
    public double perClusterG() {
        return lik.run(r, resVar, lPerCluster, q * q);
    }
}
