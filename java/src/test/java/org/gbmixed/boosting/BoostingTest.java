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

/** Exact answers: no random effect = plain L2 boosting; factor splits; predictions and serialisation. */
class BoostingTest {

    /** Plain L2 boosting with exact stumps (min leaf 1), written independently of the engine. */
    private static double[] plainStumpBoosting(double[] x, double[] y, int rounds, double nu) {
        int n = y.length;
        double mean = Arrays.stream(y).average().orElseThrow();
        double[] f = new double[n];
        Arrays.fill(f, mean);
        double[] sorted = x.clone();
        Arrays.sort(sorted);
        for (int t = 0; t < rounds; t++) {
            double[] res = new double[n];
            for (int i = 0; i < n; i++) res[i] = y[i] - f[i];
            double bestSse = Double.POSITIVE_INFINITY, bestThr = 0, bestL = 0, bestR = 0;
            for (int s = 0; s < n - 1; s++) {
                double thr = (sorted[s] + sorted[s + 1]) / 2;
                double sl = 0, sr = 0; int nl = 0, nr = 0;
                for (int i = 0; i < n; i++) if (x[i] <= thr) { sl += res[i]; nl++; } else { sr += res[i]; nr++; }
                double ml = sl / nl, mr = sr / nr, sse = 0;
                for (int i = 0; i < n; i++) { double d = res[i] - (x[i] <= thr ? ml : mr); sse += d * d; }
                if (sse < bestSse) { bestSse = sse; bestThr = thr; bestL = ml; bestR = mr; }
            }
            for (int i = 0; i < n; i++) f[i] += nu * (x[i] <= bestThr ? bestL : bestR);
        }
        return f;
    }

    @Test
    void honestFoldsRangeFromTwoToTheNumberOfClusters() {
        TrainingData d = Problems.random(9, 12, 6, 1, true);
        for (int folds : new int[] {2, 12}) new Booster(d, Problems.config().nrounds(2).honestFolds(folds).build()).iterate(2);
        String msg = assertThrows(IllegalArgumentException.class,
                () -> new Booster(d, Problems.config().nrounds(2).honestFolds(13).build())).getMessage();
        assertEquals("honest_folds = 13: must be 0 (off) or in 2..12 (the number of clusters)", msg);
        msg = assertThrows(IllegalArgumentException.class, () -> Problems.config().honestFolds(1).build()).getMessage();
        assertEquals("honest_folds = 1: must be 0 (off) or >= 2", msg);
    }

    @Test
    void noRandomEffectIsPlainL2Boosting() {
        Random rnd = new Random(7);
        int n = 120, m = 6;
        double[] x = new double[n], y = new double[n], w = new double[n], z = new double[n];
        int[] c = new int[n];
        for (int i = 0; i < n; i++) {
            x[i] = rnd.nextDouble() * 4;
            y[i] = Math.sin(2 * x[i]) + 0.3 * rnd.nextGaussian();
            w[i] = 1;
            c[i] = i % m;
            // z = 0: the "random effect" has no design, so V = R and the model is a plain regression
        }
        Config cfg = Problems.config().learner("tree").maxDepth(1).minLeaf(1).exactSplits(true)
                .learningRate(0.3).nrounds(25).build();
        Model model = GBMixed.fit(x, n, 1, new int[] {0}, y, w, c, m, z, 1, false, cfg);
        double[] expected = plainStumpBoosting(x, y, 25, 0.3);
        assertArrayEquals(expected, model.fittedFixed(), 1e-10);
        for (double v : model.fittedRandom()) assertEquals(0.0, v, 0.0);
        // and sigma^2 is the ML residual variance mean(e^2)
        double sse = 0;
        for (int i = 0; i < n; i++) sse += (y[i] - expected[i]) * (y[i] - expected[i]);
        assertEquals(sse / n, model.sigma2(), 1e-10);
        double[] pred = model.predict(x, n, new int[n], z);
        assertArrayEquals(expected, Arrays.copyOf(pred, n), 1e-10);
    }

