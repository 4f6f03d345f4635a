package org.gbmixed.learners;

import org.gbmixed.Config;
import org.gbmixed.GBMixed;
import org.gbmixed.Problems;
import org.gbmixed.boosting.Booster;
import org.gbmixed.model.Model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** P-spline basis and penalty against closed forms; component-wise boosting recovers additive functions. */
class SplineTest {

    @Test
    void valuesOutsideTheRangeTakeTheEndsAndAConstantCovariateGivesAConstant() {
        BSpline b = new BSpline(-2, 3, 4);
        double[] v = new double[4], w = new double[4];
        assertEquals(0, b.eval(-7, v));
        assertEquals(0, b.eval(-2, w));
        assertEquals(java.util.Arrays.toString(w), java.util.Arrays.toString(v), "below the range: the value at lo");
        assertEquals(4, b.eval(10, v));
        assertEquals(4, b.eval(3, w));
        assertEquals(java.util.Arrays.toString(w), java.util.Arrays.toString(v), "above the range: the value at hi");
        assertEquals(1.0 / 6, w[1], 1e-15, "at hi: the last segment's end (1/6, 2/3, 1/6 over its last 3 functions)");
        // a covariate with one value: any interval works, the basis values are finite and sum to one
        BSpline c = new BSpline(2.5, 2.5, 5);
        int s = c.eval(2.5, v);
        assertEquals(0, s);
        assertEquals(1.0, v[0] + v[1] + v[2] + v[3], 1e-12);
        for (double a : v) assertTrue(Double.isFinite(a) && a >= 0);
        assertEquals(1.0 / 6, v[0], 1e-15, "the first segment's start");
    }

    @Test
    void basisIsAPartitionOfUnityAndReproducesLines() {
        BSpline b = new BSpline(-2, 3, 20);
        assertEquals(24, b.size);
        double[] v = new double[4];
        Random r = new Random(1);
        for (int t = 0; t < 1000; t++) {
            double x = -2 + 5 * r.nextDouble();
            int s = b.eval(x, v);
            assertEquals(1.0, v[0] + v[1] + v[2] + v[3], 1e-12, "sum of basis at " + x);
            for (double a : v) assertTrue(a >= 0);
            // coefficients on a line in the index reproduce a line in x: c_j = j  ->  (x - lo)/step + 1
            double val = 0;
            for (int a = 0; a < 4; a++) val += v[a] * (s + a);
            assertEquals((x + 2) / (5.0 / 21) + 1, val, 1e-10, "line at " + x);
        }
    }

    @Test
    void penaltyNullSpaceIsTheLinearFunctions() {
        BSpline b = new BSpline(0, 1, 20);
        double[] p = b.penalty();
        int k = b.size;
        double[][] nullVectors = {new double[k], new double[k]};
        for (int j = 0; j < k; j++) { nullVectors[0][j] = 1; nullVectors[1][j] = j; }
        for (double[] c : nullVectors)
            for (int r = 0; r < k; r++) {
                double s = 0;
                for (int j = 0; j < k; j++) s += p[r + j * k] * c[j];
                assertEquals(0.0, s, 1e-12);
            }
        // and nothing else: a quadratic in the index is penalised
        double quad = 0;
        for (int r = 0; r < k; r++) for (int j = 0; j < k; j++) quad += (double) r * r * p[r + j * k] * j * j;
        assertTrue(quad > 1, "c' P c of a quadratic = " + quad);
    }

    @Test
    void degreesOfFreedomEqualTheTraceOfTheHatMatrix() {
        int n = 300;
        Random r = new Random(2);
        double[] x = new double[n], h = new double[n];
        for (int i = 0; i < n; i++) { x[i] = r.nextDouble() * 10; h[i] = 1; }
        for (double df : new double[] {2.5, 4, 8})
            assertEquals(df, hatTrace(new Smoother(x, 0, n, 0, Smoother.Kind.SPLINE, 20, df), h), 1e-6, "df");
        // a factor with a ridge: df of 6 levels set to 3
        double[] f = new double[n];
        for (int i = 0; i < n; i++) f[i] = i % 6;
        assertEquals(3.0, hatTrace(new Smoother(f, 0, n, 6, Smoother.Kind.FACTOR, 20, 3), h), 1e-6, "factor df");
    }

