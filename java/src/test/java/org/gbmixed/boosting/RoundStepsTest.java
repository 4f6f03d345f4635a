package org.gbmixed.boosting;

import org.gbmixed.Config;
import org.gbmixed.GBMixed;
import org.gbmixed.Problems;
import org.gbmixed.base.TrainingData;
import org.gbmixed.likelihood.LogCholesky;
import org.gbmixed.model.Model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The code the boosting rounds run, checked against an oracle that shares none of it: the working responses
 * (gradient and Fisher weight) the variance steps hand to their learners, against central finite differences
 * and traces of a dense n_i x n_i likelihood written here (Gauss-Jordan inverses, no Dense, no Likelihood); the
 * level steps against their EM closed forms from the same dense algebra; the ensembles after a level step against
 * the training state (what predict() reads for new clusters must be what the fit used). The data have a full
 * correlated G(w) (random intercept and slope, q = 2) and a residual variance depending on x.
 */
public class RoundStepsTest {
    static final double FD_TOL = 1e-6;    // relative to max(1, |value|), central differences h = 1e-5
    static final double EXACT_TOL = 1e-9; // relative, closed form against the engine

    /** y = sin(2 x1) + b0 + b1 t + e, G(w) full with a w-dependent correlation, R(x2). */
    public static final class Data {
        public final int n, m;
        public final double[] x, y, wt, z, xdisp, wcov;
        final double[] trueG;   // per cluster, q x q column-major
        public final int[] cluster;

        public Data(long seed, int m, int minRows, int maxRows) {
            Random rnd = new Random(seed);
            this.m = m;
            int[] ni = new int[m];
            int total = 0;
            for (int i = 0; i < m; i++) { ni[i] = minRows + rnd.nextInt(maxRows - minRows + 1); total += ni[i]; }
            n = total;
            x = new double[2 * n]; y = new double[n]; wt = new double[n]; z = new double[2 * n];
            xdisp = new double[n]; wcov = new double[m]; cluster = new int[n]; trueG = new double[4 * m];
            int r = 0;
            for (int i = 0; i < m; i++) {
                double w = 2 * rnd.nextDouble() - 1;
                wcov[i] = w;
                double s0 = Math.exp(0.5 * (0.2 + 0.9 * w)), s1 = Math.exp(0.5 * (-0.6 - 0.9 * w)), rho = 0.5 + 0.3 * w;
                double[] g = {s0 * s0, rho * s0 * s1, rho * s0 * s1, s1 * s1};
                System.arraycopy(g, 0, trueG, 4 * i, 4);
                double u0 = rnd.nextGaussian(), u1 = rnd.nextGaussian();
                double b0 = s0 * u0, b1 = s1 * (rho * u0 + Math.sqrt(1 - rho * rho) * u1);
                for (int k = 0; k < ni[i]; k++, r++) {
                    cluster[r] = i;
                    double x1 = 4 * rnd.nextDouble() - 2, x2 = 2 * rnd.nextDouble() - 1, t = 2 * rnd.nextDouble() - 1;
                    x[r] = x1; x[r + n] = x2; xdisp[r] = x2;
                    z[r] = 1; z[r + n] = t;
                    wt[r] = 1;
                    y[r] = Math.sin(2 * x1) + b0 + b1 * t + Math.exp(0.5 * (-1 + 1.2 * x2)) * rnd.nextGaussian();
                }
            }
        }

        public Booster booster(Config c) {
            return GBMixed.booster(x, n, 2, new int[] {0, 0}, y, wt, cluster, m, z, 2, false,
                    xdisp, 1, new int[] {0}, wcov, 1, new int[] {0}, c);
        }
    }

    // ---- the dense oracle -------------------------------------------------------------------------------------

