package org.gbmixed.likelihood;

import org.gbmixed.Problems;
import org.gbmixed.base.Dense;
import org.gbmixed.base.Parallel;
import org.gbmixed.base.TrainingData;
import org.gbmixed.boosting.RoundStepsTest;
import org.gbmixed.learners.ClusterSplitWeights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The Newton (GLS) step of the mean and the cluster-level split weights against dense n_i x n_i algebra, and the
 * step against central finite differences of the NLL (it must be the minimiser along its basis).
 */
class NewtonStepTest {
    static final double DENSE_TOL = 1e-9;   // relative, q x q route vs dense V^-1

    /** A random problem with E-step state, a leaf basis (K leaves) + a 2-column smooth basis times a contrast. */
    private static final class Setup {
        final TrainingData d;
        final Likelihood lik;
        final double[] resVar, r, g, mult, cw;
        final int[] leaf;
        final double[] xs;
        final int k;
        Setup(long seed, int q, int leaves, boolean weights) {
            d = Problems.random(seed, 9, 7, q, false);
            Random rnd = new Random(seed + 7);
            LogCholesky lc = new LogCholesky(q, false);
            double[] th = new double[lc.size()];
            for (int t = 0; t < th.length; t++) th[t] = 0.4 * rnd.nextGaussian();
            double[] l = new double[q * q];
            lc.toL(th, 0, l);
            g = new double[q * q];
            LogCholesky.gFromL(l, q, g);
            resVar = new double[d.n];
            r = new double[d.n];
            mult = new double[d.n];
            leaf = new int[d.n];
            xs = new double[d.n];
            for (int j = 0; j < d.n; j++) {
                resVar[j] = Math.exp(0.5 * rnd.nextGaussian());
                r[j] = rnd.nextGaussian();
                mult[j] = rnd.nextBoolean() ? 0.6 : -0.4;
                leaf[j] = rnd.nextInt(leaves);
                xs[j] = rnd.nextGaussian();
            }
            cw = new double[d.m];
            for (int i = 0; i < d.m; i++) cw[i] = weights ? rnd.nextInt(3) : 1;   // 0, 1, 2: out, in, counted twice
            lik = new Likelihood(d);
            lik.run(r, resVar, l, 0);
            k = leaves + 2;
        }

        Basis basis() {
            Basis leaves = new Basis() {
                public int ncol() { return k - 2; }
                public int maxNonZero() { return 1; }
                public int row(int j, int[] col, double[] val, int off) { col[off] = leaf[j]; val[off] = 1; return 1; }
            };
            Basis line = new Basis() {
                public int ncol() { return 2; }
                public int maxNonZero() { return 2; }
                public int row(int j, int[] col, double[] val, int off) {
                    col[off] = 0; val[off] = 1; col[off + 1] = 1; val[off + 1] = xs[j]; return 2;
                }
            };
            return Basis.concat(leaves, line.times(mult));
        }

        /** Dense A (n x k) of the basis. */
        double[] denseA() {
            Basis b = basis();
            double[] a = new double[d.n * k];
            int[] col = new int[b.maxNonZero()];
            double[] val = new double[b.maxNonZero()];
            for (int j = 0; j < d.n; j++) {
                int nz = b.row(j, col, val, 0);
                for (int t = 0; t < nz; t++) a[j + col[t] * d.n] += val[t];
            }
            return a;
        }

        /** Dense V_i^-1 of cluster i. */
        double[] vinv(int i) {
            int ni = d.start[i + 1] - d.start[i];
            double[] v = LikelihoodTest.denseV(d, i, g, resVar);
            Dense.cholesky(v, ni);
            double[] out = new double[ni * ni];
            Dense.cholInverse(v, ni, out);
            return out;
        }

        /** Weighted NLL sum_i cw_i l_i at mean shift A c (r - A c). */
        double nll(double[] c) {
            double[] a = denseA(), rr = r.clone();
            for (int j = 0; j < d.n; j++) for (int t = 0; t < k; t++) rr[j] -= a[j + t * d.n] * c[t];
            double[] l = new double[d.q * d.q];
            System.arraycopy(g, 0, l, 0, l.length);
            Dense.cholesky(l, d.q);
            Likelihood lk = new Likelihood(d);
            lk.run(rr, resVar, l, 0);
            double s = 0;
            for (int i = 0; i < d.m; i++) s += cw[i] * lk.nllCluster[i];
            return s;
        }
    }

