package org.gbmixed.boosting;

import org.gbmixed.Config;
import org.gbmixed.Problems;
import org.gbmixed.base.TrainingData;
import org.gbmixed.learners.Tree;
import org.gbmixed.likelihood.LogCholesky;
import org.gbmixed.model.Model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The booster's start and its round bookkeeping: the start is the maximum-likelihood fit of the constant-variance
 * LMM with constant levels (every first derivative of the dense NLL zero: levels, log R, log-Cholesky of G), or
 * with the weighted mean of y without Newton steps; a round's mean step uses the clusters and columns drawn for
 * it; a constant response fits without NaN; the treatment part stops exactly cate_stopping_rounds after the best
 * of its summed step values; importance of G's parts sums to one.
 */
class BoosterStartTest {

    /** m clusters of 4-9 rows, q = 2 (intercept, slope t), weights in [0.5, 2]; with a 0/1 treatment when asked. */
    private static TrainingData data(long seed, int m, boolean treatment) {
        Random rnd = new Random(seed);
        int[] ni = new int[m];
        int n = 0;
        for (int i = 0; i < m; i++) { ni[i] = 4 + rnd.nextInt(6); n += ni[i]; }
        double[] x = new double[2 * n], y = new double[n], w = new double[n], z = new double[2 * n], tr = new double[n];
        int[] c = new int[n];
        int j = 0;
        for (int i = 0; i < m; i++) {
            double b0 = rnd.nextGaussian(), b1 = 0.6 * rnd.nextGaussian();
            for (int r = 0; r < ni[i]; r++, j++) {
                c[j] = i;
                x[j] = rnd.nextDouble() * 2 - 1;
                x[j + n] = rnd.nextDouble();
                tr[j] = rnd.nextDouble() < 0.5 ? 1 : 0;
                double t = treatment ? tr[j] : rnd.nextDouble() * 2 - 1;
                w[j] = 0.5 + 1.5 * rnd.nextDouble();
                y[j] = 2 + Math.sin(2 * x[j]) + 0.8 * tr[j] + b0 + b1 * t + 0.5 * rnd.nextGaussian() / Math.sqrt(w[j]);
                z[j] = 1;
                z[j + n] = t;
            }
        }
        TrainingData d = new TrainingData(x, n, 2, new int[] {0, 0}, y, w, c, m, z, 2, false);
        if (treatment) d.setTreatment(tr, Double.NaN);
        return d;
    }

    /** The dense NLL of the constant model: f_j = a + t_j c, R = exp(rho) / w_j, G = L L' from theta. */
    private static double nll(TrainingData d, double a, double c, double rho, double[] theta) {
        LogCholesky lc = new LogCholesky(2, false);
        double[] g = RoundStepsTest.gOf(lc, theta, 0);
        double[] r = new double[d.n], rv = new double[d.n];
        for (int j = 0; j < d.n; j++) {
            r[j] = d.y[j] - a - (d.contrast == null ? 0 : d.contrast[j] * c);
            rv[j] = Math.exp(rho) / d.w[j];
        }
        double s = 0;
        for (int i = 0; i < d.m; i++) s += RoundStepsTest.clusterNll(d, i, r, g, rv);
        return s;
    }

    @Test
    void theStartIsTheMaximumLikelihoodFitOfTheConstantModel() {
        for (boolean treatment : new boolean[] {false, true}) {
            TrainingData d = data(treatment ? 2 : 1, 40, treatment);
            Booster b = new Booster(d, Problems.config().nrounds(5).honestFolds(0).build());
            assertFalse(b.finished());
            assertEquals(0, b.roundsDone());
            double a = b.mean.mu.intercept, c = treatment ? b.mean.tau.intercept : 0, rho = b.rhoEns.intercept;
            double[] theta = new double[b.np];
            for (int t = 0; t < b.np; t++) theta[t] = b.thetaEns[t].intercept;
            double base = nll(d, a, c, rho, theta);
            assertEquals(base, b.nll, 1e-8 * Math.abs(base), "the booster's NLL is the dense one");
            double h = 1e-5;
            double[] p = {a, c, rho, theta[0], theta[1], theta[2]};
            String[] names = {"intercept", "treatment level", "log R", "theta 1", "theta 2", "theta 3"};
            for (int k = 0; k < p.length; k++) {
                if (k == 1 && !treatment) continue;
                double[] up = p.clone(), dn = p.clone();
                up[k] += h; dn[k] -= h;
                double grad = (nll(d, up[0], up[1], up[2], new double[] {up[3], up[4], up[5]})
                        - nll(d, dn[0], dn[1], dn[2], new double[] {dn[3], dn[4], dn[5]})) / (2 * h);
                // the levels take exact Newton steps (measured |derivative| <= 3e-9); the initial EM stops when the NLL
                // changes by less than 1e-9 (1 + |NLL|) an iteration, and its slow convergence leaves variance
                // derivatives of a few 1e-3 (measured <= 3.2e-3); stopping it after a few iterations leaves ~0.1-1
                assertEquals(0, grad, k < 2 ? 1e-6 : 1e-2, names[k] + " derivative at the start" + (treatment ? " (treatment)" : ""));
            }
        }
        // without Newton steps and without a treatment the start keeps the weighted mean of y
        TrainingData d = data(3, 40, false);
        Booster b = new Booster(d, Problems.config().nrounds(5).honestFolds(0).newton(false).build());
        double sw = 0, swy = 0;
        for (int j = 0; j < d.n; j++) { sw += d.w[j]; swy += d.w[j] * d.y[j]; }
        assertEquals(swy / sw, b.mean.mu.intercept, 1e-12 * Math.abs(swy / sw));
    }

