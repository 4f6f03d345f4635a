package org.gbmixed.boosting;

import org.gbmixed.Config;
import org.gbmixed.GBMixed;
import org.gbmixed.Problems;
import org.gbmixed.base.TrainingData;
import org.gbmixed.model.Model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Validation loss, best round and early stopping. */
class EarlyStoppingTest {

    private static Booster booster(VarianceRecoveryTest.Sim s, Config c, boolean disp, boolean cov) {
        return GBMixed.booster(s.x, s.n, 2, new int[] {0, 0}, s.y, s.w1, s.cluster, s.m, s.z, s.q, true,
                disp ? s.xdisp : new double[0], disp ? 1 : 0, disp ? new int[] {0} : new int[0],
                cov ? s.wcov : new double[0], cov ? 1 : 0, cov ? new int[] {0} : new int[0], c);
    }

    private static void watch(Booster b, VarianceRecoveryTest.Sim v, boolean disp, boolean cov) {
        b.setValidation(v.x, v.n, v.y, v.w1, v.cluster, v.m, v.z, disp ? v.xdisp : new double[0],
                cov ? v.wcov : new double[0]);
    }

    @Test
    void validationLossIsTheHeldOutMarginalLikelihoodEveryRound() {
        VarianceRecoveryTest.Sim s = new VarianceRecoveryTest.Sim(51, 80, 8, true, 1.6, 1.6),
                v = new VarianceRecoveryTest.Sim(52, 40, 8, true, 1.6, 1.6);
        for (String metric : new String[] {"nll", "rowwise", "mse"}) {
            Config c = Problems.config().nrounds(30).learningRate(0.1).maxDepth(3).minLeaf(10).minLeafCov(10)
                    .honestFolds(2).earlyStoppingMetric(metric).build();
            Booster b = booster(s, c, true, true);
            watch(b, v, true, true);
            for (int t = 0; t < 3; t++) {
                b.iterate(10);
                Model m = b.model();
                double[] wrows = new double[v.n];
                for (int j = 0; j < v.n; j++) wrows[j] = v.wcov[v.cluster[j]];
                double direct;
                if (metric.equals("nll")) {
                    direct = -m.logLikNew(v.x, v.n, v.y, v.cluster, v.m, v.z, v.xdisp, wrows) - 0.5 * v.n * Math.log(2 * Math.PI);
                } else {
                    // population predictions of new clusters: f(x) and the variance z'G(w)z + R(x), row by row
                    int[] nw = new int[v.n];
                    Arrays.fill(nw, -1);
                    double[] p = m.predict(v.x, v.n, nw, v.z, v.xdisp, wrows);
                    direct = 0;
                    for (int j = 0; j < v.n; j++) {
                        double r = v.y[j] - p[j], var = p[2 * v.n + j];
                        direct += metric.equals("mse") ? r * r : 0.5 * (Math.log(2 * Math.PI * var) + r * r / var);
                    }
                }
                double[] vl = m.validLoss();
                assertEquals(direct, vl[vl.length - 1], 1e-8 * Math.abs(direct), metric + ", round " + m.nrounds());
            }
        }
    }

    /** Clusters of 8 rows, random intercept + treatment slope, weights in [0.5, 2]: {x, y, w, z, t}, codes c. */
    private static double[][] treated(long seed, int m, int[] c) {
        Random rnd = new Random(seed);
        int n = m * 8;
        double[] x = new double[n], y = new double[n], w = new double[n], z = new double[2 * n], t = new double[n];
        for (int i = 0; i < m; i++) {
            double b0 = rnd.nextGaussian(), b1 = 0.5 * rnd.nextGaussian();
            for (int r = 0; r < 8; r++) {
                int j = i * 8 + r;
                c[j] = i;
                x[j] = rnd.nextDouble() * 2 - 1;
                t[j] = rnd.nextBoolean() ? 1 : 0;
                w[j] = 0.5 + 1.5 * rnd.nextDouble();
                y[j] = Math.sin(2 * x[j]) + (1 + x[j]) * t[j] + b0 + b1 * t[j] + 0.5 * rnd.nextGaussian() / Math.sqrt(w[j]);
                z[j] = 1;
                z[j + n] = t[j];
            }
        }
        return new double[][] {x, y, w, z, t};
    }

