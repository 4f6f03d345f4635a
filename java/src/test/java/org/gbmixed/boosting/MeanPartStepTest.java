package org.gbmixed.boosting;

import org.gbmixed.Config;
import org.gbmixed.Problems;
import org.gbmixed.base.Parallel;
import org.gbmixed.base.TrainingData;
import org.gbmixed.learners.Ensemble;
import org.gbmixed.learners.PartLearner;
import org.gbmixed.learners.Smoother;
import org.gbmixed.likelihood.Basis;
import org.gbmixed.likelihood.Likelihood;
import org.gbmixed.likelihood.LogCholesky;
import org.gbmixed.likelihood.NewtonStep;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * One step of the mean mu(x) + t tau(x) against a dense oracle written here, with cluster weights (0 leaves a
 * cluster out), a treatment part on a subset of the covariates and column subsampling:
 * <ul>
 * <li>the structures are what the learners give for the working responses: e with weights cw/R for mu, e/t with
 *     weights cw t^2/R for tau (a tree's partition, or the covariate a component-wise learner selects);</li>
 * <li>the level step dl solves the levels' GLS normal equations L'W(r - L dl) = 0, W = blockdiag(cw_i V_i^-1);</li>
 * <li>the shape values c solve A'W(r - L dl - A c) = P c (P: the smoothers' penalties, zero for trees), and the
 *     ensembles and f move by L dl + nu A_mu c_mu + nu_cate t A_tau c_tau;</li>
 * <li>without Newton steps the values are the learners' own fits, and the levels do not move.</li>
 * </ul>
 */
class MeanPartStepTest {

    static final int M = 30, PER = 8, N = M * PER;

    /** Three covariates (tau may use the first two), random intercept and treatment slope. */
    private static TrainingData data(long seed) {
        return data(seed, 2);
    }

    /** The same with tau on the first ncolCate covariates. */
    private static TrainingData data(long seed, int ncolCate) {
        Random rnd = new Random(seed);
        double[] x = new double[3 * N], y = new double[N], w = new double[N], z = new double[2 * N], t = new double[N];
        int[] c = new int[N];
        for (int i = 0; i < M; i++) {
            double b0 = rnd.nextGaussian(), b1 = 0.5 * rnd.nextGaussian();
            for (int r = 0; r < PER; r++) {
                int j = i * PER + r;
                c[j] = i;
                for (int k = 0; k < 3; k++) x[j + k * N] = rnd.nextDouble() * 2 - 1;
                t[j] = rnd.nextDouble() < 0.4 ? 1 : 0;
                w[j] = 1;
                y[j] = Math.sin(2 * x[j]) + x[j + 2 * N] + (1 + x[j + N]) * t[j] + b0 + b1 * t[j] + 0.5 * rnd.nextGaussian();
                z[j] = 1;
                z[j + N] = t[j];
            }
        }
        TrainingData d = new TrainingData(x, N, 3, new int[] {0, 0, 0}, y, w, c, M, z, 2, false);
        d.setTreatment(t, Double.NaN, ncolCate);
        return d;
    }

    /** W_i = cw_i V_i^-1 (dense, rows of cluster i in d.order). */
    private static double[][] weightBlocks(TrainingData d, double[] g, double[] resVar, double[] cw) {
        double[][] wb = new double[d.m][];
        for (int i = 0; i < d.m; i++) {
            int[] rows = RoundStepsTest.rows(d, i);
            double[] vi = RoundStepsTest.inverse(RoundStepsTest.denseV(d, rows, g, resVar), rows.length, new double[1]);
            for (int k = 0; k < vi.length; k++) vi[k] *= cw[i];
            wb[i] = vi;
        }
        return wb;
    }

