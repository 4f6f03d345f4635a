package org.gbmixed;

/**
 * The mean of the model, f_j = mu(x_j) + t_j tau(x_j), boosted one step per round from the E-step at the current
 * f. t_j = T_j - c is the treatment contrast of a 0/1 treatment T (c its mean in training); without a treatment
 * there is no tau and f = mu. tau(x) is then the conditional average treatment effect.
 *
 * Newton steps ({@link Config#newton}, the default): the learners grow their structure on the conditional
 * residuals (mu: target e_j, weight cw_i / R_j; tau: target e_j / t_j, weight cw_i t_j^2 / R_j), and the values
 * come from the marginal likelihood through {@link NewtonStep}, for all columns at once:
 * <pre>
 *   columns L = [1, t] (the levels of mu and tau), A = [leaves of mu, t * leaves of tau]
 *   d_L = H_LL^-1 g_L                        a full Newton step of the two levels (rate 1)
 *   c_A = (H_AA + S)^-1 (g_A - H_AL d_L)      the learners' Newton step from the point after it (rate nu)
 *   f  += L d_L + nu A_mu c_mu + nu_cate t A_tau c_tau
 * </pre>
 * H = [L A]'V^-1[L A], g = [L A]'V^-1 r, S the smoothers' penalty. The NLL is quadratic in f, so the two solves
 * are exactly "level step, E-step, Newton step of the learners" with one pass over the data. Without Newton
 * steps each learner takes its own gradient step (leaf means of its target).
 */
final class MeanPart {
    final Ensemble mu, tau;
    /** f per training row, kept equal to what the ensembles predict. */
    final double[] f;
    private final TrainingData d;
    private final Config cfg;
    private final PartLearner muL, tauL;
    private final double[] t;
    private final NewtonStep newton;
    private final ClusterSplitWeights splitMu, splitTau;
    private final double[] target, weight, out, outTau;

    /**
     * @param tauL the treatment-effect learner, or null without a treatment (then d.treat must be null)
     * @param muLevel, tauLevel the starting levels
     */
    MeanPart(TrainingData d, Config cfg, PartLearner muL, PartLearner tauL, NewtonStep newton,
             double muLevel, double tauLevel) {
        this.d = d;
        this.cfg = cfg;
        this.muL = muL;
        this.tauL = tauL;
        this.newton = newton;
        t = d.contrast;
        mu = new Ensemble(d.feat.nlevels.clone(), muLevel, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY);
        tau = t == null ? null
                : new Ensemble(d.feat.nlevels.clone(), tauLevel, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY);
        f = new double[d.n];
        for (int j = 0; j < d.n; j++) f[j] = muLevel + (t == null ? 0 : t[j] * tauLevel);
        target = new double[d.n];
        weight = new double[d.n];
        out = new double[d.n];
        outTau = t == null ? null : new double[d.n];
        splitMu = cfg.newton ? new ClusterSplitWeights(d, null) : null;
        splitTau = cfg.newton && t != null ? new ClusterSplitWeights(d, t) : null;
    }

    /**
     * k means of the same kind, starting at this one's levels, with their own ensembles but one shared set of
     * learners (they step one after another): the cross-fit and replicate means.
     */
    MeanPart[] auxiliaries(int k) {
        PartLearner m = muL.sibling(), tl = tauL == null ? null : tauL.sibling();
        MeanPart[] out = new MeanPart[k];
        for (int i = 0; i < k; i++)
            out[i] = new MeanPart(d, cfg, m, tl, newton, mu.intercept, tau == null ? 0 : tau.intercept);
        return out;
    }

    boolean hasTreatment() { return t != null; }

    /** Gain importance of the treatment-effect part's covariates (empty without one). */
    double[] tauImportance() { return tauL == null ? new double[0] : tauL.importance(); }

    /** The level columns: the intercept, and the treatment contrast. */
    private Basis levels() {
        return t == null ? Basis.column(null) : Basis.concat(Basis.column(null), Basis.column(t));
    }

    /**
     * A full Newton step of the levels alone (mu's intercept, tau's level), from the E-step state lik at f: the
     * initial constant-variance fit alternates it with EM steps of the variances.
     */
    void levelStep(Likelihood lik, double[] resVar, double[] cw) {
        double[] dl = newton.solve(levels(), lik, resVar, cw, null);
        applyLevels(dl);
    }