    @Test
    void validationWithATreatmentAndWeightsIsTheDenseHeldOutLoss() {
        int m = 40, mv = 20, n = 8 * m, nv = 8 * mv;
        int[] c = new int[n], cv = new int[nv];
        double[][] tr = treated(61, m, c), va = treated(62, mv, cv);
        for (String metric : new String[] {"nll", "rowwise", "mse"}) {
            TrainingData d = new TrainingData(tr[0], n, 1, new int[] {0}, tr[1], tr[2], c, m, tr[3], 2, false);
            d.setTreatment(tr[4], Double.NaN);
            Config cfg = Problems.config().nrounds(20).learningRate(0.2).maxDepth(2).minLeaf(10).honestFolds(0)
                    .earlyStoppingMetric(metric).build();
            Booster b = new Booster(d, cfg);
            b.setValidation(va[0], nv, va[1], va[2], cv, mv, va[3], new double[0], new double[0], va[4]);
            b.iterate(12);
            Model model = b.model();
            // the dense oracle: r = y - mu - (T - c) tau from the model's predictions, R_j = R / w_j, G for new clusters
            int[] isNew = new int[nv];
            Arrays.fill(isNew, -1);
            double[] p = model.predict(va[0], nv, isNew, va[3], new double[0], new double[0], va[4]);
            double rv = model.predictDisp(new double[0], 1)[0];
            double[] gl = model.predictCov(new double[0], 1), g = {gl[0], gl[1], gl[1], gl[2]};
            TrainingData dv = new TrainingData(va[0], nv, 1, new int[] {0}, va[1], va[2], cv, mv, va[3], 2, false);
            double[] r = new double[nv], resVar = new double[nv];
            for (int j = 0; j < nv; j++) { r[j] = va[1][j] - p[j]; resVar[j] = rv / va[2][j]; }
            double direct = 0;
            for (int i = 0; i < mv; i++) {
                for (int j : RoundStepsTest.rows(dv, i)) {
                    double var = g[0] + 2 * g[1] * va[3][j + nv] + g[3] * va[3][j + nv] * va[3][j + nv] + resVar[j];
                    if (metric.equals("mse")) direct += r[j] * r[j];
                    if (metric.equals("rowwise")) direct += 0.5 * (Math.log(2 * Math.PI * var) + r[j] * r[j] / var);
                }
                if (metric.equals("nll")) direct += RoundStepsTest.clusterNll(dv, i, r, g, resVar);
            }
            double[] vl = model.validLoss();
            assertEquals(direct, vl[vl.length - 1], 1e-8 * Math.abs(direct), metric);
        }
    }

    @Test
    void validationDataMustMatchTheTrainingData() {
        int m = 20, n = 8 * m;
        int[] c = new int[n];
        double[][] tr = treated(63, m, c);
        double[] xdisp = tr[0], wcov = new double[m];
        for (int i = 0; i < m; i++) wcov[i] = i % 3;
        java.util.function.Function<String, Booster> treated = learner -> {
            TrainingData d = new TrainingData(tr[0], n, 1, new int[] {0}, tr[1], tr[2], c, m, tr[3], 2, false,
                    xdisp, 1, new int[] {0}, wcov, 1, new int[] {0});
            d.setTreatment(tr[4], Double.NaN);
            Config cfg = Problems.config().nrounds(5).honestFolds(0).learner(learner).learnerDisp(learner)
                    .learnerCov(learner).build();
            return new Booster(d, cfg);
        };
        String msg = assertThrows(IllegalArgumentException.class, () -> treated.apply("tree").setValidation(tr[0], n, tr[1],
                tr[2], c, m, tr[3], xdisp, wcov)).getMessage();
        assertTrue(msg.contains("need the treatment of every row"), msg);
        // a missing value cannot reach a learner other than trees: x, xdisp and wcov each
        String[] names = {"x", "xdisp", "wcov"};
        for (int k = 0; k < 3; k++) {
            double[] xm = tr[0].clone(), dm = xdisp.clone(), wm = wcov.clone();
            (k == 0 ? xm : k == 1 ? dm : wm)[3] = Double.NaN;
            for (String learner : new String[] {"linear", "tree"}) {
                Runnable set = () -> treated.apply(learner).setValidation(xm, n, tr[1], tr[2], c, m, tr[3], dm, wm, tr[4]);
                if (learner.equals("tree")) { set.run(); continue; }   // trees route missing values
                msg = assertThrows(IllegalArgumentException.class, set::run).getMessage();
                assertTrue(msg.startsWith(names[k] + "[4, 1] = NaN"), msg);
            }
        }
        // held-out data built with other columns than the fit's (the facade takes the fit's; the class checks)
        Booster b = treated.apply("tree");
        double[] codes = new double[n];
        for (int j = 0; j < n; j++) codes[j] = j % 3;
        TrainingData factor = new TrainingData(codes, n, 1, new int[] {3}, tr[1], tr[2], c, m, tr[3], 2, false,
                xdisp, 1, new int[] {0}, wcov, 1, new int[] {0});
        msg = assertThrows(IllegalArgumentException.class, () -> new Validation(factor, b)).getMessage();
        assertTrue(msg.contains("validation x column 1 has nlevels 3, training 0"), msg);
        TrainingData fewer = new TrainingData(tr[0], n, 1, new int[] {0}, tr[1], tr[2], c, m, tr[3], 2, false);
        msg = assertThrows(IllegalArgumentException.class, () -> new Validation(fewer, b)).getMessage();
        assertTrue(msg.contains("validation data have 1/0/0 covariates and q = 2, the training data 1/1/1 and q = 2"), msg);
        // a model without a treatment part refuses a held-out treatment
        TrainingData plain = new TrainingData(tr[0], n, 1, new int[] {0}, tr[1], tr[2], c, m, tr[3], 2, false);
        msg = assertThrows(IllegalArgumentException.class, () -> new Booster(plain, Problems.config().nrounds(5).build())
                .setValidation(tr[0], n, tr[1], tr[2], c, m, tr[3], new double[0], new double[0], tr[4])).getMessage();
        assertTrue(msg.contains("no treatment-effect part"), msg);
    }

