package org.gbmixed.model;

import org.gbmixed.Config;
import org.gbmixed.GBMixed;
import org.gbmixed.Problems;
import org.gbmixed.boosting.Booster;
import org.gbmixed.boosting.VarianceRecoveryTest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Model.atRound: every part taken back to an earlier round equals a fit that stopped there. */
class ModelRoundsTest {

    private static Booster grboost(VarianceRecoveryTest.Sim s, int rounds) {
        Config c = Problems.config().nrounds(rounds).learningRate(0.1).maxDepth(3).minLeaf(10).minLeafCov(10)
                .honestFolds(2).learnerDisp("spline").seed(4).build();
        Booster b = GBMixed.booster(s.x, s.n, 2, new int[] {0, 0}, s.y, s.w1, s.cluster, s.m, s.z, s.q, true,
                s.xdisp, 1, new int[] {0}, s.wcov, 1, new int[] {0}, c);
        b.iterate(rounds);
        return b;
    }

    @Test
    void aModelAtAnEarlierRoundIsTheShorterFit() {
        VarianceRecoveryTest.Sim s = new VarianceRecoveryTest.Sim(81, 60, 8, true, 1.6, 1.6);
        Model full = grboost(s, 30).model(), short12 = grboost(s, 12).model();
        double[] wrows = new double[s.n];
        for (int j = 0; j < s.n; j++) wrows[j] = s.wcov[s.cluster[j]];
        Model at12 = full.atRound(12, s.x, s.n, s.y, s.w1, s.cluster, s.m, s.z, s.xdisp, wrows, new double[0]);
        assertEquals(12, at12.nrounds());
        assertArrayEquals(short12.ranef(), at12.ranef(), 1e-10, "BLUPs");
        assertArrayEquals(short12.ranefCov(), at12.ranefCov(), 1e-10, "posterior covariances");
        assertArrayEquals(short12.clusterCovariance(), at12.clusterCovariance(), 1e-12, "G(w)");
        // the log-likelihood at round 12 is the training curve's round 12
        double[] loss = full.trainLoss();
        assertEquals(-(loss[12] + 0.5 * s.n * Math.log(2 * Math.PI)), at12.logLik(), 1e-8 * Math.abs(loss[12]));
        int[] code = new int[s.n];
        for (int j = 0; j < s.n; j++) code[j] = j % 3 == 0 ? -1 : s.cluster[j];
        assertArrayEquals(short12.predict(s.x, s.n, code, s.z, s.xdisp, wrows),
                at12.predict(s.x, s.n, code, s.z, s.xdisp, wrows), 1e-10, "f, z'b, predictive variances");
        assertArrayEquals(short12.predictJackknife(0, s.x, s.n, new double[0]),
                at12.predictJackknife(0, s.x, s.n, new double[0]), 1e-12, "the honest folds' means");
        // and after the bytes round trip
        Model back = GBMixed.fromBytes(full.toBytes())
                .atRound(12, s.x, s.n, s.y, s.w1, s.cluster, s.m, s.z, s.xdisp, wrows, new double[0]);
        assertArrayEquals(at12.ranef(), back.ranef(), 0.0);
        assertThrows(IllegalArgumentException.class,
                () -> full.atRound(31, s.x, s.n, s.y, s.w1, s.cluster, s.m, s.z, s.xdisp, wrows, new double[0]));
    }
}
