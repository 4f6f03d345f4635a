package org.gbmixed.boosting;

import org.gbmixed.Config;
import org.gbmixed.base.TrainingData;
import org.gbmixed.learners.EnsembleCache;
import org.gbmixed.likelihood.Likelihood;
import org.gbmixed.likelihood.LogCholesky;

/**
 * Held-out clusters watched during boosting: the marginal negative log-likelihood of their rows under the
 * current model (new clusters: b ~ N(0, G(w)), so this scores the mean, R(x) and G(w) together), one value per
 * round. Early stopping keeps the round where it is lowest.
 */
final class Validation implements Booster.HeldOut {
    private final TrainingData d;
    private final Likelihood lik;
    private final EnsembleCache f, tau, rho;
    private final EnsembleCache[] theta;
    private final LogCholesky lc;
    private final double[] r, resVar, lAll, th, l;

    Validation(TrainingData d, Booster b) {
        if (d.p != b.d.p || d.disp.p != b.d.disp.p || d.cov.p != b.d.cov.p || d.q != b.d.q)
            throw new IllegalArgumentException("validation data have " + d.p + "/" + d.disp.p + "/" + d.cov.p
                    + " covariates and q = " + d.q + ", the training data " + b.d.p + "/" + b.d.disp.p + "/"
                    + b.d.cov.p + " and q = " + b.d.q);
        for (int k = 0; k < d.p; k++)
            if (d.nlevels[k] != b.d.nlevels[k])
                throw new IllegalArgumentException("validation x column " + (k + 1) + " has nlevels " + d.nlevels[k]
                        + ", training " + b.d.nlevels[k]);
        if (b.cfg.learner != Config.Learner.TREE) d.feat.requireComplete(b.cfg.learner());
        if (b.cfg.learnerDisp != Config.Learner.TREE) d.disp.requireComplete(b.cfg.learnerDisp());
        if (b.cfg.learnerCov != Config.Learner.TREE) d.cov.requireComplete(b.cfg.learnerCov());
        this.d = d;
        metric = b.cfg.stoppingMetric;
        lik = new Likelihood(d);
        lc = b.lc;
        if ((b.mean.tau == null) != (d.contrast == null))
            throw new IllegalArgumentException(b.mean.tau == null
                    ? "validation data have a treatment, the model has no treatment-effect part"
                    : "validation data need the treatment of every row (the model has a treatment-effect part)");
        f = new EnsembleCache(b.mean.mu, d.x, d.n);
        tau = b.mean.tau == null ? null : new EnsembleCache(b.mean.tau, d.x, d.n);
        rho = new EnsembleCache(b.rhoEns, d.disp.x, d.n);
        theta = new EnsembleCache[b.np];
        for (int t = 0; t < b.np; t++) theta[t] = new EnsembleCache(b.thetaEns[t], d.cov.x, d.m);
        r = new double[d.n];
        resVar = new double[d.n];
        lAll = new double[d.m * d.q * d.q];
        th = new double[b.np];
        l = new double[d.q * d.q];
    }

    private final int metric;

    /** Brings the cached values up to the booster's ensembles and returns the validation loss. */
    public double loss() {
        f.refresh();
        if (tau != null) tau.refresh();
        rho.refresh();
        for (EnsembleCache c : theta) c.refresh();
        for (int j = 0; j < d.n; j++) {
            r[j] = d.y[j] - f.value(j) - (tau == null ? 0 : d.contrast[j] * tau.value(j));
            resVar[j] = Math.exp(rho.value(j)) / d.w[j];
        }
        int qq = d.q * d.q;
        for (int i = 0; i < d.m; i++) {
            for (int t = 0; t < th.length; t++) th[t] = theta[t].value(i);
            lc.toL(th, 0, l);
            System.arraycopy(l, 0, lAll, i * qq, qq);
        }
        if (metric == 0) lik.run(r, resVar, lAll, qq);
        return lik.stoppingLoss(metric, r, resVar, lAll, qq, null);
    }
}
