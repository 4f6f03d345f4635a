package org.gbmixed.boosting;

import org.gbmixed.Config;
import org.gbmixed.GBMixed;
import org.gbmixed.Problems;
import org.gbmixed.model.Model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Recovery of covariate-dependent variance components on simulations with known truth (fixed seeds):
 * y = 2 sin(2 x1) + z' b_i + e,  e ~ N(0, R(x2)),  b_i ~ N(0, G(w_i)).
 * Reported: correlation and RMSE between true and fitted log-variances; held-out marginal log-likelihood of
 * new clusters against the constant-variance (Base) fit of the same data.
 * Measured (this JVM, these seeds) are in each test's comment; thresholds leave a margin below them.
 */
public class VarianceRecoveryTest {

    /** Simulated data; truth kept alongside. */
    public static final class Sim {
        public final int n, m, q;
        public final double[] x, y, w1, z, xdisp, wcov, logR, logG;   // logG: per cluster, per entry of diag(G)
        public final int[] cluster;
        public Sim(long seed, int m, int ni, boolean slope, double rEffect, double gEffect) {
            Random rnd = new Random(seed);
            this.m = m; n = m * ni; q = slope ? 2 : 1;
            x = new double[2 * n]; y = new double[n]; w1 = new double[n]; z = new double[q * n];
            xdisp = new double[n]; wcov = new double[m]; logR = new double[n]; logG = new double[m * q];
            cluster = new int[n];
            double[] wc = new double[m];
            for (int i = 0; i < m; i++) wc[i] = 2 * rnd.nextDouble() - 1;
            System.arraycopy(wc, 0, wcov, 0, m);
            for (int i = 0; i < m; i++) {
                // slope model: intercept variance constant 1, slope variance exp(gEffect * w); else intercept exp(gEffect * w)
                double[] sd = new double[q];
                if (slope) { logG[i * q] = 0; logG[i * q + 1] = gEffect * wc[i] - 0.5; }
                else logG[i] = gEffect * wc[i];
                for (int a = 0; a < q; a++) sd[a] = Math.exp(0.5 * logG[i * q + a]);
                double b0 = sd[0] * rnd.nextGaussian(), b1 = slope ? sd[1] * rnd.nextGaussian() : 0;
                for (int j = 0; j < ni; j++) {
                    int r = i * ni + j;
                    cluster[r] = i;
                    double x1 = 4 * rnd.nextDouble() - 2, x2 = 2 * rnd.nextDouble() - 1, t = rnd.nextDouble() * 2 - 1;
                    x[r] = x1; x[r + n] = x2;
                    xdisp[r] = x2;
                    logR[r] = -1 + rEffect * x2;
                    z[r] = 1;
                    if (slope) z[r + n] = t;
                    y[r] = 2 * Math.sin(2 * x1) + b0 + b1 * t + Math.exp(0.5 * logR[r]) * rnd.nextGaussian();
                    w1[r] = 1;
                }
            }
        }

        Model fit(Config c, boolean disp, boolean cov) {
            Booster b = GBMixed.booster(x, n, 2, new int[] {0, 0}, y, w1, cluster, m, z, q, true,
                    disp ? xdisp : new double[0], disp ? 1 : 0, disp ? new int[] {0} : new int[0],
                    cov ? wcov : new double[0], cov ? 1 : 0, cov ? new int[] {0} : new int[0], c);
            b.iterate(c.nrounds());
            return b.model();
        }

        double heldOut(Model model) {
            double[] wrows = new double[n];
            for (int r = 0; r < n; r++) wrows[r] = wcov[cluster[r]];
            return model.logLikNew(x, n, y, cluster, m, z,
                    model.nfeaturesDisp() > 0 ? xdisp : new double[0], model.nfeaturesCov() > 0 ? wrows : new double[0]);
        }
    }

