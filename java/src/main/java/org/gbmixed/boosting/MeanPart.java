package org.gbmixed.boosting;

import org.gbmixed.Config;
import org.gbmixed.base.Parallel;
import org.gbmixed.base.TrainingData;
import org.gbmixed.learners.ClusterSplitWeights;
import org.gbmixed.learners.Ensemble;
import org.gbmixed.learners.PartLearner;
import org.gbmixed.likelihood.Basis;
import org.gbmixed.likelihood.Likelihood;
import org.gbmixed.likelihood.NewtonStep;

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
    /** The covariates tau may use (the first d.ncolCate), or null for all. */
    private final boolean[] tauCols;
    private final double[] target, weight, out, outTau;
    /** Whether tau's shape still learns (its level always does); see {@link #stopTauShape}. */
    private boolean tauShape;

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
        tauShape = t != null;
        if (t != null && d.ncolCate < d.p) {
            tauCols = new boolean[d.p];
            for (int k = 0; k < d.ncolCate; k++) tauCols[k] = true;
        } else {
            tauCols = null;
        }
        splitMu = cfg.newton ? new ClusterSplitWeights(d, null) : null;
        splitTau = cfg.newton && t != null ? new ClusterSplitWeights(d, t) : null;
    }

    /**
     * k means of the same kind, starting at this one's levels, each with its own ensembles, learners (sharing the
     * binned data) and Newton scratch, so that they can step at the same time: the cross-fit means.
     */
    MeanPart[] auxiliaries(int k, Parallel par) {
        MeanPart[] out = new MeanPart[k];
        for (int i = 0; i < k; i++)
            out[i] = new MeanPart(d, cfg, muL.sibling(), tauL == null ? null : tauL.sibling(), new NewtonStep(d, par),
                    mu.intercept, tau == null ? 0 : tau.intercept);
        return out;
    }

    boolean hasTreatment() { return t != null; }

    /** From now on tau keeps its shape: its trees (or smooths) stop; its level still takes Newton steps. */
    void stopTauShape() { tauShape = false; }

    boolean tauShapeLearning() { return tauShape; }

    /**
     * What the last step's tau shape increment a_j = nu_cate t_j tau_step(x_j) did to the NLL of the clusters with
     * mask_i > 0 (weighted by mask_i), given the rest of the step: -a'V^-1 v + 1/2 a'V^-1 a with v = y - f + a
     * (the residual before a), exact as the NLL is quadratic in f. Negative: the increment helped. Computed
     * from the E-step state lik of the step (P_i) and the mean f after it. 0 when tau's shape did not learn.
     */
    double tauStepValue(Likelihood lik, double[] resVar, double[] mask) {
        return tauShape ? stepValue(lik, resVar, mask) : 0;
    }

    /** The last step's tau shape increment of row j, nu_cate t_j tau_step(x_j). */
    private double tauIncrement(int j) {
        return cfg.learningRateCate * t[j] * outTau[j];
    }

    /** The last step's tau shape increment per row (zeros when tau's shape stopped); for tests. */
    double[] lastTauIncrement() {
        double[] a = new double[d.n];
        if (tauShape) for (int j = 0; j < d.n; j++) a[j] = tauIncrement(j);
        return a;
    }

    /**
     * -a'V^-1 v + 1/2 a'V^-1 a over the clusters with mask_i > 0, v = y - f + a (see tauStepValue); every round,
     * so a_j is computed in place rather than into an n-array.
     */
    private double stepValue(Likelihood lik, double[] resVar, double[] mask) {
        int q = d.q, n = d.n;
        double total = 0;
        double[] ua = new double[q], uv = new double[q];
        for (int i = 0; i < d.m; i++) {
            if (mask[i] == 0) continue;
            double sa = 0, saa = 0;
            java.util.Arrays.fill(ua, 0.0);
            java.util.Arrays.fill(uv, 0.0);
            for (int x = d.start[i]; x < d.start[i + 1]; x++) {
                int j = d.order[x];
                double a = tauIncrement(j), v = d.y[j] - f[j] + a, rinv = 1 / resVar[j];
                sa += a * v * rinv;
                saa += a * a * rinv;
                for (int l = 0; l < q; l++) {
                    double zl = d.z[j + l * n] * rinv;
                    ua[l] += zl * a;
                    uv[l] += zl * v;
                }
            }
            double av = sa - lik.quadPost(i, ua, uv), aa = saa - lik.quadPost(i, ua, ua);
            total += mask[i] * (-av + 0.5 * aa);
        }
        return total;
    }

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
        newton.par.forRows(d.n, (lo, hi) -> {
            for (int j = lo; j < hi; j++) f[j] += dl[0] + (t == null ? 0 : dl[1] * t[j]);
        });
    }

    /**
     * One boosting step of the mean from the E-step state lik at f (resVar: R_j per row).
     * @param cw  weight per cluster (null: all 1): 0 leaves a cluster out of this mean's fit
     * @param use the covariates the learners may use this round (null: all)
     */
    void step(Likelihood lik, double[] resVar, double[] cw, boolean[] use) {
        int n = d.n;
        double nu = cfg.learningRate, nuT = cfg.learningRateCate;
        double meanWT = 0;
        double meanW = newton.par.sumRows(n, (lo, hi) -> {
            double s = 0;
            for (int j = lo; j < hi; j++) {
                double c = cw == null ? 1 : cw[d.cluster[j]];
                target[j] = lik.e[j];
                weight[j] = c / resVar[j];
                s += weight[j];
            }
            return s;
        }) / n;
        PartLearner.Step sMu = cfg.newton ? muL.structure(target, weight, out, use, splitMu.bind(lik, resVar, cw))
                : muL.fit(target, weight, out, use);
        PartLearner.Step sTau = null;
        boolean shape = tauShape;
        if (shape) {
            for (int j = 0; j < n; j++) {
                target[j] = lik.e[j] / t[j];
                weight[j] *= t[j] * t[j];
                meanWT += weight[j];
            }
            meanWT /= n;
            boolean[] useTau = and(use, tauCols);
            sTau = cfg.newton ? tauL.structure(target, weight, outTau, useTau, splitTau.bind(lik, resVar, cw))
                    : tauL.fit(target, weight, outTau, useTau);
        }
        if (cfg.newton) {
            Basis aMu = muL.basis(sMu);
            Basis a = !shape ? aMu : Basis.concat(aMu, tauL.basis(sTau).times(t));
            Basis lv = levels();
            int nl = lv.ncol(), kMu = aMu.ncol(), na = a.ncol(), k = nl + na;
            boolean trees = muL.leafOf() != null && (!shape || tauL.leafOf() != null);
            Basis all = trees ? new Basis.LeafRows(muL.leafOf(), kMu, shape ? tauL.leafOf() : null,
                    shape ? tauL.nleaves() : 0, t) : Basis.concat(lv, a);
            double[] g = new double[k];
            double[] h = newton.system(all, lik, resVar, cw, g);
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
            if (shape) sTau = tauL.setValues(sTau, java.util.Arrays.copyOfRange(ca, kMu, na), outTau);
        }
        PartLearner.add(mu, sMu, nu);
        if (shape) PartLearner.add(tau, sTau, nuT);
        double[] o = out, ot = outTau;
        newton.par.forRows(n, (lo, hi) -> {
            for (int j = lo; j < hi; j++) f[j] += nu * o[j] + (shape ? nuT * t[j] * ot[j] : 0);
        });
    }

    private static boolean[] and(boolean[] a, boolean[] b) {
        if (a == null) return b;
        if (b == null) return a;
        boolean[] c = new boolean[a.length];
        for (int k = 0; k < a.length; k++) c[k] = a[k] && b[k];
        return c;
    }

    /** Block-diagonal penalty of the joint step (smoothers only), or null. */
    private double[] penalty(PartLearner.Step sMu, PartLearner.Step sTau, int kMu, int na, double meanW, double meanWT) {
        double[] pMu = muL.penalty(sMu, meanW), pTau = sTau == null ? null : tauL.penalty(sTau, meanWT);
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
