package org.gbmixed.boosting;

import org.gbmixed.Config;
import org.gbmixed.GBMixed;
import org.gbmixed.Problems;
import org.gbmixed.model.Model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** GBMixed.refits: each replicate is the fit one would get for that response; any thread count, same rows. */
class RefitsTest {
    @Test
    void refittingTheResponseItselfGivesTheFitAndThreadsDoNotMatter() {
        Problems.Sleep s = Problems.sleepstudy();
        double[] z = new double[2 * s.n], w = new double[s.n], ys = new double[3 * s.n];
        for (int j = 0; j < s.n; j++) {
            z[j] = 1;
            z[j + s.n] = s.days[j];
            w[j] = 1;
            ys[j] = s.reaction[j];
            ys[j + s.n] = s.reaction[j] + 10 * Math.sin(j);     // another response
            ys[j + 2 * s.n] = s.reaction[j];
        }
        Config c = Problems.config().learner("linear").learningRate(1).nrounds(80).threads(2).build();
        Model fit = GBMixed.fit(s.days.clone(), s.n, 1, new int[] {0}, s.reaction, w, s.subject, 18, z, 2, false, c);
        double[] out = GBMixed.refits(s.days.clone(), s.n, 1, new int[] {0}, ys, 3, w, s.subject, 18, z, 2, false,
                new double[0], 0, new int[0], new double[0], 0, new int[0], new double[0], 0, c);
        int width = 4 + 2 + 2;
        assertEquals(3 * width, out.length);
        double[] g = fit.covariance(), beta = fit.linearCoefficients();
        for (int k = 0; k < 4; k++) assertEquals(g[k], out[k], 1e-9 * Math.abs(g[k]) + 1e-12, "G[" + k + "]");
        assertEquals(fit.sigma2(), out[4], 1e-9 * fit.sigma2());
        assertEquals(fit.logLik(), out[5], 1e-9 * Math.abs(fit.logLik()));
        assertEquals(beta[0], out[6], 1e-9 * Math.abs(beta[0]));
        assertEquals(beta[1], out[7], 1e-9 * Math.abs(beta[1]));
        // the third replicate is the same response as the first; the second differs
        assertArrayEquals(java.util.Arrays.copyOfRange(out, 0, width),
                java.util.Arrays.copyOfRange(out, 2 * width, 3 * width), 0.0);
        assertEquals(true, Math.abs(out[width + 6] - out[6]) > 1e-6, "another response, another intercept");
        double[] one = GBMixed.refits(s.days.clone(), s.n, 1, new int[] {0}, ys, 3, w, s.subject, 18, z, 2, false,
                new double[0], 0, new int[0], new double[0], 0, new int[0], new double[0], 0,
                Problems.config().learner("linear").learningRate(1).nrounds(80).threads(1).build());
        assertArrayEquals(one, out, 0.0, "1 thread and 2 threads");
    }
}
