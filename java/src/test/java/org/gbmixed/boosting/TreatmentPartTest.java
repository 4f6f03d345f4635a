package org.gbmixed.boosting;

import org.gbmixed.Config;
import org.gbmixed.Problems;
import org.gbmixed.base.Parallel;
import org.gbmixed.base.TrainingData;
import org.gbmixed.learners.Ensemble;
import org.gbmixed.learners.PartLearner;
import org.gbmixed.likelihood.Likelihood;
import org.gbmixed.likelihood.NewtonStep;
import org.gbmixed.model.Model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The treatment-effect part: its out-of-fold step value, its own stopping, and tau recovering a known effect. */
class TreatmentPartTest {

    /** 80 clusters of 10 rows, random intercept + treatment slope; tau(x) = 1 + x1 (or 1 with flat = true). */
    private static TrainingData data(long seed, boolean flat) {
        Random rnd = new Random(seed);
        int m = 80, per = 10, n = m * per;
        double[] x = new double[2 * n], y = new double[n], w = new double[n], z = new double[2 * n], t = new double[n];
        int[] c = new int[n];
        double[] b0 = new double[m], b1 = new double[m];
        for (int i = 0; i < m; i++) { b0[i] = rnd.nextGaussian(); b1[i] = 0.5 * rnd.nextGaussian(); }
        for (int j = 0; j < n; j++) {
            c[j] = j / per;
            x[j] = rnd.nextDouble() * 2 - 1;
            x[j + n] = rnd.nextDouble() * 2 - 1;
            t[j] = rnd.nextBoolean() ? 1 : 0;
            double tau = flat ? 1 : 1 + x[j];
            y[j] = Math.sin(2 * x[j + n]) + tau * t[j] + b0[c[j]] + b1[c[j]] * t[j] + 0.5 * rnd.nextGaussian();
            w[j] = 1;
            z[j] = 1;
            z[j + n] = t[j];
        }
        TrainingData d = new TrainingData(x, n, 2, new int[] {0, 0}, y, w, c, m, z, 2, false);
        d.setTreatment(t, Double.NaN);
        return d;
    }

    @Test
    void stepValueIsTheNllChangeOfTheTauIncrement() {
        TrainingData d = data(3, false);
        Config cfg = Problems.config().learningRate(0.3).learningRateCate(0.3).maxDepth(2).minLeaf(10).build();
        Parallel par = Parallel.SERIAL;
        PartLearner mu = new PartLearner(d.feat, Config.Learner.TREE, cfg, cfg.minLeaf, par);
        MeanPart part = new MeanPart(d, cfg, mu, mu.sibling(2), new NewtonStep(d, par), 0, 0);
        double[] resVar = new double[d.n], l = {0.9, 0.2, 0, 0.5};
        java.util.Arrays.fill(resVar, 0.3);
        double[] r = new double[d.n];
        for (int j = 0; j < d.n; j++) r[j] = d.y[j] - part.f[j];
        Likelihood lik = new Likelihood(d);
        lik.run(r, resVar, l, 0);
        double[] tauBefore = part.tau.predict(d.x, d.n);
        part.step(lik, resVar, null, null);
        // the increment is t_j times the tau ensemble's shape change (its level moved by the level step too)
        double[] inc = part.lastTauIncrement(), tauAfter = part.tau.predict(d.x, d.n);
        double dLevel = part.tau.intercept - 0;
        for (int j = 0; j < d.n; j++)
            assertEquals(d.contrast[j] * (tauAfter[j] - tauBefore[j] - dLevel), inc[j], 1e-12, "increment of row " + j);
        double[] mask = new double[d.m];
        for (int i = 0; i < d.m; i += 3) mask[i] = 1;
        double value = part.tauStepValue(lik, resVar, mask);
        // direct: the NLL of the masked clusters at f, minus at f without the increment
        double[] a = part.lastTauIncrement(), r1 = new double[d.n], r0 = new double[d.n];
        for (int j = 0; j < d.n; j++) { r1[j] = d.y[j] - part.f[j]; r0[j] = r1[j] + a[j]; }
        Likelihood l1 = new Likelihood(d), l0 = new Likelihood(d);
        l1.run(r1, resVar, l, 0);
        l0.run(r0, resVar, l, 0);
        double direct = 0;
        for (int i = 0; i < d.m; i++) if (mask[i] > 0) direct += l1.nllCluster[i] - l0.nllCluster[i];
        assertEquals(direct, value, 1e-9 * (1 + Math.abs(direct)), "out-of-fold value of the tau step");
        assertTrue(Math.abs(direct) > 1e-6, "the step did something");
    }

    @Test
    void tauStopsOnItsOwnWhenThereIsNoHeterogeneityAndRecoversItWhenThereIs() {
        for (boolean flat : new boolean[] {true, false}) {
            TrainingData d = data(5, flat);
            Config cfg = Problems.config().nrounds(400).learningRate(0.1).learningRateCate(0.1).maxDepth(3)
                    .minLeaf(10).honestFolds(3).cateStoppingRounds(30).seed(2).build();
            Booster b = new Booster(d, cfg);
            b.iterate(400);
            Model m = b.model();
            double[] tau = m.predictCate(new double[] {-0.8, 0, 0.8, 0, 0, 0}, 3);   // x1 = -0.8, 0, 0.8; x2 = 0
            if (flat) {
                // measured: stops at round 30 (its shape never helped out of fold); tau 1.113, 1.106, 1.101 (the level
                // 1.1 where the truth is 1; the shape flat)
                assertTrue(b.cateStopRound() > 0 && b.cateStopRound() <= 60, "stopped: " + b.cateStopRound());
                assertTrue(Math.abs(tau[2] - tau[0]) < 0.1, "flat: " + java.util.Arrays.toString(tau));
                for (double v : tau) assertEquals(1.0, v, 0.25, "flat tau");
            } else {
                // tau(x1) = 1 + x1: the slope is found (measured 0.460, 1.233, 1.872 against 0.2, 1, 1.8; stops at 47)
                assertTrue(tau[2] - tau[0] > 0.8, "tau(0.8) - tau(-0.8) = " + (tau[2] - tau[0]) + ", truth 1.6");
                assertEquals(1.0, tau[1], 0.3, "tau(0)");
                // its shape helped out of fold at some round, so it stopped later than cate_stopping_rounds
                assertTrue(b.cateStopRound() > 30, "stopped at " + b.cateStopRound());
            }
            // once stopped, no treatment-effect shape is added: the main tau nor any fold's
            int stop = b.cateStopRound();
            assertTrue(stop > 0 && stop < 400, "stopped within the fit: " + stop);
            assertTrue(b.mean.tau.trees.size() <= stop, "main tau trees " + b.mean.tau.trees.size());
            for (Ensemble[] fold : m.jack) assertTrue(fold[1].trees.size() <= stop, "fold tau trees " + fold[1].trees.size());
            assertTrue(m.jack[0][0].trees.size() > stop, "the folds' mu keeps learning");
        }
    }
}