    private void applyLevels(double[] dl) {
        mu.intercept += dl[0];
        if (t != null) tau.intercept += dl[1];
        for (int j = 0; j < d.n; j++) f[j] += dl[0] + (t == null ? 0 : dl[1] * t[j]);
    }

    /**
     * One boosting step of the mean from the E-step state lik at f (resVar: R_j per row).
     * @param cw  weight per cluster (null: all 1): 0 leaves a cluster out of this mean's fit
     * @param use the covariates the learners may use this round (null: all)
     */
    void step(Likelihood lik, double[] resVar, double[] cw, boolean[] use) {
        int n = d.n;
        double nu = cfg.learningRate, nuT = cfg.learningRateCate;
        double meanW = 0, meanWT = 0;
        for (int j = 0; j < n; j++) {
            double c = cw == null ? 1 : cw[d.cluster[j]];
            target[j] = lik.e[j];
            weight[j] = c / resVar[j];
            meanW += weight[j];
        }
        meanW /= n;
        PartLearner.Step sMu = cfg.newton ? muL.structure(target, weight, out, use, splitMu.bind(lik, resVar, cw))
                : muL.fit(target, weight, out, use);
        PartLearner.Step sTau = null;
        if (t != null) {
            for (int j = 0; j < n; j++) {
                target[j] = lik.e[j] / t[j];
                weight[j] *= t[j] * t[j];
                meanWT += weight[j];
            }
            meanWT /= n;
            sTau = cfg.newton ? tauL.structure(target, weight, outTau, use, splitTau.bind(lik, resVar, cw))
                    : tauL.fit(target, weight, outTau, use);
        }
        if (cfg.newton) {
            Basis aMu = muL.basis(sMu);
            Basis a = t == null ? aMu : Basis.concat(aMu, tauL.basis(sTau).times(t));
            Basis lv = levels();
            int nl = lv.ncol(), kMu = aMu.ncol(), na = a.ncol(), k = nl + na;
            double[] g = new double[k];
            double[] h = newton.system(Basis.concat(lv, a), lik, resVar, cw, g);
            double[] hl = new double[nl * nl], gl = new double[nl];
            for (int r = 0; r < nl; r++) {
                gl[r] = g[r];
                for (int c = 0; c <= r; c++) hl[r + c * nl] = h[r + c * k];
            }
            double[] dl = NewtonStep.solveSystem(hl, gl, nl, null);
            double[] ha = new double[na * na], ga = new double[na];
            for (int r = 0; r < na; r++) {
                double s = g[nl + r];
                for (int c = 0; c < nl; c++) s -= h[(nl + r) + c * k] * dl[c];   // H_AL d_L (A rows below L)
                ga[r] = s;
                for (int c = 0; c <= r; c++) ha[r + c * na] = h[(nl + r) + (nl + c) * k];
            }
            double[] ca = NewtonStep.solveSystem(ha, ga, na, penalty(sMu, sTau, kMu, na, meanW, meanWT));
            applyLevels(dl);
            sMu = muL.setValues(sMu, java.util.Arrays.copyOfRange(ca, 0, kMu), out);
            if (t != null) sTau = tauL.setValues(sTau, java.util.Arrays.copyOfRange(ca, kMu, na), outTau);
        }
        PartLearner.add(mu, sMu, nu);
        if (t != null) PartLearner.add(tau, sTau, nuT);
        for (int j = 0; j < n; j++) f[j] += nu * out[j] + (t == null ? 0 : nuT * t[j] * outTau[j]);
    }

    /** Block-diagonal penalty of the joint step (smoothers only), or null. */
    private double[] penalty(PartLearner.Step sMu, PartLearner.Step sTau, int kMu, int na, double meanW, double meanWT) {
        double[] pMu = muL.penalty(sMu, meanW), pTau = t == null ? null : tauL.penalty(sTau, meanWT);
        if (pMu == null && pTau == null) return null;
        double[] p = new double[na * na];
        if (pMu != null)
            for (int c = 0; c < kMu; c++) for (int r = 0; r < kMu; r++) p[r + c * na] = pMu[r + c * kMu];
        if (pTau != null) {
            int kt = na - kMu;
            for (int c = 0; c < kt; c++) for (int r = 0; r < kt; r++) p[(kMu + r) + (kMu + c) * na] = pTau[r + c * kt];
        }
        return p;
    }
}
