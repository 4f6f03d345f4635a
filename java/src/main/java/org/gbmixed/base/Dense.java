package org.gbmixed.base;

/**
 * Small dense kernels on flat column-major arrays: element (r, c) of an n x n matrix is a[r + c * n].
 * Sizes here are q x q (random effects) or p x p (linear learner), so hand-written loops beat any JNI call.
 * Kernels report failure (a matrix that is not positive definite) as a return value; callers raise.
 */
public final class Dense {
    private Dense() {}

    /**
     * In-place Cholesky A = L L' of a symmetric positive definite n x n matrix. Reads the lower triangle,
     * writes L to the lower triangle and zeros the strict upper triangle.
     * @return false when A is not (numerically) positive definite
     */
    public static boolean cholesky(double[] a, int n) {
        return choleskyFailure(a, n, null, 0) < 0;
    }

    /**
     * The same, failing also where a pivot A_jj - sum_k<j L_jk^2 is at most relTol * diag[j] (diag null: 0):
     * returns -1 on success, else the first failing column j (columns before j are factored, j onwards not).
     */
    public static int choleskyFailure(double[] a, int n, double[] diag, double relTol) {
        for (int j = 0; j < n; j++) {
            // L_jj = sqrt(A_jj - sum_k<j L_jk^2)
            double d = a[j + j * n];
            for (int k = 0; k < j; k++) d -= a[j + k * n] * a[j + k * n];
            if (!(d > (diag == null ? 0 : relTol * diag[j])) || Double.isInfinite(d)) return j;
            double ljj = Math.sqrt(d);
            a[j + j * n] = ljj;
            for (int i = j + 1; i < n; i++) {
                // L_ij = (A_ij - sum_k<j L_ik L_jk) / L_jj
                double s = a[i + j * n];
                for (int k = 0; k < j; k++) s -= a[i + k * n] * a[j + k * n];
                a[i + j * n] = s / ljj;
            }
            for (int i = 0; i < j; i++) a[i + j * n] = 0.0;
        }
        return -1;
    }

    /** Solves L L' x = b in place (b overwritten by x), L from {@link #cholesky}. */
    public static void cholSolve(double[] l, int n, double[] b) {
        for (int i = 0; i < n; i++) {           // forward: L y = b
            double s = b[i];
            for (int k = 0; k < i; k++) s -= l[i + k * n] * b[k];
            b[i] = s / l[i + i * n];
        }
        for (int i = n - 1; i >= 0; i--) {      // backward: L' x = y
            double s = b[i];
            for (int k = i + 1; k < n; k++) s -= l[k + i * n] * b[k];
            b[i] = s / l[i + i * n];
        }
    }

    /** (L L')^-1 as a full symmetric n x n matrix into out (length >= n*n). */
    public static void cholInverse(double[] l, int n, double[] out) {
        double[] col = new double[n];
        for (int c = 0; c < n; c++) {
            java.util.Arrays.fill(col, 0.0);
            col[c] = 1.0;
            cholSolve(l, n, col);
            System.arraycopy(col, 0, out, c * n, n);
        }
    }

    /** log |L L'| = 2 sum log L_ii. */
    public static double cholLogDet(double[] l, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += Math.log(l[i + i * n]);
        return 2 * s;
    }

    /** x' A y for an n x n matrix A. */
    public static double quadForm(double[] x, double[] a, int off, double[] y, int n) {
        double s = 0;
        for (int c = 0; c < n; c++) {
            double t = 0;
            for (int r = 0; r < n; r++) t += x[r] * a[off + r + c * n];
            s += t * y[c];
        }
        return s;
    }

    /** C = A B for n x n matrices. */
    public static void multiply(double[] a, double[] b, int n, double[] c) {
        for (int j = 0; j < n; j++)
            for (int i = 0; i < n; i++) {
                double s = 0;
                for (int k = 0; k < n; k++) s += a[i + k * n] * b[k + j * n];
                c[i + j * n] = s;
            }
    }
}
