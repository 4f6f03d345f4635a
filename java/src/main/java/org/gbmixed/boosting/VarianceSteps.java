package org.gbmixed.boosting;

import org.gbmixed.base.TrainingData;
import org.gbmixed.learners.PartLearner;
import org.gbmixed.likelihood.Likelihood;
import org.gbmixed.likelihood.LogCholesky;

/**
 * The boosting steps of the variance parts: rho (residual log-variance, per row) and the log-Cholesky entries
 * theta of G (per cluster), each a Fisher-scaled (natural-gradient) learner fit followed by step halving
 * when the training NLL would rise by more than {@link #TOLERANCE} per observation.
 */
final class VarianceSteps {
    /** A variance step may raise the training NLL by at most this much per observation before it is halved. */
    static final double TOLERANCE = 1e-6;
    static final int MAX_HALVINGS = 8;
    /** Fisher weights are floored at this fraction of their mean, so one tiny weight cannot dominate a leaf. */
    private static final double INFO_FLOOR = 1e-3;

    private final Booster b;
    private final TrainingData d;
    private final double[] target, weight, rhoCand, rhoRawCand;
    /** The last learner outputs of the rho step and of each theta entry (tests read them). */
    final double[] out;
    private final double[] thetaCand, thetaRawCand, grad, info;
    final double[][] outCov;
    private final PartLearner.Step[] steps;

    VarianceSteps(Booster b) {
        this.b = b;
        this.d = b.d;
        int n = d.n, m = d.m, np = b.np;
        target = new double[Math.max(n, m)];
        weight = new double[Math.max(n, m)];
        out = new double[n];
        rhoCand = new double[n];
        rhoRawCand = new double[n];
        thetaCand = new double[m * np];
        thetaRawCand = new double[m * np];
        grad = new double[m * np];
        info = new double[m * np];
        outCov = new double[np][m];
        steps = new PartLearner.Step[np];
    }

    /**
     * The working response of the residual log-variance step from the current E-step state, through the
     * Likelihood functions the tests check against the dense likelihood: weight[j] the Fisher information of
     * rho_j (floored at INFO_FLOOR times its mean), target[j] = -dl/drho_j / weight[j].
     */
    void dispWorkingResponse(double[] target, double[] weight) {
        Likelihood lik = b.lik;
        double total = b.par.sumRows(d.n, (lo, hi) -> {
            double s = 0;
            for (int j = lo; j < hi; j++) {
                double zpz = lik.zPz(j, d.cluster[j]), rv = b.resVar[j];
                target[j] = -Likelihood.gradRho(lik.e[j], zpz, rv);
                weight[j] = Likelihood.fisherRho(zpz, rv);
                s += weight[j];
            }
            return s;
        });
        double floor = INFO_FLOOR * (total / d.n);
        b.par.forRows(d.n, (lo, hi) -> {
            for (int j = lo; j < hi; j++) {
                weight[j] = Math.max(weight[j], floor);
                target[j] /= weight[j];
            }
        });
    }

    /**
     * The working response of entry t of theta, per cluster: weight[i] its diagonal Fisher information (floored),
     * target[i] = -dl_i/dtheta_t / weight[i]; grad and info must hold Likelihood.thetaTerms of every cluster.
     */
    private void covWorkingResponse(int t, double[] target, double[] weight) {
        int m = d.m, np = b.np;
        double meanInfo = 0;
        for (int i = 0; i < m; i++) meanInfo += info[i * np + t];
        meanInfo /= m;
        for (int i = 0; i < m; i++) {
            double w = Math.max(info[i * np + t], INFO_FLOOR * meanInfo);
            weight[i] = w;
            target[i] = -grad[i * np + t] / w;
        }
    }

    /** The working responses of every entry of theta (target[t], weight[t]: one per cluster), as covStep fits. */
    void covWorkingResponse(double[][] target, double[][] weight) {
        thetaTerms();
        for (int t = 0; t < b.np; t++) covWorkingResponse(t, target[t], weight[t]);
    }

    private void thetaTerms() {
        int qq = d.q * d.q;
        for (int i = 0; i < d.m; i++) b.lik.thetaTerms(i, b.lc, b.lAll, i * qq, grad, info, i * b.np);
    }

    /** Residual log-variance step; returns the training NLL after it (E-step state refreshed). */
    double dispStep(PartLearner learner, double nu) {
        dispWorkingResponse(target, weight);
        PartLearner.Step step = learner.fit(target, weight, out);
        double before = b.nll, s = 1;
        for (int h = 0; h <= MAX_HALVINGS; h++, s /= 2) {
            double rate = s * nu;
            b.par.forRows(d.n, (lo, hi) -> {
                for (int j = lo; j < hi; j++) {
                    rhoRawCand[j] = b.rhoRaw[j] + rate * out[j];
                    rhoCand[j] = b.rhoEns.clamp(rhoRawCand[j]);
                }
            });
            double cand = b.estepVar(rhoCand, b.theta);
            if (cand <= before + TOLERANCE * d.n) {
                PartLearner.add(b.rhoEns, step, s * nu);
                System.arraycopy(rhoRawCand, 0, b.rhoRaw, 0, d.n);
                System.arraycopy(rhoCand, 0, b.rho, 0, d.n);
                return cand;
            }
        }
        return b.estepVar(b.rho, b.theta);   // every step raised the NLL: none taken this round
    }

