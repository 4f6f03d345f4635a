package org.gbmixed;

import org.gbmixed.base.TrainingData;
import org.gbmixed.base.Version;
import org.gbmixed.boosting.Booster;
import org.gbmixed.boosting.Refits;
import org.gbmixed.model.Model;
import org.gbmixed.model.ModelFile;

/**
 * The engine's facade: primitive arrays and a {@link Config} in, a {@link Booster} or {@link Model} out.
 * See java/FACADE.md for the argument layout. Java never prints; errors are exceptions naming the argument.
 */
public final class GBMixed {
    private GBMixed() {}

    /**
     * The engine's version.
     *
     * @return the jar's Implementation-Version, or "dev" when run from classes
     */
    public static String version() {
        return Version.engine();
    }

    /**
     * Validates the data and prepares a booster at round 0 (the initial constant-variance fit done), for the Base
     * variant: G and R constant.
     *
     * @param x the mean's covariates, nrow x ncol column-major; a factor column holds its codes 0..K-1
     * @param nrow number of rows
     * @param ncol number of covariates of the mean (columns of x)
     * @param nlevels per column of x: 0 for a numeric covariate, K &gt;= 2 for a factor of K levels
     * @param y the response, length nrow
     * @param weights precision weights, length nrow, each &gt; 0 (R_ij = sigma^2 / w_ij; all 1 for none)
     * @param cluster cluster code of each row, 0..nclusters-1, every code present
     * @param nclusters number of clusters
     * @param z the random-effects design, nrow x q column-major (e.g. a column of 1s, then a slope covariate)
     * @param q number of random effects per cluster
     * @param diagonalG true for uncorrelated random effects (lme4's ||): G diagonal
     * @param config the settings
     * @return the booster, to run with {@link Booster#iterate(int)}
     * @throws IllegalArgumentException naming the argument when the data or config is invalid
     */
    public static Booster booster(double[] x, int nrow, int ncol, int[] nlevels, double[] y, double[] weights,
                                  int[] cluster, int nclusters, double[] z, int q, boolean diagonalG, Config config) {
        if (config == null) throw new IllegalArgumentException("config is null");
        TrainingData d = new TrainingData(x, nrow, ncol, nlevels, y, weights, cluster, nclusters, z, q, diagonalG);
        return new Booster(d, config);
    }

    /**
     * The full form: also the covariates of the residual log-variance (xdisp: nrow x ncolDisp; ncolDisp = 0 keeps
     * R constant) and the cluster-level covariates of G (wcov: nclusters x ncolCov, row i = cluster code i;
     * ncolCov = 0 keeps G constant). Variant: Base, RBoost, GBoost or GRBoost accordingly.
     *
     * @param x the mean's covariates, nrow x ncol column-major; a factor column holds its codes 0..K-1
     * @param nrow number of rows
     * @param ncol number of covariates of the mean (columns of x)
     * @param nlevels per column of x: 0 for a numeric covariate, K &gt;= 2 for a factor of K levels
     * @param y the response, length nrow
     * @param weights precision weights, length nrow, each &gt; 0 (R_ij = sigma^2 / w_ij; all 1 for none)
     * @param cluster cluster code of each row, 0..nclusters-1, every code present
     * @param nclusters number of clusters
     * @param z the random-effects design, nrow x q column-major (e.g. a column of 1s, then a slope covariate)
     * @param q number of random effects per cluster
     * @param diagonalG true for uncorrelated random effects (lme4's ||): G diagonal
     * @param xdisp covariates of the residual log-variance, nrow x ncolDisp column-major
     * @param ncolDisp number of columns of xdisp (0: R constant)
     * @param nlevelsDisp per column of xdisp: 0 numeric, K &gt;= 2 factor
     * @param wcov cluster-level covariates of G, nclusters x ncolCov column-major, row i = cluster code i
     * @param ncolCov number of columns of wcov (0: G constant)
     * @param nlevelsCov per column of wcov: 0 numeric, K &gt;= 2 factor
     * @param config the settings
     * @return the booster, to run with {@link Booster#iterate(int)}
     * @throws IllegalArgumentException naming the argument when the data or config is invalid
     */
    public static Booster booster(double[] x, int nrow, int ncol, int[] nlevels, double[] y, double[] weights,
                                  int[] cluster, int nclusters, double[] z, int q, boolean diagonalG,
                                  double[] xdisp, int ncolDisp, int[] nlevelsDisp,
                                  double[] wcov, int ncolCov, int[] nlevelsCov, Config config) {
        if (config == null) throw new IllegalArgumentException("config is null");
        TrainingData d = new TrainingData(x, nrow, ncol, nlevels, y, weights, cluster, nclusters, z, q, diagonalG,
                xdisp, ncolDisp, nlevelsDisp, wcov, ncolCov, nlevelsCov);
        return new Booster(d, config);
    }

