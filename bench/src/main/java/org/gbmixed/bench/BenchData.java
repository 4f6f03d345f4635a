package org.gbmixed.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;

/**
 * The simulated data sets of the benchmark, generated once from a seed so that every implementation (gbmixed in
 * Java and through R, xgboost4j, gbm, lmer) fits the same numbers. Rows of a cluster are contiguous (cluster of
 * row j = j / clusterSize), as in a typical R data frame; x is n x p column-major.
 * <ul>
 *   <li>{@code friedman}: x ~ U(0,1)^20, f(x) = 10 sin(pi x1 x2) + 20 (x3 - 1/2)^2 + 10 x4 + 5 x5 (Friedman #1;
 *       x6..x20 are noise), random intercept b_i ~ N(0, 2^2), e ~ N(0, 1).</li>
 *   <li>{@code lmm}: x ~ N(0,1)^20, y = 2 + sum_k beta_k x_k + b_i + e, beta_k = (-1)^k / (1 + k/4),
 *       b_i ~ N(0, 1), e ~ N(0, 2^2): the linear mixed model lmer fits.</li>
 *   <li>{@code grboost}: the Friedman mean, R(x) = exp(-1 + 1.5 x1 - x2 + 0.5 sin(2 pi x3)) on the first three
 *       features (dispformula ~ x1 + x2 + x3), G(w) = exp(0.5 + w1 - 0.8 w2) on cluster covariates
 *       w1, w2 ~ U(0,1) (covformula ~ w1 + w2).</li>
 * </ul>
 */
public final class BenchData {
    public final String kind;
    public final int n, p, m, clusterSize;
    public final double[] x, y, z, w;     // z: n x 1 of 1s; w: m x 2 (cluster covariates; grboost only)
    public final int[] cluster;

    private BenchData(String kind, int n, int p, int clusterSize, double[] x, double[] y, double[] w, int[] cluster) {
        this.kind = kind;
        this.n = n;
        this.p = p;
        this.clusterSize = clusterSize;
        this.m = (n + clusterSize - 1) / clusterSize;
        this.x = x;
        this.y = y;
        this.w = w;
        this.cluster = cluster;
        this.z = new double[n];
        java.util.Arrays.fill(z, 1.0);
    }

    public static final int P = 20, CLUSTER_SIZE = 100;

    public static BenchData make(String kind, int n, long seed) {
        int p = P, cs = CLUSTER_SIZE, m = (n + cs - 1) / cs;
        SplittableRandom rnd = new SplittableRandom(seed * 1_000_003L + n);
        double[] x = new double[n * p];
        boolean normal = kind.equals("lmm");
        for (int i = 0; i < x.length; i++) x[i] = normal ? rnd.nextGaussian() : rnd.nextDouble();
        int[] cl = new int[n];
        for (int j = 0; j < n; j++) cl[j] = j / cs;
        double[] y = new double[n];
        double[] w = null;
        switch (kind) {
            case "friedman": {
                double[] b = new double[m];
                for (int i = 0; i < m; i++) b[i] = 2.0 * rnd.nextGaussian();
                for (int j = 0; j < n; j++) y[j] = friedman(x, n, j) + b[cl[j]] + rnd.nextGaussian();
                break;
            }
            case "lmm": {
                double[] b = new double[m];
                for (int i = 0; i < m; i++) b[i] = rnd.nextGaussian();
                for (int j = 0; j < n; j++) {
                    double mu = 2;
                    for (int k = 0; k < p; k++) mu += ((k % 2 == 0) ? 1 : -1) / (1 + (k + 1) / 4.0) * x[j + k * n];
                    y[j] = mu + b[cl[j]] + 2.0 * rnd.nextGaussian();
                }
                break;
            }
            case "grboost": {
                w = new double[m * 2];
                double[] b = new double[m];
                for (int i = 0; i < m; i++) {
                    w[i] = rnd.nextDouble();
                    w[i + m] = rnd.nextDouble();
                    b[i] = Math.sqrt(Math.exp(0.5 + w[i] - 0.8 * w[i + m])) * rnd.nextGaussian();
                }
                for (int j = 0; j < n; j++) {
                    double x1 = x[j], x2 = x[j + n], x3 = x[j + 2 * n];
                    double r = Math.exp(-1 + 1.5 * x1 - x2 + 0.5 * Math.sin(2 * Math.PI * x3));
                    y[j] = friedman(x, n, j) + b[cl[j]] + Math.sqrt(r) * rnd.nextGaussian();
                }
                break;
            }
            default:
                throw new IllegalArgumentException("data kind " + kind + ": must be friedman, lmm or grboost");
        }
        return new BenchData(kind, n, p, cs, x, y, w, cl);
    }

    static double friedman(double[] x, int n, int j) {
        double x1 = x[j], x2 = x[j + n], x3 = x[j + 2 * n], x4 = x[j + 3 * n], x5 = x[j + 4 * n];
        return 10 * Math.sin(Math.PI * x1 * x2) + 20 * (x3 - 0.5) * (x3 - 0.5) + 10 * x4 + 5 * x5;
    }

    /** Columns 0..k-1 of x (the dispformula covariates x1..xk), n x k column-major. */
    public double[] firstColumns(int k) {
        return java.util.Arrays.copyOf(x, n * k);
    }

    /**
     * Writes the data for R, little-endian: int32 n, p, m; then y (n doubles), x (n*p doubles, column-major),
     * cluster (n int32, 0-based); for grboost also w (m*2 doubles).
     */
    public void write(Path file) throws IOException {
        long bytes = 12L + 8L * n + 8L * n * p + 4L * n + (w == null ? 0 : 8L * w.length);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            buf.putInt(n).putInt(p).putInt(m);
            for (double v : y) { if (buf.remaining() < 8) flush(ch, buf); buf.putDouble(v); }
            for (double v : x) { if (buf.remaining() < 8) flush(ch, buf); buf.putDouble(v); }
            for (int v : cluster) { if (buf.remaining() < 4) flush(ch, buf); buf.putInt(v); }
            if (w != null) for (double v : w) { if (buf.remaining() < 8) flush(ch, buf); buf.putDouble(v); }
            flush(ch, buf);
            if (ch.size() != bytes) throw new IOException(file + ": wrote " + ch.size() + " bytes, expected " + bytes);
        }
    }

    private static void flush(FileChannel ch, ByteBuffer buf) throws IOException {
        buf.flip();
        while (buf.hasRemaining()) ch.write(buf);
        buf.clear();
    }
}