    /** Trace of the dense hat matrix S = B (B'HB + lambda P)^-1 B'H, from fits to the unit vectors. */
    private static double hatTrace(Smoother s, double[] h) {
        int n = h.length;
        double trace = 0;
        double[] e = new double[n], fit = new double[n];
        for (int i = 0; i < n; i++) {
            java.util.Arrays.fill(e, 0);
            e[i] = 1;
            s.fitted(s.fit(e, h), fit);
            trace += fit[i];
        }
        return trace;
    }

    @Test
    void cachedFactorisationGivesTheSameFitForProportionalWeights() {
        int n = 200;
        Random r = new Random(3);
        double[] x = new double[n], g = new double[n], h = new double[n], h2 = new double[n];
        for (int i = 0; i < n; i++) { x[i] = r.nextDouble(); g[i] = Math.sin(6 * x[i]) + r.nextGaussian(); h[i] = 0.5 + r.nextDouble(); h2[i] = 3 * h[i]; }
        Smoother s = new Smoother(x, 0, n, 0, Smoother.Kind.SPLINE, 20, 4);
        double[] c1 = s.fit(g, h);
        double[] c2 = s.fit(g, h2);                    // reuses the factor, scaled
        Smoother fresh = new Smoother(x, 0, n, 0, Smoother.Kind.SPLINE, 20, 4);
        double[] c3 = fresh.fit(g, h2);                // factorises anew
        for (int j = 0; j < c1.length; j++) {
            assertEquals(c1[j], c2[j], 1e-10 * (1 + Math.abs(c1[j])));
            assertEquals(c3[j], c2[j], 1e-10 * (1 + Math.abs(c3[j])));
        }
    }

    /** f(x) = sin(2 x1) + x2^2 / 2 with a random intercept; x3 is noise. */
    private static double[] additiveFit(String learner, int rounds, double[][] effectsOut) {
        int m = 100, ni = 10, n = m * ni;
        Random r = new Random(4);
        double[] x = new double[3 * n], y = new double[n], w = new double[n], z = new double[n];
        int[] c = new int[n];
        double[] b = new double[m];
        for (int i = 0; i < m; i++) b[i] = r.nextGaussian() * 0.7;
        for (int j = 0; j < n; j++) {
            for (int k = 0; k < 3; k++) x[j + k * n] = 4 * r.nextDouble() - 2;
            c[j] = j / ni; w[j] = 1; z[j] = 1;
            y[j] = Math.sin(2 * x[j]) + x[j + n] * x[j + n] / 2 + b[c[j]] + 0.5 * r.nextGaussian();
        }
        Config cfg = Problems.config().learner(learner).nrounds(rounds).learningRate(0.1).maxDepth(3).minLeaf(20).build();
        Model mo = GBMixed.fit(x, n, 3, new int[3], y, w, c, m, z, 1, false, cfg);
        // error of each component on a grid, centred (the additive split of the intercept is arbitrary)
        double[] grid = new double[81];
        for (int i = 0; i < 81; i++) grid[i] = -2 + 4.0 * i / 80;
        double[] err = new double[2];
        for (int k = 0; k < 2; k++) {
            double[] est;
            if (learner.equals("spline")) {
                est = mo.effect(0, 0, k, grid);
            } else {
                // partial dependence of the tree ensemble: average prediction with x_k set to the grid value
                est = new double[81];
                for (int g = 0; g < 81; g++) {
                    double[] xx = x.clone();
                    for (int j = 0; j < n; j++) xx[j + k * n] = grid[g];
                    double[] p = mo.predict(xx, n, c, z);
                    double s = 0;
                    for (int j = 0; j < n; j++) s += p[j];
                    est[g] = s / n;
                }
            }
            double[] truth = new double[81];
            for (int g = 0; g < 81; g++) truth[g] = k == 0 ? Math.sin(2 * grid[g]) : grid[g] * grid[g] / 2;
            double me = 0, mt = 0;
            for (int g = 0; g < 81; g++) { me += est[g] / 81; mt += truth[g] / 81; }
            double se = 0;
            for (int g = 0; g < 81; g++) { double d = (est[g] - me) - (truth[g] - mt); se += d * d; }
            err[k] = Math.sqrt(se / 81);
            if (effectsOut != null) effectsOut[k] = est;
        }
        return err;
    }

