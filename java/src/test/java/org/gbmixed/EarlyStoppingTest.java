package org.gbmixed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
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