    @Test
    void aRoundsMeanStepUsesTheClustersAndColumnsDrawnForIt() {
        TrainingData d = data(4, 40, false);
        Config sub = Problems.config().nrounds(5).honestFolds(0).maxDepth(2).minLeaf(5).subsample(0.5).colsample(0.5)
                .seed(17).build();
        Booster b = new Booster(d, sub), replica = new Booster(d, Problems.config().nrounds(5).honestFolds(0).maxDepth(2)
                .minLeaf(5).seed(17).build());
        Sampler s = new Sampler(17, d.m, 0.5, d.p, 0.5);
        boolean[] in = s.clusters().clone(), cols = s.columns().clone();
        double[] cw = new double[d.m];
        for (int i = 0; i < d.m; i++) cw[i] = in[i] ? 1 : 0;
        replica.mean.step(replica.lik, replica.resVar, cw, cols);
        b.iterate(1);
        for (int j = 0; j < d.n; j++)
            assertEquals(replica.mean.mu.predict(d.x, d.n, j), b.mean.mu.predict(d.x, d.n, j), 1e-12, "row " + j);
        assertEquals(1, b.roundsDone());
    }

    @Test
    void clusterSplitsLetTreesSplitOnACovariateTheRandomEffectsAbsorb() {
        TrainingData d0 = data(8, 40, false);
        java.util.function.BiFunction<TrainingData, Boolean, Booster> fit = (d, splits) -> {
            Booster b = new Booster(d, Problems.config().nrounds(4).honestFolds(0).maxDepth(2).minLeaf(5)
                    .clusterSplits(splits).build());
            b.iterate(4);
            return b;
        };
        assertArrayEquals(fit.apply(d0, false).model().predict(d0.x, d0.n, d0.cluster, d0.z),
                fit.apply(d0, true).model().predict(d0.x, d0.n, d0.cluster, d0.z), 0.0, "no covariate is constant within clusters");
        // y = 6 x2 + 0.3 x1 + b + e with x2 constant within clusters: the BLUPs absorb x2, so the trees grown on
        // the conditional residuals never split on it; scored with the cluster weights (GLS gain) they do
        Random rnd = new Random(1);
        int m = 40, per = 6, n = m * per;
        double[] x = new double[2 * n], y = new double[n], w = new double[n], z = new double[n];
        int[] c = new int[n];
        for (int i = 0; i < m; i++) {
            double b = rnd.nextGaussian(), xc = rnd.nextDouble();
            for (int r = 0; r < per; r++) {
                int j = i * per + r;
                c[j] = i; x[j] = rnd.nextDouble(); x[j + n] = xc; w[j] = 1; z[j] = 1;
                y[j] = 6 * xc + 0.3 * x[j] + b + 0.5 * rnd.nextGaussian();
            }
        }
        TrainingData d = new TrainingData(x, n, 2, new int[] {0, 0}, y, w, c, m, z, 1, true);
        for (boolean splits : new boolean[] {false, true}) {
            int onX2 = 0;
            for (Tree t : fit.apply(d, splits).mean.mu.trees) for (int f : t.feature) if (f == 1) onX2++;
            if (splits) assertTrue(onX2 > 0, "cluster splits: the trees split on x2");
            else assertEquals(0, onX2, "without cluster splits no tree splits on x2");
        }
    }

    @Test
    void theFoldsMeansStartAtTheMainLevels() {
        // at round 0 every fold's mean is the main mu + t tau level, so the out-of-fold squared error is the fit's
        TrainingData d = data(10, 30, true);
        Booster b = new Booster(d, Problems.config().nrounds(2).honestFolds(3).earlyStoppingMetric("mse").build());
        b.setValidationHonest();
        double sse = 0;
        for (int j = 0; j < d.n; j++) sse += (d.y[j] - b.f[j]) * (d.y[j] - b.f[j]);
        b.iterate(1);
        assertEquals(sse, b.model().validLoss()[0], 1e-9 * sse);
        assertTrue(Math.abs(b.mean.tau.intercept) > 0.1, "a treatment level to start from: " + b.mean.tau.intercept);
    }

