package org.gbmixed.boosting;

import org.gbmixed.Config;
import org.gbmixed.base.Parallel;
import org.gbmixed.base.TrainingData;
import org.gbmixed.model.Model;

/**
 * Refits of one model to many responses on the same design, in parallel: the engine side of a parametric
 * bootstrap (R simulates the responses from the fitted model; each replicate is boosted with the fit's settings
 * on one thread, replicates spread over the threads). Each replicate's result is a row of
 * [G (q x q column-major; the average of G(w) for GBoost), sigma^2 (the mean of R(x) for RBoost), logLik,
 * linear coefficients (learner "linear", not component-wise; none otherwise)].
 */
public final class Refits {
    private Refits() {}

    /** Width of one replicate's row for a model with q random effects and ncoef linear coefficients. */
    static int width(int q, int ncoef) { return q * q + 2 + ncoef; }

    public static double[] run(double[] x, int nrow, int ncol, int[] nlevels, double[] ys, int nsim, double[] weights,
                        int[] cluster, int nclusters, double[] z, int q, boolean diagonalG,
                        double[] xdisp, int ncolDisp, int[] nlevelsDisp, double[] wcov, int ncolCov, int[] nlevelsCov,
                        double[] treatment, int ncolCate, Config config) {
        if (nsim < 1) throw new IllegalArgumentException("nsim = " + nsim + ": must be >= 1");
        if (ys == null || ys.length != (long) nrow * nsim)
            throw new IllegalArgumentException("ys has length " + (ys == null ? "null" : ys.length) + ", expected nrow * nsim = "
                    + (long) nrow * nsim);
        boolean linear = config.learner == Config.Learner.LINEAR && !config.componentwise;
        int ncoef = 0;
        if (linear) {
            ncoef = 1;
            for (int k = 0; k < ncol; k++) ncoef += nlevels[k] > 0 ? nlevels[k] - 1 : 1;
        }
        int w = width(q, ncoef), nc = ncoef;
        double[] out = new double[nsim * w];
        Config one = config.withThreads(1);
        Parallel par = new Parallel(config.threads);
        RuntimeException[] failure = new RuntimeException[1];
        par.forEach(nsim, r -> {
            try {
                double[] y = java.util.Arrays.copyOfRange(ys, r * nrow, (r + 1) * nrow);
                TrainingData d = new TrainingData(x, nrow, ncol, nlevels, y, weights, cluster, nclusters, z, q, diagonalG,
                        xdisp, ncolDisp, nlevelsDisp, wcov, ncolCov, nlevelsCov);
                if (treatment != null && treatment.length > 0) d.setTreatment(treatment, Double.NaN, ncolCate);
                Booster b = new Booster(d, one);
                b.iterate(one.nrounds);
                Model m = b.model();
                double[] g = m.covariance();
                int off = r * w;
                System.arraycopy(g, 0, out, off, q * q);
                out[off + q * q] = m.sigma2();
                out[off + q * q + 1] = m.logLik();
                if (nc > 0) System.arraycopy(m.linearCoefficients(), 0, out, off + q * q + 2, nc);
            } catch (RuntimeException e) {
                synchronized (failure) { if (failure[0] == null) failure[0] = e; }
            }
        });
        if (failure[0] != null)
            throw new IllegalStateException("a bootstrap refit failed: " + failure[0].getMessage(), failure[0]);
        return out;
    }
}
