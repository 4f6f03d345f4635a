package org.gbmixed;

import java.util.Arrays;

/**
 * The marginal-likelihood Newton (GLS) step of the mean along a basis A (N x K: a tree's leaf indicators, a
 * spline's basis, the linear design), at fixed variances, through the q x q algebra (never an n_i x n_i matrix):
 * <pre>
 *   c = (A'V^-1 A + S)^-1 A'V^-1 r
 *   A'V^-1 A = sum_i cw_i [A_i'R_i^-1 A_i - U_i' P_i U_i],   U_i = Z_i'R_i^-1 A_i  (q x K, Woodbury)
 *   A'V^-1 r = sum_i cw_i A_i'R_i^-1 e_i                      (V_i^-1 r_i = R_i^-1 e_i)
 * </pre>
 * with P_i, e_i from the E-step at the current mean, cw_i a weight per cluster (0 leaves a cluster out: cross-fit
 * folds, subsampling; bootstrap counts) and S a penalty (P-splines) or none. The NLL is quadratic in f, so
 * without S this is the exact minimiser along A: a cluster-level effect gets its full GLS value, not the share
 * left over after the BLUPs took theirs. Cost O(sum_j nnz_j^2 + sum_i k_i^2 q + K^3), k_i the columns cluster i
 * touches.
 *
 * Clusters are summed in a fixed number of blocks that depends on the data only, so the result is the same for
 * any thread count.
 */
final class NewtonStep {
    private static final int PARALLEL_MIN_ROWS = 20_000;
    private static final int MAX_BLOCKS = 16;

    private final TrainingData d;
    private final Parallel par;
    private final int blocks;
    private Acc[] acc = new Acc[0];

    /** Per-block accumulators for K columns. */
    private static final class Acc {
        final int k;
        final double[] h, g, u, w, val;
        final int[] stamp, pos, touched, col;
        Acc(int k, int q, int nnz) {
            this.k = k;
            h = new double[k * k]; g = new double[k]; u = new double[q * k]; w = new double[q * k];
            stamp = new int[k]; pos = new int[k]; touched = new int[k];
            col = new int[nnz]; val = new double[nnz];
        }
    }

    NewtonStep(TrainingData d, Parallel par) {
        this.d = d;
        this.par = par;
        blocks = d.n >= PARALLEL_MIN_ROWS ? Math.min(d.m, MAX_BLOCKS) : 1;
    }

    /**
     * The coefficients c (length a.ncol()). Columns without weight (no row, or only rows of clusters with
     * cw_i = 0) get 0.
     * @param lik     E-step state at the current mean (e, P)
     * @param resVar  R_j per row
     * @param cw      weight per cluster, or null for all 1
     * @param penalty K x K added to A'V^-1 A, or null
     */
    double[] solve(Basis a, Likelihood lik, double[] resVar, double[] cw, double[] penalty) {
        double[] g = new double[a.ncol()];
        double[] h = system(a, lik, resVar, cw, g);
        return solveSystem(h, g, a.ncol(), penalty);
    }

    /**
     * The Newton system without solving it: returns A'V^-1 A (K x K, lower triangle filled) and writes A'V^-1 r
     * to g (length K).
     */
    double[] system(Basis a, Likelihood lik, double[] resVar, double[] cw, double[] g) {
        int k = a.ncol(), q = d.q;
        if (acc.length != blocks || acc[0].k < k || acc[0].col.length < a.maxNonZero()) {
            acc = new Acc[blocks];
            for (int b = 0; b < blocks; b++) acc[b] = new Acc(k, q, a.maxNonZero());
        }
        par.forEach(blocks, b -> accumulate(a, k, lik, resVar, cw, acc[b],
                (int) ((long) d.m * b / blocks), (int) ((long) d.m * (b + 1) / blocks)));
        int kk = acc[0].k;
        double[] h = new double[k * k];
        java.util.Arrays.fill(g, 0, k, 0.0);
        for (int b = 0; b < blocks; b++) {
            Acc s = acc[b];
            for (int c = 0; c < k; c++) {
                g[c] += s.g[c];
                for (int r = c; r < k; r++) h[r + c * k] += s.h[r + c * kk];
            }
        }
        return h;
    }