    @ParameterizedTest
    @CsvSource({"1,4,false", "2,5,true", "3,3,true"})
    void systemEqualsDenseGls(int q, int leaves, boolean weights) {
        Setup s = new Setup(31 + q, q, leaves, weights);
        TrainingData d = s.d;
        int k = s.k;
        double[] grad = new double[k];
        double[] h = new NewtonStep(d, Parallel.SERIAL).system(s.basis(), s.lik, s.resVar, s.cw, grad);
        double[] a = s.denseA(), hd = new double[k * k], gd = new double[k];
        for (int i = 0; i < d.m; i++) {
            int from = d.start[i], ni = d.start[i + 1] - from;
            double[] vi = s.vinv(i);
            for (int x = 0; x < k; x++) {
                for (int aa = 0; aa < ni; aa++) {
                    int ja = d.order[from + aa];
                    double va = 0;     // (V_i^-1 a_x)_aa
                    for (int bb = 0; bb < ni; bb++) va += vi[aa + bb * ni] * a[d.order[from + bb] + x * d.n];
                    gd[x] += s.cw[i] * va * s.r[ja];
                    for (int y = 0; y < k; y++) hd[y + x * k] += s.cw[i] * va * a[ja + y * d.n];
                }
            }
        }
        for (int x = 0; x < k; x++) {
            assertEquals(gd[x], grad[x], DENSE_TOL * (1 + Math.abs(gd[x])), "A'V^-1 r [" + x + "]");
            for (int y = x; y < k; y++)
                assertEquals(hd[y + x * k], h[y + x * k], DENSE_TOL * (1 + Math.abs(hd[y + x * k])),
                        "A'V^-1 A [" + y + "," + x + "]");
        }
    }

    @ParameterizedTest
    @CsvSource({"1,4,false", "2,5,true", "3,3,false"})
    void stepIsTheMinimiserAlongItsBasis(int q, int leaves, boolean weights) {
        Setup s = new Setup(57 + q, q, leaves, weights);
        double[] c = new NewtonStep(s.d, Parallel.SERIAL).solve(s.basis(), s.lik, s.resVar, s.cw, null);
        double h = 1e-5, base = s.nll(new double[s.k]), at = s.nll(c);
        assertTrue(at < base, "the step lowers the NLL: " + base + " -> " + at);
        for (int t = 0; t < s.k; t++) {
            double[] p = c.clone(), m = c.clone();
            p[t] += h;
            m[t] -= h;
            double deriv = (s.nll(p) - s.nll(m)) / (2 * h);
            double[] z0 = new double[s.k];
            double[] p0 = z0.clone(), m0 = z0.clone();
            p0[t] += h;
            m0[t] -= h;
            double scale = Math.abs((s.nll(p0) - s.nll(m0)) / (2 * h));   // the gradient before the step
            assertEquals(0, deriv, 1e-6 * Math.max(1, scale), "dNLL/dc_" + t + " at the Newton step");
        }
    }

    /**
     * A second system() on the same object equals a fresh one's, also for a basis whose every column belongs to one
     * cluster (so no other cluster touches it between the calls: nothing of the first call may stay).
     */
    @Test
    void aSecondSystemOnTheSameObjectIsAFreshOne() {
        Setup s = new Setup(41, 2, 3, true);
        TrainingData d = s.d;
        Basis perCluster = new Basis() {
            public int ncol() { return d.m; }
            public int maxNonZero() { return 1; }
            public int row(int j, int[] col, double[] val, int off) { col[off] = d.cluster[j]; val[off] = s.xs[j]; return 1; }
        };
        NewtonStep reused = new NewtonStep(d, Parallel.SERIAL);
        double[] g1 = new double[d.m], g2 = new double[d.m], g3 = new double[d.m];
        double[] h1 = reused.system(perCluster, s.lik, s.resVar, s.cw, g1);
        double[] h2 = reused.system(perCluster, s.lik, s.resVar, s.cw, g2);
        double[] h3 = new NewtonStep(d, Parallel.SERIAL).system(perCluster, s.lik, s.resVar, s.cw, g3);
        assertArrayEquals(h1, h3, 0.0);
        assertArrayEquals(h3, h2, 0.0, "the second system");
        assertArrayEquals(g3, g2, 0.0);
        boolean any = false;
        for (double v : h2) any |= v != 0;
        assertTrue(any);
    }