    /** u' W v over all clusters. */
    private static double form(TrainingData d, double[][] wb, double[] u, double[] v) {
        double s = 0;
        for (int i = 0; i < d.m; i++) {
            int[] rows = RoundStepsTest.rows(d, i);
            int k = rows.length;
            for (int a = 0; a < k; a++) for (int b = 0; b < k; b++) s += u[rows[a]] * wb[i][a + b * k] * v[rows[b]];
        }
        return s;
    }

    /** The columns of a basis as n-vectors (times mult when given). */
    private static double[][] columns(Basis b, int n, double[] mult) {
        double[][] cols = new double[b.ncol()][n];
        int[] col = new int[b.maxNonZero()];
        double[] val = new double[b.maxNonZero()];
        for (int j = 0; j < n; j++) {
            int nz = b.row(j, col, val, 0);
            for (int q = 0; q < nz; q++) cols[col[q]][j] = val[q] * (mult == null ? 1 : mult[j]);
        }
        return cols;
    }

    /** Least-squares coefficients of v on the columns (v lies in their span here). */
    private static double[] coefficients(double[][] cols, double[] v) {
        int k = cols.length;
        double[] a = new double[k * k], b = new double[k];
        for (int r = 0; r < k; r++) {
            for (int j = 0; j < v.length; j++) b[r] += cols[r][j] * v[j];
            for (int c = 0; c < k; c++) for (int j = 0; j < v.length; j++) a[r + c * k] += cols[r][j] * cols[c][j];
        }
        double[] inv = RoundStepsTest.inverse(a, k, new double[1]), out = new double[k];
        for (int r = 0; r < k; r++) for (int c = 0; c < k; c++) out[r] += inv[r + c * k] * b[c];
        return out;
    }

    /** The basis of the shape of ensemble e (a tree's leaves, or the selected covariate's smoother) and that smoother. */
    private static Object[] shapeBasis(Ensemble e, PartLearner learner, TrainingData d, Config cfg) {
        if (!e.trees.isEmpty()) return new Object[] {learner.basis(new PartLearner.Step(null, null)), null};
        for (int k = 0; k < e.additive.length; k++)
            if (e.additive[k] != null) {
                Smoother s = new Smoother(d.x, k * d.n, d.n, 0, Smoother.Kind.SPLINE, cfg.splineKnots, cfg.splineDf);
                return new Object[] {s.basis(), s, k};
            }
        throw new AssertionError("no shape");
    }

