package org.gbmixed.likelihood;

import org.gbmixed.base.Dense;
import org.gbmixed.base.Parallel;
import org.gbmixed.base.TrainingData;

/**
 * Per-cluster algebra of the marginal Gaussian likelihood through the q x q system (never an n_i x n_i matrix):
 * <pre>
 *   C_i = G_i^-1 + Z_i' R_i^-1 Z_i,  bhat_i = C_i^-1 Z_i' R_i^-1 r_i,  P_i = C_i^-1,  e_i = r_i - Z_i bhat_i
 *   l_i = 1/2 [log|R_i| + log|G_i| + log|C_i| + r_i' R_i^-1 e_i]       (r' V^-1 r = r' R^-1 e)
 * </pre>
 * {@link #run} fills bhat (m x q, cluster-major: bhat[i*q + k]), P (block i at i*q*q, column-major), e (per row)
 * and returns the total negative log-likelihood (without the N/2 log 2 pi constant).
 * The gradients of method.md are static functions of that state.
 */
public final class Likelihood {
    final TrainingData d;
    /** The BLUPs and posterior covariances of the clusters (the layout above); outside this package through the accessors below. */
    final double[] bhat, post;
    /** The conditional residuals e = r - Z bhat, per row: V^-1 r = R^-1 e. */
    public final double[] e;
    /** Per-cluster contributions l_i of the last {@link #run}. */
    public final double[] nllCluster;
    private final Parallel par;
    private final int blocks;
    private final Scratch[] scratch;
    private final double[] gInvShared;

    /** Per-task work arrays (q x q). */
    private static final class Scratch {
        final double[] gInv, c, s, l, col;
        Scratch(int q) { gInv = new double[q * q]; c = new double[q * q]; s = new double[q]; l = new double[q * q]; col = new double[q]; }
    }

    public Likelihood(TrainingData d) {
        this(d, Parallel.SERIAL);
    }

    /** Clusters are processed in fixed blocks in parallel; the total is summed in cluster order afterwards. */
    public Likelihood(TrainingData d, Parallel par) {
        this.d = d;
        this.par = par;
        int q = d.q;
        bhat = new double[d.m * q];
        post = new double[d.m * q * q];
        e = new double[d.n];
        nllCluster = new double[d.m];
        blocks = par.threads > 1 && d.n >= 20_000 ? Math.min(d.m, 4 * par.threads) : 1;
        scratch = new Scratch[blocks];
        for (int b = 0; b < blocks; b++) scratch[b] = new Scratch(q);
        gInvShared = new double[q * q];
    }

    /**
     * E-step for all clusters.
     * @param r     r = y - f per row
     * @param resVar R_j per row (residual variance, weights already applied)
     * @param l     Cholesky factor(s) of G: one q x q block if lStride == 0, else block i at i * lStride
     */
    public double run(double[] r, double[] resVar, double[] l, int lStride) {
        int q = d.q, qq = q * q;
        double logDetGShared = 0;
        if (lStride == 0) {
            double[] ls = java.util.Arrays.copyOf(l, qq);
            Dense.cholInverse(ls, q, gInvShared);
            logDetGShared = Dense.cholLogDet(ls, q);
        }
        final double ldg = logDetGShared;
        par.forEach(blocks, b -> {
            Scratch sc = scratch[b];
            int lo = (int) ((long) d.m * b / blocks), hi = (int) ((long) d.m * (b + 1) / blocks);
            for (int i = lo; i < hi; i++) {
                double logDetG = ldg;
                double[] gInv = gInvShared;
                if (lStride != 0) {
                    System.arraycopy(l, i * lStride, sc.l, 0, qq);
                    Dense.cholInverse(sc.l, q, sc.gInv);
                    logDetG = Dense.cholLogDet(sc.l, q);
                    gInv = sc.gInv;
                }
                cluster(i, r, resVar, gInv, logDetG, sc);
            }
        });
        double total = 0;
        for (int i = 0; i < d.m; i++) total += nllCluster[i];
        return total;
    }

    private void cluster(int i, double[] r, double[] resVar, double[] gInv, double logDetG, Scratch sc) {
        final int q = d.q, n = d.n;
        final double[] z = d.z, c = sc.c, s = sc.s, col = sc.col;
        System.arraycopy(gInv, 0, c, 0, q * q);
        java.util.Arrays.fill(s, 0.0);
        double logR = 0;
        int from = d.start[i], to = d.start[i + 1];
        for (int t = from; t < to; t++) {
            int j = d.order[t];
            double rinv = 1.0 / resVar[j];
            logR += Math.log(resVar[j]);
            for (int a = 0; a < q; a++) {
                double za = z[j + a * n] * rinv;
                s[a] += za * r[j];
                for (int b = a; b < q; b++) c[b + a * q] += za * z[j + b * n];   // lower triangle
            }
        }
        if (!Dense.cholesky(c, q))
            throw new IllegalStateException("cluster " + (i + 1) + ": C_i = G^-1 + Z'R^-1 Z is not positive definite");
        double logDetC = Dense.cholLogDet(c, q);
        int pOff = i * q * q;
        for (int a = 0; a < q; a++) {          // P_i = C_i^-1, column by column
            java.util.Arrays.fill(col, 0.0);
            col[a] = 1;
            Dense.cholSolve(c, q, col);
            System.arraycopy(col, 0, post, pOff + a * q, q);
        }
        Dense.cholSolve(c, q, s);               // s <- bhat_i
        System.arraycopy(s, 0, bhat, i * q, q);
        double quad = 0;
        for (int t = from; t < to; t++) {
            int j = d.order[t];
            double zb = 0;
            for (int a = 0; a < q; a++) zb += z[j + a * n] * s[a];
            e[j] = r[j] - zb;
            quad += r[j] * e[j] / resVar[j];
        }
        nllCluster[i] = 0.5 * (logR + logDetG + logDetC + quad);
    }