    @Test
    void factorSplitSeparatesLevelGroupsInOneStump() {
        // y = 3 for levels {0, 3}, -3 for levels {1, 2}: unordered codes, one split must find it
        int n = 200, m = 10;
        Random rnd = new Random(3);
        double[] x = new double[n], y = new double[n], w = new double[n], z = new double[n];
        int[] c = new int[n];
        for (int i = 0; i < n; i++) {
            int lev = i % 4;
            x[i] = lev;
            y[i] = (lev == 0 || lev == 3 ? 3 : -3) + 0.01 * rnd.nextGaussian();
            w[i] = 1; z[i] = 1; c[i] = i % m;
        }
        Config cfg = Problems.config().maxDepth(1).minLeaf(5).learningRate(1).nrounds(1).build();
        Model model = GBMixed.fit(x, n, 1, new int[] {4}, y, w, c, m, z, 1, false, cfg);
        double[] f = model.fittedFixed();
        for (int i = 0; i < n; i++) assertEquals(y[i], f[i], 0.05, "row " + i);
        assertEquals(1.0, model.importance()[0], 0.0);
    }

    @Test
    void predictionOnTrainingRowsEqualsFittedAndVariancesFollowPAndG() {
        Problems.Sleep s = Problems.sleepstudy();
        double[] z = new double[2 * s.n], w = new double[s.n];
        for (int j = 0; j < s.n; j++) { z[j] = 1; z[j + s.n] = s.days[j]; w[j] = 1; }
        Config cfg = Problems.config().nrounds(50).minLeaf(10).maxDepth(2).learningRate(0.1).build();
        Model m = GBMixed.fit(s.days.clone(), s.n, 1, new int[] {0}, s.reaction, w, s.subject, 18, z, 2, false, cfg);
        double[] p = m.predict(s.days, s.n, s.subject, z);
        double[] ff = m.fittedFixed(), fr = m.fittedRandom();
        for (int j = 0; j < s.n; j++) {
            assertEquals(ff[j], p[j], 1e-9);
            assertEquals(fr[j], p[s.n + j], 1e-9);
        }
        // new cluster at Days = 3: z'Gz + sigma^2; existing cluster 0: z'P_0 z + sigma^2
        double[] g = m.covariance(), post = m.ranefCov();
        double[] one = m.predict(new double[] {3, 3}, 2, new int[] {-1, 0}, new double[] {1, 1, 3, 3});
        assertEquals(g[0] + 2 * 3 * g[1] + 9 * g[3] + m.sigma2(), one[4], 1e-9);
        assertEquals(post[0] + 2 * 3 * post[1] + 9 * post[3] + m.sigma2(), one[5], 1e-9);
        assertEquals(0.0, one[2], 0.0);
        assertTrue(one[4] > one[5], "a new cluster is less certain than an observed one");
    }