    @Test
    void theStepSolvesTheLevelsThenTheShapeAgainstTheDenseOracle() {
        String[][] kinds = {{"tree", "tree"}, {"tree", "spline"}, {"spline", "spline"}};
        for (String[] kind : kinds) {
            for (int variant = 0; variant < 3; variant++) {
                // 0: tau on x1, x2; 1: the same with colsample; 2: tau on every covariate, with colsample
                boolean sub = variant > 0;
                TrainingData d = data(3, variant == 2 ? 3 : 2);
                Config cfg = Problems.config().learner(kind[0]).learnerCate(kind[1]).learningRate(0.3)
                        .learningRateCate(0.4).maxDepth(2).minLeaf(10).splineDf(3).splineKnots(6).build();
                String what = kind[0] + "/" + kind[1] + ", variant " + variant;
                PartLearner muL = new PartLearner(d.feat, cfg.learner, cfg, cfg.minLeaf, Parallel.SERIAL);
                PartLearner tauL = new PartLearner(d.feat, cfg.learnerCate, cfg, cfg.minLeaf, Parallel.SERIAL);
                MeanPart part = new MeanPart(d, cfg, muL, tauL, new NewtonStep(d, Parallel.SERIAL), 0.2, 0.5);
                double[] resVar = new double[d.n], l = {0.9, 0.3, 0, 0.6}, g = new double[4];
                for (int j = 0; j < d.n; j++) resVar[j] = 0.2 + 0.1 * (j % 3);
                LogCholesky.gFromL(l, 2, g);
                double[] cw = new double[d.m];
                for (int i = 0; i < d.m; i++) cw[i] = i % 4 == 0 ? 0 : 1;
                double[] f0 = part.f.clone(), r0 = new double[d.n];
                for (int j = 0; j < d.n; j++) r0[j] = d.y[j] - f0[j];
                Likelihood lik = new Likelihood(d);
                lik.run(r0, resVar, l, 0);
                double[] e = lik.e.clone();
                boolean[] use = sub ? new boolean[] {false, true, true} : null;
                double mu0 = part.mu.intercept, tau0 = part.tau.intercept;
                part.step(lik, resVar, cw, use);

                // structures: the learners' own fits of the working responses
                double[] tgt = new double[d.n], wt = new double[d.n], tgtT = new double[d.n], wtT = new double[d.n];
                double[] t = d.contrast;
                for (int j = 0; j < d.n; j++) {
                    double c = cw[d.cluster[j]];
                    tgt[j] = e[j]; wt[j] = c / resVar[j];
                    tgtT[j] = e[j] / t[j]; wtT[j] = wt[j] * t[j] * t[j];
                }
                boolean[] useTau = variant == 2 ? use : sub ? new boolean[] {false, true, false} : new boolean[] {true, true, false};
                PartLearner freshMu = new PartLearner(d.feat, cfg.learner, cfg, cfg.minLeaf, Parallel.SERIAL),
                        freshTau = new PartLearner(d.feat, cfg.learnerCate, cfg, cfg.minLeaf, Parallel.SERIAL);
                double[] scratch = new double[d.n];
                PartLearner.Step sm = freshMu.fit(tgt, wt, scratch, use), st = freshTau.fit(tgtT, wtT, scratch, useTau);
                Object[] bMu = shapeBasis(part.mu, muL, d, cfg), bTau = shapeBasis(part.tau, tauL, d, cfg);
                if (sm.tree != null) assertArrayEquals(freshMu.leafOf(), muL.leafOf(), what + ": mu's tree");
                else assertEquals(sm.feature, (int) bMu[2], what + ": mu's covariate");
                if (st.tree != null) assertArrayEquals(freshTau.leafOf(), tauL.leafOf(), what + ": tau's tree");
                else assertEquals(st.feature, (int) bTau[2], what + ": tau's covariate");

                // levels: L'W(r0 - L dl) = 0
                double[][] wb = weightBlocks(d, g, resVar, cw);
                double dl0 = part.mu.intercept - mu0, dl1 = part.tau.intercept - tau0;
                double[] one = new double[d.n], r1 = new double[d.n];
                java.util.Arrays.fill(one, 1.0);
                for (int j = 0; j < d.n; j++) r1[j] = r0[j] - dl0 - dl1 * t[j];
                assertEquals(0, form(d, wb, one, r1), 1e-9 * form(d, wb, one, one), what + ": level normal equation (mu)");
                assertEquals(0, form(d, wb, t, r1), 1e-9 * form(d, wb, t, t), what + ": level normal equation (tau)");

                // shape: A'W(r1 - A c) = P c
                double[] sMu = new double[d.n], sTau = new double[d.n], res = new double[d.n];
                for (int j = 0; j < d.n; j++) {
                    sMu[j] = (part.mu.predict(d.x, d.n, j) - part.mu.intercept) / cfg.learningRate;
                    sTau[j] = (part.tau.predict(d.x, d.n, j) - part.tau.intercept) / cfg.learningRateCate;
                    res[j] = r1[j] - sMu[j] - t[j] * sTau[j];
                    double df = dl0 + dl1 * t[j] + cfg.learningRate * sMu[j] + cfg.learningRateCate * t[j] * sTau[j];
                    assertEquals(f0[j] + df, part.f[j], 1e-10, what + ": f moves by the step, row " + j);
                }
                double meanW = 0, meanWT = 0;
                for (int j = 0; j < d.n; j++) { meanW += wt[j] / d.n; meanWT += wtT[j] / d.n; }
                checkShape(d, wb, (Basis) bMu[0], null, sMu, (Smoother) bMu[1], meanW, res, what + ": mu");
                checkShape(d, wb, (Basis) bTau[0], t, sTau, (Smoother) bTau[1], meanWT, res, what + ": tau");
            }
        }
    }