    /**
     * The row-wise score: sum over the rows of clusters with mask_i != 0 (all when mask is null) of the negative
     * log density of r_j under its marginal normal N(0, z_j' G_i z_j + R_j), G_i = L_i L_i' (l: one q x q factor
     * if lStride == 0, else block i at i * lStride). Unlike the joint NLL it ignores the correlation of a
     * cluster's rows: it scores each row's population-level prediction, as RMSE or a row's log score do.
     */
    static double rowwise(TrainingData d, double[] r, double[] resVar, double[] l, int lStride, double[] mask) {
        int q = d.q, n = d.n, qq = q * q;
        double[] g = new double[qq], li = new double[qq], zr = new double[q];
        double total = 0;
        if (lStride == 0) {   // one shared G (loaded here: cluster 0 may be masked out)
            System.arraycopy(l, 0, li, 0, qq);
            LogCholesky.gFromL(li, q, g);
        }
        for (int i = 0; i < d.m; i++) {
            if (mask != null && mask[i] == 0) continue;
            if (lStride != 0) {
                System.arraycopy(l, i * lStride, li, 0, qq);
                LogCholesky.gFromL(li, q, g);
            }
            for (int t = d.start[i]; t < d.start[i + 1]; t++) {
                int j = d.order[t];
                for (int a = 0; a < q; a++) zr[a] = d.z[j + a * n];
                double v = Dense.quadForm(zr, g, 0, zr, q) + resVar[j];
                total += 0.5 * (Math.log(2 * Math.PI * v) + r[j] * r[j] / v);
            }
        }
        return total;
    }

    /** Sum of r_j^2 over the rows of clusters with mask_i != 0 (all when mask is null). */
    static double squaredError(TrainingData d, double[] r, double[] mask) {
        double total = 0;
        for (int i = 0; i < d.m; i++) {
            if (mask != null && mask[i] == 0) continue;
            for (int t = d.start[i]; t < d.start[i + 1]; t++) total += r[d.order[t]] * r[d.order[t]];
        }
        return total;
    }

    /**
     * The loss early stopping watches (Config.stoppingMetric): 0 the joint NLL from {@link #run} (its state must
     * be current: nllCluster), 1 {@link #rowwise}, 2 {@link #squaredError}.
     */
    public double stoppingLoss(int metric, double[] r, double[] resVar, double[] l, int lStride, double[] mask) {
        switch (metric) {
            case 1: return rowwise(d, r, resVar, l, lStride, mask);
            case 2: return squaredError(d, r, mask);
            default: {
                double s = 0;
                for (int i = 0; i < d.m; i++) if (mask == null || mask[i] != 0) s += nllCluster[i];
                return s;
            }
        }
    }

    /** z_j' P_i z_j for row j of cluster i. */
    public double zPz(int j, int i) {
        int q = d.q, n = d.n, off = i * q * q;
        double s2 = 0;
        for (int a = 0; a < q; a++) {
            double t = 0;
            for (int b = 0; b < q; b++) t += post[off + a + b * q] * d.z[j + b * n];
            s2 += d.z[j + a * n] * t;
        }
        return s2;
    }

    /** {@return the BLUPs bhat of the last {@link #run}, cluster-major (bhat[i*q + k]), a copy} */
    public double[] blups() { return bhat.clone(); }

    /** {@return the posterior covariances P_i = Var(b_i | y) of the last {@link #run}, block i (q x q, column-major) at i*q*q, a copy} */
    public double[] posteriors() { return post.clone(); }

    /** The posterior second moment E[b_i b_i' | y] = P_i + bhat_i bhat_i', entry (a, b): what the EM steps of G average. */
    public double secondMoment(int i, int a, int b) {
        int q = d.q;
        return post[i * q * q + a + b * q] + bhat[i * q + a] * bhat[i * q + b];
    }

    /** u' P_i v for q-vectors u, v (the Woodbury correction of a' V_i^-1 b, with u = Z_i' R_i^-1 a, v = Z_i' R_i^-1 b). */
    public double quadPost(int i, double[] u, double[] v) {
        int q = d.q;
        return Dense.quadForm(u, post, i * q * q, v, q);
    }