    @Test
    void componentwiseSplinesRecoverAnAdditiveMeanBetterThanTrees() {
        double[] spline = additiveFit("spline", 300, null), tree = additiveFit("tree", 300, null);
        // measured: spline 0.033 / 0.042, tree 0.102 / 0.097 (RMSE on a grid of -2..2, centred)
        assertTrue(spline[0] < 0.1 && spline[1] < 0.1, "spline RMSE " + spline[0] + ", " + spline[1]);
        assertTrue(spline[0] < 0.7 * tree[0] && spline[1] < 0.7 * tree[1],
                "spline " + java.util.Arrays.toString(spline) + " vs tree " + java.util.Arrays.toString(tree));
    }

    @Test
    void smoothVarianceFunctionsAreRecoveredBySplines() {
        // log R(x) = 1 + sin(x), x in (-3, 3); log G(w) = w, w in (-1.5, 1.5); mean 2 sin(x1); m = 400 clusters of 10
        int m = 400, ni = 10, n = m * ni;
        Random r = new Random(8);
        double[] x = new double[2 * n], y = new double[n], w1 = new double[n], z = new double[n], xd = new double[n], wc = new double[m];
        int[] c = new int[n];
        for (int i = 0; i < m; i++) {
            wc[i] = 3 * r.nextDouble() - 1.5;
            double b = Math.exp(0.5 * wc[i]) * r.nextGaussian();
            for (int j = 0; j < ni; j++) {
                int row = i * ni + j;
                double x1 = 4 * r.nextDouble() - 2, xv = 6 * r.nextDouble() - 3;
                x[row] = x1; x[row + n] = xv; xd[row] = xv;
                c[row] = i; w1[row] = 1; z[row] = 1;
                y[row] = 2 * Math.sin(x1) + b + Math.exp(0.5 * (1 + Math.sin(xv))) * r.nextGaussian();
            }
        }
        Config cfg = Problems.config().learner("spline").nrounds(300).learningRate(0.1).learningRateDisp(0.05)
                .learningRateCov(0.05).honestFolds(3).build();
        Booster bo = GBMixed.booster(x, n, 2, new int[2], y, w1, c, m, z, 1, false, xd, 1, new int[1], wc, 1, new int[1], cfg);
        bo.iterate(300);
        Model mo = bo.model();
        double[] gx = new double[61], gw = new double[61];
        for (int i = 0; i < 61; i++) { gx[i] = -3 + 6.0 * i / 60; gw[i] = -1.5 + 3.0 * i / 60; }
        double[] rv = mo.predictDisp(gx, 61), gv = mo.predictCov(gw, 61);
        double seR = 0, seG = 0;
        for (int i = 0; i < 61; i++) {
            seR += Math.pow(Math.log(rv[i]) - (1 + Math.sin(gx[i])), 2);
            seG += Math.pow(Math.log(gv[i]) - gw[i], 2);
        }
        double rmseR = Math.sqrt(seR / 61), rmseG = Math.sqrt(seG / 61);
        // measured: log R 0.052, log G 0.156 (RMSE over the grids)
        assertTrue(rmseR < 0.2, "RMSE of log R(x) on the grid = " + rmseR);
        assertTrue(rmseG < 0.3, "RMSE of log G(w) on the grid = " + rmseG);
    }
}