    @Test
    void theTreatmentPartHasItsOwnLearner() {
        TrainingData d = data(9, 30, true);
        Booster b = new Booster(d, Problems.config().nrounds(5).honestFolds(0).learner("tree").learnerCate("spline").build());
        b.iterate(5);
        assertTrue(b.mean.tau.trees.isEmpty() && b.mean.tau.additive != null, "tau: component-wise splines");
        assertTrue(!b.mean.mu.trees.isEmpty() && b.mean.mu.additive == null, "mu: trees");
    }

    @Test
    void aConstantResponseFitsWithoutNaN() {
        TrainingData d = data(5, 20, false);
        java.util.Arrays.fill(d.y, 3.25);
        Booster b = new Booster(d, Problems.config().nrounds(5).honestFolds(0).build());
        b.iterate(5);
        Model m = b.model();
        double[] p = m.predict(d.x, d.n, d.cluster, d.z);
        for (int j = 0; j < d.n; j++) {
            assertEquals(3.25, p[j] + p[d.n + j], 1e-6, "fitted row " + j);
            assertTrue(Double.isFinite(p[2 * d.n + j]) && p[2 * d.n + j] > 0, "variance of row " + j);
        }
        assertTrue(Double.isFinite(m.logLik()));
    }

    @Test
    void theTreatmentPartStopsExactlyCateStoppingRoundsAfterTheBestSum() {
        TrainingData d = data(6, 30, true);
        Booster b = new Booster(d, Problems.config().nrounds(50).honestFolds(2).cateStoppingRounds(3).build());
        // sums -1, -3, -3 (a tie is no new low), -2.5, -2: best at round 2, stopped after round 5
        double[] v = {-1, -2, 0, 0.5, 0.5};
        for (int r = 1; r <= v.length; r++) {
            assertTrue(b.mean.tauShapeLearning(), "learning in round " + r);
            b.watchTau(v[r - 1], r);
        }
        assertEquals(5, b.cateStopRound());
        assertFalse(b.mean.tauShapeLearning());
        Booster never = new Booster(d, Problems.config().nrounds(30).honestFolds(2).cateStoppingRounds(0).build());
        never.iterate(30);
        assertEquals(0, never.cateStopRound(), "cate_stopping_rounds = 0: the treatment part never stops");
        assertTrue(never.mean.tauShapeLearning());
    }

    @Test
    void treatmentAndCovarianceModelsAtAnEarlierRound() {
        TrainingData d = data(7, 40, true);
        double[] wcov = new double[d.m];
        for (int i = 0; i < d.m; i++) wcov[i] = i % 3;
        TrainingData dc = new TrainingData(d.x, d.n, 2, new int[] {0, 0}, d.y, d.w, d.cluster, d.m, d.z, 2, false,
                new double[0], 0, new int[0], wcov, 1, new int[] {3});
        double[] tr = new double[d.n];
        for (int j = 0; j < d.n; j++) tr[j] = d.contrast[j] > 0 ? 1 : 0;
        dc.setTreatment(tr, Double.NaN);
        Config c = Problems.config().nrounds(10).learningRate(0.2).maxDepth(2).minLeaf(5).minLeafCov(3).honestFolds(2).build();
        Booster full = new Booster(dc, c), short6 = new Booster(dc, c);
        full.iterate(10);
        short6.iterate(6);
        double[] wrows = new double[d.n];
        for (int j = 0; j < d.n; j++) wrows[j] = wcov[d.cluster[j]];
        Model at6 = full.model().atRound(6, dc.x, d.n, d.y, d.w, d.cluster, d.m, d.z, new double[0], wrows, tr);
        Model m6 = short6.model();
        assertArrayEquals(m6.predictCate(dc.x, d.n), at6.predictCate(dc.x, d.n), 1e-12, "tau at round 6");
        assertArrayEquals(m6.predictJackknife(1, dc.x, d.n, new double[0]), at6.predictJackknife(1, dc.x, d.n, new double[0]),
                1e-12, "the folds' tau at round 6");
        // rounds 0..10 exist, 11 and -1 do not; round 0 is the start
        Model at0 = full.model().atRound(0, dc.x, d.n, d.y, d.w, d.cluster, d.m, d.z, new double[0], wrows, tr);
        assertArrayEquals(new Booster(dc, c).model().predictCate(dc.x, d.n), at0.predictCate(dc.x, d.n), 1e-12, "round 0");
        Model last = full.model().atRound(10, dc.x, d.n, d.y, d.w, d.cluster, d.m, d.z, new double[0], wrows, tr);
        assertArrayEquals(full.model().predictCate(dc.x, d.n), last.predictCate(dc.x, d.n), 1e-12);
        for (int r : new int[] {11, -1}) {
            String msg = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> full.model()
                    .atRound(r, dc.x, d.n, d.y, d.w, d.cluster, d.m, d.z, new double[0], wrows, tr)).getMessage();
            assertEquals("round = " + r + ": this model holds rounds 0..10", msg);
        }
        double s = 0;
        for (double v : m6.importanceCov()) s += v;
        assertEquals(1, s, 1e-12, "importance of G's parts sums to one");
    }
}