    private static double cor(double[] a, double[] b) {
        double ma = 0, mb = 0;
        for (int i = 0; i < a.length; i++) { ma += a[i]; mb += b[i]; }
        ma /= a.length; mb /= b.length;
        double sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < a.length; i++) {
            sab += (a[i] - ma) * (b[i] - mb); saa += (a[i] - ma) * (a[i] - ma); sbb += (b[i] - mb) * (b[i] - mb);
        }
        return sab / Math.sqrt(saa * sbb);
    }

    private static double rmse(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (a[i] - b[i]) * (a[i] - b[i]);
        return Math.sqrt(s / a.length);
    }

    private static double[] log(double[] a) {
        double[] o = new double[a.length];
        for (int i = 0; i < a.length; i++) o[i] = Math.log(a[i]);
        return o;
    }

    private static Config config() {
        // variance parts learn slower than the mean and from cross-fitted residuals (3 folds of clusters)
        return Problems.config().nrounds(300).learningRate(0.05).learningRateDisp(0.02).learningRateCov(0.01)
                .maxDepth(3).minLeaf(20).minLeafCov(40).honestFolds(3).build();
    }

    @Test
    void residualVarianceVaryingHundredfoldIsRecovered() {
        // R(x) = exp(-1 + 2.4 x2), x2 in (-1, 1): a factor exp(4.8) = 120 across x
        // measured: cor 0.991, rmse 0.190; held-out log-likelihood RBoost -3492 vs Base -4357 (n = 3000)
        Sim s = new Sim(21, 300, 10, false, 2.4, 0.0), test = new Sim(22, 300, 10, false, 2.4, 0.0);
        Model rb = s.fit(config(), true, false);
        assertTrue("RBoost".equals(rb.variant()), rb.variant());
        double[] fitted = log(rb.predictDisp(test.xdisp, test.n));
        double c = cor(fitted, test.logR), e = rmse(fitted, test.logR);
        assertTrue(c > 0.97, "cor(log R) = " + c);
        assertTrue(e < 0.3, "rmse(log R) = " + e);
        Model base = s.fit(config(), false, false);
        double gain = test.heldOut(rb) - test.heldOut(base);
        assertTrue(gain > 0.1 * test.n, "held-out log-likelihood gain over Base = " + gain + " (n = " + test.n + ")");
    }

    @Test
    void randomInterceptVarianceVaryingWithClusterCovariateIsRecovered() {
        // G(w) = exp(1.6 w), w in (-1, 1): a factor exp(3.2) = 25 across clusters; m = 400 clusters
        // measured: cor 0.973, rmse 0.255; held-out GBoost -5124 vs Base -5190
        Sim s = new Sim(31, 400, 12, false, 0.0, 1.6), test = new Sim(32, 400, 12, false, 0.0, 1.6);
        Model gb = s.fit(config(), false, true);
        assertTrue("GBoost".equals(gb.variant()), gb.variant());
        double[] g = log(gb.predictCov(test.wcov, test.m));
        double c = cor(g, test.logG), e = rmse(g, test.logG);
        assertTrue(c > 0.9, "cor(log G) = " + c);
        assertTrue(e < 0.35, "rmse(log G) = " + e);
        Model base = s.fit(config(), false, false);
        double gain = test.heldOut(gb) - test.heldOut(base);
        assertTrue(gain > 0.05 * test.m, "held-out log-likelihood gain over Base = " + gain + " (m = " + test.m + ")");
    }

    @Test
    void randomSlopeVarianceDependingOnClusterCovariateIsRecovered() {
        // diagonal G: intercept variance 1, slope variance exp(2.4 w - 0.5); both variance parts boosted
        // measured: slope cor 0.966, rmse 0.358; log R cor 0.990, rmse 0.146; held-out GRBoost -5799 vs Base -6585
        Sim s = new Sim(41, 400, 12, true, 1.6, 2.4), test = new Sim(42, 400, 12, true, 1.6, 2.4);
        Model gr = s.fit(config(), true, true);
        assertTrue("GRBoost".equals(gr.variant()), gr.variant());
        double[] cov = gr.predictCov(test.wcov, test.m);        // m x 3: (1,1), (2,1) = 0 for a diagonal G, (2,2)
        double[] logSlope = new double[test.m], trueSlope = new double[test.m];
        for (int i = 0; i < test.m; i++) { logSlope[i] = Math.log(cov[i + test.m * 2]); trueSlope[i] = test.logG[i * 2 + 1]; }
        double c = cor(logSlope, trueSlope), e = rmse(logSlope, trueSlope);
        assertTrue(c > 0.9, "cor(log G_slope) = " + c);
        assertTrue(e < 0.5, "rmse(log G_slope) = " + e);
        double[] logR = log(gr.predictDisp(test.xdisp, test.n));
        assertTrue(cor(logR, test.logR) > 0.95, "cor(log R) = " + cor(logR, test.logR));
        Model base = s.fit(config(), false, false);
        assertTrue(test.heldOut(gr) > test.heldOut(base) + 0.05 * test.n,
                "held-out: GRBoost " + test.heldOut(gr) + " vs Base " + test.heldOut(base));
    }
}
