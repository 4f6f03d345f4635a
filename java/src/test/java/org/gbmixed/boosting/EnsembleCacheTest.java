package org.gbmixed.boosting;

import org.gbmixed.Config;
import org.gbmixed.GBMixed;
import org.gbmixed.Problems;
import org.gbmixed.learners.EnsembleCache;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * The incremental values of held-out rows (what validation reads every round) equal the ensemble's prediction
 * after every round, for every kind of part: trees, the linear learner, component-wise splines and lines, and a
 * factor; an off-diagonal Cholesky entry's scale too (full G with level steps).
 */
class EnsembleCacheTest {

    @Test
    void cachedValuesFollowTheEnsembleEveryRound() {
        VarianceRecoveryTest.Sim s = new VarianceRecoveryTest.Sim(71, 40, 8, true, 1.2, 1.2),
                v = new VarianceRecoveryTest.Sim(72, 15, 8, true, 1.2, 1.2);
        // held-out covariates: x with a factor column (codes 0..2) next to the numeric one
        double[] xs = new double[2 * s.n], xv = new double[2 * v.n];
        // the factor follows y closely, so the component-wise learners select it too (the second covariate's
        // offset in the cache)
        double[] sorted = s.y.clone();
        java.util.Arrays.sort(sorted);
        double q1 = sorted[s.n / 3], q2 = sorted[2 * s.n / 3];
        for (int j = 0; j < s.n; j++) { xs[j] = s.x[j]; xs[j + s.n] = s.y[j] < q1 ? 0 : s.y[j] < q2 ? 1 : 2; }
        for (int j = 0; j < v.n; j++) { xv[j] = v.x[j]; xv[j + v.n] = (j / 2) % 3; }
        String[][] learners = {{"spline", "linear", "tree"}, {"linear", "spline", "spline"}, {"tree", "tree", "linear"}};
        for (String[] l : learners) {
            Config c = Problems.config().nrounds(12).learningRate(0.3).maxDepth(2).minLeaf(10).minLeafCov(5)
                    .honestFolds(0).learner(l[0]).learnerDisp(l[1]).learnerCov(l[2]).build();
            Booster b = GBMixed.booster(xs, s.n, 2, new int[] {0, 3}, s.y, s.w1, s.cluster, s.m, s.z, s.q, false,
                    s.xdisp, 1, new int[] {0}, s.wcov, 1, new int[] {0}, c);
            EnsembleCache mu = new EnsembleCache(b.mean.mu, xv, v.n), rho = new EnsembleCache(b.rhoEns, v.xdisp, v.n);
            EnsembleCache[] theta = new EnsembleCache[b.np];
            for (int t = 0; t < b.np; t++) theta[t] = new EnsembleCache(b.thetaEns[t], v.wcov, v.m);
            boolean factorChosen = false;
            for (int round = 1; round <= 12; round++) {
                b.iterate(1);
                String what = String.join("/", l) + ", round " + round;
                // refreshed every round, or (rho) every third round: the cache adds what changed since its last refresh
                mu.refresh();
                factorChosen |= b.mean.mu.additive != null && b.mean.mu.additive[1] != null;
                if (round % 3 == 0) rho.refresh();
                for (EnsembleCache t : theta) t.refresh();
                for (int j = 0; j < v.n; j++) {
                    double want = b.mean.mu.predict(xv, v.n, j);
                    assertEquals(want, mu.value(j), 1e-10 * (1 + Math.abs(want)), what + ", mean, row " + j);
                    if (round % 3 == 0) {
                        double wr = b.rhoEns.predict(v.xdisp, v.n, j);
                        assertEquals(wr, rho.value(j), 1e-10 * (1 + Math.abs(wr)), what + ", rho, row " + j);
                    }
                }
                for (int t = 0; t < b.np; t++)
                    for (int i = 0; i < v.m; i++) {
                        double want = b.thetaEns[t].predict(v.wcov, v.m, i);
                        assertEquals(want, theta[t].value(i), 1e-10 * (1 + Math.abs(want)), what + ", theta " + t + ", cluster " + i);
                    }
            }
            if (l[0].equals("spline")) org.junit.jupiter.api.Assertions.assertTrue(factorChosen, "the factor was selected");
        }
    }
}