    /** Inverse of a symmetric positive-definite a (n x n, column-major) by Gauss-Jordan; returns log|a| in out[0]. */
    public static double[] inverse(double[] a, int n, double[] logDet) {
        double[] m = a.clone(), inv = new double[n * n];
        for (int k = 0; k < n; k++) inv[k + k * n] = 1;
        double ld = 0;
        for (int c = 0; c < n; c++) {
            double p = m[c + c * n];
            ld += Math.log(p);
            for (int k = 0; k < n; k++) { m[c + k * n] /= p; inv[c + k * n] /= p; }
            for (int r = 0; r < n; r++) {
                if (r == c) continue;
                double f = m[r + c * n];
                if (f == 0) continue;
                for (int k = 0; k < n; k++) { m[r + k * n] -= f * m[c + k * n]; inv[r + k * n] -= f * inv[c + k * n]; }
            }
        }
        if (logDet != null) logDet[0] = ld;
        return inv;
    }

    /** G_i = L L' from theta of cluster i (log-Cholesky: diagonal entries are log L_kk). */
    static double[] gOf(LogCholesky lc, double[] theta, int off) {
        double[] l = new double[4], g = new double[4];
        lc.toL(theta, off, l);
        for (int a = 0; a < 2; a++)
            for (int b = 0; b < 2; b++) {
                double s = 0;
                for (int k = 0; k < 2; k++) s += l[a + k * 2] * l[b + k * 2];
                g[a + b * 2] = s;
            }
        return g;
    }

    /** The rows of cluster i, in data order. */
    public static int[] rows(TrainingData d, int i) {
        int[] out = new int[d.start[i + 1] - d.start[i]];
        for (int t = 0; t < out.length; t++) out[t] = d.order[d.start[i] + t];
        return out;
    }

    /** V_i = Z_i G Z_i' + R_i, dense. */
    public static double[] denseV(TrainingData d, int[] rows, double[] g, double[] resVar) {
        int k = rows.length, n = d.n;
        double[] v = new double[k * k];
        for (int a = 0; a < k; a++)
            for (int b = 0; b < k; b++) {
                int ja = rows[a], jb = rows[b];
                double s = 0;
                for (int p = 0; p < 2; p++)
                    for (int q = 0; q < 2; q++) s += d.z[ja + p * n] * g[p + q * 2] * d.z[jb + q * n];
                v[a + b * k] = s + (a == b ? resVar[ja] : 0);
            }
        return v;
    }

    /** 1/2 [log|V_i| + r_i' V_i^-1 r_i] of cluster i, dense. */
    static double clusterNll(TrainingData d, int i, double[] r, double[] g, double[] resVar) {
        int[] rows = rows(d, i);
        int k = rows.length;
        double[] ld = new double[1];
        double[] vi = inverse(denseV(d, rows, g, resVar), k, ld);
        double quad = 0;
        for (int a = 0; a < k; a++) for (int b = 0; b < k; b++) quad += r[rows[a]] * vi[a + b * k] * r[rows[b]];
        return 0.5 * (ld[0] + quad);
    }

    /** The booster's current variance state as dense inputs: r = y - f, R_j, G_i per cluster. */
    static final class State {
        final double[] r, resVar, theta;
        State(Booster b) {
            r = new double[b.d.n];
            resVar = new double[b.d.n];
            for (int j = 0; j < b.d.n; j++) { r[j] = b.d.y[j] - b.f[j]; resVar[j] = Math.exp(b.rho[j]) / b.d.w[j]; }
            theta = b.theta.clone();
        }
    }

    /** Dense V_i^-1 of cluster i (rows: its rows) at the state's R and G_i. */
    static double[] vInverse(Booster b, State st, int i, int[] rows) {
        return inverse(denseV(b.d, rows, gOf(b.lc, st.theta, i * b.np), st.resVar), rows.length, null);
    }

    /** G(w) that predict() gives new clusters with the training clusters' w (the ensembles) is the fit's G_i. */
    static void assertPredictedCovIsTheFit(Model model, Data s, String what) {
        double[] gFit = model.clusterCovariance(), gPred = model.predictCov(s.wcov, s.m);
        int[][] tri = {{0, 0}, {1, 0}, {1, 1}};
        for (int i = 0; i < s.m; i++)
            for (int e = 0; e < 3; e++) {
                double fit = gFit[i * 4 + tri[e][0] + tri[e][1] * 2];
                assertEquals(fit, gPred[i + e * s.m], EXACT_TOL * Math.abs(fit) + 1e-12,
                        what + ": predicted G(w) entry " + e + ", cluster " + i);
            }
    }

