package org.gbmixed;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * An additive model of one part (the mean f, the log residual variance rho, or one log-Cholesky entry theta_kl):
 * intercept + x' linear (the summed, scaled linear fits) + the sum of the scaled trees. A constant part is an
 * intercept-only ensemble. Values are clamped to [lower, upper] when predicted (infinite bounds for the mean).
 */
final class Ensemble {
    final int[] nlevels;
    double intercept;
    final List<Tree> trees;
    double[] linear;          // cumulative linear coefficients (intercept first), or null
    final double lower, upper;

    Ensemble(int[] nlevels, double intercept, double lower, double upper) {
        this(nlevels, intercept, new ArrayList<>(), null, lower, upper);
    }

    private Ensemble(int[] nlevels, double intercept, List<Tree> trees, double[] linear, double lower, double upper) {
        this.nlevels = nlevels;
        this.intercept = intercept;
        this.trees = trees;
        this.linear = linear;
        this.lower = lower;
        this.upper = upper;
    }

    /** An independent copy (the booster keeps adding to its own). */
    Ensemble snapshot() {
        return new Ensemble(nlevels.clone(), intercept, new ArrayList<>(trees), linear == null ? null : linear.clone(), lower, upper);
    }

    void addLinear(double[] beta, double nu) {
        if (linear == null) linear = new double[beta.length];
        for (int c = 0; c < beta.length; c++) linear[c] += nu * beta[c];
    }

    double clamp(double v) {
        return v < lower ? lower : (v > upper ? upper : v);
    }

    double predict(double[] x, int nrow, int i) {
        double s = intercept;
        if (linear != null) s += LinearLearner.predict(linear, nlevels, x, nrow, i);
        for (Tree t : trees) s += t.predict(x, nrow, i);
        return clamp(s);
    }

    double[] predict(double[] x, int nrow) {
        double[] f = new double[nrow];
        for (int i = 0; i < nrow; i++) f[i] = predict(x, nrow, i);
        return f;
    }

    void write(DataOutputStream out) throws IOException {
        out.writeInt(nlevels.length);
        for (int v : nlevels) out.writeInt(v);
        out.writeDouble(intercept);
        out.writeDouble(lower);
        out.writeDouble(upper);
        out.writeInt(linear == null ? -1 : linear.length);
        if (linear != null) for (double v : linear) out.writeDouble(v);
        out.writeInt(trees.size());
        for (Tree t : trees) t.write(out);
    }

    static Ensemble read(DataInputStream in) throws IOException {
        int p = in.readInt();
        if (p < 0 || p > (1 << 24)) throw new IOException("bad feature count " + p);
        int[] nlevels = new int[p];
        for (int k = 0; k < p; k++) nlevels[k] = in.readInt();
        double icpt = in.readDouble(), lo = in.readDouble(), hi = in.readDouble();
        int nl = in.readInt();
        double[] lin = null;
        if (nl >= 0) { lin = new double[nl]; for (int k = 0; k < nl; k++) lin[k] = in.readDouble(); }
        int nt = in.readInt();
        if (nt < 0) throw new IOException("bad tree count " + nt);
        List<Tree> trees = new ArrayList<>(nt);
        for (int t = 0; t < nt; t++) trees.add(Tree.read(in));
        return new Ensemble(nlevels, icpt, trees, lin, lo, hi);
    }
}
