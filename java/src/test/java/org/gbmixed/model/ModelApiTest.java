package org.gbmixed.model;

import org.gbmixed.Problems;
import org.gbmixed.boosting.Booster;
import org.gbmixed.boosting.RoundStepsTest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The Model's public face as a Java caller (and the R package) sees it, on a GRBoost fit with a full G(w) and
 * honest folds: what each accessor reports, the variances of predict() for existing and new clusters from the
 * model's own parts, the bytes round trip of every part, and the argument errors.
 */
class ModelApiTest {
    private static final RoundStepsTest.Data S = new RoundStepsTest.Data(21, 50, 3, 9);
    private static final Model M = fit();

    private static Model fit() {
        Booster b = S.booster(Problems.config().nrounds(15).learningRate(0.1).maxDepth(2).minLeaf(10).minLeafCov(10)
                .honestFolds(3).build());
        b.iterate(15);
        return b.model();
    }

    private static void assertMessage(Class<? extends Throwable> type, org.junit.jupiter.api.function.Executable run,
                                      String part) {
        Throwable e = assertThrows(type, run);
        assertTrue(e.getMessage().contains(part), "message \"" + e.getMessage() + "\" should contain \"" + part + "\"");
    }

    @Test
    void newClustersWithAShortClusterArrayAreRefusedByName() {
        // logLikNew's wcov is per row: each row's cluster-level covariates
        double[] wrows = new double[S.n];
        for (int j = 0; j < S.n; j++) wrows[j] = S.wcov[S.cluster[j]];
        int[] shortCl = java.util.Arrays.copyOf(S.cluster, S.n - 1);
        assertMessage(IllegalArgumentException.class,
                () -> M.logLikNew(S.x, S.n, S.y, shortCl, S.m, S.z, S.xdisp, wrows), "cluster has length " + (S.n - 1));
        assertMessage(IllegalArgumentException.class,
                () -> M.logLikNew(S.x, S.n, S.y, null, S.m, S.z, S.xdisp, wrows), "cluster has length null");
        assertTrue(Double.isFinite(M.logLikNew(S.x, S.n, S.y, S.cluster, S.m, S.z, S.xdisp, wrows)));
    }

    @Test
    void linearCoefficientsSaysWhyThereAreNone() {
        assertMessage(IllegalStateException.class, M::linearCoefficients, "learner \"tree\", not \"linear\"");
        Model cw = new Booster(Problems.random(3, 10, 5, 1, false),
                Problems.config().learner("linear").componentwise(true).nrounds(2).build()).model();
        assertMessage(IllegalStateException.class, cw::linearCoefficients, "no joint coefficients (a component-wise");
    }

    @Test
    void accessorsDescribeTheFit() {
        assertEquals("GRBoost", M.variant());
        assertEquals("tree", M.learner());
        assertEquals(2, M.q());
        assertTrue(!M.diagonalG());
        assertTrue(new Booster(Problems.random(3, 10, 5, 2, true), Problems.config().nrounds(1).build()).model().diagonalG());
        assertEquals(S.n, M.nobs());
        assertEquals(S.m, M.nclusters());
        assertEquals(false, M.diagonalG());
        assertEquals(false, M.hasTreatment());
        assertEquals(3, M.jackknifeGroups());
        assertEquals(15, M.nrounds());
        assertEquals(2, M.nfeatures());
        assertEquals(1, M.nfeaturesDisp());
        assertEquals(1, M.nfeaturesCov());
        assertEquals(1, M.importanceDisp().length);
        assertEquals(1, M.importanceCov().length);
        assertEquals(0, M.importanceCate().length);
        assertTrue(M.importanceDisp()[0] > 0 && M.importanceCov()[0] > 0, "both variance parts split on their covariate");
        // sigma^2 of a boosted R(x): the mean of R over the training rows; G: the mean of G(w_i) over the clusters
        double s = 0;
        for (double v : M.fittedDisp()) s += v;
        assertEquals(s / S.n, M.sigma2(), 1e-12 * s / S.n);
        double[] g = M.covariance(), gc = M.clusterCovariance();
        for (int k = 0; k < 4; k++) {
            double mean = 0;
            for (int i = 0; i < S.m; i++) mean += gc[i * 4 + k] / S.m;
            assertEquals(mean, g[k], 1e-12 * Math.abs(mean) + 1e-15, "G entry " + k);
        }
    }