    private static Config config() {
        // honest folds off: the variance steps then read the E-step at f, which the oracle recomputes
        return Problems.config().nrounds(60).learningRate(0.1).learningRateDisp(0.05).learningRateCov(0.05)
                .maxDepth(2).minLeaf(10).minLeafCov(10).honestFolds(0).build();
    }

    /** A booster a few rounds in (variance functions no longer constant), its E-step state refreshed. */
    private static Booster warm(Data s, int rounds) {
        Booster b = s.booster(config());
        b.iterate(rounds);
        b.nll = b.estepVar(b.rho, b.theta);
        return b;
    }

    // ---- the tests --------------------------------------------------------------------------------------------

    @Test
    void residualVarianceStepFitsMinusTheGradientOverTheFisherWeight() {
        Data s = new Data(5, 30, 2, 7);
        Booster b = warm(s, 6);
        TrainingData d = b.d;
        double[] target = new double[d.n], weight = new double[d.n];
        b.steps.dispWorkingResponse(target, weight);
        State st = new State(b);
        double h = 1e-5;
        int checked = 0;
        for (int i = 0; i < d.m; i++) {
            double[] g = gOf(b.lc, st.theta, i * b.np);
            int[] rows = rows(d, i);
            double[] vi = vInverse(b, st, i, rows);
            for (int a = 0; a < rows.length; a++) {
                int j = rows[a];
                double rv = st.resVar[j];
                double grad = rhoGradient(d, i, st, g, j, h);
                double fisher = 0.5 * Math.pow(rv * vi[a + a * rows.length], 2);   // 1/2 tr(V^-1 dV V^-1 dV)
                assertTrue(weight[j] >= fisher * (1 - EXACT_TOL), "the weight is the Fisher information or its floor");
                if (weight[j] <= fisher * (1 + EXACT_TOL)) checked++;
                assertEquals(-grad, target[j] * weight[j], FD_TOL * Math.max(1, Math.abs(grad)), "-dl/drho, row " + j);
            }
        }
        assertTrue(checked > 0.9 * d.n, checked + " of " + d.n + " rows at their Fisher weight (the rest floored)");
    }

    @Test
    void covarianceStepFitsMinusTheGradientOverTheFisherWeightForEveryEntry() {
        Data s = new Data(6, 25, 2, 7);
        Booster b = warm(s, 6);
        TrainingData d = b.d;
        int np = b.np;
        assertEquals(3, np, "full 2 x 2 G: three log-Cholesky entries");
        double[][] target = new double[np][d.m], weight = new double[np][d.m];
        b.steps.covWorkingResponse(target, weight);
        State st = new State(b);
        double h = 1e-5;
        for (int i = 0; i < d.m; i++) {
            int[] rows = rows(d, i);
            double[] vi = vInverse(b, st, i, rows);
            for (int t = 0; t < np; t++) {
                int at = i * np + t;
                double t0 = st.theta[at];
                st.theta[at] = t0 + h;
                double[] gUp = gOf(b.lc, st.theta, i * np);
                double up = clusterNll(d, i, st.r, gUp, st.resVar);
                st.theta[at] = t0 - h;
                double[] gDn = gOf(b.lc, st.theta, i * np);
                double dn = clusterNll(d, i, st.r, gDn, st.resVar);
                st.theta[at] = t0;
                double grad = (up - dn) / (2 * h);
                double fisher = thetaFisher(b, st, d, i, t, vi, rows);
                double w = weight[t][i];
                assertTrue(w >= fisher * (1 - 1e-6), "the weight is the Fisher information or its floor");
                if (w <= fisher * (1 + 1e-6))
                    assertEquals(fisher, w, 1e-6 * fisher, "Fisher weight of theta[" + t + "], cluster " + i);
                assertEquals(-grad, target[t][i] * w, FD_TOL * Math.max(1, Math.abs(grad)),
                        "-dl/dtheta[" + t + "], cluster " + i);
            }
        }
    }

