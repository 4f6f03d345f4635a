package org.gbmixed.model;

import org.gbmixed.Config;
import org.gbmixed.Problems;
import org.gbmixed.base.TrainingData;
import org.gbmixed.boosting.Booster;
import org.gbmixed.boosting.RoundStepsTest;
import org.gbmixed.learners.Ensemble;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A model with a treatment-effect part and a random treatment slope: clusters added after the fit get the dense
 * BLUP G Z' V^-1 r and posterior G - G Z' V^-1 Z G at the model's f(x, T), R / w and G(w); the jackknife
 * replicates of f are mu_k + (T - c) tau_k; treatments other than 0/1 or of the wrong length are refused.
 */
class ModelTreatmentTest {

    /** Clusters of 6 rows: x, y, w, z (intercept, T), T, wcov (n x 2, per row: the cluster's values), codes in c. */
    private static double[][] data(long seed, int m, int[] c) {
        Random rnd = new Random(seed);
        int n = 6 * m;
        double[] x = new double[n], y = new double[n], w = new double[n], z = new double[2 * n], t = new double[n], wc = new double[2 * n];
        for (int i = 0; i < m; i++) {
            double wi = rnd.nextDouble(), w2 = rnd.nextDouble(), b0 = rnd.nextGaussian() * (0.5 + wi), b1 = 0.5 * rnd.nextGaussian() * (0.5 + w2);
            for (int r = 0; r < 6; r++) {
                int j = 6 * i + r;
                c[j] = i;
                x[j] = rnd.nextDouble() * 2 - 1;
                t[j] = r % 2;
                w[j] = 0.5 + rnd.nextDouble();
                wc[j] = wi;
                wc[j + n] = w2;
                y[j] = x[j] + (1 + x[j]) * t[j] + b0 + b1 * t[j] + 0.4 * rnd.nextGaussian() / Math.sqrt(w[j]);
                z[j] = 1;
                z[j + n] = t[j];
            }
        }
        return new double[][] {x, y, w, z, t, wc};
    }

    private static Model fit(int m, int[] c, double[][] tr) {
        int n = 6 * m;
        double[] wcl = new double[2 * m];
        for (int i = 0; i < m; i++) { wcl[i] = tr[5][6 * i]; wcl[i + m] = tr[5][6 * i + n]; }
        TrainingData d = new TrainingData(tr[0], n, 1, new int[] {0}, tr[1], tr[2], c, m, tr[3], 2, false,
                new double[0], 0, new int[0], wcl, 2, new int[] {0, 0});
        d.setTreatment(tr[4], Double.NaN);
        Config cfg = Problems.config().nrounds(15).learningRate(0.2).maxDepth(2).minLeaf(8).minLeafCov(5).honestFolds(3).build();
        Booster b = new Booster(d, cfg);
        b.iterate(15);
        return b.model();
    }

    @Test
    void addedClustersGetTheDenseBlupsAtTheModelsParts() {
        int m = 40, mv = 6, n = 6 * m, nv = 6 * mv;
        int[] c = new int[n], cv = new int[nv];
        double[][] tr = data(1, m, c), va = data(2, mv, cv);
        for (int j = 0; j < nv; j++) if (j % 6 > 0) { va[5][j] += 0.3; va[5][j + nv] -= 0.3; }   // G(w) is read from a cluster's first row
        Model model = fit(m, c, tr);
        Model more = model.withClusters(va[0], nv, va[1], va[2], cv, mv, va[3], new double[0], va[5], va[4]);
        assertEquals(m + mv, more.nclusters());
        double[] bhat = more.ranef(), post = more.ranefCov(), old = model.ranef();
        // ranef() is nclusters x q column-major
        for (int i = 0; i < m; i++)
            for (int a = 0; a < 2; a++) assertEquals(old[i + a * m], bhat[i + a * (m + mv)], 0.0, "the training clusters' BLUPs are kept");
        int[] isNew = new int[nv];
        Arrays.fill(isNew, -1);
        double[] p = model.predict(va[0], nv, isNew, va[3], new double[0], va[5], va[4]);
        double rv = model.predictDisp(new double[0], 1)[0];
        double[] gl = model.predictCov(va[5], nv);
        for (int i = 0; i < mv; i++) {
            int[] rows = new int[6];
            for (int r = 0; r < 6; r++) rows[r] = 6 * i + r;
            int j0 = rows[0];
            double[] g = {gl[j0], gl[j0 + nv], gl[j0 + nv], gl[j0 + 2 * nv]};
            // V = Z G Z' + diag(R / w), dense; BLUP = G Z' V^-1 r; posterior = G - G Z' V^-1 Z G
            double[] v = new double[36], zg = new double[12];
            for (int a = 0; a < 6; a++) {
                for (int e = 0; e < 2; e++) {
                    double s = 0;
                    for (int f = 0; f < 2; f++) s += va[3][rows[a] + f * nv] * g[f + e * 2];
                    zg[a + e * 6] = s;   // (Z G)_{a e}
                }
            }
            for (int a = 0; a < 6; a++)
                for (int b2 = 0; b2 < 6; b2++) {
                    double s = 0;
                    for (int e = 0; e < 2; e++) s += zg[a + e * 6] * va[3][rows[b2] + e * nv];
                    v[a + b2 * 6] = s + (a == b2 ? rv / va[2][rows[a]] : 0);
                }
            double[] vi = RoundStepsTest.inverse(v, 6, new double[1]), r = new double[6];
            for (int a = 0; a < 6; a++) r[a] = va[1][rows[a]] - p[rows[a]];
            for (int e = 0; e < 2; e++) {
                double s = 0;
                for (int a = 0; a < 6; a++) for (int b2 = 0; b2 < 6; b2++) s += zg[a + e * 6] * vi[a + b2 * 6] * r[b2];
                assertEquals(s, bhat[(m + i) + e * (m + mv)], 1e-9 * (1 + Math.abs(s)), "BLUP of new cluster " + i + ", entry " + e);
                for (int f = 0; f < 2; f++) {
                    double q = 0;
                    for (int a = 0; a < 6; a++) for (int b2 = 0; b2 < 6; b2++) q += zg[a + e * 6] * vi[a + b2 * 6] * zg[b2 + f * 6];
                    double want = g[e + f * 2] - q;
                    assertEquals(want, post[4 * (m + i) + e + f * 2], 1e-9 * (1 + Math.abs(want)), "posterior of cluster " + i);
                }
            }
            // and predict() of the added cluster conditions on it
            double[] pc = more.predict(va[0], nv, cvShift(cv, m), va[3], new double[0], va[5], va[4]);
            for (int a = 0; a < 6; a++) {
                int j = rows[a];
                double rand = bhat[m + i] + va[3][j + nv] * bhat[m + i + (m + mv)];
                assertEquals(p[j], pc[j], 1e-12, "the same f");
                assertEquals(rand, pc[nv + j], 1e-9 * (1 + Math.abs(rand)), "z'b of row " + j);
            }
        }
        String msg = assertThrows(IllegalArgumentException.class, () -> model.withClusters(va[0], nv, va[1], va[2],
                cvShift(cv, 1), mv, va[3], new double[0], va[5], va[4])).getMessage();
        assertTrue(msg.contains("codes must be in 0..5"), msg);
    }

