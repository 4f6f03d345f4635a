package org.gbmixed.learners;

/**
 * Cubic B-splines on equally spaced knots over [lo, hi] (Eilers and Marx's P-spline basis): nseg = interior
 * knots + 1 segments, nseg + 3 basis functions. At any x at most 4 are non-zero; {@link #eval} gives the first
 * index and their values. Outside [lo, hi] x is clamped to the range (constant extrapolation).
 */
final class BSpline {
    final double lo, hi;
    final int nseg, size;
    private final double step;

    BSpline(double lo, double hi, int interiorKnots) {
        if (!(hi > lo)) { hi = lo + 1; }   // a constant covariate: any interval, the fit is a constant
        this.lo = lo;
        this.hi = hi;
        nseg = interiorKnots + 1;
        size = nseg + 3;
        step = (hi - lo) / nseg;
    }

    /** Writes the 4 basis values at x into v[0..3]; returns the index of the first (v[a] belongs to index + a). */
    int eval(double x, double[] v) {
        return eval(x, v, 0);
    }

    /** The same into v[off..off+3]. */
    int eval(double x, double[] v, int off) {
        double u = (Math.min(Math.max(x, lo), hi) - lo) / step;
        int seg = (int) Math.floor(u);
        if (seg >= nseg) seg = nseg - 1;
        if (seg < 0) seg = 0;
        double t = u - seg, t2 = t * t, t3 = t2 * t, s = 1 - t;
        // uniform cubic B-spline pieces on the segment [seg, seg + 1]
        v[off] = s * s * s / 6;
        v[off + 1] = (3 * t3 - 6 * t2 + 4) / 6;
        v[off + 2] = (-3 * t3 + 3 * t2 + 3 * t + 1) / 6;
        v[off + 3] = t3 / 6;
        return seg;
    }

    /** Second-order difference penalty D'D (size x size, column-major). */
    double[] penalty() {
        int k = size;
        double[] p = new double[k * k];
        for (int r = 0; r + 2 < k; r++) {          // row r of D: (1, -2, 1) at columns r, r+1, r+2
            int[] c = {r, r + 1, r + 2};
            double[] d = {1, -2, 1};
            for (int a = 0; a < 3; a++) for (int b = 0; b < 3; b++) p[c[a] + c[b] * k] += d[a] * d[b];
        }
        return p;
    }
}