    /** Columns a_k of the shape (times mult): a_k'W res = (P c)_k with c the shape's coefficients. */
    private static void checkShape(TrainingData d, double[][] wb, Basis b, double[] mult, double[] shape, Smoother s,
                                   double meanW, double[] res, String what) {
        double[][] cols = columns(b, d.n, null), colsM = columns(b, d.n, mult);
        double[] c = coefficients(cols, shape);
        double[] pc = new double[c.length];
        if (s != null) {
            double[] p = s.penalty(meanW);
            for (int r = 0; r < c.length; r++) for (int k = 0; k < c.length; k++) pc[r] += p[r + k * c.length] * c[k];
        }
        double scale = 0;
        for (double[] a : colsM) scale = Math.max(scale, Math.abs(form(d, wb, a, a)));
        for (int k = 0; k < c.length; k++) {
            double lhs = form(d, wb, colsM[k], res);
            assertEquals(pc[k], lhs, 1e-8 * scale * (1 + Math.abs(c[k])), what + " normal equation " + k);
        }
        boolean moved = false;
        for (double v : c) moved |= Math.abs(v) > 1e-6;
        assertTrue(moved, what + ": the shape moved");
    }

    @Test
    void withoutNewtonStepsTheValuesAreTheLearnersFits() {
        TrainingData d = data(4);
        Config cfg = Problems.config().learningRate(0.3).learningRateCate(0.4).maxDepth(2).minLeaf(10).newton(false).build();
        PartLearner muL = new PartLearner(d.feat, cfg.learner, cfg, cfg.minLeaf, Parallel.SERIAL);
        MeanPart part = new MeanPart(d, cfg, muL, muL.sibling(2), new NewtonStep(d, Parallel.SERIAL), 0.2, 0.5);
        double[] resVar = new double[d.n], l = {0.9, 0.3, 0, 0.6};
        java.util.Arrays.fill(resVar, 0.25);
        double[] f0 = part.f.clone(), r0 = new double[d.n];
        for (int j = 0; j < d.n; j++) r0[j] = d.y[j] - f0[j];
        Likelihood lik = new Likelihood(d);
        lik.run(r0, resVar, l, 0);
        double[] e = lik.e.clone(), t = d.contrast;
        part.step(lik, resVar, null, null);
        assertEquals(0.2, part.mu.intercept, 0.0, "no level step without Newton steps");
        assertEquals(0.5, part.tau.intercept, 0.0);
        double[] wt = new double[d.n], tgtT = new double[d.n], wtT = new double[d.n], fm = new double[d.n], ft = new double[d.n];
        for (int j = 0; j < d.n; j++) { wt[j] = 1 / resVar[j]; tgtT[j] = e[j] / t[j]; wtT[j] = wt[j] * t[j] * t[j]; }
        new PartLearner(d.feat, cfg.learner, cfg, cfg.minLeaf, Parallel.SERIAL).fit(e, wt, fm);
        new PartLearner(d.feat, cfg.learner, cfg, 2, cfg.minLeaf, Parallel.SERIAL).fit(tgtT, wtT, ft, new boolean[] {true, true, false});
        for (int j = 0; j < d.n; j++) {
            assertEquals(f0[j] + 0.3 * fm[j] + 0.4 * t[j] * ft[j], part.f[j], 1e-10, "row " + j);
            assertEquals(0.2 + 0.3 * fm[j], part.mu.predict(d.x, d.n, j), 1e-10);
            assertEquals(0.5 + 0.4 * ft[j], part.tau.predict(d.x, d.n, j), 1e-10);
        }
    }
}