    /** Step on every log-Cholesky entry of G(w); returns the training NLL after it. */
    double covStep(PartLearner[] learners, double nu) {
        int m = d.m, np = b.np;
        thetaTerms();
        for (int t = 0; t < np; t++) {
            covWorkingResponse(t, target, weight);
            steps[t] = learners[t].fit(target, weight, outCov[t]);
        }
        double before = b.nll, s = 1;
        for (int h = 0; h <= MAX_HALVINGS; h++, s /= 2) {
            for (int i = 0; i < m; i++)
                for (int t = 0; t < np; t++) {
                    int k = i * np + t;
                    thetaRawCand[k] = b.thetaRaw[k] + s * nu * outCov[t][i];
                    thetaCand[k] = b.thetaEns[t].clamp(thetaRawCand[k]);
                }
            double cand = b.estepVar(b.rho, thetaCand);
            if (cand <= before + TOLERANCE * d.n) {
                for (int t = 0; t < np; t++) PartLearner.add(b.thetaEns[t], steps[t], s * nu);
                System.arraycopy(thetaRawCand, 0, b.thetaRaw, 0, m * np);
                System.arraycopy(thetaCand, 0, b.theta, 0, m * np);
                return cand;
            }
        }
        return b.estepVar(b.rho, b.theta);
    }

    /**
     * Level step of the residual variance: one EM step for a common factor c on every R_j,
     * c = mean_j (e_j^2 + z_j'P_i z_j) / R_j, i.e. rho += log c (into the ensemble's intercept), kept only if the
     * NLL does not rise. The learners then only have to learn how R varies, not where its level is, so a
     * small learning_rate_disp does not leave the level behind while the mean is still improving.
     */
    double dispLevel() {
        Likelihood lik = b.lik;
        double u = b.par.sumRows(d.n, (lo, hi) -> {
            double s = 0;
            for (int j = lo; j < hi; j++) s += (lik.e[j] * lik.e[j] + lik.zPz(j, d.cluster[j])) / b.resVar[j];
            return s;
        });
        double delta = Math.log(u / d.n);
        double before = b.nll;
        if (!(Math.abs(delta) > 1e-12)) return before;
        for (int h = 0; h <= MAX_HALVINGS; h++, delta /= 2) {
            double dl = delta;
            b.par.forRows(d.n, (lo, hi) -> {
                for (int j = lo; j < hi; j++) {
                    rhoRawCand[j] = b.rhoRaw[j] + dl;
                    rhoCand[j] = b.rhoEns.clamp(rhoRawCand[j]);
                }
            });
            double cand = b.estepVar(rhoCand, b.theta);
            if (cand <= before + TOLERANCE * d.n) {
                b.rhoEns.intercept += delta;
                System.arraycopy(rhoRawCand, 0, b.rhoRaw, 0, d.n);
                System.arraycopy(rhoCand, 0, b.rho, 0, d.n);
                return cand;
            }
        }
        return b.estepVar(b.rho, b.theta);
    }

    /**
     * Level step of G(w): for each random effect k, an EM-type factor c_k = mean_i (S_i)_kk / G_i,kk with
     * S_i = P_i + bhat_i bhat_i', applied as G -> D G D, D = diag(sqrt(c_k)) (correlations kept): row k of every
     * L_i is multiplied by d_k, i.e. theta_kk += log d_k and theta_kl *= d_k (l < k, through the ensemble's
     * multiplier); kept only if the NLL does not rise.
     */
    double covLevel() {
        Likelihood lik = b.lik;
        int m = d.m, q = d.q, qq = q * q, np = b.np;
        double[] delta = new double[np];
        double[] l = new double[qq], g = new double[qq];
        double[] ratio = new double[q];
        for (int i = 0; i < m; i++) {
            System.arraycopy(b.lAll, i * qq, l, 0, qq);
            LogCholesky.gFromL(l, q, g);
            for (int k = 0; k < q; k++) {
                double sk = lik.secondMoment(i, k, k);
                ratio[k] += sk / g[k + k * q];
            }
        }
        boolean any = false;
        for (int t = 0; t < np; t++)
            if (b.lc.row[t] == b.lc.col[t]) {
                delta[t] = 0.5 * Math.log(ratio[b.lc.row[t]] / m);
                any |= Math.abs(delta[t]) > 1e-12;
            }
        double before = b.nll;
        if (!any) return before;
        double s = 1;
        double[] logD = new double[q];
        for (int t = 0; t < np; t++) if (b.lc.row[t] == b.lc.col[t]) logD[b.lc.row[t]] = delta[t];
        for (int h = 0; h <= MAX_HALVINGS; h++, s /= 2) {
            for (int i = 0; i < m; i++)
                for (int t = 0; t < np; t++) {
                    int k = i * np + t;
                    boolean diag = b.lc.row[t] == b.lc.col[t];
                    thetaRawCand[k] = diag ? b.thetaRaw[k] + s * delta[t] : b.thetaRaw[k] * Math.exp(s * logD[b.lc.row[t]]);
                    thetaCand[k] = b.thetaEns[t].clamp(thetaRawCand[k]);
                }
            double cand = b.estepVar(b.rho, thetaCand);
            if (cand <= before + TOLERANCE * d.n) {
                for (int t = 0; t < np; t++) {
                    if (b.lc.row[t] == b.lc.col[t]) b.thetaEns[t].intercept += s * delta[t];
                    else b.thetaEns[t].scale *= Math.exp(s * logD[b.lc.row[t]]);
                }
                System.arraycopy(thetaRawCand, 0, b.thetaRaw, 0, m * np);
                System.arraycopy(thetaCand, 0, b.theta, 0, m * np);
                return cand;
            }
        }
        return b.estepVar(b.rho, b.theta);
    }
}