    private static int[] cvShift(int[] cv, int by) {
        int[] out = cv.clone();
        for (int j = 0; j < out.length; j++) out[j] += by;
        return out;
    }

    @Test
    void jackknifeReplicatesOfFAreMuPlusTheTreatmentContrastTimesTau() {
        int m = 40, n = 6 * m;
        int[] c = new int[n];
        double[][] tr = data(3, m, c);
        Model model = fit(m, c, tr);
        assertEquals(3, model.jackknifeGroups());
        double[] t0 = new double[n], t1 = new double[n];
        Arrays.fill(t1, 1);
        double[] f0 = model.predictJackknife(0, tr[0], n, t0), f1 = model.predictJackknife(0, tr[0], n, t1),
                tau = model.predictJackknife(1, tr[0], n, new double[0]), ft = model.predictJackknife(0, tr[0], n, tr[4]);
        double centre = model.treatmentCentre();
        assertTrue(centre > 0 && centre < 1, "the centre is the treated share: " + centre);
        double spread = 0;
        for (int k = 0; k < 3 * n; k++) {
            assertEquals(tau[k], f1[k] - f0[k], 1e-12 * (1 + Math.abs(tau[k])), "tau_k = f_k(T=1) - f_k(T=0)");
            double t = tr[4][k % n];
            assertEquals(f0[k] + t * tau[k], ft[k], 1e-12 * (1 + Math.abs(ft[k])));
            // f_k(x, T) = mu_k(x) + (T - c) tau_k(x) with the fold's own ensembles
            Ensemble[] fold = model.jack[k / n];
            double want = fold[0].predict(tr[0], n, k % n) + (t - centre) * fold[1].predict(tr[0], n, k % n);
            assertEquals(want, ft[k], 1e-12 * (1 + Math.abs(want)), "replicate " + (k / n) + ", row " + (k % n));
            spread += Math.abs(tau[k] - tau[k % n]);
        }
        assertTrue(spread > 0, "the folds' tau differ");
        // the bytes keep the treatment part, its centre and the folds' tau
        Model back = Model.fromBytes(model.toBytes());
        assertEquals(centre, back.treatmentCentre(), 0.0);
        assertArrayEquals(model.predictCate(tr[0], n), back.predictCate(tr[0], n), 0.0);
        assertArrayEquals(tau, back.predictJackknife(1, tr[0], n, new double[0]), 0.0);
        assertArrayEquals(ft, back.predictJackknife(0, tr[0], n, tr[4]), 0.0);
        assertArrayEquals(model.importanceCate(), back.importanceCate(), 0.0);
        assertTrue(!model.diagonalG() && back.hasTreatment());
        // effect(): the treatment part is part 3; G's entries 0..2; others refused
        String notCw = assertThrows(IllegalStateException.class, () -> model.effect(3, 0, 0, new double[] {0})).getMessage();
        assertTrue(notCw.contains("not fitted with a component-wise learner"), "part 3 is the (tree) treatment part: " + notCw);
        for (int[] bad : new int[][] {{2, 3}, {2, -1}, {4, 0}}) {
            String em = assertThrows(IllegalArgumentException.class, () -> model.effect(bad[0], bad[1], 0, new double[] {0})).getMessage();
            assertTrue(em.startsWith("part = " + bad[0] + ", entry = " + bad[1]), em);
        }
        for (double[] bad : new double[][] {new double[n - 1], null}) {
            String msg = assertThrows(IllegalArgumentException.class, () -> model.predictJackknife(0, tr[0], n, bad)).getMessage();
            assertTrue(msg.contains("expected nrow = " + n + " (this model has a treatment-effect part)"), msg);
        }
        double[] half = t1.clone();
        half[4] = 0.5;
        String msg = assertThrows(IllegalArgumentException.class, () -> model.predict(tr[0], n, c, tr[3], new double[0],
                tr[5], half)).getMessage();
        assertEquals("treatment[5] = 0.5: must be 0 or 1", msg);
        msg = assertThrows(IllegalArgumentException.class, () -> model.predictJackknife(2, tr[0], n, t1)).getMessage();
        assertTrue(msg.startsWith("part = 2"), msg);
    }
}
