package org.gbmixed.boosting;

import org.gbmixed.Config;
import org.gbmixed.GBMixed;
import org.gbmixed.Problems;
import org.gbmixed.model.Model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The convergence stop (Config.tol): the linear learner stops where lmer does; trees never stop on it. */
class ConvergenceTest {

    /** Reaction ~ Days + (1 | Subject) with the linear learner, learning rate 1, up to {@code rounds} rounds. */
    private static Booster sleep(Config.Builder cb, int rounds) {
        Problems.Sleep s = Problems.sleepstudy();
        double[] z = new double[s.n], w = new double[s.n];
        java.util.Arrays.fill(z, 1.0);
        java.util.Arrays.fill(w, 1.0);
        Booster b = GBMixed.booster(s.days.clone(), s.n, 1, new int[] {0}, s.reaction, w, s.subject, 18, z, 1, false,
                new double[0], 0, new int[0], new double[0], 0, new int[0],
                cb.learner("linear").learningRate(1).nrounds(rounds).build());
        b.iterate(rounds);
        return b;
    }

    @Test
    void linearLearnerStopsAtLmersFixedPoint() {
        // lmer(Reaction ~ Days + (1 | Subject), sleepstudy, REML = FALSE): G 1296.87004818, sigma^2 954.527834017,
        // logLik -897.039321503 (ReferenceTest holds the same values with its own tolerance)
        Booster b = sleep(Problems.config(), 1000);
        Model m = b.model();
        assertTrue(b.converged(), "converged");
        assertTrue(b.finished(), "finished");
        assertTrue(m.nrounds() < 200, "rounds to converge: " + m.nrounds());
        assertEquals(1296.87004818, m.covariance()[0], 1e-6 * 1296.87, "G");
        assertEquals(954.527834017, m.sigma2(), 1e-6 * 954.5, "sigma^2");
        assertEquals(-897.039321503, m.logLik(), 1e-6 * 897.0, "logLik");
        // never stopping runs every round and ends at the same fit
        Booster all = sleep(Problems.config().tol(0), 400);
        assertFalse(all.converged());
        assertEquals(400, all.model().nrounds());
        assertEquals(all.model().covariance()[0], m.covariance()[0], 1e-6 * 1296.87, "G, all 400 rounds");
        // a looser tolerance stops sooner, a tighter one later
        int loose = sleep(Problems.config().tol(1e-4), 1000).model().nrounds();
        int tight = sleep(Problems.config().tol(1e-11), 1000).model().nrounds();
        assertTrue(loose < m.nrounds() && m.nrounds() < tight, loose + " < " + m.nrounds() + " < " + tight);
    }

    @Test
    void treeRoundsDoNotConverge() {
        VarianceRecoveryTest.Sim s = new VarianceRecoveryTest.Sim(51, 80, 8, true, 1.6, 1.6);
        Config c = Problems.config().nrounds(60).learningRate(0.05).maxDepth(3).minLeaf(10).build();
        Booster b = GBMixed.booster(s.x, s.n, 2, new int[] {0, 0}, s.y, s.w1, s.cluster, s.m, s.z, s.q, true,
                new double[0], 0, new int[0], new double[0], 0, new int[0], c);
        b.iterate(60);
        assertFalse(b.converged());
        assertEquals(60, b.model().nrounds());
    }

    @Test
    void toleranceIsChecked() {
        for (double bad : new double[] {-1e-8, 1, Double.NaN, Double.POSITIVE_INFINITY}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Problems.config().tol(bad).build());
            assertTrue(e.getMessage().startsWith("tol = "), e.getMessage());
        }
        assertEquals(1e-8, Problems.config().build().tol(), 0.0, "default");
    }
}
