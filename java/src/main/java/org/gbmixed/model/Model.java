package org.gbmixed.model;

import org.gbmixed.Config;
import org.gbmixed.base.Dense;
import org.gbmixed.base.Features;
import org.gbmixed.base.TrainingData;
import org.gbmixed.base.Version;
import org.gbmixed.learners.Ensemble;
import org.gbmixed.likelihood.Likelihood;
import org.gbmixed.likelihood.LogCholesky;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * A fitted gbmixed model: the ensembles of the mean f(x), the residual log-variance rho(x) and the log-Cholesky
 * entries theta(w) of G (constant parts are intercept-only ensembles), the BLUPs and posterior covariances of the
 * training clusters. Getters return primitive arrays (copies). {@link #toBytes()} and
 * {@link org.gbmixed.GBMixed#fromBytes} round-trip everything needed to predict; the training-row outputs (fitted*)
 * are not serialised.
 */
public final class Model {
    private static final int MAGIC = 0x47424D58;   // "GBMX"
    private static final int FORMAT = 6;

    private final String variant, learner;
    private final Ensemble mean, rho;
    /** The treatment-effect part tau(x) (null without a treatment) and the centre c of its contrast T - c. */
    private final Ensemble tau;
    private final double centre;
    /**
     * The cross-fit means {mu, tau} of each honest fold: a delete-a-group jackknife of the mean (may be empty).
     * Package-private for the tests.
     */
    public final Ensemble[][] jack;
    private final Ensemble[] theta;
    private final LogCholesky lc;
    private final int q, m;
    private final long nobs;
    private final double[] bhat, post, gCluster, loss, validLoss, impMean, impTau, impDisp, impCov;
    private final int roundsUsed;
    private final double logLik;
    private final double[] fittedFixed, fittedRandom, fittedDisp;

    /**
     * A fitted model. The booster builds it ({@link org.gbmixed.boosting.Booster#model()},
     * {@link org.gbmixed.boosting.Booster#bestModel()}); callers get it from the facade or a booster.
     *
     * @param variant "Base", "RBoost", "GBoost" or "GRBoost"
     * @param learner the mean's base learner
     * @param mean the mean f (or mu with a treatment)
     * @param tau the treatment-effect part, or null
     * @param centre the centre c of the treatment contrast T - c (NaN without a treatment)
     * @param jack the honest folds' cross-fit means {mu, tau} (may be empty)
     * @param rho the residual log-variance
     * @param theta the log-Cholesky entries of G, one ensemble each
     * @param q random effects per cluster
     * @param diagonalG true for uncorrelated random effects
     * @param m clusters with BLUPs
     * @param nobs training rows
     * @param bhat BLUPs, cluster-major (m x q)
     * @param post posterior covariances, block i (q x q, column-major) at i q q
     * @param gCluster G of each cluster, block i (q x q, column-major) at i q q
     * @param loss training loss after round 0..roundsRun
     * @param validLoss validation loss after round 0..roundsRun (empty without validation data)
     * @param roundsUsed the round this model is taken at
     * @param logLik the marginal log-likelihood of the training data at that round
     * @param impMean split-gain importances of the mean's covariates
     * @param impTau of the treatment part's (empty without one)
     * @param impDisp of log R's covariates
     * @param impCov of G's covariates
     * @param fittedFixed the training rows' fitted f (not serialised)
     * @param fittedRandom the training rows' Z b (not serialised)
     * @param fittedDisp the training rows' residual variance (not serialised)
     */
    public Model(String variant, String learner, Ensemble mean, Ensemble tau, double centre, Ensemble[][] jack, Ensemble rho,
          Ensemble[] theta, int q, boolean diagonalG,
          int m, long nobs, double[] bhat, double[] post, double[] gCluster, double[] loss, double[] validLoss,
          int roundsUsed, double logLik,
          double[] impMean, double[] impTau, double[] impDisp, double[] impCov,
          double[] fittedFixed, double[] fittedRandom, double[] fittedDisp) {
        this.variant = variant; this.learner = learner; this.mean = mean; this.rho = rho; this.theta = theta;
        this.tau = tau; this.centre = centre; this.impTau = impTau; this.jack = jack;
        this.q = q; this.lc = new LogCholesky(q, diagonalG); this.m = m; this.nobs = nobs;
        this.bhat = bhat; this.post = post; this.gCluster = gCluster; this.loss = loss; this.logLik = logLik;
        this.validLoss = validLoss; this.roundsUsed = roundsUsed;
        this.impMean = impMean; this.impDisp = impDisp; this.impCov = impCov;
        this.fittedFixed = fittedFixed; this.fittedRandom = fittedRandom; this.fittedDisp = fittedDisp;
    }

    /** {@return the rounds in this model (the best round when early stopping kept an earlier one)} */
    public int nrounds() { return roundsUsed; }
    /** {@return the rounds the booster ran (trainLoss has this many + 1 entries)} */
    public int roundsRun() { return loss.length - 1; }
    /**
     * Validation loss after round 0..roundsRun: the loss early stopping watches on the held-out clusters
     * ({@link Config#earlyStoppingMetric()}: NLL, row-wise score or squared error), or the out-of-fold loss of
     * the honest folds.
     *
     * @return roundsRun + 1 values (length 0 without validation data)
     */
    public double[] validLoss() { return validLoss.clone(); }
    /** {@return the number of clusters with BLUPs (the training clusters, and any added by withClusters)} */
    public int nclusters() { return m; }
    /** {@return the number of random effects per cluster} */
    public int q() { return q; }
    /** {@return the number of covariates of the mean (columns of x)} */
    public int nfeatures() { return mean.nlevels.length; }
    /** {@return the number of covariates of the residual log-variance (0: R constant)} */
    public int nfeaturesDisp() { return rho.nlevels.length; }
    /** {@return the number of cluster-level covariates of G (0: G constant)} */
    public int nfeaturesCov() { return theta[0].nlevels.length; }
    /** {@return the number of training rows} */
    public long nobs() { return nobs; }
    /** {@return whether G is diagonal (uncorrelated random effects, lme4's ||)} */
    public boolean diagonalG() { return lc.diagonal; }
    /** {@return "Base", "RBoost" (R(x) boosted), "GBoost" (G(w) boosted) or "GRBoost" (both)} */
    public String variant() { return variant; }
    /** {@return the mean's learner: "tree", "linear" or "spline"} */
    public String learner() { return learner; }
    /**
     * Training NLL after round 0..roundsRun: summed over the clusters, without the N/2 log(2 pi) of logLik.
     *
     * @return roundsRun + 1 values
     */
    public double[] trainLoss() { return loss.clone(); }

    /**
     * The same model with the booster's full loss histories (the best-round snapshot is taken mid-run), and its
     * own copies of the training-row arrays (the booster reuses the snapshot's buffers).
     *
     * @param loss training loss after round 0..roundsRun
     * @param validLoss validation loss after round 0..roundsRun (empty without validation data)
     * @param roundsUsed the round this model is taken at
     * @return the model with those histories
     */
    public Model withHistory(double[] loss, double[] validLoss, int roundsUsed) {
        return new Model(variant, learner, mean, tau, centre, jack, rho, theta, q, lc.diagonal, m, nobs, bhat, post,
                gCluster, loss, validLoss, roundsUsed, logLik, impMean, impTau, impDisp, impCov, copy(fittedFixed),
                copy(fittedRandom), copy(fittedDisp));
    }

    private static double[] copy(double[] a) { return a == null ? null : a.clone(); }
    /**
     * ML log-likelihood at the final state: -NLL - N/2 log(2 pi) (for {@link #atRound}: of its data at that
     * round).
     *
     * @return the log-likelihood
     */
    public double logLik() { return logLik; }
    /**
     * Gain importance of the mean's covariates, normalised to sum to 1 (all 0 when nothing was gained: no
     * split, or the joint linear learner).
     *
     * @return one value per covariate, length nfeatures
     */
    public double[] importance() { return impMean.clone(); }
    /**
     * Gain importance of the treatment-effect part's covariates (the mean's covariates; empty without it).
     *
     * @return length nfeatures, or 0 without a treatment-effect part
     */
    public double[] importanceCate() { return impTau.clone(); }
    /** {@return whether the mean has a treatment-effect part: f(x, T) = mu(x) + (T - c) tau(x)} */
    public boolean hasTreatment() { return tau != null; }
    /** {@return the centre c of the treatment contrast T - c (NaN without a treatment)} */
    public double treatmentCentre() { return centre; }

    /**
     * Number of delete-a-group jackknife replicates of the mean (the honest folds' cross-fit means; 0 without
     * honest folds). Their spread gives the sampling variance of f and tau:
     * var = (K - 1) / K sum_k (theta_k - mean_k theta_k)^2.
     *
     * @return K, the number of replicates (0 without honest folds)
     */
    public int jackknifeGroups() { return jack.length; }

    /**
     * The jackknife replicates for nrow rows: nrow x K column-major, column k from the mean that left out fold k.
     * part 0: f(x, T) (treatment as in {@link #predict}); part 1: tau(x).
     *
     * @param part 0 for f(x, T), 1 for tau(x)
     * @param x the mean's covariates, nrow x nfeatures column-major
     * @param nrow number of rows
     * @param treatment for part 0, the 0/1 treatment of each row (length 0 without a treatment-effect part);
     *     not used for part 1
     * @return nrow x jackknifeGroups() values
     * @throws IllegalArgumentException for another part or an argument of the wrong length
     * @throws IllegalStateException for part 1 of a model without a treatment-effect part
     */
    public double[] predictJackknife(int part, double[] x, int nrow, double[] treatment) {
        if (part != 0 && part != 1) throw new IllegalArgumentException("part = " + part + ": must be 0 (f) or 1 (tau)");
        if (part == 1 && tau == null) throw new IllegalStateException("predictJackknife: this model has no treatment-effect part");
        Features fx = features("x", x, nrow, mean);
        double[] tr = part == 0 ? treatmentArg(treatment, nrow) : null;
        double[] out = new double[nrow * jack.length];
        for (int k = 0; k < jack.length; k++) {
            Ensemble mu = jack[k][0], tk = jack[k][1];
            for (int i = 0; i < nrow; i++) {
                double v;
                if (part == 1) v = tk.predict(fx.x, nrow, i);
                else v = mu.predict(fx.x, nrow, i) + (tk == null ? 0 : (tr[i] - centre) * tk.predict(fx.x, nrow, i));
                out[i + k * nrow] = v;
            }
        }
        return out;
    }

    /**
     * tau(x), the conditional average treatment effect, for nrow rows of x (the mean's covariates).
     *
     * @param x the mean's covariates, nrow x nfeatures column-major
     * @param nrow number of rows
     * @return tau(x) per row, length nrow
     * @throws IllegalStateException for a model without a treatment-effect part
     */
    public double[] predictCate(double[] x, int nrow) {
        if (tau == null) throw new IllegalStateException("predictCate: this model has no treatment-effect part");
        Features fx = features("x", x, nrow, mean);
        return tau.predict(fx.x, nrow);
    }
    /**
     * Gain importance of the covariates of the residual log-variance, normalised to sum to 1.
     *
     * @return length nfeaturesDisp (0 when R is constant)
     */
    public double[] importanceDisp() { return impDisp.clone(); }
    /**
     * Gain importance of the cluster-level covariates of G: each log-Cholesky entry's, normalised to sum to 1,
     * averaged over the entries (an entry without a split counts 0).
     *
     * @return length nfeaturesCov (0 when G is constant)
     */
    public double[] importanceCov() { return impCov.clone(); }
    /** {@return f(x) for the training rows, length nobs (length 0 after fromBytes or atRound)} */
    public double[] fittedFixed() { return fittedFixed == null ? new double[0] : fittedFixed.clone(); }
    /** {@return z' bhat for the training rows, length nobs (length 0 after fromBytes or atRound)} */
    public double[] fittedRandom() { return fittedRandom == null ? new double[0] : fittedRandom.clone(); }
    /**
     * R(x_j) = exp(rho(x_j)) for the training rows (weight 1).
     *
     * @return length nobs (length 0 after fromBytes or atRound)
     */
    public double[] fittedDisp() { return fittedDisp == null ? new double[0] : fittedDisp.clone(); }

    /**
     * G: the constant covariance, or (GBoost) the average of G(w_i) over the model's clusters (the training
     * clusters, and any added by withClusters).
     *
     * @return q x q column-major
     */
    public double[] covariance() {
        int qq = q * q;
        double[] g = new double[qq];
        for (int i = 0; i < m; i++) for (int k = 0; k < qq; k++) g[k] += gCluster[i * qq + k] / m;
        return g;
    }

    /**
     * G(w_i) of every cluster (the training clusters, then any added by withClusters).
     *
     * @return nclusters * q * q values, block i (q x q column-major) at offset i*q*q
     */
    public double[] clusterCovariance() { return gCluster.clone(); }

    /**
     * The constant residual variance, or (RBoost) the mean of R(x) over the training rows.
     *
     * @return the residual variance at weight 1
     * @throws IllegalStateException when R(x) is boosted and the model has no training rows' R(x) (after
     *     fromBytes or atRound)
     */
    public double sigma2() {
        if (rho.nlevels.length == 0) return Math.exp(rho.clamp(rho.intercept));
        double s = 0;
        if (fittedDisp == null)
            throw new IllegalStateException("sigma2: R(x) is boosted and a model read from bytes does not keep the training "
                    + "rows' R(x_j), whose mean this is: use predictDisp on the rows");
        for (double v : fittedDisp) s += v;
        return fittedDisp.length > 0 ? s / fittedDisp.length : Double.NaN;
    }

    /**
     * BLUPs, nclusters x q column-major.
     *
     * @return nclusters * q values, column a the a-th random effect of every cluster
     */
    public double[] ranef() {
        double[] out = new double[m * q];
        for (int i = 0; i < m; i++) for (int a = 0; a < q; a++) out[i + a * m] = bhat[i * q + a];
        return out;
    }

    /**
     * Posterior covariances P_i, block i at offset i*q*q (column-major q x q).
     *
     * @return nclusters * q * q values
     */
    public double[] ranefCov() { return post.clone(); }

    /**
     * Learner "linear": the intercept, then one coefficient per expanded column of the mean.
     *
     * @return the intercept, then per covariate of the mean one coefficient (numeric) or K-1 (factor of K
     *     levels, for levels 2..K)
     * @throws IllegalStateException when the mean was not fitted with the (joint, not component-wise) linear
     *     learner
     */
    public double[] linearCoefficients() {
        if (mean.linear == null)
            throw new IllegalStateException(learner.equals("linear")
                    ? "linearCoefficients: this linear mean has no joint coefficients (a component-wise fit, or no "
                      + "rounds run)"
                    : "linearCoefficients: the mean was fitted with learner \"" + learner + "\", not \"linear\"");
        double[] c = mean.linear.clone();
        c[0] += mean.intercept;
        return c;
    }

    /**
     * Predictions for a model whose variance parts are constant (Base); see the six-argument form.
     *
     * @param x the mean's covariates, nrow x nfeatures column-major
     * @param nrow number of rows
     * @param cluster each row's cluster: a training cluster 0..nclusters-1, or -1 for a new cluster
     * @param z the random-effects design, nrow x q column-major
     * @return 3 * nrow values, as the six-argument form
     * @throws IllegalArgumentException naming the argument for a wrong length, cluster code or value, or when
     *     R or G depends on covariates or the model has a treatment-effect part (use the longer forms)
     */
    public double[] predict(double[] x, int nrow, int[] cluster, double[] z) {
        return predict(x, nrow, cluster, z, new double[0], new double[0]);
    }

    /**
     * Predictions for nrow rows: [0,n) f(x); [n,2n) z' bhat_i (0 for a new cluster, code -1);
     * [2n,3n) the predictive variance of a new y, z'P_i z + R(x) (existing) or z'G(w) z + R(x) (new).
     * xdisp: nrow x nfeaturesDisp; wcov: nrow x nfeaturesCov (each row's cluster-level covariates).
     *
     * @param x the mean's covariates, nrow x nfeatures column-major
     * @param nrow number of rows
     * @param cluster each row's cluster: a training cluster 0..nclusters-1, or -1 for a new cluster
     * @param z the random-effects design, nrow x q column-major
     * @param xdisp covariates of R(x), nrow x nfeaturesDisp column-major (length 0 when R is constant)
     * @param wcov each row's cluster-level covariates of G, nrow x nfeaturesCov column-major (used for new
     *     clusters; length 0 when G is constant)
     * @return 3 * nrow values: f(x), z' bhat_i, the predictive variance
     * @throws IllegalArgumentException naming the argument for a wrong length, cluster code or value, or when
     *     the model has a treatment-effect part
     */
    public double[] predict(double[] x, int nrow, int[] cluster, double[] z, double[] xdisp, double[] wcov) {
        return predict(x, nrow, cluster, z, xdisp, wcov, new double[0]);
    }

    /**
     * The same for a model with a treatment-effect part: treatment holds T (0 or 1) per row, and
     * f = mu(x) + (T - c) tau(x). Pass a length-0 array for a model without one.
     *
     * @param x the mean's covariates, nrow x nfeatures column-major
     * @param nrow number of rows
     * @param cluster each row's cluster: a training cluster 0..nclusters-1, or -1 for a new cluster
     * @param z the random-effects design, nrow x q column-major
     * @param xdisp covariates of R(x), nrow x nfeaturesDisp column-major (length 0 when R is constant)
     * @param wcov each row's cluster-level covariates of G, nrow x nfeaturesCov column-major (used for new
     *     clusters; length 0 when G is constant)
     * @param treatment the 0/1 treatment of each row (length 0 without a treatment-effect part)
     * @return 3 * nrow values: f(x, T), z' bhat_i, the predictive variance
     * @throws IllegalArgumentException naming the argument for a wrong length, cluster code or value
     */
    public double[] predict(double[] x, int nrow, int[] cluster, double[] z, double[] xdisp, double[] wcov,
                            double[] treatment) {
        Features fx = features("x", x, nrow, mean);
        double[] tr = treatmentArg(treatment, nrow);
        Features fd = features("xdisp", xdisp, nrow, rho);
        Features fw = features("wcov", wcov, nrow, theta[0]);
        if (z == null || z.length != (long) nrow * q)
            throw new IllegalArgumentException("z has length " + (z == null ? "null" : z.length) + ", expected nrow * "
                    + q + " = " + (long) nrow * q);
        if (cluster == null || cluster.length != nrow)
            throw new IllegalArgumentException("cluster has length " + (cluster == null ? "null" : cluster.length)
                    + ", expected nrow = " + nrow);
        double[] res = new double[3 * nrow];
        double[] zr = new double[q], g = new double[q * q];
        for (int i = 0; i < nrow; i++) {
            int c = cluster[i];
            if (c < -1 || c >= m)
                throw new IllegalArgumentException("cluster[" + (i + 1) + "] = " + c + ": must be -1 (new) or in 0.." + (m - 1));
            res[i] = meanAt(fx.x, nrow, i, tr);
            for (int a = 0; a < q; a++) zr[a] = z[i + a * nrow];
            double rv = Math.exp(rho.predict(fd.x, nrow, i)), rand = 0, var;
            if (c >= 0) {
                for (int a = 0; a < q; a++) rand += zr[a] * bhat[c * q + a];
                var = Dense.quadForm(zr, post, c * q * q, zr, q) + rv;
            } else {
                covAt(fw.x, nrow, i, g);
                var = Dense.quadForm(zr, g, 0, zr, q) + rv;
            }
            res[nrow + i] = rand;
            res[2 * nrow + i] = var;
        }
        return res;
    }

    /**
     * Marginal log-likelihood of data from new clusters (codes 0..nclusters-1, not the training clusters):
     * sum_i log N(y_i; f(X_i), Z_i G(w_i) Z_i' + R(X_i)), with w_i taken from the cluster's first row of wcov.
     * The held-out score that early stopping and model comparison use.
     *
     * @param x the new rows' covariates of the mean, nrow x nfeatures column-major
     * @param nrow number of rows
     * @param y their response, length nrow
     * @param cluster their cluster codes, 0..nclusters-1, every code present (not the training codes)
     * @param nclusters number of new clusters
     * @param z their random-effects design, nrow x q column-major
     * @param xdisp their covariates of R(x), nrow x nfeaturesDisp column-major (length 0 when R is constant)
     * @param wcov their cluster-level covariates of G, nrow x nfeaturesCov column-major, one row per row (each
     *     cluster's first row is used; length 0 when G is constant)
     * @return the log-likelihood (all weights 1), including -nrow/2 log(2 pi)
     * @throws IllegalArgumentException naming the argument when the data are invalid
     */
    public double logLikNew(double[] x, int nrow, double[] y, int[] cluster, int nclusters, double[] z,
                            double[] xdisp, double[] wcov) {
        return logLikNew(x, nrow, y, cluster, nclusters, z, xdisp, wcov, new double[0]);
    }

    /**
     * The same for a model with a treatment-effect part (treatment: T per row; length 0 without one).
     *
     * @param x the new rows' covariates of the mean, nrow x nfeatures column-major
     * @param nrow number of rows
     * @param y their response, length nrow
     * @param cluster their cluster codes, 0..nclusters-1, every code present (not the training codes)
     * @param nclusters number of new clusters
     * @param z their random-effects design, nrow x q column-major
     * @param xdisp their covariates of R(x), nrow x nfeaturesDisp column-major (length 0 when R is constant)
     * @param wcov their cluster-level covariates of G, nrow x nfeaturesCov column-major, one row per row (each
     *     cluster's first row is used; length 0 when G is constant)
     * @param treatment their 0/1 treatment (length 0 without a treatment-effect part)
     * @return the log-likelihood (all weights 1), including -nrow/2 log(2 pi)
     * @throws IllegalArgumentException naming the argument when the data are invalid
     */
    public double logLikNew(double[] x, int nrow, double[] y, int[] cluster, int nclusters, double[] z,
                            double[] xdisp, double[] wcov, double[] treatment) {
        double[] w = new double[nrow];
        java.util.Arrays.fill(w, 1.0);
        double nll = newClusters(x, nrow, y, w, cluster, nclusters, z, xdisp, wcov, treatment, null).nll;
        return -nll - 0.5 * nrow * Math.log(2 * Math.PI);
    }

    /**
     * This model with k more clusters (codes m..m+k-1 after the training clusters): data of clusters the fit did
     * not use (e.g. held out for early stopping) get their BLUPs and posterior covariances from this model's f,
     * R(x) and G(w), as lme4's ranef would for a cluster added at fixed parameters. Arguments as
     * {@link #logLikNew} (cluster codes 0..nclusters-1, weights as in the fit, wcov one row per row).
     *
     * @param x the new rows' covariates of the mean, nrow x nfeatures column-major
     * @param nrow number of rows
     * @param y their response, length nrow
     * @param weights their precision weights, length nrow, each &gt; 0 (all 1 for none)
     * @param cluster their cluster codes, 0..nclusters-1, every code present (not the training codes)
     * @param nclusters number of new clusters
     * @param z their random-effects design, nrow x q column-major
     * @param xdisp their covariates of R(x), nrow x nfeaturesDisp column-major (length 0 when R is constant)
     * @param wcov their cluster-level covariates of G, nrow x nfeaturesCov column-major, one row per row (each
     *     cluster's first row is used; length 0 when G is constant)
     * @param treatment their 0/1 treatment (length 0 without a treatment-effect part)
     * @return a new model with nclusters() + nclusters clusters; fitted*, losses and logLik stay the fit's
     * @throws IllegalArgumentException naming the argument when the data are invalid
     */
    public Model withClusters(double[] x, int nrow, double[] y, double[] weights, int[] cluster, int nclusters,
                              double[] z, double[] xdisp, double[] wcov, double[] treatment) {
        double[] gNew = new double[nclusters * q * q];
        NewClusters nc = newClusters(x, nrow, y, weights, cluster, nclusters, z, xdisp, wcov, treatment, gNew);
        return new Model(variant, learner, mean, tau, centre, jack, rho, theta, q, lc.diagonal, m + nclusters, nobs,
                concat(bhat, nc.lik.blups()), concat(post, nc.lik.posteriors()), concat(gCluster, gNew), loss, validLoss,
                roundsUsed, logLik, impMean, impTau, impDisp, impCov, fittedFixed, fittedRandom, fittedDisp);
    }

    /** The E-step of clusters not in the fit, and their NLL (without the constant). */
    private static final class NewClusters {
        final Likelihood lik;
        final double nll;
        NewClusters(Likelihood lik, double nll) { this.lik = lik; this.nll = nll; }
    }

    /**
     * The E-step at this model's f, R(x) and G(w) for data of clusters 0..nclusters-1 that are not the training
     * clusters; wcov one row per row (each cluster's first row is used); G(w) of each cluster into gOut when
     * given.
     */
    private NewClusters newClusters(double[] x, int nrow, double[] y, double[] weights, int[] cluster, int nclusters,
                                    double[] z, double[] xdisp, double[] wcov, double[] treatment, double[] gOut) {
        double[] tr = treatmentArg(treatment, nrow);
        Features fw = features("wcov", wcov, nrow, theta[0]);
        if (nclusters < 0) throw new IllegalArgumentException("nclusters = " + nclusters + ": must be >= 0");
        if (cluster == null || cluster.length != nrow)
            throw new IllegalArgumentException("cluster has length " + (cluster == null ? "null" : cluster.length)
                    + ", expected nrow = " + nrow);
        double[] wcl = new double[nclusters * fw.p];
        boolean[] seen = new boolean[nclusters];
        for (int i = 0; i < nrow; i++) {
            int c = cluster[i];
            if (c < 0 || c >= nclusters)
                throw new IllegalArgumentException("cluster[" + (i + 1) + "] = " + c + ": codes must be in 0.." + (nclusters - 1));
            if (seen[c]) continue;
            seen[c] = true;
            for (int k = 0; k < fw.p; k++) wcl[c + k * nclusters] = fw.x[i + k * nrow];
        }
        TrainingData d = new TrainingData(x, nrow, nfeatures(), mean.nlevels, y, weights, cluster, nclusters, z, q,
                lc.diagonal, xdisp, nfeaturesDisp(), rho.nlevels, wcl, nfeaturesCov(), theta[0].nlevels);
        double[] r = new double[nrow], rv = new double[nrow];
        for (int j = 0; j < nrow; j++) {
            r[j] = y[j] - meanAt(d.x, nrow, j, tr);
            rv[j] = Math.exp(rho.predict(d.disp.x, nrow, j)) / weights[j];
        }
        int qq = q * q, np = theta.length;
        double[] lAll = new double[nclusters * qq], th = new double[np], l = new double[qq], g = new double[qq];
        for (int i = 0; i < nclusters; i++) {
            for (int t = 0; t < np; t++) th[t] = theta[t].predict(wcl, nclusters, i);
            lc.toL(th, 0, l);
            System.arraycopy(l, 0, lAll, i * qq, qq);
            if (gOut != null) {
                LogCholesky.gFromL(l, q, g);
                System.arraycopy(g, 0, gOut, i * qq, qq);
            }
        }
        Likelihood lik = new Likelihood(d);
        double nll = lik.run(r, rv, lAll, qq);
        return new NewClusters(lik, nll);
    }

    /**
     * This model as it was after round r (r &lt;= nrounds()): every ensemble taken back to its checkpoint r, and
     * the BLUPs and posterior covariances of the clusters of the given data (the fit's training rows, codes
     * 0..nclusters-1) recomputed at that state. Loss histories and importances are the whole fit's; fitted*
     * arrays are not kept.
     *
     * @param r the round, 0..nrounds()
     * @param x the rows' covariates of the mean, nrow x nfeatures column-major
     * @param nrow number of rows
     * @param y their response, length nrow
     * @param weights their precision weights, length nrow, each &gt; 0
     * @param cluster their cluster codes, 0..nclusters-1, every code present
     * @param nclusters number of clusters
     * @param z their random-effects design, nrow x q column-major
     * @param xdisp their covariates of R(x), nrow x nfeaturesDisp column-major (length 0 when R is constant)
     * @param wcov their cluster-level covariates of G, nrow x nfeaturesCov column-major, one row per row (each
     *     cluster's first row is used; length 0 when G is constant)
     * @param treatment their 0/1 treatment (length 0 without a treatment-effect part)
     * @return the model at round r: nrounds() = r, nclusters clusters, logLik of the given data
     * @throws IllegalArgumentException for r outside 0..nrounds() or invalid data
     * @throws IllegalStateException when the model has no checkpoint of round r (saved by an older engine)
     */
    public Model atRound(int r, double[] x, int nrow, double[] y, double[] weights, int[] cluster, int nclusters,
                         double[] z, double[] xdisp, double[] wcov, double[] treatment) {
        if (r < 0 || r > roundsUsed)
            throw new IllegalArgumentException("round = " + r + ": this model holds rounds 0.." + roundsUsed);
        if (mean.checkpoints() <= r)
            throw new IllegalStateException("this model has no record of round " + r + " (saved by an older engine)");
        Ensemble[] th = new Ensemble[theta.length];
        for (int t = 0; t < th.length; t++) th[t] = theta[t].at(r);
        Ensemble[][] jk = new Ensemble[jack.length][];
        for (int k = 0; k < jk.length; k++)
            jk[k] = new Ensemble[] {jack[k][0].at(r), jack[k][1] == null ? null : jack[k][1].at(r)};
        Model base = new Model(variant, learner, mean.at(r), tau == null ? null : tau.at(r), centre, jk, rho.at(r), th,
                q, lc.diagonal, 0, nobs, new double[0], new double[0], new double[0], loss, validLoss, r, logLik,
                impMean, impTau, impDisp, impCov, null, null, null);
        double[] gNew = new double[nclusters * q * q];
        NewClusters nc = base.newClusters(x, nrow, y, weights, cluster, nclusters, z, xdisp, wcov, treatment, gNew);
        return new Model(variant, learner, base.mean, base.tau, centre, jk, base.rho, th, q, lc.diagonal, nclusters, nobs,
                nc.lik.blups(), nc.lik.posteriors(), gNew, loss, validLoss, r, -nc.nll - 0.5 * nrow * Math.log(2 * Math.PI),
                impMean, impTau, impDisp, impCov, null, null, null);
    }

    private static double[] concat(double[] a, double[] b) {
        double[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    /**
     * The additive function of covariate k in one part, at the given covariate values, for component-wise
     * learners ("spline", or "linear" component-wise): part 0 = mean mu, 1 = rho = log R, 2 = log-Cholesky entry
     * `entry` of G, 3 = the treatment effect tau. Zeros when the covariate was never selected; not centred.
     *
     * @param part 0 mean, 1 log R, 2 a log-Cholesky entry of G, 3 treatment effect
     * @param entry for part 2, the entry: 0..q(q+1)/2-1 column by column over the lower triangle (diagonal G:
     *     0..q-1); otherwise not used
     * @param k the covariate, 0-based among that part's covariates
     * @param grid values of covariate k (codes for a factor)
     * @return the function at each grid value, length grid.length
     * @throws IllegalArgumentException for a bad part, entry or k
     * @throws IllegalStateException when the part was not fitted with a component-wise learner
     */
    public double[] effect(int part, int entry, int k, double[] grid) {
        Ensemble e = part == 0 ? mean : part == 1 ? rho : part == 2 && entry >= 0 && entry < theta.length ? theta[entry]
                : part == 3 ? tau : null;
        if (e == null) throw new IllegalArgumentException("part = " + part + ", entry = " + entry
                + ": part must be 0 (mean), 1 (disp), 2 (cov, entry in 0.." + (theta.length - 1) + ") or 3 (the "
                + "treatment-effect part, of a model that has one)");
        if (k < 0 || k >= e.nlevels.length)
            throw new IllegalArgumentException("k = " + k + ": covariate index must be in 0.." + (e.nlevels.length - 1));
        if (e.specs == null)
            throw new IllegalStateException("effect: this part was not fitted with a component-wise learner");
        return e.effect(k, grid);
    }

    /**
     * R(x) = exp(rho(x)) for nrow rows of xdisp (weight 1).
     *
     * @param xdisp covariates of R(x), nrow x nfeaturesDisp column-major (length 0 when R is constant)
     * @param nrow number of rows
     * @return R(x) per row, length nrow
     * @throws IllegalArgumentException when xdisp has the wrong length
     */
    public double[] predictDisp(double[] xdisp, int nrow) {
        Features fd = features("xdisp", xdisp, nrow, rho);
        double[] out = new double[nrow];
        for (int i = 0; i < nrow; i++) out[i] = Math.exp(rho.predict(fd.x, nrow, i));
        return out;
    }

    /**
     * G(w) for nrow rows of wcov: nrow x q(q+1)/2 column-major, one column per lower-triangle entry (k >= l),
     * ordered column by column: (1,1), (2,1), ..., (q,1), (2,2), ...
     *
     * @param wcov cluster-level covariates of G, nrow x nfeaturesCov column-major (length 0 when G is constant)
     * @param nrow number of rows
     * @return nrow * q(q+1)/2 values (a diagonal G's off-diagonal columns are 0)
     * @throws IllegalArgumentException when wcov has the wrong length
     */
    public double[] predictCov(double[] wcov, int nrow) {
        Features fw = features("wcov", wcov, nrow, theta[0]);
        int ntri = q * (q + 1) / 2;
        double[] out = new double[nrow * ntri], g = new double[q * q];
        for (int i = 0; i < nrow; i++) {
            covAt(fw.x, nrow, i, g);
            int c = 0;
            for (int l = 0; l < q; l++) for (int k = l; k < q; k++) out[i + (c++) * nrow] = g[k + l * q];
        }
        return out;
    }

    /** f at row i: mu(x), plus (T - c) tau(x) with a treatment part. */
    private double meanAt(double[] x, int nrow, int i, double[] treatment) {
        double v = mean.predict(x, nrow, i);
        return tau == null ? v : v + (treatment[i] - centre) * tau.predict(x, nrow, i);
    }

    private double[] treatmentArg(double[] treatment, int nrow) {
        if (tau == null) {
            if (treatment != null && treatment.length != 0)
                throw new IllegalArgumentException("treatment has length " + treatment.length
                        + ": this model has no treatment-effect part (pass a length-0 array)");
            return null;
        }
        if (treatment == null || treatment.length != nrow)
            throw new IllegalArgumentException("treatment has length " + (treatment == null ? "null" : treatment.length)
                    + ", expected nrow = " + nrow + " (this model has a treatment-effect part)");
        for (int i = 0; i < nrow; i++)
            if (treatment[i] != 0 && treatment[i] != 1)
                throw new IllegalArgumentException("treatment[" + (i + 1) + "] = " + treatment[i] + ": must be 0 or 1");
        return treatment;
    }

    private void covAt(double[] w, int nrow, int i, double[] g) {
        double[] th = new double[theta.length], l = new double[q * q];
        for (int t = 0; t < theta.length; t++) th[t] = theta[t].predict(w, nrow, i);
        lc.toL(th, 0, l);
        LogCholesky.gFromL(l, q, g);
    }

    private static Features features(String name, double[] x, int nrow, Ensemble part) {
        if (nrow < 0) throw new IllegalArgumentException("nrow = " + nrow + ": must be >= 0");
        int p = part.nlevels.length;
        if (x == null || x.length != (long) nrow * p)
            throw new IllegalArgumentException(name + " has length " + (x == null ? "null" : x.length) + ", expected nrow * "
                    + p + " = " + (long) nrow * p + (p > 0 && (x == null || x.length == 0)
                    ? " (this model's part depends on " + p + " covariate(s): pass them)" : ""));
        Features f = new Features(name, x, nrow, p, part.nlevels);
        if (part.linear != null || part.specs != null) f.requireComplete(part.linear != null ? "linear" : "spline");
        return f;
    }

    /**
     * The model as bytes for {@link org.gbmixed.GBMixed#fromBytes}: magic "GBMX", the model format, then everything needed
     * to predict; the training-row outputs (fitted*) are not included.
     *
     * @return the serialised model
     */
    public byte[] toBytes() {
        try {
            ByteArrayOutputStream bos = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bos);
            out.writeInt(MAGIC);
            out.writeInt(FORMAT);
            out.writeUTF(variant);
            out.writeUTF(learner);
            out.writeInt(q);
            out.writeBoolean(lc.diagonal);
            out.writeInt(m);
            out.writeLong(nobs);
            out.writeDouble(logLik);
            out.writeInt(roundsUsed);
            for (double[] a : new double[][] {bhat, post, gCluster, loss, validLoss, impMean, impDisp, impCov}) writeArray(out, a);
            mean.write(out);
            rho.write(out);
            out.writeInt(theta.length);
            for (Ensemble t : theta) t.write(out);
            out.writeBoolean(tau != null);
            if (tau != null) {
                tau.write(out);
                out.writeDouble(centre);
                writeArray(out, impTau);
            }
            out.writeInt(jack.length);
            for (Ensemble[] e : jack) {
                e[0].write(out);
                if (tau != null) e[1].write(out);
            }
            out.flush();
            return bos.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException("model serialisation failed: " + e.getMessage(), e);
        }
    }

    /**
     * A model from {@link #toBytes()} ({@link org.gbmixed.GBMixed#fromBytes} is the facade's entry).
     *
     * @param bytes the serialised model
     * @return the model
     */
    public static Model fromBytes(byte[] bytes) {
        if (bytes == null || bytes.length < 8) throw new IllegalArgumentException("bytes: not a serialised gbmixed model (too short)");
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            if (in.readInt() != MAGIC) throw new IllegalArgumentException("bytes: not a serialised gbmixed model (bad magic)");
            int fmt = in.readInt();
            if (fmt > FORMAT)
                throw new IllegalArgumentException("bytes: model format " + fmt + " was written by a newer gbmixed; this one ("
                        + Version.engine() + ") reads format " + FORMAT + ": update gbmixed to read it");
            if (fmt != FORMAT)
                throw new IllegalArgumentException("bytes: model format " + fmt + " is not supported (this engine reads " + FORMAT + ")");
            String variant = in.readUTF(), learner = in.readUTF();
            int q = in.readInt();
            boolean diag = in.readBoolean();
            int m = in.readInt();
            long nobs = in.readLong();
            double logLik = in.readDouble();
            int used = in.readInt();
            double[] bhat = readArray(in), post = readArray(in), gCl = readArray(in), loss = readArray(in),
                    valid = readArray(in), impM = readArray(in), impD = readArray(in), impC = readArray(in);
            Ensemble mean = Ensemble.read(in), rho = Ensemble.read(in);
            int nt = in.readInt();
            if (nt != new LogCholesky(q, diag).size()) throw new IOException("bad theta count " + nt);
            Ensemble[] theta = new Ensemble[nt];
            for (int t = 0; t < nt; t++) theta[t] = Ensemble.read(in);
            Ensemble tau = null;
            double centre = Double.NaN;
            double[] impT = new double[0];
            if (in.readBoolean()) {
                tau = Ensemble.read(in);
                centre = in.readDouble();
                impT = readArray(in);
            }
            int nj = in.readInt();
            if (nj < 0 || nj > 1000) throw new IOException("bad jackknife count " + nj);
            Ensemble[][] jack = new Ensemble[nj][];
            for (int k = 0; k < nj; k++)
                jack[k] = new Ensemble[] {Ensemble.read(in), tau == null ? null : Ensemble.read(in)};
            return new Model(variant, learner, mean, tau, centre, jack, rho, theta, q, diag, m, nobs, bhat, post, gCl,
                    loss, valid, used, logLik, impM, impT, impD, impC, null, null, null);
        } catch (IOException e) {
            throw new IllegalArgumentException("bytes: corrupt serialised gbmixed model (" + e.getMessage() + ")", e);
        }
    }

    private static void writeArray(DataOutputStream out, double[] a) throws IOException {
        out.writeInt(a.length);
        for (double v : a) out.writeDouble(v);
    }

    private static double[] readArray(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > (1 << 28)) throw new IOException("bad array length " + n);
        double[] a = new double[n];
        for (int i = 0; i < n; i++) a[i] = in.readDouble();
        return a;
    }
}
