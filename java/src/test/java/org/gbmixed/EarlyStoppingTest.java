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
        Config c = Problems.config().nrounds(30).learningRate(0.1).maxDepth(3).minLeaf(10).minLeafCov(10)
                .honestFolds(2).build();
        Booster b = booster(s, c, true, true);
        watch(b, v, true, true);
        for (int t = 0; t < 3; t++) {
            b.iterate(10);
            Model m = b.model();
            double[] wrows = new double[v.n];
            for (int j = 0; j < v.n; j++) wrows[j] = v.wcov[v.cluster[j]];
            double direct = m.logLikNew(v.x, v.n, v.y, v.cluster, v.m, v.z, v.xdisp, wrows);
            double[] vl = m.validLoss();
            assertEquals(direct, -vl[vl.length - 1] - 0.5 * v.n * Math.log(2 * Math.PI), 1e-8 * Math.abs(direct),
                    "round " + m.nrounds());
        }
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