    @Test
    void predictGivesMeanRandomPartAndVarianceFromTheModelsParts() {
        int n = S.n;
        int[] codes = new int[n];
        for (int j = 0; j < n; j++) codes[j] = j % 3 == 0 ? -1 : S.cluster[j];
        double[] wRows = new double[n];
        for (int j = 0; j < n; j++) wRows[j] = S.wcov[S.cluster[j]];
        double[] p = M.predict(S.x, n, codes, S.z, S.xdisp, wRows, new double[0]);
        double[] ff = M.fittedFixed(), fr = M.fittedRandom(), rv = M.predictDisp(S.xdisp, n);
        double[] gNew = M.predictCov(wRows, n), post = M.ranefCov(), b = M.ranef();
        for (int j = 0; j < n; j++) {
            double z0 = S.z[j], z1 = S.z[j + n];
            assertEquals(ff[j], p[j], 1e-10, "f row " + j);
            double var;
            if (codes[j] < 0) {
                assertEquals(0.0, p[n + j], 0.0, "a new cluster has no random part");
                var = z0 * z0 * gNew[j] + 2 * z0 * z1 * gNew[j + n] + z1 * z1 * gNew[j + 2 * n];
            } else {
                int c = codes[j], off = c * 4;
                assertEquals(fr[j], p[n + j], 1e-10, "z'b row " + j);
                assertEquals(z0 * b[c] + z1 * b[c + S.m], p[n + j], 1e-10, "z'b from ranef(), row " + j);
                var = z0 * z0 * post[off] + 2 * z0 * z1 * post[off + 1] + z1 * z1 * post[off + 3];
            }
            assertEquals(var + rv[j], p[2 * n + j], 1e-10 * (var + rv[j]), "variance row " + j);
        }
    }

    @Test
    void everyPartSurvivesTheBytes() {
        Model b = Model.fromBytes(M.toBytes());
        int n = S.n;
        int[] codes = new int[n];
        for (int j = 0; j < n; j++) codes[j] = j % 2 == 0 ? -1 : S.cluster[j];
        double[] wRows = new double[n];
        for (int j = 0; j < n; j++) wRows[j] = S.wcov[S.cluster[j]];
        assertArrayEquals(M.predict(S.x, n, codes, S.z, S.xdisp, wRows, new double[0]),
                b.predict(S.x, n, codes, S.z, S.xdisp, wRows, new double[0]), 0.0);
        assertArrayEquals(M.predictJackknife(0, S.x, n, new double[0]), b.predictJackknife(0, S.x, n, new double[0]), 0.0);
        assertArrayEquals(M.predictCov(S.wcov, S.m), b.predictCov(S.wcov, S.m), 0.0);
        assertEquals(0, b.fittedDisp().length, "the training rows' values are not in the bytes");
        assertArrayEquals(M.clusterCovariance(), b.clusterCovariance(), 0.0);
        assertArrayEquals(M.importanceCov(), b.importanceCov(), 0.0);
        assertArrayEquals(M.importanceDisp(), b.importanceDisp(), 0.0);
        assertArrayEquals(M.validLoss(), b.validLoss(), 0.0);
        assertEquals(M.nrounds(), b.nrounds());
        assertEquals(M.jackknifeGroups(), b.jackknifeGroups());
        assertEquals(M.variant(), b.variant());
        assertEquals(M.diagonalG(), b.diagonalG());
        assertMessage(IllegalStateException.class, b::sigma2, "does not keep the training rows' R(x_j)");
    }

    @Test
    void theJackknifeReplicatesAreTheFoldMeansAndSpreadAroundTheMean() {
        int n = S.n, k = M.jackknifeGroups();
        double[] rep = M.predictJackknife(0, S.x, n, new double[0]), ff = M.fittedFixed();
        assertEquals(n * k, rep.length);
        double spread = 0, off = 0;
        for (int j = 0; j < n; j++) {
            double mean = 0;
            for (int f = 0; f < k; f++) mean += rep[j + f * n] / k;
            for (int f = 0; f < k; f++) spread += (rep[j + f * n] - mean) * (rep[j + f * n] - mean);
            off += (mean - ff[j]) * (mean - ff[j]);
        }
        assertTrue(spread > 0, "the fold means differ");
        // each fold mean saw 2/3 of the clusters: their average stays near the full mean
        double var = 0, mf = 0;
        for (double v : ff) mf += v / n;
        for (double v : ff) var += (v - mf) * (v - mf);
        assertTrue(off < 0.2 * var, "mean of the replicates vs the fit: " + off + " against the fit's spread " + var);
        assertMessage(IllegalArgumentException.class, () -> M.predictJackknife(2, S.x, n, new double[0]), "must be 0 (f) or 1 (tau)");
        assertMessage(IllegalStateException.class, () -> M.predictJackknife(1, S.x, n, new double[0]), "no treatment-effect part");
        assertMessage(IllegalStateException.class, () -> M.predictCate(S.x, n), "no treatment-effect part");
    }