    /** dl/drho_j of cluster i at the state (central differences of the dense NLL in log R_j, step h). */
    private static double rhoGradient(TrainingData d, int i, State st, double[] g, int j, double h) {
        double rv = st.resVar[j];
        st.resVar[j] = rv * Math.exp(h);
        double up = clusterNll(d, i, st.r, g, st.resVar);
        st.resVar[j] = rv * Math.exp(-h);
        double dn = clusterNll(d, i, st.r, g, st.resVar);
        st.resVar[j] = rv;
        return (up - dn) / (2 * h);
    }

    /** Fisher information of theta entry t of cluster i: 1/2 tr(V^-1 dV V^-1 dV), dV = Z dG Z' (central differences). */
    private static double thetaFisher(Booster b, State st, TrainingData d, int i, int t, double[] vi, int[] rows) {
        int np = b.np, k = rows.length, at = i * np + t;
        double h = 1e-5, t0 = st.theta[at];
        st.theta[at] = t0 + h;
        double[] gUp = gOf(b.lc, st.theta, i * np);
        st.theta[at] = t0 - h;
        double[] gDn = gOf(b.lc, st.theta, i * np);
        st.theta[at] = t0;
        double[] dg = new double[4];
        for (int e = 0; e < 4; e++) dg[e] = (gUp[e] - gDn[e]) / (2 * h);
        double[] dv = denseV(d, rows, dg, new double[d.n]), a = new double[k * k];
        for (int x = 0; x < k; x++)
            for (int y = 0; y < k; y++) {
                double sum = 0;
                for (int u = 0; u < k; u++) sum += vi[x + u * k] * dv[u + y * k];
                a[x + y * k] = sum;
            }
        double tr = 0;
        for (int x = 0; x < k; x++) for (int y = 0; y < k; y++) tr += a[x + y * k] * a[y + x * k];
        return 0.5 * tr;
    }

    @Test
    void fisherWeightsBelowTheFloorAreRaisedToAThousandthOfTheirMean() {
        Data s = new Data(7, 30, 2, 7);
        // rows of weight 1e4 (R_j = R(x) / 1e4, their variance is G's) carry almost no information on R;
        // clusters whose slope covariate is almost 0 carry almost none on the slope's variance
        for (int j = 0; j < s.n; j++) {
            if (s.cluster[j] < 3) s.z[j + s.n] = 1e-3;
            if (j % 11 == 0) s.wt[j] = 1e4;
        }
        Booster b = warm(s, 6);
        TrainingData d = b.d;
        State st = new State(b);
        double[] target = new double[d.n], weight = new double[d.n], fisher = new double[d.n];
        b.steps.dispWorkingResponse(target, weight);
        double mean = 0;
        for (int i = 0; i < d.m; i++) {
            int[] rows = rows(d, i);
            double[] vi = vInverse(b, st, i, rows);
            for (int a = 0; a < rows.length; a++) {
                fisher[rows[a]] = 0.5 * Math.pow(st.resVar[rows[a]] * vi[a + a * rows.length], 2);
                mean += fisher[rows[a]] / d.n;
            }
        }
        int floored = 0;
        for (int j = 0; j < d.n; j++) {
            double want = Math.max(fisher[j], 1e-3 * mean);
            if (fisher[j] < 1e-3 * mean) floored++;
            assertEquals(want, weight[j], 1e-6 * want, "rho weight of row " + j);
        }
        assertTrue(floored > 0 && floored < d.n / 5, floored + " rows floored");
        // and the target of a floored row is -dl/drho over the floor
        double h = 1e-5;
        for (int i = 0; i < d.m; i++) {
            double[] g = gOf(b.lc, st.theta, i * b.np);
            for (int j : rows(d, i)) {
                if (fisher[j] >= 1e-3 * mean) continue;
                double grad = rhoGradient(d, i, st, g, j, h);
                assertEquals(-grad / (1e-3 * mean), target[j], FD_TOL * Math.max(1, Math.abs(grad)) / (1e-3 * mean), "row " + j);
            }
        }
        // theta: one weight per cluster and entry, floored at a thousandth of the entry's mean over clusters
        int np = b.np;
        double[][] tt = new double[np][d.m], tw = new double[np][d.m];
        b.steps.covWorkingResponse(tt, tw);
        int flooredCl = 0;
        for (int t = 0; t < np; t++) {
            double[] fi = new double[d.m];
            double mt = 0;
            for (int i = 0; i < d.m; i++) {
                int[] rows = rows(d, i);
                fi[i] = thetaFisher(b, st, d, i, t, vInverse(b, st, i, rows), rows);
                mt += fi[i] / d.m;
            }
            for (int i = 0; i < d.m; i++) {
                double want = Math.max(fi[i], 1e-3 * mt);
                if (fi[i] < 1e-3 * mt) flooredCl++;
                assertEquals(want, tw[t][i], 1e-5 * want, "theta[" + t + "] weight of cluster " + i);
            }
        }
        assertTrue(flooredCl > 0, "some cluster's information on an entry is floored");
    }

