package org.gbmixed.learners;

import org.gbmixed.base.Dense;
import org.gbmixed.likelihood.Basis;

/**
 * A penalised least-squares base learner on ONE covariate, the building block of component-wise boosting
 * (as mboost's bbs/bols): a cubic P-spline (basis {@link BSpline}, second-order difference penalty), a
 * one-hot factor with a ridge penalty, or a straight line (intercept + slope, ridge-stabilised).
 * It minimises sum_j h_j (g_j - B_j' c)^2 + lambda mean(h) c' P c. lambda is set once, with unit weights,
 * so that the smoother's degrees of freedom (trace of its hat matrix) equal df; scaling it by mean(h) keeps
 * the effective df when the weights change scale from round to round. When the weights are a multiple of
 * the previous call's, the Cholesky factor is reused.
 */
public final class Smoother {
    public enum Kind { SPLINE, FACTOR, LINE }

    final Kind kind;
    final int size;
    final BSpline basis;          // SPLINE only
    final int nlevels;            // FACTOR only
    final Spec spec;
    private final double[] x;     // the covariate column (n values starting at xOff)
    private final int xOff, n;
    private final double[] pen;
    final double lambda;
    // cached system for weights proportional to lastH
    private double[] lastH, chol;
    private double lastMeanH;
    private final double[] v = new double[4];

