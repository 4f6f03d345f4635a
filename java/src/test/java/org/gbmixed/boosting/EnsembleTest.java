package org.gbmixed.boosting;

import org.gbmixed.Config;
import org.gbmixed.GBMixed;
import org.gbmixed.Problems;
import org.gbmixed.learners.Ensemble;
import org.gbmixed.learners.Tree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * Ensembles of every kind (trees, the linear learner, component-wise splines with a factor, the off-diagonal
 * scale): their bytes give the same predictions and checkpoints, an earlier round's ensemble has exactly the
 * checkpoints up to it (and its own earlier rounds), and a tree routes level codes outside its set and values
 * exactly at a threshold as documented.
 */
class EnsembleTest {

    private static Ensemble roundTrip(Ensemble e) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        e.write(new DataOutputStream(bytes));
        return Ensemble.read(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
    }

    private static void assertSamePredictions(Ensemble want, Ensemble got, double[] x, int n, String what) {
        for (int i = 0; i < n; i++) {
            double w = want.predict(x, n, i);
            assertEquals(w, got.predict(x, n, i), 1e-12 * (1 + Math.abs(w)), what + ", row " + i);
        }
    }

    @Test
    void bytesAndEarlierRoundsOfEveryKindOfEnsemble() throws IOException {
        VarianceRecoveryTest.Sim s = new VarianceRecoveryTest.Sim(81, 30, 8, true, 1.2, 1.2);
        double[] xs = new double[2 * s.n];
        for (int j = 0; j < s.n; j++) { xs[j] = s.x[j]; xs[j + s.n] = j % 3; }
        String[][] learners = {{"spline", "linear", "tree"}, {"linear", "spline", "spline"}, {"tree", "tree", "linear"}};
        for (String[] l : learners) {
            Config c = Problems.config().nrounds(8).learningRate(0.3).maxDepth(2).minLeaf(10).minLeafCov(5)
                    .honestFolds(0).learner(l[0]).learnerDisp(l[1]).learnerCov(l[2]).build();
            Booster b = GBMixed.booster(xs, s.n, 2, new int[] {0, 3}, s.y, s.w1, s.cluster, s.m, s.z, s.q, false,
                    s.xdisp, 1, new int[] {0}, s.wcov, 1, new int[] {0}, c);
            b.iterate(8);
            Ensemble[] parts = new Ensemble[2 + b.np];
            double[][] xOf = new double[parts.length][];
            int[] nOf = new int[parts.length];
            parts[0] = b.mean.mu; xOf[0] = xs; nOf[0] = s.n;
            parts[1] = b.rhoEns; xOf[1] = s.xdisp; nOf[1] = s.n;
            for (int t = 0; t < b.np; t++) { parts[2 + t] = b.thetaEns[t]; xOf[2 + t] = s.wcov; nOf[2 + t] = s.m; }
            for (int k = 0; k < parts.length; k++) {
                String what = String.join("/", l) + ", part " + k;
                Ensemble e = parts[k], back = roundTrip(e);
                assertEquals(9, e.checkpoints());
                assertEquals(e.checkpoints(), back.checkpoints(), what);
                assertSamePredictions(e, back, xOf[k], nOf[k], what + " from bytes");
                for (int r = 0; r <= 8; r++) assertSamePredictions(e.at(r), back.at(r), xOf[k], nOf[k], what + " from bytes, round " + r);
                // an earlier round holds the checkpoints up to it, and its own earlier rounds are the fit's
                Ensemble at5 = e.at(5);
                assertEquals(6, at5.checkpoints(), what);
                assertSamePredictions(e.at(3), at5.at(3), xOf[k], nOf[k], what + ", round 3 of round 5");
                assertSamePredictions(at5, roundTrip(at5), xOf[k], nOf[k], what + ", round 5 from bytes");
                assertSamePredictions(e, e.at(8), xOf[k], nOf[k], what + ", the last round");
                if (e.additive != null)
                    for (int kk = 0; kk < e.additive.length; kk++)
                        if (e.additive[kk] == null)
                            assertEquals(0.0, java.util.Arrays.stream(e.effect(kk, new double[] {0.1, 0.5})).map(Math::abs).sum(), 0.0,
                                    what + ": a covariate never selected has no effect");
                String msg = assertThrows(IllegalArgumentException.class, () -> e.at(9)).getMessage();
                assertEquals("round 9: this ensemble holds rounds 0..8", msg);
                assertThrows(IllegalArgumentException.class, () -> e.at(-1));
                assertThrows(IllegalArgumentException.class, () -> at5.at(6));
            }
        }
    }

    @Test
    void treesRouteCodesOutsideTheirSetRightAndThresholdValuesLeft() {
        // node 0: factor split, codes {0, 2} left; node 1: x2 <= 0.5 left; leaves 2, 3, 4
        long[][] sets = {{0b101L}, null, null, null, null};
        Tree t = new Tree(new int[] {0, 1, -1, -1, -1}, new double[] {Double.NaN, 0.5, 0, 0, 0}, sets,
                new boolean[] {true, false, false, false, false}, new int[] {1, 3, -1, -1, -1}, new int[] {2, 4, -1, -1, -1},
                new double[] {0, 0, 10, 20, 30});
        assertEquals(5, t.size());
        // a tree without a split (one leaf) survives its bytes
        Tree leaf = new Tree(new int[] {-1}, new double[] {0}, new long[][] {null}, new boolean[] {false}, new int[] {-1},
                new int[] {-1}, new double[] {2.5});
        Ensemble e = new Ensemble(new int[] {0, 0}, 1, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY);
        e.trees.add(leaf);
        e.trees.add(t);
        e.checkpoint();
        try {
            Ensemble back = roundTrip(e);
            assertEquals(1, back.trees.get(0).size());
            assertSamePredictions(e, back, new double[] {0, 0.5, 2, 0.7}, 2, "one-leaf tree from bytes");
        } catch (IOException ex) {
            throw new AssertionError(ex);
        }
        double[][] rows = {{0, 0.5}, {2, 0.7}, {1, 0.1}, {-1, 0.1}, {64, 0.1}, {130, 0.1}, {Double.NaN, 0.5}, {0, Double.NaN}};
        double[] want = {20, 30, 10, 10, 10, 10, 20, 30};
        for (int r = 0; r < rows.length; r++) {
            double[] x = {rows[r][0], rows[r][1]};
            assertEquals(want[r], t.predict(x, 1, 0), "row " + java.util.Arrays.toString(rows[r]));
        }
    }
}