    @Test
    void modelRoundTripsThroughBytes() {
        int n = 300, m = 15;
        Random rnd = new Random(5);
        double[] x = new double[2 * n], y = new double[n], w = new double[n], z = new double[n];
        int[] c = new int[n];
        for (int i = 0; i < n; i++) {
            x[i] = rnd.nextGaussian();
            x[i + n] = rnd.nextInt(3);
            c[i] = i % m;
            y[i] = x[i] * x[i] + x[i + n] + 0.5 * c[i] / m + rnd.nextGaussian() * 0.2;
            w[i] = 1; z[i] = 1;
        }
        Model a = GBMixed.fit(x, n, 2, new int[] {0, 3}, y, w, c, m, z, 1, false,
                Problems.config().nrounds(40).minLeaf(5).learningRate(0.2).build());
        Model b = GBMixed.fromBytes(a.toBytes());
        int[] codes = new int[n];
        for (int i = 0; i < n; i++) codes[i] = i % 4 == 0 ? -1 : c[i];
        assertArrayEquals(a.predict(x, n, codes, z), b.predict(x, n, codes, z), 0.0);
        assertArrayEquals(a.trainLoss(), b.trainLoss(), 0.0);
        assertEquals(a.logLik(), b.logLik(), 0.0);
        assertArrayEquals(a.ranefCov(), b.ranefCov(), 0.0);
        assertEquals(0, b.fittedFixed().length);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GBMixed.fromBytes(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}));
        assertTrue(e.getMessage().contains("not a serialised gbmixed model"), e.getMessage());
    }

    @Test
    void chunkedIterationEqualsOneRun() {
        TrainingData d = Problems.random(9, 20, 8, 2, false);
        Config cfg = Problems.config().nrounds(30).minLeaf(3).build();
        Booster b = new Booster(d, cfg);
        b.iterate(7); b.iterate(7); b.iterate(100);
        assertTrue(b.finished());
        Model chunked = b.model();
        Model whole = GBMixed.fit(d.x, d.n, d.p, d.nlevels, d.y, d.w, d.cluster, d.m, d.z, d.q, false, cfg);
        assertArrayEquals(whole.trainLoss(), chunked.trainLoss(), 0.0);
        assertEquals(30, chunked.nrounds());
    }

    @Test
    void honestFoldsAreSeededAndKeepTheResidualVarianceFromShrinking() {
        TrainingData d = Problems.random(13, 60, 10, 1, false);
        Config a = Problems.config().nrounds(200).minLeaf(3).maxDepth(4).learningRate(0.2).honestFolds(3).seed(5).build();
        Model m1 = GBMixed.fit(d.x, d.n, d.p, d.nlevels, d.y, d.w, d.cluster, d.m, d.z, d.q, false, a);
        Model m2 = GBMixed.fit(d.x, d.n, d.p, d.nlevels, d.y, d.w, d.cluster, d.m, d.z, d.q, false, a);
        assertArrayEquals(m1.trainLoss(), m2.trainLoss(), 0.0);
        Config other = Problems.config().nrounds(200).minLeaf(3).maxDepth(4).learningRate(0.2).honestFolds(3).seed(6).build();
        Model m3 = GBMixed.fit(d.x, d.n, d.p, d.nlevels, d.y, d.w, d.cluster, d.m, d.z, d.q, false, other);
        assertTrue(m1.sigma2() != m3.sigma2(), "another seed, other folds");
        // y is pure noise (variance 4 per unit weight, weights in 0.5..1.5): an overfitting mean drags the in-sample
        // sigma^2 down; the cross-fitted one stays near the truth
        Config inSample = Problems.config().nrounds(200).minLeaf(3).maxDepth(4).learningRate(0.2).build();
        Model m0 = GBMixed.fit(d.x, d.n, d.p, d.nlevels, d.y, d.w, d.cluster, d.m, d.z, d.q, false, inSample);
        assertTrue(m0.sigma2() < 3.2, "in-sample sigma^2 = " + m0.sigma2());
        assertTrue(m1.sigma2() > 3.6, "cross-fitted sigma^2 = " + m1.sigma2());
        assertMessage(() -> GBMixed.fit(d.x, d.n, d.p, d.nlevels, d.y, d.w, d.cluster, d.m, d.z, d.q, false,
                Problems.config().honestFolds(1000).build()), "honest_folds = 1000");
    }

    @Test
    void missingValuesGoToTheLearnedSide() {
        // y = 3 where x is missing, -1 where x <= 0.5, +1 above; a factor with missing codes too
        int n = 300, m = 10;
        Random rnd = new Random(11);
        double[] x = new double[2 * n], y = new double[n], w = new double[n], z = new double[n];
        int[] c = new int[n];
        for (int i = 0; i < n; i++) {
            double u = rnd.nextDouble();
            x[i] = i % 3 == 0 ? Double.NaN : u;
            x[i + n] = i % 5 == 0 ? Double.NaN : i % 2;
            y[i] = (Double.isNaN(x[i]) ? 3 : u <= 0.5 ? -1 : 1) + 0.01 * rnd.nextGaussian();
            w[i] = 1; z[i] = 1; c[i] = i % m;
        }
        Config cfg = Problems.config().maxDepth(2).minLeaf(5).learningRate(1).nrounds(1).honestFolds(0).build();
        Model model = GBMixed.fit(x, n, 2, new int[] {0, 2}, y, w, c, m, z, 1, false, cfg);
        double[] f = model.fittedFixed();
        for (int i = 0; i < n; i++) assertEquals(y[i], f[i], 0.1, "row " + i);
        double[] p = model.predict(new double[] {Double.NaN, 0.2, 0.9, 0, 1, Double.NaN}, 3, new int[] {-1, -1, -1},
                new double[] {1, 1, 1});
        assertEquals(3, p[0], 0.1);
        assertEquals(-1, p[1], 0.1);
        assertEquals(1, p[2], 0.1);
        // a model round-trip keeps the routing
        assertArrayEquals(p, GBMixed.fromBytes(model.toBytes()).predict(new double[] {Double.NaN, 0.2, 0.9, 0, 1, Double.NaN},
                3, new int[] {-1, -1, -1}, new double[] {1, 1, 1}), 0.0);
        // learners other than trees refuse missing values, naming the cell
        assertMessage(() -> GBMixed.fit(x, n, 2, new int[] {0, 2}, y, w, c, m, z, 1, false,
                Problems.config().learner("linear").build()), "x[1, 1] = NaN");
        assertMessage(() -> GBMixed.fit(x, n, 2, new int[] {0, 2}, y, w, c, m, z, 1, false,
                Problems.config().learner("spline").build()), "only allowed with learner \"tree\"");
    }

    @Test
    void fitsAreBitIdenticalWhateverTheThreadCount() {
        // large enough that nodes (>= 4096 rows), subtrees (>= 2048 rows a side), the E-step (>= 20000 rows) and the
        // per-row loops (blocks of 16384 rows) run in parallel, with variance parts
        VarianceRecoveryTest.Sim s = new VarianceRecoveryTest.Sim(71, 2100, 10, true, 1.6, 1.6);
        Model[] fits = new Model[3];
        int[] threads = {1, 2, 3};
        for (int t = 0; t < 3; t++) {
            Config c = Problems.config().nrounds(8).maxDepth(5).subsample(0.7).colsample(0.5).minLeaf(10).minLeafCov(20).honestFolds(2)
                    .threads(threads[t]).build();
            fits[t] = s.fit(c, true, true);
        }
        for (int t = 1; t < 3; t++) {
            assertArrayEquals(fits[0].trainLoss(), fits[t].trainLoss(), 0.0, threads[t] + " threads");
            assertArrayEquals(fits[0].fittedFixed(), fits[t].fittedFixed(), 0.0, threads[t] + " threads");
            assertArrayEquals(fits[0].clusterCovariance(), fits[t].clusterCovariance(), 0.0, threads[t] + " threads");
        }
    }

    @Test
    void badArgumentsAreNamedInTheMessage() {
        assertMessage(() -> Problems.config().learningRate(1.5).build(), "learning_rate = 1.5");
        assertMessage(() -> Problems.config().learner("splines").build(), "learner = \"splines\"");
        assertMessage(() -> Problems.config().maxDepth(0).build(), "max_depth = 0");
        assertMessage(() -> Problems.config().minLeaf(0).build(), "min_leaf = 0");
        double[] one = {1, 2};
        Config c = Problems.config().build();
        assertMessage(() -> GBMixed.fit(one, 2, 1, new int[] {0}, new double[] {1, Double.NaN}, new double[] {1, 1},
                new int[] {0, 1}, 2, new double[] {1, 1}, 1, false, c), "y[2] = NaN");
        assertMessage(() -> GBMixed.fit(one, 2, 1, new int[] {0}, new double[] {1, 2}, new double[] {1, 1},
                new int[] {0, 2}, 2, new double[] {1, 1}, 1, false, c), "cluster[2] = 2");
        assertMessage(() -> GBMixed.fit(one, 2, 1, new int[] {0}, new double[] {1, 2}, new double[] {1, 0},
                new int[] {0, 1}, 2, new double[] {1, 1}, 1, false, c), "weights[2] = 0.0");
        assertMessage(() -> GBMixed.fit(one, 2, 1, new int[] {0}, new double[] {1, 2, 3}, new double[] {1, 1},
                new int[] {0, 1}, 2, new double[] {1, 1}, 1, false, c), "y has length 3, expected 2");
        assertMessage(() -> GBMixed.fit(new double[] {1, 1, 1, 1}, 4, 1, new int[] {0}, new double[] {1, 2, 3, 4},
                new double[] {1, 1, 1, 1}, new int[] {0, 0, 1, 1}, 2, new double[] {1, 1, 1, 1}, 1, false,
                Problems.config().learner("linear").build()), "singular");
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable run, String part) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, run);
        assertTrue(e.getMessage().contains(part), "message '" + e.getMessage() + "' should contain '" + part + "'");
    }
}