    /**
     * Above 20,000 rows the system is accumulated in blocks of clusters (in parallel): it must still be the dense
     * sum over clusters of A_i' V_i^-1 A_i and A_i' V_i^-1 r_i.
     */
    @Test
    void theBlockedSystemAboveTheThresholdIsTheDenseSum() {
        TrainingData d = Problems.random(17, 3000, 14, 2, false);
        assertTrue(d.n >= 20_000, "rows " + d.n);
        Random rnd = new Random(18);
        double[] l = {0.8, 0.3, 0, 0.5}, g = new double[4], resVar = new double[d.n], r = new double[d.n];
        LogCholesky.gFromL(l, 2, g);
        for (int j = 0; j < d.n; j++) { resVar[j] = Math.exp(0.4 * rnd.nextGaussian()); r[j] = rnd.nextGaussian(); }
        Likelihood lik = new Likelihood(d);
        lik.run(r, resVar, l, 0);
        Basis a = new Basis() {
            public int ncol() { return 3; }
            public int maxNonZero() { return 3; }
            public int row(int j, int[] col, double[] val, int off) {
                col[off] = 0; val[off] = 1; col[off + 1] = 1; val[off + 1] = d.x[j]; col[off + 2] = 2; val[off + 2] = d.x[j] > 0 ? 1 : 0;
                return 3;
            }
        };
        double[] gs = new double[3];
        Parallel par = new Parallel(2);
        double[] h = new NewtonStep(d, par).system(a, lik, resVar, null, gs);
        double[] hd = new double[9], gd = new double[3];
        for (int i = 0; i < d.m; i++) {
            int[] rows = RoundStepsTest.rows(d, i);
            int k = rows.length;
            double[] vi = RoundStepsTest.inverse(RoundStepsTest.denseV(d, rows, g, resVar), k, new double[1]);
            int[] col = new int[3];
            double[] val = new double[3];
            double[][] ai = new double[k][3];
            for (int t = 0; t < k; t++) { a.row(rows[t], col, val, 0); for (int c = 0; c < 3; c++) ai[t][c] = val[c]; }
            for (int c1 = 0; c1 < 3; c1++)
                for (int t = 0; t < k; t++)
                    for (int u = 0; u < k; u++) {
                        double vtu = vi[t + u * k];
                        gd[c1] += ai[t][c1] * vtu * r[rows[u]];
                        for (int c2 = 0; c2 <= c1; c2++) hd[c1 + c2 * 3] += ai[t][c1] * vtu * ai[u][c2];
                    }
        }
        for (int c1 = 0; c1 < 3; c1++) {
            assertEquals(gd[c1], gs[c1], 1e-9 * (1 + Math.abs(gd[c1])), "g " + c1);
            for (int c2 = 0; c2 <= c1; c2++)
                assertEquals(hd[c1 + c2 * 3], h[c1 + c2 * 3], 1e-9 * Math.abs(hd[c1 + c2 * 3]), "h " + c1 + ", " + c2);
        }
    }

