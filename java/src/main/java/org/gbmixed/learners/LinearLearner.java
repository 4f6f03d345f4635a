package org.gbmixed.learners;

import org.gbmixed.base.Dense;
import org.gbmixed.base.Features;
import org.gbmixed.likelihood.Basis;

/**
 * Weighted least squares of a target on all covariates: intercept, numeric columns as they are, factors as
 * K-1 treatment dummies (levels 2..K). Solves the normal equations (X' H X) beta = X' H g by Cholesky on
 * columns scaled to unit root-mean-square; a singular design is an error naming the column.
 * With learning rate 1, a linear mean boosted by likelihood gradients converges to the ML linear mixed model.
 */
public final class LinearLearner {
    final int n, ncoef;
    private final double[] design;  // n x ncoef column-major, scaled columns
    private final double[] scale;   // column scale, coefficient in raw units = beta_scaled / scale
    private final String[] colName;

    public LinearLearner(Features d) {
        n = d.n;
        int pc = 1;
        for (int k = 0; k < d.p; k++) pc += d.nlevels[k] > 0 ? d.nlevels[k] - 1 : 1;
        ncoef = pc;
        design = new double[n * pc];
        scale = new double[pc];
        colName = new String[pc];
        colName[0] = "intercept";
        java.util.Arrays.fill(design, 0, n, 1.0);
        int c = 1;
        for (int k = 0; k < d.p; k++) {
            if (d.nlevels[k] > 0) {
                for (int lev = 1; lev < d.nlevels[k]; lev++, c++) {
                    colName[c] = "x" + (k + 1) + " level " + (lev + 1);
                    for (int i = 0; i < n; i++) design[i + c * n] = (int) d.x[i + k * n] == lev ? 1 : 0;
                }
            } else {
                colName[c] = "x" + (k + 1);
                System.arraycopy(d.x, k * n, design, c * n, n);
                c++;
            }
        }
        for (int j = 0; j < pc; j++) {
            double ss = 0;
            for (int i = 0; i < n; i++) ss += design[i + j * n] * design[i + j * n];
            double s = Math.sqrt(ss / n);
            if (!(s > 0)) throw new IllegalArgumentException("linear learner: design column " + colName[j]
                    + " is all zero (singular design)");
            scale[j] = s;
            for (int i = 0; i < n; i++) design[i + j * n] /= s;
        }
        double[] ones = new double[n], g = new double[n];
        java.util.Arrays.fill(ones, 1.0);
        fit(g, ones, new double[n]);   // a singular design fails here, once, whatever step the booster takes
    }

    /** Fits g ~ X with weights h; writes fitted values to out; returns coefficients in raw covariate units. */
    double[] fit(double[] g, double[] h, double[] out) {
        int p = ncoef;
        double[] a = new double[p * p], b = new double[p], x = new double[p];
        // one pass over the rows (not one per pair of columns): row i's products into the upper triangle
        for (int i = 0; i < n; i++) {
            double hi = h[i];
            if (hi == 0) continue;
            for (int j = 0; j < p; j++) x[j] = design[i + j * n];
            double hg = hi * g[i];
            for (int j = 0; j < p; j++) {
                double v = x[j], vh = v * hi;
                b[j] += v * hg;
                int oj = j * p;
                for (int k = 0; k <= j; k++) a[k + oj] += vh * x[k];
            }
        }
        for (int j = 0; j < p; j++) for (int k = j + 1; k < p; k++) { a[k + j * p] = a[j + k * p]; a[j + k * p] = 0; }
        double[] diag = new double[p];
        for (int j = 0; j < p; j++) diag[j] = a[j + j * p];
        // a pivot tiny relative to its diagonal (squared L_jj below 1e-10 A_jj) means collinearity
        int bad = Dense.choleskyFailure(a, p, diag, 1e-10);
        if (bad >= 0) throw new IllegalArgumentException("linear learner: the design is singular or nearly so (column "
                + colName[bad] + " is a linear combination of the others)");
        Dense.cholSolve(a, p, b);
        return fromScaled(b, out);
    }

    /** The scaled design as a basis: every row has all ncoef columns. */
    public Basis basis() {
        return new Basis() {
            public int ncol() { return ncoef; }
            public int maxNonZero() { return ncoef; }
            public boolean dense() { return true; }
            public int row(int j, int[] col, double[] val, int off) {
                for (int c = 0; c < ncoef; c++) { col[off + c] = c; val[off + c] = design[j + c * n]; }
                return ncoef;
            }
        };
    }

    /** Coefficients b of the scaled design: out = X b; returns them in raw covariate units. */
    double[] fromScaled(double[] b, double[] out) {
        java.util.Arrays.fill(out, 0.0);
        for (int j = 0; j < ncoef; j++) {
            double bj = b[j];
            int oj = j * n;
            for (int i = 0; i < n; i++) out[i] += design[oj + i] * bj;
        }
        double[] raw = new double[ncoef];
        for (int j = 0; j < ncoef; j++) raw[j] = b[j] / scale[j];
        return raw;
    }

    /** x_i' beta for row i of an nrow x p column-major matrix with the given factor layout. */
    static double predict(double[] coef, int[] nlevels, double[] x, int nrow, int i) {
        double s = coef[0];
        int c = 1;
        for (int k = 0; k < nlevels.length; k++) {
            double v = x[i + k * nrow];
            if (nlevels[k] > 0) {
                int code = (int) v;
                if (code >= 1 && code < nlevels[k]) s += coef[c + code - 1];
                c += nlevels[k] - 1;
            } else {
                s += coef[c++] * v;
            }
        }
        return s;
    }
}