    /**
     * The full form with a treatment-effect part: treatment holds a 0/1 treatment T per row, and the mean becomes
     * f(x, T) = mu(x) + (T - c) tau(x), c the mean of T, tau(x) the conditional average treatment effect (its own
     * ensemble on the first ncolCate covariates of x, which should not contain T; the other columns, e.g.
     * between-cluster means, are the mean's only). A length-0 treatment is the form above.
     *
     * @param x the mean's covariates, nrow x ncol column-major; a factor column holds its codes 0..K-1
     * @param nrow number of rows
     * @param ncol number of covariates of the mean (columns of x)
     * @param nlevels per column of x: 0 for a numeric covariate, K &gt;= 2 for a factor of K levels
     * @param y the response, length nrow
     * @param weights precision weights, length nrow, each &gt; 0 (R_ij = sigma^2 / w_ij; all 1 for none)
     * @param cluster cluster code of each row, 0..nclusters-1, every code present
     * @param nclusters number of clusters
     * @param z the random-effects design, nrow x q column-major (e.g. a column of 1s, then a slope covariate)
     * @param q number of random effects per cluster
     * @param diagonalG true for uncorrelated random effects (lme4's ||): G diagonal
     * @param xdisp covariates of the residual log-variance, nrow x ncolDisp column-major
     * @param ncolDisp number of columns of xdisp (0: R constant)
     * @param nlevelsDisp per column of xdisp: 0 numeric, K &gt;= 2 factor
     * @param wcov cluster-level covariates of G, nclusters x ncolCov column-major, row i = cluster code i
     * @param ncolCov number of columns of wcov (0: G constant)
     * @param nlevelsCov per column of wcov: 0 numeric, K &gt;= 2 factor
     * @param treatment the 0/1 treatment of each row, length nrow (length 0: no treatment-effect part)
     * @param ncolCate the first ncolCate columns of x are the covariates of tau(x)
     * @param config the settings
     * @return the booster, to run with {@link Booster#iterate(int)}
     * @throws IllegalArgumentException naming the argument when the data or config is invalid
     */
    public static Booster booster(double[] x, int nrow, int ncol, int[] nlevels, double[] y, double[] weights,
                                  int[] cluster, int nclusters, double[] z, int q, boolean diagonalG,
                                  double[] xdisp, int ncolDisp, int[] nlevelsDisp,
                                  double[] wcov, int ncolCov, int[] nlevelsCov, double[] treatment, int ncolCate,
                                  Config config) {
        if (config == null) throw new IllegalArgumentException("config is null");
        TrainingData d = new TrainingData(x, nrow, ncol, nlevels, y, weights, cluster, nclusters, z, q, diagonalG,
                xdisp, ncolDisp, nlevelsDisp, wcov, ncolCov, nlevelsCov);
        if (treatment != null && treatment.length > 0) d.setTreatment(treatment, Double.NaN, ncolCate);
        return new Booster(d, config);
    }