    @Test
    void clusterSplitWeightsGiveTheExactGainOfWholeClusterGroups() {
        for (int q = 1; q <= 3; q++) {
            Setup s = new Setup(91 + q, q, 3, true);
            TrainingData d = s.d;
            Random rnd = new Random(5 + q);
            boolean[] inNode = new boolean[d.n];
            int[] idx = new int[d.n];
            int cnt = 0;
            for (int j = 0; j < d.n; j++) if (rnd.nextDouble() < 0.7) { inNode[j] = true; idx[cnt++] = j; }
            boolean[] leftCluster = new boolean[d.m];
            for (int i = 0; i < d.m; i++) leftCluster[i] = rnd.nextBoolean();
            for (double[] mult : new double[][] {s.mult, null}) {
                // the same object first weighs the root (all rows), then the node: nothing of the root may stay
                ClusterSplitWeights csw = new ClusterSplitWeights(d, mult).bind(s.lik, s.resVar, s.cw);
                int[] all = new int[d.n];
                for (int j = 0; j < d.n; j++) all[j] = j;
                double[] hc = new double[d.n];
                boolean[] first = new boolean[d.n];
                csw.compute(all, 0, d.n, hc, first);
                java.util.Arrays.fill(first, false);
                csw.compute(idx, 0, cnt, hc, first);
                int[] firsts = new int[d.m];
                for (int t = 0; t < cnt; t++) if (first[idx[t]]) firsts[d.cluster[idx[t]]]++;
                for (int i = 0; i < d.m; i++) {
                    boolean present = false;
                    for (int t = 0; t < cnt; t++) present |= d.cluster[idx[t]] == i;
                    assertEquals(present ? 1 : 0, firsts[i], "one first row for each cluster in the node, cluster " + i);
                }
                double viaWeights = 0, dense = 0;
                for (int t = 0; t < cnt; t++) if (leftCluster[d.cluster[idx[t]]]) viaWeights += hc[idx[t]];
                for (int i = 0; i < d.m; i++) {
                    if (!leftCluster[i]) continue;
                    int from = d.start[i], ni = d.start[i + 1] - from;
                    double[] vi = s.vinv(i);
                    for (int a = 0; a < ni; a++)
                        for (int b = 0; b < ni; b++) {
                            int ja = d.order[from + a], jb = d.order[from + b];
                            double ma = mult == null ? 1 : mult[ja], mb = mult == null ? 1 : mult[jb];
                            if (inNode[ja] && inNode[jb]) dense += s.cw[i] * ma * vi[a + b * ni] * mb;
                        }
                }
                assertEquals(dense, viaWeights, DENSE_TOL * Math.abs(dense), "a_L' V^-1 a_L, q = " + q + (mult == null ? ", mean" : ", treatment"));
            }
        }
    }

    /**
     * The dense path (every row has every column: the linear learner, the levels) against the generic route: the
     * same rows through a basis that does not say it is dense. Three dense columns (an intercept, a covariate, a
     * contrast times the covariate) and zero, one or two weights per cluster.
     */
    @ParameterizedTest
    @CsvSource({"1,false", "2,true", "3,true"})
    void denseBasisEqualsTheGenericRoute(int q, boolean weights) {
        Setup s = new Setup(91 + q, q, 4, weights);
        Basis x = new Basis() {
            public int ncol() { return 1; }
            public int maxNonZero() { return 1; }
            public boolean dense() { return true; }
            public int row(int j, int[] col, double[] val, int off) { col[off] = 0; val[off] = s.xs[j]; return 1; }
        };
        Basis dense = Basis.concat(Basis.concat(Basis.column(null), x), x.times(s.mult));
        assertTrue(dense.dense());
        Basis generic = new Basis() {
            public int ncol() { return dense.ncol(); }
            public int maxNonZero() { return dense.maxNonZero(); }
            public int row(int j, int[] col, double[] val, int off) { return dense.row(j, col, val, off); }
        };
        assertFalse(generic.dense());
        assertSameSystem(s, dense, generic);
    }

    /** The fast path's system (H, g) equals the generic route's, to 1e-12 relative. */
    private static void assertSameSystem(Setup s, Basis fast, Basis generic) {
        int k = fast.ncol();
        assertEquals(generic.ncol(), k);
        double[] g1 = new double[k], g2 = new double[k];
        double[] h1 = new NewtonStep(s.d, Parallel.SERIAL).system(fast, s.lik, s.resVar, s.cw, g1);
        double[] h2 = new NewtonStep(s.d, Parallel.SERIAL).system(generic, s.lik, s.resVar, s.cw, g2);
        for (int c = 0; c < k; c++) {
            assertEquals(g2[c], g1[c], 1e-12 * (1 + Math.abs(g2[c])), "g[" + c + "]");
            for (int r = c; r < k; r++)
                assertEquals(h2[r + c * k], h1[r + c * k], 1e-12 * (1 + Math.abs(h2[r + c * k])), "H[" + r + "," + c + "]");
        }
    }