    /** A held-out loss read from a script, one value per call (the first before round 1). */
    private static Booster.HeldOut script(double... values) {
        int[] call = {0};
        return () -> values[call[0]++];
    }

    private static double[] predictions(Model m, TrainingData d) {
        return m.predict(d.x, d.n, d.cluster, d.z);
    }

    /** The model after k rounds of the same fit, without a watched loss. */
    private static Model fitted(TrainingData d, Config c, int k) {
        Booster b = new Booster(d, c);
        b.iterate(k);
        return b.model();
    }

    @Test
    void earlyStoppingBookkeepingFollowsTheWatchedLossExactly() {
        TrainingData d = Problems.random(5, 30, 8, 1, true);
        // ties do not move the best round; stopping comes exactly early_stopping_rounds after it
        Config c = Problems.config().nrounds(40).learningRate(0.1).maxDepth(2).minLeaf(5).honestFolds(0)
                .earlyStoppingRounds(3).build();
        Booster b = new Booster(d, c);
        double[] s = {10, 9, 8, 8.5, 8, 9, 7, 7.5, 6, 5};
        b.watch(script(s));
        assertEquals(5, b.iterate(20), "stops 3 rounds after the best round 2 (round 4 only ties it)");
        assertEquals(2, b.bestRound());
        assertTrue(b.stoppedEarly() && b.finished());
        assertEquals(5, b.iterate(5), "a stopped fit runs no more rounds");
        Model best = b.bestModel();
        assertEquals(2, best.nrounds());
        assertEquals(5, best.roundsRun(), "the histories run to the last round");
        assertArrayEquals(Arrays.copyOf(s, 6), best.validLoss());
        assertArrayEquals(predictions(fitted(d, c, 2), d), predictions(best, d), "the best model is the 2-round fit");
        assertArrayEquals(fitted(d, c, 2).fittedFixed(), best.fittedFixed(), "and keeps that round's fitted values");
        assertArrayEquals(fitted(d, c, 2).fittedRandom(), best.fittedRandom());

        // without early stopping: the best of 20 rounds (past the histories' first capacity of 16)
        Config all = Problems.config().nrounds(20).learningRate(0.1).maxDepth(2).minLeaf(5).honestFolds(0).build();
        double[] down = new double[21];
        for (int t = 0; t <= 20; t++) down[t] = t <= 17 ? 100 - t : 100 - 17 + (t - 17);
        b = new Booster(d, all);
        b.watch(script(down));
        assertEquals(20, b.iterate(25), "never past nrounds");
        assertEquals(17, b.bestRound());
        assertTrue(!b.stoppedEarly() && b.finished());
        best = b.bestModel();
        assertArrayEquals(down, best.validLoss());
        assertEquals(21, best.trainLoss().length);
        assertArrayEquals(predictions(fitted(d, all, 17), d), predictions(best, d), "the 17-round fit");

        // no round improves on the start: the best model is the initial one
        double[] up = new double[21];
        for (int t = 0; t <= 20; t++) up[t] = 1 + t;
        b = new Booster(d, all);
        b.watch(script(up));
        b.iterate(20);
        assertEquals(0, b.bestRound());
        assertEquals(0, b.bestModel().nrounds());
        assertArrayEquals(predictions(fitted(d, all, 0), d), predictions(b.bestModel(), d), "the initial model");

        // the last round is the best: the current model
        b = new Booster(d, all);
        b.watch(script(down.clone()));
        b.iterate(17);
        assertEquals(17, b.bestRound());
        assertArrayEquals(predictions(b.model(), d), predictions(b.bestModel(), d));
        assertEquals(17, b.bestModel().nrounds());

        assertThrows(IllegalArgumentException.class, () -> new Booster(d, all).iterate(-1));
        Booster noValidation = new Booster(d, all);
        noValidation.iterate(4);
        assertEquals(4, noValidation.bestRound(), "without a watched loss the best round is the last");
        assertEquals(0, noValidation.model().validLoss().length);
    }