    public Smoother(double[] x, int xOff, int n, int nlevels, Kind kind, int knots, double df) {
        this.kind = kind;
        this.x = x;
        this.xOff = xOff;
        this.n = n;
        this.nlevels = nlevels;
        if (kind == Kind.SPLINE) {
            double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) { lo = Math.min(lo, x[xOff + i]); hi = Math.max(hi, x[xOff + i]); }
            basis = new BSpline(lo, hi, knots);
            size = basis.size;
            pen = basis.penalty();
        } else if (kind == Kind.FACTOR) {
            basis = null;
            size = nlevels;
            pen = new double[size * size];
            for (int a = 0; a < size; a++) pen[a + a * size] = 1;
        } else {
            basis = null;
            size = 2;
            pen = new double[] {0, 0, 0, 1};   // ridge on the slope only (stabilises a near-constant covariate)
        }
        double[] ones = new double[n];
        java.util.Arrays.fill(ones, 1.0);
        double[] xtx = gram(ones);
        lambda = kind == Kind.LINE ? 1e-6 * Math.max(xtx[3], 1e-300) / n : lambdaForDf(xtx, df);
        spec = new Spec(kind, basis == null ? 0 : basis.lo, basis == null ? 0 : basis.hi, knots, nlevels);
    }

    private Smoother(Smoother o) {
        kind = o.kind; size = o.size; basis = o.basis; nlevels = o.nlevels; spec = o.spec;
        x = o.x; xOff = o.xOff; n = o.n; pen = o.pen; lambda = o.lambda;
    }

    /** Shares data, basis and lambda; its own factorisation cache (one smoother per thread of use). */
    Smoother copy() { return new Smoother(this); }

    /** Row i's non-zero design entries into v; returns the first column index. */
    private int row(int i, double[] vals) {
        double xi = x[xOff + i];
        switch (kind) {
            case SPLINE: return basis.eval(xi, vals);
            case FACTOR: vals[0] = 1; return (int) xi;
            default: vals[0] = 1; vals[1] = xi; return 0;
        }
    }

    private int width() { return kind == Kind.SPLINE ? 4 : kind == Kind.FACTOR ? 1 : 2; }

    /** The smoother's design as a basis (for a Newton step of its coefficients). */
    public Basis basis() {
        int wd = width();
        return new Basis() {
            public int ncol() { return size; }
            public int maxNonZero() { return wd; }
            public int row(int j, int[] col, double[] val, int off) {
                double xj = x[xOff + j];
                switch (kind) {
                    case SPLINE: {
                        int s = basis.eval(xj, val, off);
                        for (int t = 0; t < 4; t++) col[off + t] = s + t;
                        return 4;
                    }
                    case FACTOR: col[off] = (int) xj; val[off] = 1; return 1;
                    default:
                        col[off] = 0; val[off] = 1; col[off + 1] = 1; val[off + 1] = xj; return 2;
                }
            }
        };
    }

    /** The penalty {@link #fit} adds for weights of mean meanH (with its tiny ridge), size x size. */
    public double[] penalty(double meanH) {
        int k = size;
        double[] a = new double[k * k];
        for (int i = 0; i < k * k; i++) a[i] = lambda * meanH * pen[i];
        for (int i = 0; i < k; i++) a[i + i * k] += 1e-10 * (lambda * meanH + meanH);
        return a;
    }

    /** B' H B. */
    private double[] gram(double[] h) {
        int k = size, wd = width();
        double[] a = new double[k * k], vals = new double[4];
        for (int i = 0; i < n; i++) {
            int s = row(i, vals);
            double hi = h[i];
            for (int p = 0; p < wd; p++)
                for (int q = 0; q < wd; q++) a[(s + p) + (s + q) * k] += hi * vals[p] * vals[q];
        }
        return a;
    }

    /** df(lambda) = tr((B'B + lambda P)^-1 B'B), solved for lambda by bisection on log lambda. */
    private double lambdaForDf(double[] btb, double df) {
        double maxDf = kind == Kind.SPLINE ? size : nlevels;
        double target = Math.min(df, maxDf - 1e-6);
        double lo = -20, hi = 25;   // log lambda, relative to mean weight 1
        for (int it = 0; it < 100; it++) {
            double mid = (lo + hi) / 2;
            if (trace(btb, Math.exp(mid)) > target) lo = mid; else hi = mid;
        }
        return Math.exp((lo + hi) / 2);
    }

    /** tr((G + lambda P)^-1 G). */
    double trace(double[] g, double lam) {
        int k = size;
        double[] a = new double[k * k];
        for (int i = 0; i < k * k; i++) a[i] = g[i] + lam * pen[i];
        if (!Dense.cholesky(a, k)) return Double.NaN;
        double tr = 0;
        double[] col = new double[k];
        for (int c = 0; c < k; c++) {
            for (int r = 0; r < k; r++) col[r] = g[r + c * k];
            Dense.cholSolve(a, k, col);
            tr += col[c];
        }
        return tr;
    }

    /** Fits g with weights h; returns the coefficients (fitted values: {@link #fitted}). */
    double[] fit(double[] g, double[] h) {
        int k = size, wd = width();
        double meanH = 0;
        for (int i = 0; i < n; i++) meanH += h[i];
        meanH /= n;
        double scale = proportional(h, meanH);
        if (Double.isNaN(scale)) {
            double[] a = gram(h);
            for (int i = 0; i < k * k; i++) a[i] += lambda * meanH * pen[i];
            // a tiny ridge keeps the system definite when a factor level or a spline segment has no weight
            for (int i = 0; i < k; i++) a[i + i * k] += 1e-10 * (lambda * meanH + meanH);
            if (!Dense.cholesky(a, k)) throw new IllegalStateException("smoother system is not positive definite");
            chol = a;
            if (lastH == null) lastH = new double[n];
            System.arraycopy(h, 0, lastH, 0, n);
            lastMeanH = meanH;
            scale = 1;
        }
        double[] b = new double[k];
        for (int i = 0; i < n; i++) {
            int s = row(i, v);
            double hg = h[i] * g[i];
            for (int p = 0; p < wd; p++) b[s + p] += hg * v[p];
        }
        Dense.cholSolve(chol, k, b);
        if (scale != 1) for (int c = 0; c < k; c++) b[c] /= scale;
        return b;
    }

    /** Weighted residual sum of squares sum_j h_j (g_j - fit_j)^2 of coefficients c. */
    double rss(double[] c, double[] g, double[] h) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            double r = g[i] - spec.value(c, x[xOff + i], v);
            s += h[i] * r * r;
        }
        return s;
    }

    /** Fitted values of coefficients c for the training rows. */
    void fitted(double[] c, double[] out) {
        for (int i = 0; i < n; i++) out[i] = spec.value(c, x[xOff + i], v);
    }

    /** alpha when h = alpha * lastH for every row (the cached factor then serves), NaN otherwise. */
    private double proportional(double[] h, double meanH) {
        if (lastH == null) return Double.NaN;
        double alpha = meanH / lastMeanH;
        for (int i = 0; i < n; i++)
            if (Math.abs(h[i] - alpha * lastH[i]) > 1e-12 * Math.abs(h[i])) return Double.NaN;
        return alpha;
    }

    /** What prediction needs of a smoother: its kind and basis, without the data. Serialisable. */
    static final class Spec {
        final Kind kind;
        final double lo, hi;
        final int knots, nlevels;
        private final BSpline basis;

        Spec(Kind kind, double lo, double hi, int knots, int nlevels) {
            this.kind = kind; this.lo = lo; this.hi = hi; this.knots = knots; this.nlevels = nlevels;
            basis = kind == Kind.SPLINE ? new BSpline(lo, hi, knots) : null;
        }

        int size() { return kind == Kind.SPLINE ? basis.size : kind == Kind.FACTOR ? nlevels : 2; }

        /** The function with coefficients c at xi (scratch: 4 doubles). */
        double value(double[] c, double xi, double[] scratch) {
            switch (kind) {
                case SPLINE: {
                    int s = basis.eval(xi, scratch);
                    return c[s] * scratch[0] + c[s + 1] * scratch[1] + c[s + 2] * scratch[2] + c[s + 3] * scratch[3];
                }
                case FACTOR: {
                    int code = (int) xi;
                    return code >= 0 && code < nlevels ? c[code] : 0;
                }
                default: return c[0] + c[1] * xi;
            }
        }

        void write(java.io.DataOutputStream out) throws java.io.IOException {
            out.writeInt(kind.ordinal());
            out.writeDouble(lo);
            out.writeDouble(hi);
            out.writeInt(knots);
            out.writeInt(nlevels);
        }

        static Spec read(java.io.DataInputStream in) throws java.io.IOException {
            int k = in.readInt();
            if (k < 0 || k >= Kind.values().length) throw new java.io.IOException("bad smoother kind " + k);
            return new Spec(Kind.values()[k], in.readDouble(), in.readDouble(), in.readInt(), in.readInt());
        }
    }
}
