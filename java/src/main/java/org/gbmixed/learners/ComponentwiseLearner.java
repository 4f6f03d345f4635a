package org.gbmixed.learners;

import org.gbmixed.base.Features;
import org.gbmixed.base.Parallel;

/**
 * Component-wise boosting (as mboost): every round each covariate's own smoother (P-spline for a numeric
 * covariate with learner "spline", a ridge-stabilised line with learner "linear", one-hot ridge for a factor) is
 * fitted to the target, and only the one with the smallest weighted residual sum of squares is kept. The
 * ensemble stays additive, one smooth function per covariate. Covariates are fitted in parallel; the choice
 * (smallest RSS, ties to the first covariate) does not depend on the thread count.
 */
final class ComponentwiseLearner {
    final Smoother[] smoothers;
    private final Parallel par;
    private final double[][] coef;
    private final double[] rss;
    /** Times each covariate was selected, and the RSS reduction it brought (gain). */
    final int[] selected;
    final double[] gain;

    private ComponentwiseLearner(ComponentwiseLearner o) {
        par = o.par;
        smoothers = new Smoother[o.smoothers.length];
        for (int k = 0; k < smoothers.length; k++) smoothers[k] = o.smoothers[k].copy();
        coef = new double[smoothers.length][];
        rss = new double[smoothers.length];
        selected = new int[smoothers.length];
        gain = new double[smoothers.length];
    }

    /** The same smoothers (same lambdas, data shared) with their own caches and counters. */
    ComponentwiseLearner copy() { return new ComponentwiseLearner(this); }

    ComponentwiseLearner(Features f, boolean spline, int knots, double df, Parallel par) {
        if (f.p == 0) throw new IllegalArgumentException("component-wise learner: the part has no covariates");
        this.par = par;
        smoothers = new Smoother[f.p];
        par.forEach(f.p, k -> smoothers[k] = new Smoother(f.x, k * f.n, f.n, f.nlevels[k],
                f.nlevels[k] > 0 ? Smoother.Kind.FACTOR : (spline ? Smoother.Kind.SPLINE : Smoother.Kind.LINE), knots, df));
        coef = new double[f.p][];
        rss = new double[f.p];
        selected = new int[f.p];
        gain = new double[f.p];
    }

    /** Fits every covariate, keeps the best: returns its index; coefficients via {@link #coefficients}. */
    int fit(double[] g, double[] h, double[] out, boolean[] use) {
        par.forEach(smoothers.length, k -> {
            if (use != null && !use[k]) { rss[k] = Double.POSITIVE_INFINITY; return; }
            coef[k] = smoothers[k].fit(g, h);
            rss[k] = smoothers[k].rss(coef[k], g, h);
        });
        int best = -1;
        for (int k = 0; k < smoothers.length; k++) if (rss[k] < Double.POSITIVE_INFINITY && (best < 0 || rss[k] < rss[best])) best = k;
        smoothers[best].fitted(coef[best], out);
        double tss = 0;
        for (int i = 0; i < g.length; i++) tss += h[i] * g[i] * g[i];
        selected[best]++;
        gain[best] += Math.max(0, tss - rss[best]);
        return best;
    }

    double[] coefficients(int k) { return coef[k]; }

    /** Replaces covariate k's coefficients (a Newton step of the selected smoother) and writes its fit to out. */
    void setCoefficients(int k, double[] c, double[] out) {
        coef[k] = c;
        smoothers[k].fitted(c, out);
    }

    Smoother.Spec[] specs() {
        Smoother.Spec[] s = new Smoother.Spec[smoothers.length];
        for (int k = 0; k < s.length; k++) s[k] = smoothers[k].spec;
        return s;
    }
}