    @Test
    void earlyStoppingOnTheHonestFoldsScoresEachCrossFitMeanOnItsOwnFold() {
        // without held-out data: the out-of-fold loss of the K cross-fit means; every cluster stays in the fit
        VarianceRecoveryTest.Sim s = new VarianceRecoveryTest.Sim(61, 60, 6, false, 0.0, 0.0);
        Config c = Problems.config().nrounds(400).learningRate(0.3).maxDepth(6).minLeaf(2).earlyStoppingRounds(20)
                .honestFolds(3).seed(3).build();
        Booster b = booster(s, c, false, false);
        b.setValidationHonest();
        b.iterate(1000);
        assertTrue(b.stoppedEarly(), "stopped early on the out-of-fold loss");
        Model bm = b.bestModel();
        assertEquals(b.bestRound(), bm.nrounds());
        assertEquals(s.m, bm.nclusters(), "all clusters in the fit");
        // round 0: every cross-fit mean is the common intercept, so the out-of-fold squared error is that of the
        // training rows around the model's f
        double[] vl = bm.validLoss();
        Model m0 = GBMixed.booster(s.x, s.n, 2, new int[] {0, 0}, s.y, s.w1, s.cluster, s.m, s.z, s.q, true,
                Problems.config().nrounds(0).honestFolds(3).seed(3).build()).model();
        double[] f0 = m0.fittedFixed();
        double sse = 0;
        for (int j = 0; j < s.n; j++) sse += (s.y[j] - f0[j]) * (s.y[j] - f0[j]);
        assertEquals(sse, vl[0], 1e-9 * sse, "out-of-fold squared error at round 0");
        // with G(w) (q = 2, one G per cluster) and the joint NLL: at round 0 the folds' held-out NLLs add up to the
        // fit's NLL
        VarianceRecoveryTest.Sim sg = new VarianceRecoveryTest.Sim(62, 40, 6, true, 0.0, 1.2);
        Booster bg = booster(sg, Problems.config().nrounds(3).honestFolds(3).earlyStoppingMetric("nll").seed(3).build(),
                false, true);
        bg.setValidationHonest();
        double nll0 = bg.nll;
        bg.iterate(3);
        assertEquals(nll0, bg.model().validLoss()[0], 1e-9 * Math.abs(nll0), "round 0: the folds' NLLs are the fit's");
        Booster noFolds = booster(s, Problems.config().honestFolds(0).build(), false, false);
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                noFolds::setValidationHonest);
        assertTrue(e.getMessage().contains("honest_folds"), e.getMessage());
    }

    @Test
    void earlyStoppingKeepsTheBestRoundAndItEqualsAShorterFit() {
        // a mean with little signal and many deep trees: the validation loss turns up early
        VarianceRecoveryTest.Sim s = new VarianceRecoveryTest.Sim(61, 60, 6, false, 0.0, 0.0),
                v = new VarianceRecoveryTest.Sim(62, 60, 6, false, 0.0, 0.0);
        Config c = Problems.config().nrounds(400).learningRate(0.3).maxDepth(6).minLeaf(2).earlyStoppingRounds(20)
                .seed(3).build();
        Booster b = booster(s, c, false, false);
        watch(b, v, false, false);
        b.iterate(1000);
        assertTrue(b.stoppedEarly(), "stopped early");
        int best = b.bestRound();
        Model bm = b.bestModel();
        double[] vl = bm.validLoss();
        assertEquals(best + 20, bm.roundsRun(), "ran 20 rounds past the best");
        assertEquals(best, bm.nrounds());
        for (int t = 0; t < vl.length; t++) assertTrue(vl[t] >= vl[best], "round " + t + " beats the best");
        // the same fit run for exactly `best` rounds gives the same model
        Config shorter = Problems.config().nrounds(best).learningRate(0.3).maxDepth(6).minLeaf(2).seed(3).build();
        Booster b2 = booster(s, shorter, false, false);
        b2.iterate(best);
        Model direct = b2.model();
        int[] codes = new int[v.n];
        Arrays.fill(codes, -1);
        assertArrayEquals(direct.predict(v.x, v.n, codes, v.z), bm.predict(v.x, v.n, codes, v.z), 0.0);
        assertArrayEquals(direct.ranef(), bm.ranef(), 0.0);
        assertEquals(direct.logLik(), bm.logLik(), 0.0);
        // and it survives serialisation with its histories
        Model back = GBMixed.fromBytes(bm.toBytes());
        assertArrayEquals(vl, back.validLoss(), 0.0);
        assertEquals(best, back.nrounds());
    }
}