    @Test
    void residualLevelStepIsTheEmFactorOfR() {
        Data s = new Data(7, 30, 2, 7);
        Booster b = warm(s, 4);
        TrainingData d = b.d;
        State st = new State(b);
        // EM for a common factor c of every R_j: c = mean_j (e_j^2 + z_j'P_i z_j) / R_j, with e = R V^-1 r and
        // z'Pz = R - R^2 [V^-1]_jj (dense)
        double u = 0;
        for (int i = 0; i < d.m; i++) {
            int[] rows = rows(d, i);
            int k = rows.length;
            double[] vi = vInverse(b, st, i, rows);
            for (int a = 0; a < k; a++) {
                int j = rows[a];
                double vr = 0;
                for (int c = 0; c < k; c++) vr += vi[a + c * k] * st.r[rows[c]];
                double e = st.resVar[j] * vr, zpz = st.resVar[j] - st.resVar[j] * st.resVar[j] * vi[a + a * k];
                u += (e * e + zpz) / st.resVar[j];
            }
        }
        double logC = Math.log(u / d.n);
        assertTrue(Math.abs(logC) > 1e-3, "the state is off the level (log c = " + logC + ")");
        double[] rho0 = b.rho.clone();
        double before = b.nll, intercept0 = b.rhoEns.intercept;
        b.nll = b.steps.dispLevel();
        assertTrue(b.nll <= before + 1e-9, "an EM step does not raise the NLL");
        assertEquals(b.estepVar(b.rho, b.theta), b.nll, 1e-9 * Math.abs(b.nll), "it returns the NLL of the state it leaves");
        assertEquals(intercept0 + logC, b.rhoEns.intercept, EXACT_TOL * Math.max(1, Math.abs(logC)));
        for (int j = 0; j < d.n; j++) assertEquals(rho0[j] + logC, b.rho[j], EXACT_TOL, "rho row " + j);
        // and the ensemble predicts what the fit now uses
        double[] rv = b.model().predictDisp(s.xdisp, s.n);
        for (int j = 0; j < d.n; j++) assertEquals(Math.exp(b.rho[j]), rv[j], EXACT_TOL * rv[j], "R(x) row " + j);
    }

