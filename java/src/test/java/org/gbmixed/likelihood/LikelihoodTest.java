package org.gbmixed.likelihood;

import org.gbmixed.Problems;
import org.gbmixed.base.Dense;
import org.gbmixed.base.TrainingData;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The q x q algebra of Likelihood against dense n_i x n_i computations, and every gradient against central
 * finite differences of the NLL, at random parameter values.
 */
class LikelihoodTest {
    static final double IDENTITY_TOL = 1e-10;   // relative, dense vs q x q route
    static final double FD_TOL = 1e-6;          // relative to max(1, |gradient|), central differences h = 1e-5

    /** Random state: theta, rho per row, f per row. */
    private static final class State {
        final TrainingData d;
        final LogCholesky lc;
        final double[] theta, rho, f;
        State(long seed, int q, boolean diagonal) {
            d = Problems.random(seed, 6, 5, q, diagonal);
            lc = new LogCholesky(q, diagonal);
            Random rnd = new Random(seed + 1);
            theta = new double[lc.size()];
            for (int t = 0; t < theta.length; t++) theta[t] = 0.5 * rnd.nextGaussian();
            rho = new double[d.n];
            f = new double[d.n];
            for (int j = 0; j < d.n; j++) { rho[j] = 0.5 * rnd.nextGaussian(); f[j] = rnd.nextGaussian(); }
        }
        double[] resVar() {
            double[] r = new double[d.n];
            for (int j = 0; j < d.n; j++) r[j] = Math.exp(rho[j]) / d.w[j];
            return r;
        }
        double[] l() { double[] l = new double[d.q * d.q]; lc.toL(theta, 0, l); return l; }
        double[] r() { double[] r = new double[d.n]; for (int j = 0; j < d.n; j++) r[j] = d.y[j] - f[j]; return r; }
        Likelihood run() { Likelihood lik = new Likelihood(d); lik.run(r(), resVar(), l(), 0); return lik; }
        double nll() { return new Likelihood(d).run(r(), resVar(), l(), 0); }
    }