    /** The trees' fast path (Basis.LeafRows, summed per cluster and leaf) against the generic route. */
    @ParameterizedTest
    @CsvSource({"1,false", "2,false", "1,true", "3,true"})
    void leafRowsEqualTheGenericBasis(int q, boolean treatment) {
        Setup s = new Setup(71 + q, q, 4, true);
        int n = s.d.n;
        int[] tauLeaf = new int[n];
        Random rnd = new Random(9);
        for (int j = 0; j < n; j++) tauLeaf[j] = rnd.nextInt(3);
        double[] t = treatment ? s.mult : null;
        Basis fast = new Basis.LeafRows(s.leaf, 4, treatment ? tauLeaf : null, 3, t);
        Basis muLeaves = new Basis() {
            public int ncol() { return 4; }
            public int maxNonZero() { return 1; }
            public int row(int j, int[] col, double[] val, int off) { col[off] = s.leaf[j]; val[off] = 1; return 1; }
        };
        Basis tauLeaves = new Basis() {
            public int ncol() { return 3; }
            public int maxNonZero() { return 1; }
            public int row(int j, int[] col, double[] val, int off) { col[off] = tauLeaf[j]; val[off] = 1; return 1; }
        };
        Basis generic = treatment
                ? Basis.concat(Basis.concat(Basis.column(null), Basis.column(t)),
                        Basis.concat(muLeaves, tauLeaves.times(t)))
                : Basis.concat(Basis.column(null), muLeaves);
        assertSameSystem(s, fast, generic);
    }

    @Test
    void sameResultForAnyThreadCountAboveTheParallelThreshold() {
        TrainingData d = Problems.random(3, 4000, 11, 2, false);
        assertTrue(d.n >= 20_000, "above the parallel threshold: n = " + d.n);
        Random rnd = new Random(4);
        double[] resVar = new double[d.n], r = new double[d.n];
        int[] leaf = new int[d.n];
        for (int j = 0; j < d.n; j++) { resVar[j] = 0.5 + rnd.nextDouble(); r[j] = rnd.nextGaussian(); leaf[j] = rnd.nextInt(16); }
        double[] l = {1.1, 0.3, 0, 0.7};
        Likelihood lik = new Likelihood(d);
        lik.run(r, resVar, l, 0);
        Basis b = new Basis() {
            public int ncol() { return 16; }
            public int maxNonZero() { return 1; }
            public int row(int j, int[] col, double[] val, int off) { col[off] = leaf[j]; val[off] = 1; return 1; }
        };
        double[] one = new NewtonStep(d, Parallel.SERIAL).solve(b, lik, resVar, null, null);
        double[] two = new NewtonStep(d, new Parallel(2)).solve(b, lik, resVar, null, null);
        double[] three = new NewtonStep(d, new Parallel(3)).solve(b, lik, resVar, null, null);
        assertArrayEquals(one, two, 0.0);
        assertArrayEquals(one, three, 0.0);
    }

    @Test
    void solveSystemPinsEmptyColumnsRidgesSemiDefiniteSystemsAndAddsThePenalty() {
        // (the refusal after eight ridges is unreachable: the last ridge, 1e5 times the largest diagonal, makes
        // any symmetric system with that diagonal positive definite)
        // lower triangle, column-major
        double[] x = NewtonStep.solveSystem(new double[] {2, 0, 0, 0, 0, 0, 0, 0, 3}, new double[] {4, 5, 6}, 3, null);
        org.junit.jupiter.api.Assertions.assertArrayEquals(new double[] {2, 0, 2}, x, 1e-12, "a zero column is pinned at 0");
        double[] tiny = NewtonStep.solveSystem(new double[] {1, 0, 0, 1e-14}, new double[] {1, 1}, 2, null);
        org.junit.jupiter.api.Assertions.assertArrayEquals(new double[] {1, 0}, tiny, 1e-12, "below 1e-12 of the largest diagonal: pinned");
        double[] semi = NewtonStep.solveSystem(new double[] {1, 1, 0, 1}, new double[] {2, 2}, 2, null);
        assertEquals(2, semi[0] + semi[1], 1e-6, "rank-deficient: a ridge solves H x = g");
        assertEquals(semi[0], semi[1], 1e-6, "and takes the minimum-norm solution (to the conditioning of the ridge)");
        double[] pen = NewtonStep.solveSystem(new double[] {1, 0, 0, 1}, new double[] {2, 3}, 2, new double[] {1, 0, 0, 0});
        org.junit.jupiter.api.Assertions.assertArrayEquals(new double[] {1, 3}, pen, 1e-12, "(H + P) x = g");
        double[] zero = NewtonStep.solveSystem(new double[] {0, 0, 0, 0}, new double[] {1, 1}, 2, null);
        org.junit.jupiter.api.Assertions.assertArrayEquals(new double[] {0, 0}, zero, 0.0, "no information: no step");
    }
}