    @Test
    void badArgumentsAreNamed() {
        int n = 4;
        double[] x = new double[2 * n], z = new double[2 * n], xd = new double[n], w = new double[n];
        int[] c = {0, 1, -1, 2};
        assertMessage(IllegalArgumentException.class, () -> M.predict(x, n, c, new double[n], xd, w, new double[0]),
                "z has length 4, expected nrow * 2 = 8");
        assertMessage(IllegalArgumentException.class, () -> M.predict(x, n, new int[3], z, xd, w, new double[0]),
                "cluster has length 3, expected nrow = 4");
        assertMessage(IllegalArgumentException.class, () -> M.predict(x, n, new int[] {0, 1, -2, 2}, z, xd, w, new double[0]),
                "cluster[3] = -2: must be -1 (new) or in 0.." + (S.m - 1));
        assertMessage(IllegalArgumentException.class, () -> M.predict(x, n, new int[] {0, S.m, 1, 2}, z, xd, w, new double[0]),
                "cluster[2] = " + S.m);
        assertMessage(IllegalArgumentException.class, () -> M.predict(x, n, c, z, xd, w, new double[] {0, 1, 0, 1}),
                "this model has no treatment-effect part");
        assertMessage(IllegalArgumentException.class, () -> M.predict(x, n, c, z, new double[0], w, new double[0]),
                "xdisp has length 0, expected nrow * 1 = 4 (this model's part depends on 1 covariate(s): pass them)");
        assertMessage(IllegalArgumentException.class, () -> M.predict(new double[n], n, c, z, xd, w, new double[0]),
                "x has length 4, expected nrow * 2 = 8");
        assertMessage(IllegalArgumentException.class, () -> M.predictCov(w, -1), "nrow = -1: must be >= 0");
        assertMessage(IllegalArgumentException.class, () -> M.effect(4, 0, 0, new double[] {0}), "part must be 0 (mean)");
        assertMessage(IllegalArgumentException.class, () -> M.effect(2, 3, 0, new double[] {0}), "entry in 0..2");
        assertMessage(IllegalArgumentException.class, () -> M.effect(0, 0, 2, new double[] {0}), "k = 2: covariate index must be in 0..1");
        assertMessage(IllegalStateException.class, () -> M.effect(0, 0, 0, new double[] {0}), "not fitted with a component-wise learner");
        assertEquals(0, M.predict(new double[0], 0, new int[0], new double[0], new double[0], new double[0], new double[0]).length);
        // a linear or spline part cannot predict a missing value (trees route it)
        for (String learner : new String[] {"linear", "spline"}) {
            Booster b = S.booster(Problems.config().nrounds(3).honestFolds(0).learner(learner).learnerDisp(learner)
                    .learnerCov(learner).build());
            b.iterate(3);
            Model lin = b.model();
            double[] xm = {0.1, Double.NaN, 0.2, 0.3}, zz = new double[4], ww = new double[2];
            assertMessage(IllegalArgumentException.class, () -> lin.predict(xm, 2, new int[] {-1, -1}, zz, new double[] {0, 0}, ww,
                    new double[0]), "x[2, 1] = NaN: missing values are only allowed with learner \"tree\", not \"" + learner + "\"");
            assertMessage(IllegalArgumentException.class, () -> lin.predictDisp(new double[] {Double.NaN}, 1),
                    "xdisp[1, 1] = NaN: missing values are only allowed with learner \"tree\", not \"" + learner + "\"");
            M.predict(xm, 2, new int[] {-1, -1}, zz, new double[] {0, 0}, ww, new double[0]);   // trees: fine
            if (learner.equals("spline")) {
                // the component-wise parts of G: every entry 0..2 has an effect of covariate 0
                for (int entry = 0; entry < 3; entry++) {
                    double[] eff = lin.effect(2, entry, 0, new double[] {-0.5, 0, 0.5});
                    assertEquals(3, eff.length);
                    for (double v : eff) assertTrue(Double.isFinite(v));
                }
            }
        }
    }
}
