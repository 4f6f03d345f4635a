package org.gbmixed.learners;

import org.gbmixed.base.Features;
import org.gbmixed.base.Parallel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Component-wise boosting's choice: each covariate's smoother fitted on its own (copies of the smoothers here),
 * the smallest weighted RSS kept (ties to the first), columns left out by colsample never chosen, and the
 * counters behind importance (times selected; gain = weighted TSS - RSS of the chosen fit).
 */
class ComponentwiseLearnerTest {

    @Test
    void theCovariateWithTheSmallestRssIsChosenAndCounted() {
        Random rnd = new Random(8);
        int n = 200;
        // x1 noise, x2 carries the signal, x3 a factor with a weaker signal, x4 = x2 (a tie with x2)
        double[] x = new double[4 * n], g = new double[n], h = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = rnd.nextDouble();
            x[i + n] = rnd.nextDouble() * 4 - 2;
            x[i + 2 * n] = i % 3;
            x[i + 3 * n] = x[i + n];
            g[i] = Math.sin(1.5 * x[i + n]) + 0.4 * (i % 3) + 0.3 * rnd.nextGaussian();
            h[i] = 0.5 + rnd.nextDouble();
        }
        Features f = new Features("x", x, n, 4, new int[] {0, 0, 3, 0});
        for (boolean spline : new boolean[] {true, false}) {
            ComponentwiseLearner cw = new ComponentwiseLearner(f, spline, 8, 4, Parallel.SERIAL);
            ComponentwiseLearner fresh = cw.copy();
            double[] rss = new double[4];
            for (int k = 0; k < 4; k++) {
                Smoother sm = fresh.smoothers[k];
                rss[k] = sm.rss(sm.fit(g, h), g, h);
            }
            assertEquals(rss[1], rss[3], 1e-9 * rss[1], "x4 is x2");
            double tss = 0;
            for (int i = 0; i < n; i++) tss += h[i] * g[i] * g[i];
            double[] out = new double[n];
            assertEquals(1, cw.fit(g, h, out, null), "x2 (the first of the tie x2 = x4)");
            double[] want = new double[n];
            fresh.smoothers[1].fitted(fresh.smoothers[1].fit(g, h), want);
            assertArrayEquals(want, out, 1e-12);
            assertArrayEquals(new int[] {0, 1, 0, 0}, cw.selected);
            assertEquals(tss - rss[1], cw.gain[1], 1e-9 * tss, "gain = TSS - RSS");
            // without x2 (colsample): x4, its copy; without both: the factor, next best
            assertEquals(3, cw.fit(g, h, out, new boolean[] {true, false, true, true}));
            assertEquals(2, cw.fit(g, h, out, new boolean[] {true, false, true, false}));
            assertTrue(rss[2] < rss[0], "the factor beats the noise covariate");
            assertArrayEquals(new int[] {0, 1, 1, 1}, cw.selected);
            assertEquals(tss - rss[2], cw.gain[2], 1e-9 * tss);
            // a replaced coefficient vector (the Newton step) gives its own fitted values
            double[] c = cw.coefficients(1).clone();
            for (int t = 0; t < c.length; t++) c[t] *= 0.5;
            cw.setCoefficients(1, c, out);
            fresh.smoothers[1].fitted(c, want);
            assertArrayEquals(want, out, 1e-12);
            assertArrayEquals(c, cw.coefficients(1));
        }
        assertThrows(IllegalArgumentException.class,
                () -> new ComponentwiseLearner(new Features("x", new double[0], n, 0, new int[0]), true, 8, 4, Parallel.SERIAL));
    }
}