    @Test
    void covarianceLevelStepIsTheEmFactorOfEachDiagonalAndTheEnsemblesFollowIt() {
        Data s = new Data(8, 30, 2, 7);
        Booster b = warm(s, 4);
        TrainingData d = b.d;
        State st = new State(b);
        int np = b.np;
        // S_i = P_i + bhat bhat', P_i = G - G Z'V^-1 Z G, bhat = G Z'V^-1 r; c_k = mean_i S_i,kk / G_i,kk
        double[] ratio = new double[2];
        double[][] g0 = new double[d.m][];
        for (int i = 0; i < d.m; i++) {
            int[] rows = rows(d, i);
            int k = rows.length;
            double[] g = gOf(b.lc, st.theta, i * np);
            g0[i] = g;
            double[] vi = inverse(denseV(d, rows, g, st.resVar), k, null);
            double[] ztvr = new double[2], ztvz = new double[4];
            for (int p = 0; p < 2; p++)
                for (int a = 0; a < k; a++)
                    for (int c = 0; c < k; c++) {
                        double zp = d.z[rows[a] + p * d.n];
                        ztvr[p] += zp * vi[a + c * k] * st.r[rows[c]];
                        for (int q = 0; q < 2; q++) ztvz[p + q * 2] += zp * vi[a + c * k] * d.z[rows[c] + q * d.n];
                    }
            for (int kk = 0; kk < 2; kk++) {
                double bh = 0, gzg = 0;
                for (int p = 0; p < 2; p++) {
                    bh += g[kk + p * 2] * ztvr[p];
                    for (int q = 0; q < 2; q++) gzg += g[kk + p * 2] * ztvz[p + q * 2] * g[q + kk * 2];
                }
                double skk = g[kk + kk * 2] - gzg + bh * bh;
                ratio[kk] += skk / g[kk + kk * 2];
            }
        }
        double d0 = Math.sqrt(ratio[0] / d.m), d1 = Math.sqrt(ratio[1] / d.m);
        assertTrue(Math.abs(Math.log(d0)) + Math.abs(Math.log(d1)) > 1e-3, "the state is off the level");
        double before = b.nll;
        b.nll = b.steps.covLevel();
        assertEquals(b.estepVar(b.rho, b.theta), b.nll, 1e-9 * Math.abs(b.nll), "covLevel returns the NLL of the state it leaves");
        assertTrue(b.nll <= before + VarianceSteps.TOLERANCE * d.n, "the step is within the engine's tolerance");
        // G -> D^s G D^s, D = diag(d0, d1): correlations kept; s = 1, or 1/2, 1/4, ... when the full factor raised
        // the NLL (scaling with the correlations fixed is not a full EM step, so that can happen)
        Model model = b.model();
        double[] gFit = model.clusterCovariance();
        double sStep = Math.log(gFit[0] / g0[0][0]) / (2 * Math.log(d0));
        double halvings = -Math.log(sStep) / Math.log(2);
        assertEquals(Math.rint(halvings), halvings, 1e-6, "step s = " + sStep + " is 1/2^h");
        assertTrue(halvings < VarianceSteps.MAX_HALVINGS + 0.5, "step taken");
        double[] dd = {Math.pow(d0, sStep), Math.pow(d1, sStep)};
        for (int i = 0; i < d.m; i++)
            for (int a = 0; a < 2; a++)
                for (int c = 0; c < 2; c++) {
                    double expected = dd[a] * g0[i][a + c * 2] * dd[c];
                    assertEquals(expected, gFit[i * 4 + a + c * 2], EXACT_TOL * Math.abs(expected) + 1e-12,
                            "G_" + i + "[" + a + "," + c + "]");
                }
        // what predict() gives a new cluster with these w (the ensembles, with their intercepts and scales)
        // equals what the fit uses for the training clusters
        assertPredictedCovIsTheFit(model, s, "after the level step");
    }

    @Test
    void theEnsemblesPredictTheTrainingStateAfterEveryKindOfRound() {
        // GRBoost with full G(w) and honest folds (level steps, shape steps, cross-fitted E-step): the model's
        // ensembles must give the variance functions the fit ended with
        Data s = new Data(9, 60, 3, 9);
        Config c = Problems.config().nrounds(25).learningRate(0.1).maxDepth(2).minLeaf(10).minLeafCov(10)
                .honestFolds(2).build();
        Booster b = s.booster(c);
        b.iterate(25);
        Model model = b.model();
        double[] rv = model.predictDisp(s.xdisp, s.n), fd = model.fittedDisp();
        for (int j = 0; j < s.n; j++) assertEquals(fd[j], rv[j], EXACT_TOL * fd[j], "R(x) row " + j);
        assertPredictedCovIsTheFit(model, s, "after 25 rounds");
    }