    /** out[outOff..] = P_i u[uOff..] (q entries each). */
    public void applyPost(int i, double[] u, int uOff, double[] out, int outOff) {
        int q = d.q, off = i * q * q;
        for (int a = 0; a < q; a++) {
            double s = 0;
            for (int b = 0; b < q; b++) s += post[off + a + b * q] * u[uOff + b];
            out[outOff + a] = s;
        }
    }

    /** dl/df_j = -e_j / R_j. */
    double gradF(int j, double[] resVar) {
        return -e[j] / resVar[j];
    }

    /** dl/drho_j = 1/2 [1 - (e_j^2 + z_j' P_i z_j) / R_j], with R_j = exp(rho_j) / w_j. */
    public double gradRho(int j, double[] resVar) {
        return gradRho(e[j], zPz(j, d.cluster[j]), resVar[j]);
    }

    /** dl/drho_j from e_j, z_j' P_i z_j and R_j (the rho step computes z'Pz once for this and the weight). */
    public static double gradRho(double e, double zpz, double resVar) {
        return 0.5 * (1 - (e * e + zpz) / resVar);
    }

    /**
     * Fisher information of rho_j: 1/2 (R_j [V^-1]_jj)^2 = 1/2 (1 - z_j' P_i z_j / R_j)^2 (method.md), the weight of
     * the residual log-variance step.
     */
    public double fisherRho(int j, double[] resVar) {
        return fisherRho(zPz(j, d.cluster[j]), resVar[j]);
    }

    /** The same from z_j' P_i z_j and R_j. */
    public static double fisherRho(double zpz, double resVar) {
        double a = 1 - zpz / resVar;   // R_j [V^-1]_jj, in (0, 1]
        return 0.5 * a * a;
    }

    /**
     * dl_i/dtheta for cluster i: M_i = G^-1 (G - S_i) G^-1, S_i = P_i + bhat_i bhat_i', chained through L.
     * @param l Cholesky factor of G_i (q x q at offset lOff)
     */
    void gradTheta(int i, LogCholesky lc, double[] l, int lOff, double[] out, int outOff) {
        thetaTerms(i, lc, l, lOff, out, null, outOff);
    }

    /**
     * Diagonal Fisher information of theta for cluster i: I_t = 1/2 tr(W D_t W D_t), W = Z'V^-1 Z =
     * G^-1 - G^-1 P_i G^-1, D_t = dG/dtheta_t = E_t L' + L E_t', E_t the unit matrix at (k, l) times
     * L_kk when k = l.
     */
    void fisherTheta(int i, LogCholesky lc, double[] l, int lOff, double[] out, int outOff) {
        thetaTerms(i, lc, l, lOff, null, out, outOff);
    }

    /**
     * The gradient (into grad) and the diagonal Fisher information (into info) of theta for cluster i, from one
     * G^-1; either output may be null. The covariance step needs both every round.
     */
    public void thetaTerms(int i, LogCholesky lc, double[] l, int lOff, double[] grad, double[] info, int outOff) {
        int q = d.q, qq = q * q;
        double[] li = new double[qq], gi = new double[qq], tmp = new double[qq], a = new double[qq],
                b = new double[qq];
        System.arraycopy(l, lOff, li, 0, qq);
        Dense.cholInverse(li, q, gi);
        if (grad != null) {
            // M = G^-1 (G - S) G^-1 with S = P + bhat bhat'; dl/dL = M L
            LogCholesky.gFromL(li, q, a);
            for (int x = 0; x < q; x++)
                for (int y = 0; y < q; y++)
                    a[x + y * q] -= secondMoment(i, x, y);
            Dense.multiply(gi, a, q, tmp);
            Dense.multiply(tmp, gi, q, b);
            lc.gradient(b, li, grad, outOff);
        }
        if (info != null) {
            // W = G^-1 - G^-1 P G^-1
            Dense.multiply(gi, java.util.Arrays.copyOfRange(post, i * qq, i * qq + qq), q, tmp);
            Dense.multiply(tmp, gi, q, a);
            for (int k = 0; k < qq; k++) a[k] = gi[k] - a[k];
            for (int t = 0; t < lc.size(); t++) {
                int k = lc.row[t], c = lc.col[t];
                double e = k == c ? li[k + c * q] : 1.0;
                // D = E L' + L E', E = e * unit(k, c):  (E L')_xy = e [x == k] L_yc;  (L E')_xy = e L_xc [y == k]
                java.util.Arrays.fill(b, 0.0);
                for (int y = 0; y < q; y++) b[k + y * q] += e * li[y + c * q];
                for (int x = 0; x < q; x++) b[x + k * q] += e * li[x + c * q];
                Dense.multiply(a, b, q, tmp);        // W D
                double tr = 0;                       // tr((W D)^2)
                for (int x = 0; x < q; x++) for (int y = 0; y < q; y++) tr += tmp[x + y * q] * tmp[y + x * q];
                info[outOff + t] = 0.5 * tr;
            }
        }
    }
}