    @ParameterizedTest
    @CsvSource({"1,false", "2,false", "3,false", "2,true", "3,true"})
    void qByQRouteEqualsDenseLogDetAndSolve(int q, boolean diagonal) {
        State s = new State(11 + q, q, diagonal);
        TrainingData d = s.d;
        Likelihood lik = s.run();
        double[] l = s.l(), g = new double[q * q], rv = s.resVar(), r = s.r();
        LogCholesky.gFromL(l, q, g);
        for (int i = 0; i < d.m; i++) {
            int from = d.start[i], ni = d.start[i + 1] - from;
            double[] v = denseV(d, i, g, rv);   // dense V_i = Z G Z' + R
            double[] chol = v.clone();
            Dense.cholesky(chol, ni);
            double logDetV = Dense.cholLogDet(chol, ni);
            double[] vinvR = new double[ni];
            for (int a = 0; a < ni; a++) vinvR[a] = r[d.order[from + a]];
            Dense.cholSolve(chol, ni, vinvR);
            double quad = 0;
            for (int a = 0; a < ni; a++) quad += r[d.order[from + a]] * vinvR[a];
            assertEquals(0.5 * (logDetV + quad), lik.nllCluster[i], IDENTITY_TOL * Math.abs(0.5 * (logDetV + quad)) + 1e-12,
                    "cluster " + i + " l_i");
            // V^-1 r = R^-1 e
            for (int a = 0; a < ni; a++) {
                int j = d.order[from + a];
                assertEquals(vinvR[a], lik.e[j] / rv[j], IDENTITY_TOL * (1 + Math.abs(vinvR[a])), "V^-1 r row " + j);
            }
            // [V^-1]_jj = 1/R_j - z' P z / R_j^2
            double[] vinv = new double[ni * ni];
            Dense.cholInverse(chol, ni, vinv);
            for (int a = 0; a < ni; a++) {
                int j = d.order[from + a];
                double viaP = 1 / rv[j] - lik.zPz(j, i) / (rv[j] * rv[j]);
                assertEquals(vinv[a + a * ni], viaP, IDENTITY_TOL * (1 + Math.abs(viaP)), "[V^-1]_jj row " + j);
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"1,false", "2,false", "3,false", "2,true", "3,true"})
    void meanGradientMatchesFiniteDifferences(int q, boolean diagonal) {
        State s = new State(101 + q, q, diagonal);
        Likelihood lik = s.run();
        double[] rv = s.resVar();
        double h = 1e-5;
        for (int j = 0; j < s.d.n; j++) {
            double analytic = lik.gradF(j, rv);
            double f0 = s.f[j];
            s.f[j] = f0 + h; double up = s.nll();
            s.f[j] = f0 - h; double dn = s.nll();
            s.f[j] = f0;
            assertEquals(analytic, (up - dn) / (2 * h), FD_TOL * Math.max(1, Math.abs(analytic)), "dl/df row " + j);
        }
    }

    @ParameterizedTest
    @CsvSource({"1,false", "2,false", "3,false", "2,true", "3,true"})
    void rhoGradientMatchesFiniteDifferences(int q, boolean diagonal) {
        State s = new State(201 + q, q, diagonal);
        Likelihood lik = s.run();
        double[] rv = s.resVar();
        double h = 1e-5;
        for (int j = 0; j < s.d.n; j++) {
            double analytic = lik.gradRho(j, rv);
            double r0 = s.rho[j];
            s.rho[j] = r0 + h; double up = s.nll();
            s.rho[j] = r0 - h; double dn = s.nll();
            s.rho[j] = r0;
            assertEquals(analytic, (up - dn) / (2 * h), FD_TOL * Math.max(1, Math.abs(analytic)), "dl/drho row " + j);
        }
    }

    @ParameterizedTest
    @CsvSource({"1,false", "2,false", "3,false", "5,false", "2,true", "3,true"})
    void thetaGradientMatchesFiniteDifferencesForEveryEntry(int q, boolean diagonal) {
        State s = new State(301 + q, q, diagonal);
        Likelihood lik = s.run();
        int np = s.lc.size();
        double[] analytic = new double[np], one = new double[np];
        double[] l = s.l();
        for (int i = 0; i < s.d.m; i++) {
            lik.gradTheta(i, s.lc, l, 0, one, 0);
            for (int t = 0; t < np; t++) analytic[t] += one[t];
        }
        double h = 1e-5;
        for (int t = 0; t < np; t++) {
            double t0 = s.theta[t];
            s.theta[t] = t0 + h; double up = s.nll();
            s.theta[t] = t0 - h; double dn = s.nll();
            s.theta[t] = t0;
            assertEquals(analytic[t], (up - dn) / (2 * h), FD_TOL * Math.max(1, Math.abs(analytic[t])),
                    "dl/dtheta[" + s.lc.row[t] + "," + s.lc.col[t] + "]");
        }
    }

    @ParameterizedTest
    @CsvSource({"1,false", "2,false", "3,false", "2,true"})
    void fisherInformationOfThetaEqualsDenseTrace(int q, boolean diagonal) {
        // I_t = 1/2 tr(V^-1 dV_t V^-1 dV_t), dV_t = Z dG/dtheta_t Z', summed per cluster, against the q x q route
        State s = new State(401 + q, q, diagonal);
        Likelihood lik = s.run();
        TrainingData d = s.d;
        int np = s.lc.size();
        double[] l = s.l(), rv = s.resVar(), g = new double[q * q];
        LogCholesky.gFromL(l, q, g);
        double[] fisher = new double[np];
        double h = 1e-6;
        for (int i = 0; i < d.m; i++) {
            lik.fisherTheta(i, s.lc, l, 0, fisher, 0);
            int from = d.start[i], ni = d.start[i + 1] - from;
            double[] v = denseV(d, i, g, rv), vinv = new double[ni * ni], chol = v.clone();
            Dense.cholesky(chol, ni);
            Dense.cholInverse(chol, ni, vinv);
            for (int t = 0; t < np; t++) {
                // dG/dtheta_t by central differences of G(theta)
                double t0 = s.theta[t];
                double[] lp = new double[q * q], lm = new double[q * q], gp = new double[q * q], gm = new double[q * q];
                s.theta[t] = t0 + h; s.lc.toL(s.theta, 0, lp);
                s.theta[t] = t0 - h; s.lc.toL(s.theta, 0, lm);
                s.theta[t] = t0;
                LogCholesky.gFromL(lp, q, gp);
                LogCholesky.gFromL(lm, q, gm);
                double[] dg = new double[q * q];
                for (int k = 0; k < q * q; k++) dg[k] = (gp[k] - gm[k]) / (2 * h);
                double[] dv = denseV(d, i, dg, new double[d.n]);
                double[] a = new double[ni * ni];
                Dense.multiply(vinv, dv, ni, a);
                double tr = 0;
                for (int x = 0; x < ni; x++) for (int y = 0; y < ni; y++) tr += a[x + y * ni] * a[y + x * ni];
                assertEquals(0.5 * tr, fisher[t], 1e-6 * Math.max(1, Math.abs(fisher[t])), "cluster " + i + " I_" + t);
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"1,false", "2,false", "3,true"})
    void stoppingLossesEqualTheirDefinitionsOnTheMaskedClusters(int q, boolean diagonal) {
        // rowwise: sum_j 1/2 [log(2 pi v_j) + r_j^2 / v_j], v_j = z_j' G_i z_j + R_j; squared error; the joint NLL of
        // the clusters kept; with one shared G (stride 0) and with a G per cluster (stride q^2)
        State s = new State(501 + q, q, diagonal);
        TrainingData d = s.d;
        double[] rv = s.resVar(), r = s.r(), l = s.l();
        int qq = q * q;
        double[] lPer = new double[d.m * qq];
        Random rnd = new Random(7);
        for (int i = 0; i < d.m; i++) {
            double[] th = s.theta.clone();
            for (int t = 0; t < th.length; t++) th[t] += 0.3 * rnd.nextGaussian();
            double[] li = new double[qq];
            s.lc.toL(th, 0, li);
            System.arraycopy(li, 0, lPer, i * qq, qq);
        }
        double[] mask = new double[d.m];
        for (int i = 0; i < d.m; i++) mask[i] = i % 2;
        for (int stride : new int[] {0, qq}) {
            double[] ls = stride == 0 ? l : lPer;
            Likelihood lik = new Likelihood(d);
            lik.run(r, rv, ls, stride);
            for (double[] mk : new double[][] {null, mask}) {
                double row = 0, se = 0, joint = 0;
                for (int i = 0; i < d.m; i++) {
                    if (mk != null && mk[i] == 0) continue;
                    double[] li = java.util.Arrays.copyOfRange(ls, stride == 0 ? 0 : i * qq, (stride == 0 ? 0 : i * qq) + qq);
                    double[] g = new double[qq];
                    LogCholesky.gFromL(li, q, g);
                    double[] v = denseV(d, i, g, rv);
                    int from = d.start[i], ni = d.start[i + 1] - from;
                    for (int a = 0; a < ni; a++) {
                        int j = d.order[from + a];
                        double vj = v[a + a * ni];
                        row += 0.5 * (Math.log(2 * Math.PI * vj) + r[j] * r[j] / vj);
                        se += r[j] * r[j];
                    }
                    joint += lik.nllCluster[i];
                }
                String what = "stride " + stride + (mk == null ? ", all clusters" : ", odd clusters");
                assertEquals(row, Likelihood.rowwise(d, r, rv, ls, stride, mk), IDENTITY_TOL * Math.abs(row), "rowwise, " + what);
                assertEquals(row, lik.stoppingLoss(1, r, rv, ls, stride, mk), IDENTITY_TOL * Math.abs(row), "metric 1, " + what);
                assertEquals(se, Likelihood.squaredError(d, r, mk), IDENTITY_TOL * se, "squared error, " + what);
                assertEquals(se, lik.stoppingLoss(2, r, rv, ls, stride, mk), IDENTITY_TOL * se, "metric 2, " + what);
                assertEquals(joint, lik.stoppingLoss(0, r, rv, ls, stride, mk), IDENTITY_TOL * Math.abs(joint), "metric 0, " + what);
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"1,false", "2,false", "2,true"})
    void rhoFisherWeightIsTheDenseInformation(int q, boolean diagonal) {
        // I_j = 1/2 tr(V^-1 dV V^-1 dV), dV = R_j e_j e_j': 1/2 (R_j [V^-1]_jj)^2
        State s = new State(601 + q, q, diagonal);
        Likelihood lik = s.run();
        TrainingData d = s.d;
        double[] rv = s.resVar(), g = new double[q * q];
        LogCholesky.gFromL(s.l(), q, g);
        for (int i = 0; i < d.m; i++) {
            int from = d.start[i], ni = d.start[i + 1] - from;
            double[] chol = denseV(d, i, g, rv), vinv = new double[ni * ni];
            Dense.cholesky(chol, ni);
            Dense.cholInverse(chol, ni, vinv);
            for (int a = 0; a < ni; a++) {
                int j = d.order[from + a];
                double dense = 0.5 * Math.pow(rv[j] * vinv[a + a * ni], 2);
                assertEquals(dense, lik.fisherRho(j, rv), IDENTITY_TOL * dense, "I_rho row " + j);
            }
        }
    }

    /** Dense Z_i G Z_i' + diag(R) for cluster i. */
    static double[] denseV(TrainingData d, int i, double[] g, double[] rv) {
        int q = d.q, from = d.start[i], ni = d.start[i + 1] - from;
        double[] v = new double[ni * ni];
        for (int a = 0; a < ni; a++)
            for (int b = 0; b < ni; b++) {
                int ja = d.order[from + a], jb = d.order[from + b];
                double sum = a == b ? rv[ja] : 0;
                for (int k = 0; k < q; k++)
                    for (int kk = 0; kk < q; kk++) sum += d.z[ja + k * d.n] * g[k + kk * q] * d.z[jb + kk * d.n];
                v[a + b * ni] = sum;
            }
        return v;
    }
}
