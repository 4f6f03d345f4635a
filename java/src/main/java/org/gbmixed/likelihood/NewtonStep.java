package org.gbmixed.likelihood;

import org.gbmixed.base.Dense;
import org.gbmixed.base.Parallel;
import org.gbmixed.base.TrainingData;

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
public final class NewtonStep {
    private static final int PARALLEL_MIN_ROWS = 20_000;
    private static final int MAX_BLOCKS = 16;

    private final TrainingData d;
    /** The engine's threads (the mean's per-row loops use them too). */
    public final Parallel par;
    private final int blocks;
    private Acc[] acc = new Acc[0];

    /** Per-block accumulators for K columns. */
    private static final class Acc {
        final int k;
        final double[] h, g, u, w, val, val2, val3;
        final int[] stamp, pos, touched, col;
        Acc(int k, int q, int nnz) {
            this.k = k;
            h = new double[k * k]; g = new double[k]; u = new double[q * k]; w = new double[q * k];
            val2 = new double[k]; val3 = new double[k];
            stamp = new int[k]; pos = new int[k]; touched = new int[k];
            col = new int[nnz]; val = new double[nnz];
        }
    }

    public NewtonStep(TrainingData d, Parallel par) {
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
    public double[] solve(Basis a, Likelihood lik, double[] resVar, double[] cw, double[] penalty) {
        double[] g = new double[a.ncol()];
        double[] h = system(a, lik, resVar, cw, g);
        return solveSystem(h, g, a.ncol(), penalty);
    }

    /**
     * The Newton system without solving it: returns A'V^-1 A (K x K, lower triangle filled) and writes A'V^-1 r
     * to g (length K).
     */
    public double[] system(Basis a, Likelihood lik, double[] resVar, double[] cw, double[] g) {
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

    /**
     * Sums the clusters lo..hi-1 into s.h and s.g. Entries of H are added at (c, c2) in whichever order the pair
     * comes (no branch in the inner loops); the two triangles are folded into the lower one at the end.
     */
    private void accumulate(Basis a, int k, Likelihood lik, double[] resVar, double[] cw, Acc s, int lo, int hi) {
        int q = d.q, n = d.n, kk = s.k;
        double[] h = s.h, g = s.g, u = s.u, val = s.val, z = d.z, e = lik.e, post = lik.post;
        int[] col = s.col, stamp = s.stamp, pos = s.pos, touched = s.touched;
        Basis.LeafRows leaves = a instanceof Basis.LeafRows ? (Basis.LeafRows) a : null;   // the trees: no virtual call
        Arrays.fill(h, 0.0);
        Arrays.fill(g, 0.0);
        Arrays.fill(stamp, 0);
        if (leaves != null && leaves.t == null) {
            accumulateLeaves(leaves, k, lik, resVar, cw, s, lo, hi);
            return;
        }
        if (a.dense()) {
            accumulateDense(a, k, lik, resVar, cw, s, lo, hi);
            return;
        }
        for (int i = lo; i < hi; i++) {
            double ci = cw == null ? 1 : cw[i];
            if (ci == 0) continue;
            int mark = i + 1, nt = 0;
            for (int t = d.start[i]; t < d.start[i + 1]; t++) {
                int j = d.order[t];
                int nz = leaves != null ? leaves.row(j, col, val, 0) : a.row(j, col, val, 0);
                double rinv = ci / resVar[j], er = e[j] * rinv;
                for (int x = 0; x < nz; x++) {
                    int c = col[x];
                    double v = val[x];
                    if (stamp[c] != mark) {
                        stamp[c] = mark;
                        pos[c] = nt;
                        touched[nt] = c;
                        for (int l = nt * q; l < nt * q + q; l++) u[l] = 0;
                        nt++;
                    }
                    g[c] += v * er;
                    int p = pos[c] * q;
                    double vr = v * rinv;
                    for (int l = 0; l < q; l++) u[p + l] += z[j + l * n] * vr;
                    // A_i' R_i^-1 A_i: each pair of the row's entries once (the fold adds both orders)
                    h[c + c * kk] += v * vr;
                    for (int y = 0; y < x; y++) {
                        int c2 = col[y];
                        h[c + c2 * kk] += c2 == c ? 2 * vr * val[y] : vr * val[y];   // a repeated column: 2 v v'
                    }
                }
            }
            // - U_i' P_i U_i over the touched columns (U holds cw_i)
            subtractUPU(s, post, i * q * q, nt, 1 / ci);
        }
        fold(h, k, kk);
    }

    /**
     * The same for a dense basis (every row has all k columns, in order: the linear learner): no column
     * bookkeeping; each row's products go to the upper triangle, contiguous in memory, and the fold moves them down.
     */
    private void accumulateDense(Basis a, int k, Likelihood lik, double[] resVar, double[] cw, Acc s, int lo, int hi) {
        int q = d.q, n = d.n, kk = s.k;
        double[] h = s.h, g = s.g, u = s.u, val = s.val, z = d.z, e = lik.e, post = lik.post;
        int[] col = s.col, touched = s.touched;
        for (int c = 0; c < k; c++) touched[c] = c;
        for (int i = lo; i < hi; i++) {
            double ci = cw == null ? 1 : cw[i];
            if (ci == 0) continue;
            Arrays.fill(u, 0, q * k, 0.0);
            for (int t = d.start[i]; t < d.start[i + 1]; t++) {
                int j = d.order[t];
                a.row(j, col, val, 0);
                double rinv = ci / resVar[j], er = e[j] * rinv;
                for (int c = 0; c < k; c++) {
                    double v = val[c], vr = v * rinv;
                    g[c] += v * er;
                    for (int l = 0; l < q; l++) u[c * q + l] += z[j + l * n] * vr;
                    int hc = c * kk;
                    for (int c2 = 0; c2 <= c; c2++) h[c2 + hc] += vr * val[c2];
                }
            }
            subtractUPU(s, post, i * q * q, k, 1 / ci);
        }
        fold(h, k, kk);
    }

    /** lower(r, c) = h(r, c) + h(c, r) for r > c: the pairs were added in whichever order they came. */
    private static void fold(double[] h, int k, int kk) {
        for (int c = 0; c < k; c++)
            for (int r = c + 1; r < k; r++) {
                h[r + c * kk] += h[c + r * kk];
                h[c + r * kk] = 0;
            }
    }

    /**
     * h -= inv U' P_i U over the nt touched columns (U = s.u, q x nt, positions s.touched; P_i at post[off]):
     * W = P_i U, then U_x' W_y for y <= x (the fold adds the other order).
     */
    private void subtractUPU(Acc s, double[] post, int off, int nt, double inv) {
        int q = d.q, kk = s.k;
        double[] h = s.h, u = s.u, w = s.w;
        int[] touched = s.touched;
        if (q == 1) {
            double p0 = post[off] * inv;
            for (int x = 0; x < nt; x++) {
                int cx = touched[x];
                double ux = u[x] * p0;
                for (int y = 0; y <= x; y++) h[cx + touched[y] * kk] -= ux * u[y];
            }
            return;
        }
        for (int x = 0; x < nt; x++)
            for (int l = 0; l < q; l++) {
                double sum = 0;
                for (int m = 0; m < q; m++) sum += post[off + l + m * q] * u[x * q + m];
                w[x * q + l] = sum * inv;
            }
        for (int x = 0; x < nt; x++) {
            int cx = touched[x];
            for (int y = 0; y <= x; y++) {
                double sum = 0;
                for (int l = 0; l < q; l++) sum += u[x * q + l] * w[y * q + l];
                h[cx + touched[y] * kk] -= sum;
            }
        }
    }

    /**
     * The same for [intercept, leaves of one tree] (the mean's tree without a treatment part, the hot path):
     * rows are first summed per (cluster, leaf), sum R^-1, sum e R^-1, sum z R^-1; the intercept's entries are the
     * sums over the leaves.
     */
    private void accumulateLeaves(Basis.LeafRows lr, int k, Likelihood lik, double[] resVar, double[] cw, Acc s,
                                  int lo, int hi) {
        int q = d.q, n = d.n, kk = s.k;
        double[] h = s.h, g = s.g, u = s.u, z = d.z, e = lik.e, post = lik.post, sr = s.val2, sg = s.val3;
        int[] stamp = s.stamp, pos = s.pos, touched = s.touched, leafOf = lr.leafMu;
        for (int i = lo; i < hi; i++) {
            double ci = cw == null ? 1 : cw[i];
            if (ci == 0) continue;
            int mark = i + 1, nt = 1;
            touched[0] = 0;                       // the intercept: position 0
            for (int t = d.start[i]; t < d.start[i + 1]; t++) {
                int j = d.order[t], c = 1 + leafOf[j];
                if (stamp[c] != mark) {
                    stamp[c] = mark;
                    pos[c] = nt;
                    touched[nt] = c;
                    sr[nt] = 0;
                    sg[nt] = 0;
                    for (int l = nt * q; l < nt * q + q; l++) u[l] = 0;
                    nt++;
                }
                int p = pos[c];
                double rinv = ci / resVar[j];
                sr[p] += rinv;
                sg[p] += e[j] * rinv;
                for (int l = 0; l < q; l++) u[p * q + l] += z[j + l * n] * rinv;
            }
            // the intercept column: sums over the leaves
            double sr0 = 0, sg0 = 0;
            Arrays.fill(u, 0, q, 0.0);
            for (int x = 1; x < nt; x++) {
                int c = touched[x];
                sr0 += sr[x];
                sg0 += sg[x];
                for (int l = 0; l < q; l++) u[l] += u[x * q + l];
                h[c + c * kk] += sr[x];
                h[c] += sr[x];                    // (leaf, intercept)
                g[c] += sg[x];
            }
            h[0] += sr0;
            g[0] += sg0;
            subtractUPU(s, post, i * q * q, nt, 1 / ci);
        }
        fold(h, k, kk);
    }

    /**
     * Solves (H + S) c = g for the lower triangle of H. Columns with no information (H_cc tiny next to the
     * largest diagonal, and no penalty) are pinned at 0.
     */
    public static double[] solveSystem(double[] h, double[] g, int k, double[] penalty) {
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