    private void accumulate(Basis a, int k, Likelihood lik, double[] resVar, double[] cw, Acc s, int lo, int hi) {
        int q = d.q, n = d.n, kk = s.k;
        double[] h = s.h, g = s.g, u = s.u, w = s.w, val = s.val, z = d.z, e = lik.e, post = lik.post;
        int[] col = s.col, stamp = s.stamp, pos = s.pos, touched = s.touched;
        Arrays.fill(h, 0.0);
        Arrays.fill(g, 0.0);
        Arrays.fill(stamp, 0);
        for (int i = lo; i < hi; i++) {
            double ci = cw == null ? 1 : cw[i];
            if (ci == 0) continue;
            int mark = i + 1, nt = 0;
            for (int t = d.start[i]; t < d.start[i + 1]; t++) {
                int j = d.order[t];
                int nz = a.row(j, col, val, 0);
                double rinv = 1.0 / resVar[j], er = e[j] * rinv;
                for (int x = 0; x < nz; x++) {
                    int c = col[x];
                    double v = val[x];
                    if (stamp[c] != mark) {
                        stamp[c] = mark;
                        pos[c] = nt;
                        touched[nt] = c;
                        Arrays.fill(u, nt * q, nt * q + q, 0.0);
                        nt++;
                    }
                    g[c] += ci * v * er;
                    int p = pos[c] * q;
                    double vr = v * rinv;
                    for (int l = 0; l < q; l++) u[p + l] += z[j + l * n] * vr;
                    // A_i' R_i^-1 A_i, lower triangle; two entries of one row in the same column count twice
                    for (int y = 0; y <= x; y++) {
                        int c2 = col[y];
                        double add = ci * v * val[y] * rinv;
                        if (y != x && c2 == c) add *= 2;
                        if (c >= c2) h[c + c2 * kk] += add; else h[c2 + c * kk] += add;
                    }
                }
            }
            // - U_i' P_i U_i over the touched columns: W = P_i U_i, then U_a' W_b
            int off = i * q * q;
            for (int x = 0; x < nt; x++)
                for (int l = 0; l < q; l++) {
                    double sum = 0;
                    for (int m = 0; m < q; m++) sum += post[off + l + m * q] * u[x * q + m];
                    w[x * q + l] = sum;
                }
            for (int x = 0; x < nt; x++) {
                int cx = touched[x];
                for (int y = 0; y < nt; y++) {
                    int cy = touched[y];
                    if (cy > cx) continue;
                    double sum = 0;
                    for (int l = 0; l < q; l++) sum += u[x * q + l] * w[y * q + l];
                    h[cx + cy * kk] -= ci * sum;
                }
            }
        }
    }

    /**
     * Solves (H + S) c = g for the lower triangle of H. Columns with no information (H_cc tiny next to the
     * largest diagonal, and no penalty) are pinned at 0.
     */
    static double[] solveSystem(double[] h, double[] g, int k, double[] penalty) {
        double maxDiag = 0;
        for (int c = 0; c < k; c++) maxDiag = Math.max(maxDiag, h[c + c * k]);
        double[] a = new double[k * k];
        for (int c = 0; c < k; c++)
            for (int r = c; r < k; r++) {
                double v = h[r + c * k] + (penalty == null ? 0 : penalty[r + c * k]);
                a[r + c * k] = v;
                a[c + r * k] = v;
            }
        double[] rhs = g.clone();
        boolean[] pinned = new boolean[k];
        for (int c = 0; c < k; c++) {
            if (!(a[c + c * k] > 1e-12 * maxDiag) || !(maxDiag > 0)) {
                pinned[c] = true;
                for (int r = 0; r < k; r++) { a[r + c * k] = 0; a[c + r * k] = 0; }
                a[c + c * k] = 1;
                rhs[c] = 0;
            }
        }
        double[] l = a.clone();
        if (!Dense.cholesky(l, k)) {
            // numerically semi-definite (e.g. leaves that a random slope can nearly reproduce): a tiny ridge
            double ridge = 1e-9 * Math.max(maxDiag, Double.MIN_NORMAL);
            for (int attempt = 0; attempt < 8; attempt++, ridge *= 100) {
                l = a.clone();
                for (int c = 0; c < k; c++) if (!pinned[c]) l[c + c * k] += ridge;
                if (Dense.cholesky(l, k)) break;
                if (attempt == 7) throw new IllegalStateException("Newton step of the mean: the system is not positive definite");
            }
        }
        Dense.cholSolve(l, k, rhs);
        for (int c = 0; c < k; c++) if (pinned[c]) rhs[c] = 0;
        return rhs;
    }
}
