package org.gbmixed.learners;

import org.gbmixed.boosting.RoundStepsTest;
import org.gbmixed.likelihood.Basis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The smoothers of the component-wise learner against their definitions written here: the penalty (second-order
 * differences D'D for a P-spline, a ridge for factor levels, the slope only for a line) with its tiny ridge,
 * the penalised weighted least-squares fit solved densely, lambda placed at the requested degrees of freedom
 * tr((B'B + lambda P)^-1 B'B), and the cached factorisation reused only for proportional weights.
 */
class SmootherTest {

    private static final int N = 150;

    private static Smoother make(Smoother.Kind kind, double[] x, double df) {
        return new Smoother(x, 0, N, kind == Smoother.Kind.FACTOR ? 4 : 0, kind, 6, df);
    }

    private static double[] covariate(Smoother.Kind kind, Random rnd) {
        double[] x = new double[N];
        for (int i = 0; i < N; i++) x[i] = kind == Smoother.Kind.FACTOR ? i % 4 : rnd.nextDouble() * 3 - 1;
        return x;
    }

    /** B'HB from the smoother's basis rows. */
    private static double[] gram(Smoother s, double[] h) {
        Basis b = s.basis();
        int k = b.ncol();
        double[] a = new double[k * k], val = new double[8];
        int[] col = new int[8];
        for (int i = 0; i < N; i++) {
            int nz = b.row(i, col, val, 0);
            for (int p = 0; p < nz; p++) for (int q = 0; q < nz; q++) a[col[p] + col[q] * k] += h[i] * val[p] * val[q];
        }
        return a;
    }

    /** The penalty matrix P of each kind, written from its definition. */
    private static double[] definitionP(Smoother.Kind kind, int k) {
        double[] p = new double[k * k];
        switch (kind) {
            case SPLINE:
                for (int r = 0; r + 2 < k; r++) {
                    double[] d = new double[k];
                    d[r] = 1; d[r + 1] = -2; d[r + 2] = 1;
                    for (int a = 0; a < k; a++) for (int b = 0; b < k; b++) p[a + b * k] += d[a] * d[b];
                }
                break;
            case FACTOR:
                for (int a = 0; a < k; a++) p[a + a * k] = 1;
                break;
            default:
                p[3] = 1;
        }
        return p;
    }

    private static double[] solve(double[] a, int k, double[] b) {
        double[] inv = RoundStepsTest.inverse(a, k, new double[1]), x = new double[k];
        for (int r = 0; r < k; r++) for (int c = 0; c < k; c++) x[r] += inv[r + c * k] * b[c];
        return x;
    }

    @Test
    void fitIsThePenalisedLeastSquaresSolutionWithTheDefinedPenalty() {
        for (Smoother.Kind kind : Smoother.Kind.values()) {
            Random rnd = new Random(kind.ordinal() + 1);
            double[] x = covariate(kind, rnd), g = new double[N], h = new double[N];
            for (int i = 0; i < N; i++) { g[i] = Math.sin(2 * x[i]) + 0.3 * rnd.nextGaussian(); h[i] = 0.3 + 2 * rnd.nextDouble(); }
            Smoother s = make(kind, x, 3);
            int k = s.basis().ncol();
            double meanH = 0;
            for (double v : h) meanH += v / N;
            double[] p = definitionP(kind, k), pen = s.penalty(meanH);
            for (int a = 0; a < k; a++)
                for (int b = 0; b < k; b++) {
                    double want = s.lambda * meanH * p[a + b * k] + (a == b ? 1e-10 * (s.lambda * meanH + meanH) : 0);
                    assertEquals(want, pen[a + b * k], 1e-12 * (1 + Math.abs(want)), kind + " penalty (" + a + ", " + b + ")");
                }
            double[] a = gram(s, h), rhs = new double[k];
            for (int t = 0; t < k * k; t++) a[t] += pen[t];
            Basis bs = s.basis();
            double[] val = new double[8];
            int[] col = new int[8];
            for (int i = 0; i < N; i++) {
                int nz = bs.row(i, col, val, 0);
                for (int q = 0; q < nz; q++) rhs[col[q]] += val[q] * h[i] * g[i];
            }
            double[] want = solve(a, k, rhs), c = s.fit(g, h);
            for (int t = 0; t < k; t++) assertEquals(want[t], c[t], 1e-8 * (1 + Math.abs(want[t])), kind + " coefficient " + t);
            // rss and fitted values of those coefficients
            double[] fit = new double[N];
            s.fitted(c, fit);
            double rss = 0;
            for (int i = 0; i < N; i++) {
                int nz = bs.row(i, col, val, 0);
                double f = 0;
                for (int q = 0; q < nz; q++) f += val[q] * c[col[q]];
                assertEquals(f, fit[i], 1e-12 * (1 + Math.abs(f)));
                rss += h[i] * (g[i] - f) * (g[i] - f);
            }
            assertEquals(rss, s.rss(c, g, h), 1e-10 * rss);
        }
    }

    @Test
    void lambdaGivesTheRequestedDegreesOfFreedom() {
        for (Smoother.Kind kind : new Smoother.Kind[] {Smoother.Kind.SPLINE, Smoother.Kind.FACTOR}) {
            double[] x = covariate(kind, new Random(5)), ones = new double[N];
            java.util.Arrays.fill(ones, 1.0);
            // a P-spline cannot go below 2 df (a line is unpenalised): 1.5 is asked of the factor only
            double[] dfs = kind == Smoother.Kind.SPLINE ? new double[] {2.5, 3.5, 50} : new double[] {1.5, 2.5, 3.5, 50};
            for (double df : dfs) {
                Smoother s = make(kind, x, df);
                int k = s.basis().ncol();
                double[] btb = gram(s, ones), a = btb.clone(), p = definitionP(kind, k);
                for (int t = 0; t < k * k; t++) a[t] += s.lambda * p[t];
                double[] inv = RoundStepsTest.inverse(a, k, new double[1]);
                double tr = 0;
                for (int r = 0; r < k; r++) for (int c = 0; c < k; c++) tr += inv[r + c * k] * btb[c + r * k];
                double maxDf = kind == Smoother.Kind.SPLINE ? k : 4;
                assertEquals(Math.min(df, maxDf - 1e-6), tr, 1e-6, kind + " df " + df);
                assertEquals(tr, s.trace(btb, s.lambda), 1e-9, "the smoother's own trace");
            }
        }
        // below 2 df a P-spline is a straight line (2 df, the largest lambda of the search)
        Smoother line = make(Smoother.Kind.SPLINE, covariate(Smoother.Kind.SPLINE, new Random(5)), 1.5);
        assertEquals(Math.exp(25), line.lambda, 1e-6 * Math.exp(25));
        // a line: a ridge of 1e-6 of the mean squared covariate on the slope
        double[] x = covariate(Smoother.Kind.LINE, new Random(6));
        double ss = 0;
        for (double v : x) ss += v * v;
        assertEquals(1e-6 * ss / N, make(Smoother.Kind.LINE, x, 3).lambda, 1e-18);
    }

    @Test
    void theCachedFactorServesOnlyProportionalWeights() {
        Random rnd = new Random(9);
        double[] x = covariate(Smoother.Kind.SPLINE, rnd), g = new double[N], h = new double[N];
        for (int i = 0; i < N; i++) { g[i] = Math.cos(3 * x[i]) + 0.2 * rnd.nextGaussian(); h[i] = 0.5 + rnd.nextDouble(); }
        double[] h3 = h.clone(), hOther = h.clone(), hNear = h.clone();
        for (int i = 0; i < N; i++) h3[i] *= 3;
        hOther[10] *= 2;
        hNear[20] *= 1 + 1e-9;   // not proportional beyond the cache's relative 1e-12
        Smoother cached = make(Smoother.Kind.SPLINE, x, 4);
        cached.fit(g, h);
        for (double[] w : new double[][] {h3, hOther, hNear, h}) {
            double[] want = cached.copy().fit(g, w);   // a copy has no cache: it factors w's own system
            assertArrayEquals(want, cached.fit(g, w), 1e-9, "after the cache, fit with other weights");
        }
    }
}
