package org.gbmixed.boosting;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Row (cluster) and column subsampling: each draw keeps exactly ceil(fraction x count) items (at least one), a
 * fresh set every call, every item equally often in the long run (binomial bounds), and the same sequence for
 * the same seed.
 */
class SamplerTest {

    private static int count(boolean[] b) { int c = 0; for (boolean v : b) if (v) c++; return c; }

    @Test
    void drawsKeepCeilOfTheFractionAndAreUniform() {
        int m = 37, p = 9, draws = 4000;
        Sampler s = new Sampler(7, m, 0.3, p, 0.5);
        int[] seenM = new int[m], seenP = new int[p];
        boolean[] previous = null;
        int changed = 0;
        for (int t = 0; t < draws; t++) {
            boolean[] c = s.clusters(), k = s.columns();
            assertEquals(12, count(c), "ceil(0.3 x 37) clusters");
            assertEquals(5, count(k), "ceil(0.5 x 9) columns");
            for (int i = 0; i < m; i++) if (c[i]) seenM[i]++;
            for (int i = 0; i < p; i++) if (k[i]) seenP[i]++;
            if (previous != null && !java.util.Arrays.equals(previous, c)) changed++;
            previous = c.clone();
        }
        assertTrue(changed > draws * 0.99, "a fresh draw each round: " + changed);
        // each cluster is in a draw with probability 12/37: 4000 draws, 4.5 binomial sd
        double pm = 12.0 / m, sdm = Math.sqrt(draws * pm * (1 - pm));
        for (int i = 0; i < m; i++)
            assertEquals(draws * pm, seenM[i], 4.5 * sdm, "cluster " + i + " drawn " + seenM[i] + " times");
        double pp = 5.0 / p, sdp = Math.sqrt(draws * pp * (1 - pp));
        for (int i = 0; i < p; i++)
            assertEquals(draws * pp, seenP[i], 4.5 * sdp, "column " + i + " drawn " + seenP[i] + " times");
    }

    @Test
    void atLeastOneItemAndTheSameSequenceForTheSameSeed() {
        Sampler tiny = new Sampler(1, 50, 0.001, 3, 0.01);
        assertEquals(1, count(tiny.clusters()));
        assertEquals(1, count(tiny.columns()));
        Sampler all = new Sampler(1, 50, 1.0, 3, 1.0);
        assertEquals(50, count(all.clusters()));
        assertEquals(3, count(all.columns()));
        Sampler a = new Sampler(99, 40, 0.5, 6, 0.5), b = new Sampler(99, 40, 0.5, 6, 0.5), c = new Sampler(98, 40, 0.5, 6, 0.5);
        boolean differs = false;
        for (int t = 0; t < 20; t++) {
            boolean[] ca = a.clusters().clone(), cc = c.clusters().clone();
            assertArrayEquals(ca, b.clusters());
            assertArrayEquals(a.columns().clone(), b.columns());
            c.columns();
            differs |= !java.util.Arrays.equals(ca, cc);
        }
        assertTrue(differs, "another seed draws other clusters");
    }
}