    /** After a step alone (no level step to re-derive it), the state is what the ensembles predict. */
    private static void assertStateIsTheEnsembles(Booster b, Data s, String what) {
        Model model = b.model();
        double[] rv = model.predictDisp(s.xdisp, s.n);
        for (int j = 0; j < s.n; j++) {
            assertEquals(b.rhoEns.clamp(b.rhoRaw[j]), b.rho[j], 0.0, what + ": rho = clamp(rhoRaw), row " + j);
            assertEquals(Math.exp(b.rho[j]), rv[j], EXACT_TOL * rv[j], what + ": R(x) row " + j);
        }
        for (int i = 0; i < s.m; i++)
            for (int t = 0; t < b.np; t++)
                assertEquals(b.thetaEns[t].clamp(b.thetaRaw[i * b.np + t]), b.theta[i * b.np + t], 0.0,
                        what + ": theta = clamp(thetaRaw), cluster " + i);
        assertPredictedCovIsTheFit(model, s, what);
    }

    @Test
    void aVarianceStepLeavesTheStateTheEnsemblesPredictAndReturnsItsNll() {
        Data s = new Data(10, 40, 3, 8);
        Booster b = warm(s, 5);
        double before = b.nll;
        double after = b.steps.dispStep(b.dispL, 0.1);
        assertTrue(after <= before + VarianceSteps.TOLERANCE * s.n, "the rho step keeps the NLL");
        assertTrue(after < before - 1e-9, "and, a few rounds in, lowers it: " + before + " -> " + after);
        assertEquals(b.estepVar(b.rho, b.theta), after, 0.0, "the NLL returned is the state's");
        assertStateIsTheEnsembles(b, s, "after dispStep");
        b.nll = after;
        double afterCov = b.steps.covStep(b.covL, 0.1);
        assertTrue(afterCov < after - 1e-9, "the G step lowers the NLL: " + after + " -> " + afterCov);
        assertEquals(b.estepVar(b.rho, b.theta), afterCov, 0.0, "the NLL returned is the state's");
        assertStateIsTheEnsembles(b, s, "after covStep");
    }

    /** The halving factor s of the last step: (raw after - raw before) / (nu * learner output). */
    private static double stepFactor(double[] after, double[] before, double nu, double[] out) {
        int best = 0;
        for (int j = 0; j < out.length; j++) if (Math.abs(out[j]) > Math.abs(out[best])) best = j;
        return (after[best] - before[best]) / (nu * out[best]);
    }

    /** One shape step of rho (part 0) or theta (part 1) at learning rate nu: the state and fit before and after. */
    private static final class ShapeStep {
        final double before, after;
        final double[] rawBefore, rawAfter, out;
        ShapeStep(Booster b, int part, double nu) {
            before = b.nll;
            rawBefore = part == 0 ? b.rhoRaw.clone() : b.thetaRaw.clone();
            after = part == 0 ? b.steps.dispStep(b.dispL, nu) : b.steps.covStep(b.covL, nu);
            rawAfter = part == 0 ? b.rhoRaw : b.thetaRaw;
            int m = b.d.m;
            out = part == 0 ? b.steps.out : new double[m * b.np];
            if (part == 1) for (int i = 0; i < m; i++) for (int t = 0; t < b.np; t++) out[i * b.np + t] = b.steps.outCov[t][i];
        }
    }

    @Test
    void stepHalvingTakesTheLargestHalvedStepThatKeepsTheNll() {
        Data s = new Data(11, 40, 3, 8);
        for (int part = 0; part < 2; part++) {
            Booster b = warm(s, 5);
            double nu = 40;   // far too long a step: it needs halving
            double tol = VarianceSteps.TOLERANCE * s.n;
            ShapeStep st = new ShapeStep(b, part, nu);
            double before = st.before, after = st.after;
            double[] rawBefore = st.rawBefore, rawAfter = st.rawAfter, out = st.out;
            double sf = stepFactor(rawAfter, rawBefore, nu, out);
            double h = -Math.log(sf) / Math.log(2);
            String what = part == 0 ? "rho" : "theta";
            assertEquals(Math.rint(h), h, 1e-6, what + ": s = " + sf + " is 1/2^h");
            assertTrue(h >= 1 && h <= VarianceSteps.MAX_HALVINGS, what + ": halved " + h + " times");
            for (int k = 0; k < rawAfter.length; k++)
                assertEquals(rawBefore[k] + sf * nu * out[k], rawAfter[k], 1e-12 * (1 + Math.abs(rawAfter[k])), what + " entry " + k);
            assertTrue(after <= before + tol, what + ": the step taken keeps the NLL");
            // the step twice as long (the one before it in the halving sequence) did not
            double[] cand = new double[rawAfter.length];
            for (int k = 0; k < cand.length; k++) {
                double raw = rawBefore[k] + 2 * sf * nu * out[k];
                cand[k] = part == 0 ? b.rhoEns.clamp(raw) : b.thetaEns[k % b.np].clamp(raw);
            }
            double longer = part == 0 ? b.estepVar(cand, b.theta) : b.estepVar(b.rho, cand);
            assertTrue(longer > before + tol, what + ": the twice longer step raises the NLL: " + longer + " vs " + before);
            b.estepVar(b.rho, b.theta);
            assertStateIsTheEnsembles(b, s, what + " after halving");
        }
    }