    /**
     * Refits to nsim responses on the same data (ys: nrow x nsim column-major, e.g. simulated from a fitted model
     * for a parametric bootstrap), in parallel over config's threads, each replicate boosted with config on one
     * thread. Returns nsim rows of [G (q x q column-major), sigma^2, logLik, linear coefficients (learner
     * "linear" only)], row r at r * (q*q + 2 + ncoef). Other arguments as the full {@link #booster} form.
     *
     * @param x the mean's covariates, nrow x ncol column-major
     * @param nrow number of rows
     * @param ncol number of covariates of the mean
     * @param nlevels per column of x: 0 numeric, K &gt;= 2 factor
     * @param ys the nsim responses, nrow x nsim column-major
     * @param nsim number of responses to refit to
     * @param weights precision weights, length nrow
     * @param cluster cluster code of each row, 0..nclusters-1
     * @param nclusters number of clusters
     * @param z the random-effects design, nrow x q column-major
     * @param q number of random effects per cluster
     * @param diagonalG true for uncorrelated random effects
     * @param xdisp covariates of the residual log-variance, nrow x ncolDisp column-major
     * @param ncolDisp number of columns of xdisp (0: R constant)
     * @param nlevelsDisp per column of xdisp: 0 numeric, K &gt;= 2 factor
     * @param wcov cluster-level covariates of G, nclusters x ncolCov column-major, row i = cluster code i
     * @param ncolCov number of columns of wcov (0: G constant)
     * @param nlevelsCov per column of wcov: 0 numeric, K &gt;= 2 factor
     * @param treatment the 0/1 treatment of each row (length 0: none)
     * @param ncolCate the first ncolCate columns of x are the covariates of tau(x)
     * @param config the settings of every refit
     * @return nsim rows of estimates, row r at offset r * (q*q + 2 + ncoef)
     */
    public static double[] refits(double[] x, int nrow, int ncol, int[] nlevels, double[] ys, int nsim,
                                  double[] weights, int[] cluster, int nclusters, double[] z, int q, boolean diagonalG,
                                  double[] xdisp, int ncolDisp, int[] nlevelsDisp,
                                  double[] wcov, int ncolCov, int[] nlevelsCov, double[] treatment, int ncolCate,
                                  Config config) {
        if (config == null) throw new IllegalArgumentException("config is null");
        return Refits.run(x, nrow, ncol, nlevels, ys, nsim, weights, cluster, nclusters, z, q, diagonalG, xdisp,
                ncolDisp, nlevelsDisp, wcov, ncolCov, nlevelsCov, treatment, ncolCate, config);
    }

    /**
     * booster(...), then all nrounds rounds (fewer when early stopping or the convergence stop ends them), then
     * the model.
     *
     * @param x the mean's covariates, nrow x ncol column-major; a factor column holds its codes 0..K-1
     * @param nrow number of rows
     * @param ncol number of covariates of the mean (columns of x)
     * @param nlevels per column of x: 0 for a numeric covariate, K &gt;= 2 for a factor of K levels
     * @param y the response, length nrow
     * @param weights precision weights, length nrow, each &gt; 0 (R_ij = sigma^2 / w_ij; all 1 for none)
     * @param cluster cluster code of each row, 0..nclusters-1, every code present
     * @param nclusters number of clusters
     * @param z the random-effects design, nrow x q column-major (e.g. a column of 1s, then a slope covariate)
     * @param q number of random effects per cluster
     * @param diagonalG true for uncorrelated random effects (lme4's ||): G diagonal
     * @param config the settings
     * @return the fitted model
     */
    public static Model fit(double[] x, int nrow, int ncol, int[] nlevels, double[] y, double[] weights,
                            int[] cluster, int nclusters, double[] z, int q, boolean diagonalG, Config config) {
        Booster b = booster(x, nrow, ncol, nlevels, y, weights, cluster, nclusters, z, q, diagonalG, config);
        b.iterate(config.nrounds);
        return b.model();
    }

    /**
     * A model from the bytes of {@link Model#toBytes()} (for a saved file with metadata, see {@link ModelFile}).
     *
     * @param bytes the model's bytes
     * @return the model
     * @throws IllegalArgumentException when the bytes are not a model, are corrupt or of a newer format
     */
    public static Model fromBytes(byte[] bytes) {
        return Model.fromBytes(bytes);
    }
}
