package org.gbmixed.learners;

import org.gbmixed.Config;
import org.gbmixed.Problems;
import org.gbmixed.base.Features;
import org.gbmixed.base.Parallel;
import org.gbmixed.likelihood.Basis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * One part's learner of each kind: the structure a Newton step fills, the values it sets (written to the rows
 * and into the step that goes into the ensemble), and importance normalised to one (zeros for the plain linear
 * learner, which has no gains).
 */
class PartLearnerTest {

    @Test
    void structuresValuesAndImportanceOfEachKind() {
        Random rnd = new Random(12);
        int n = 120;
        double[] x = new double[2 * n], g = new double[n], h = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = rnd.nextDouble();
            x[i + n] = rnd.nextDouble();
            g[i] = (x[i] > 0.5 ? 1 : -1) + 0.2 * x[i + n] + 0.3 * rnd.nextGaussian();
            h[i] = 0.5 + rnd.nextDouble();
        }
        Features f = new Features("x", x, n, 2, new int[] {0, 0});
        Config cfg = Problems.config().maxDepth(2).minLeaf(5).build();
        for (Config.Learner kind : Config.Learner.values()) {
            PartLearner pl = new PartLearner(f, kind, cfg, 5, Parallel.SERIAL);
            double[] out = new double[n];
            PartLearner.Step st = pl.structure(g, h, out, null, null);
            Basis basis = pl.basis(st);
            double[] c = new double[basis.ncol()];
            for (int t = 0; t < c.length; t++) c[t] = 0.1 * (t + 1);
            PartLearner.Step set = pl.setValues(st, c, out);
            // the rows get basis x c, and so does the step's own prediction
            Ensemble ens = new Ensemble(new int[] {0, 0}, 0, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY);
            PartLearner.add(ens, set, 1);
            int[] col = new int[basis.maxNonZero()];
            double[] val = new double[basis.maxNonZero()];
            for (int i = 0; i < n; i++) {
                int nz = basis.row(i, col, val, 0);
                double want = 0;
                for (int q = 0; q < nz; q++) want += val[q] * c[col[q]];
                assertEquals(want, out[i], 1e-10 * (1 + Math.abs(want)), kind + ", row " + i);
                assertEquals(want, ens.predict(x, n, i), 1e-10 * (1 + Math.abs(want)), kind + ", ensemble row " + i);
            }
            double[] imp = pl.importance();
            double sum = 0;
            for (double v : imp) sum += v;
            switch (kind) {
                case TREE:
                    assertNotNull(pl.leafOf());
                    assertEquals(basis.ncol(), pl.nleaves());
                    assertNull(pl.penalty(st, 1));
                    assertEquals(1, sum, 1e-12);
                    assertTrue(imp[0] > imp[1], "the step in x1 carries the gain");
                    break;
                case SPLINE:
                    assertNull(pl.leafOf());
                    assertEquals(0, pl.nleaves());
                    assertNotNull(pl.penalty(st, 1));
                    assertEquals(1, sum, 1e-12);
                    assertEquals(0, st.feature, "x1 is selected");
                    assertArrayEquals(c, set.comp);
                    break;
                default:
                    assertNull(st.tree);
                    assertNull(st.beta, "the linear learner's structure has no values");
                    assertNull(pl.leafOf());
                    assertArrayEquals(new double[2], imp, "no gains for the plain linear learner");
            }
        }
        // no gain at all (a constant target): importance is zeros, not 0/0
        PartLearner flat = new PartLearner(f, Config.Learner.TREE, cfg, 5, Parallel.SERIAL);
        double[] constant = new double[n];
        java.util.Arrays.fill(constant, 1.5);
        flat.fit(constant, h, new double[n]);
        assertArrayEquals(new double[2], flat.importance(), "no gain: zero importance");
        // the component-wise linear learner selects one covariate a round and has gains
        Config cwl = Problems.config().maxDepth(2).minLeaf(5).componentwise(true).build();
        PartLearner lin = new PartLearner(f, Config.Learner.LINEAR, cwl, 5, Parallel.SERIAL);
        PartLearner.Step ls = lin.fit(g, h, new double[n]);
        assertEquals(0, ls.feature, "x1 carries the signal");
        assertTrue(ls.beta == null && ls.comp != null, "a component, not a full linear fit");
        assertEquals(1, java.util.Arrays.stream(lin.importance()).sum(), 1e-12);
        // a part without covariates: every kind is an intercept
        Features none = new Features("x", new double[0], n, 0, new int[0]);
        for (Config.Learner kind : Config.Learner.values()) {
            PartLearner pl = new PartLearner(none, kind, cfg, 5, Parallel.SERIAL);
            double[] out = new double[n];
            pl.fit(g, h, out);
            double sg = 0, sh = 0;
            for (int i = 0; i < n; i++) { sg += g[i] * h[i]; sh += h[i]; }
            for (int i = 0; i < n; i++) assertEquals(sg / sh, out[i], 1e-12, kind + " without covariates");
        }
    }
}
