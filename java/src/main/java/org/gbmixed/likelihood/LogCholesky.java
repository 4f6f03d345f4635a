package org.gbmixed.likelihood;

import org.gbmixed.base.Dense;

/**
 * Log-Cholesky parametrisation of a q x q random-effects covariance G = L L':
 * L_kk = exp(theta_kk), L_kl = theta_kl (k > l). A full G has q(q+1)/2 parameters, ordered column by column
 * over the lower triangle (k >= l); a diagonal G has q parameters (theta_kk only, L_kl = 0).
 */
public final class LogCholesky {
    final int q;
    public final boolean diagonal;
    /** Row index k and column index l of parameter t. */
    public final int[] row, col;

    public LogCholesky(int q, boolean diagonal) {
        if (q < 1) throw new IllegalArgumentException("q = " + q + ": need at least one random effect");
        this.q = q;
        this.diagonal = diagonal;
        int np = diagonal ? q : q * (q + 1) / 2;
        row = new int[np];
        col = new int[np];
        int t = 0;
        for (int l = 0; l < q; l++)
            for (int k = l; k < q; k++) {
                if (diagonal && k != l) continue;
                row[t] = k;
                col[t] = l;
                t++;
            }
    }

    public int size() { return row.length; }

    /** theta -> L (q x q column-major, zero above the diagonal). */
    public void toL(double[] theta, int off, double[] l) {
        java.util.Arrays.fill(l, 0, q * q, 0.0);
        for (int t = 0; t < row.length; t++) {
            int k = row[t], c = col[t];
            l[k + c * q] = k == c ? Math.exp(theta[off + t]) : theta[off + t];
        }
    }

    /** G (SPD, q x q) -> theta. For a diagonal parametrisation only G's diagonal is used. */
    public double[] fromG(double[] g) {
        double[] a = g.clone();
        if (diagonal)
            for (int i = 0; i < q; i++) for (int j = 0; j < q; j++) if (i != j) a[i + j * q] = 0;
        if (!Dense.cholesky(a, q))
            throw new IllegalStateException("random-effects covariance G is not positive definite");
        double[] theta = new double[row.length];
        for (int t = 0; t < row.length; t++) {
            double v = a[row[t] + col[t] * q];
            theta[t] = row[t] == col[t] ? Math.log(v) : v;
        }
        return theta;
    }

    /** G = L L' from L. */
    public static void gFromL(double[] l, int q, double[] g) {
        for (int i = 0; i < q; i++)
            for (int j = 0; j < q; j++) {
                double s = 0;
                for (int k = 0; k < q; k++) s += l[i + k * q] * l[j + k * q];
                g[i + j * q] = s;
            }
    }

    /**
     * Chain rule from dl/dG = 1/2 M (M symmetric) to theta: dl/dL = M L (lower part),
     * dl/dtheta_kk = (M L)_kk L_kk, dl/dtheta_kl = (M L)_kl.
     */
    void gradient(double[] m, double[] l, double[] out, int off) {
        for (int t = 0; t < row.length; t++) {
            int k = row[t], c = col[t];
            double ml = 0;
            for (int j = 0; j < q; j++) ml += m[k + j * q] * l[j + c * q];
            out[off + t] = k == c ? ml * l[k + c * q] : ml;
        }
    }
}