    /** The last allowed halving (1/2^MAX_HALVINGS) is taken when it is the first that keeps the NLL. */
    @Test
    void theLastHalvingIsStillTried() {
        Data s = new Data(11, 40, 3, 8);
        for (int part = 0; part < 2; part++) {
            String what = part == 0 ? "rho" : "theta";
            boolean found = false;
            // the direction does not depend on nu: doubling nu adds one halving; find the nu that needs all of them
            for (int k = 0; k <= 14 && !found; k++) {
                double nu = 40 * Math.pow(2, k), tol = VarianceSteps.TOLERANCE * s.n;
                ShapeStep st = new ShapeStep(warm(s, 5), part, nu);
                double before = st.before, after = st.after;
                double[] rawBefore = st.rawBefore, rawAfter = st.rawAfter, out = st.out;
                boolean moved = false;
                for (int j = 0; j < rawAfter.length; j++) moved |= rawAfter[j] != rawBefore[j];
                if (!moved) break;   // past the last halving: nothing taken (the other test's case)
                double h = -Math.log(stepFactor(rawAfter, rawBefore, nu, out)) / Math.log(2);
                if (Math.rint(h) == VarianceSteps.MAX_HALVINGS) {
                    found = true;
                    assertTrue(after <= before + tol, what + ": the last halving keeps the NLL");
                }
            }
            assertTrue(found, what + ": a step taken at exactly the last halving");
        }
    }

    @Test
    void aStepThatRaisesTheNllAfterEveryHalvingIsNotTaken() {
        Data s = new Data(12, 40, 3, 8);
        for (int part = 0; part < 2; part++) {
            Booster b = warm(s, 5);
            double[] rho = b.rho.clone(), theta = b.theta.clone();
            double[] rv = b.model().predictDisp(s.xdisp, s.n), g = b.model().predictCov(s.wcov, s.m);
            double before = b.nll;
            double after = part == 0 ? b.steps.dispStep(b.dispL, 1e7) : b.steps.covStep(b.covL, 1e7);
            String what = part == 0 ? "rho" : "theta";
            assertEquals(before, after, 1e-9 * Math.abs(before), what + ": the NLL is the one before");
            org.junit.jupiter.api.Assertions.assertArrayEquals(rho, b.rho, 0.0, what + ": rho unchanged");
            org.junit.jupiter.api.Assertions.assertArrayEquals(theta, b.theta, 0.0, what + ": theta unchanged");
            org.junit.jupiter.api.Assertions.assertArrayEquals(rv, b.model().predictDisp(s.xdisp, s.n), 0.0, what + ": R ensemble unchanged");
            org.junit.jupiter.api.Assertions.assertArrayEquals(g, b.model().predictCov(s.wcov, s.m), 0.0, what + ": G ensembles unchanged");
            // and the Likelihood state is the state's again (the next step reads it)
            double[] e = b.lik.e.clone();
            b.estepVar(b.rho, b.theta);
            org.junit.jupiter.api.Assertions.assertArrayEquals(b.lik.e, e, 0.0, what + ": E-step state current");
        }
    }
}
