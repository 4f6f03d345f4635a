package org.gbmixed;

/**
 * The engine's facade: primitive arrays and a {@link Config} in, a {@link Booster} or {@link Model} out.
 * See java/FACADE.md for the argument layout. Java never prints; errors are exceptions naming the argument.
 */
public final class GBMixed {
    private GBMixed() {}

    /** Engine version (the jar's Implementation-Version, or "dev" when run from classes). */
    public static String version() {
        String v = GBMixed.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /** Validates the data and prepares a booster at round 0 (initial constant-variance fit done). */
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

    /** booster(...), then all nrounds rounds, then the model. */
    public static Model fit(double[] x, int nrow, int ncol, int[] nlevels, double[] y, double[] weights,
                            int[] cluster, int nclusters, double[] z, int q, boolean diagonalG, Config config) {
        Booster b = booster(x, nrow, ncol, nlevels, y, weights, cluster, nclusters, z, q, diagonalG, config);
        b.iterate(config.nrounds);
        return b.model();
    }

    public static Model fromBytes(byte[] bytes) {
        return Model.fromBytes(bytes);
    }
}
