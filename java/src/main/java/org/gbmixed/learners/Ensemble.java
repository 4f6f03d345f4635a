package org.gbmixed.learners;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * An additive model of one part (the mean f, the log residual variance rho, or one log-Cholesky entry theta_kl):
 * intercept + x' linear (the summed, scaled linear fits) + the sum of the scaled trees + one smooth function per
 * covariate (component-wise learners: the summed coefficients of each covariate's P-spline, line or factor). A constant part is an
 * intercept-only ensemble. Values are clamped to [lower, upper] when predicted (infinite bounds for the mean).
 */
public final class Ensemble {
    public final int[] nlevels;
    public double intercept;
    public final List<Tree> trees;
    public double[] linear;          // cumulative linear coefficients (intercept first), or null
    public Smoother.Spec[] specs;    // component-wise parts: the smoother of each covariate, or null
    public double[][] additive;      // and the cumulative coefficients of each covariate's function (null if never chosen)
    public final double lower, upper;
    /** Multiplies the whole sum (level steps of an off-diagonal Cholesky entry); 1 otherwise. */
    public double scale = 1;
    /**
     * The state after each round (checkpoint r = after round r, 0 = the start): {intercept, scale, number of
     * trees}, and the cumulative linear and additive coefficients, so that {@link #at} can give the ensemble of
     * any earlier round.
     */
    List<double[]> marks = new ArrayList<>();
    List<double[]> linearMarks = new ArrayList<>();
    List<double[][]> additiveMarks = new ArrayList<>();

    public Ensemble(int[] nlevels, double intercept, double lower, double upper) {
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
    public Ensemble snapshot() {
        Ensemble e = new Ensemble(nlevels.clone(), intercept, new ArrayList<>(trees), linear == null ? null : linear.clone(), lower, upper);
        e.specs = specs;
        e.scale = scale;
        e.additive = copyAdditive(additive);
        e.marks = new ArrayList<>(marks);
        e.linearMarks = new ArrayList<>(linearMarks);
        e.additiveMarks = new ArrayList<>(additiveMarks);
        return e;
    }

    private static double[][] copyAdditive(double[][] a) {
        if (a == null) return null;
        double[][] c = new double[a.length][];
        for (int k = 0; k < a.length; k++) c[k] = a[k] == null ? null : a[k].clone();
        return c;
    }

    /** Records the current state as the next checkpoint (the booster calls it at the start and after each round). */
    public void checkpoint() {
        marks.add(new double[] {intercept, scale, trees.size()});
        linearMarks.add(linear == null ? null : linear.clone());
        additiveMarks.add(copyAdditive(additive));
    }

    /** Checkpoints recorded (rounds + 1 for a booster's ensemble). */
    public int checkpoints() { return marks.size(); }

    /** The ensemble as it was at checkpoint r (after round r), with the checkpoints up to it. */
    public Ensemble at(int r) {
        if (r < 0 || r >= marks.size())
            throw new IllegalArgumentException("round " + r + ": this ensemble holds rounds 0.." + (marks.size() - 1));
        double[] mk = marks.get(r);
        Ensemble e = new Ensemble(nlevels.clone(), mk[0], new ArrayList<>(trees.subList(0, (int) mk[2])),
                linearMarks.get(r) == null ? null : linearMarks.get(r).clone(), lower, upper);
        e.scale = mk[1];
        e.additive = copyAdditive(additiveMarks.get(r));
        e.specs = e.additive == null ? null : specs;
        e.marks = new ArrayList<>(marks.subList(0, r + 1));
        e.linearMarks = new ArrayList<>(linearMarks.subList(0, r + 1));
        e.additiveMarks = new ArrayList<>(additiveMarks.subList(0, r + 1));
        return e;
    }

    /** ens += scale * (function of covariate k with coefficients c). */
    void addComponent(Smoother.Spec[] s, int k, double[] c, double scale) {
        if (specs == null) { specs = s; additive = new double[s.length][]; }
        if (additive[k] == null) additive[k] = new double[c.length];
        for (int j = 0; j < c.length; j++) additive[k][j] += scale * c[j];
    }

    /** The additive function of covariate k at the given values (zeros when k was never selected). */
    public double[] effect(int k, double[] grid) {
        double[] out = new double[grid.length], scratch = new double[4];
        if (additive == null || additive[k] == null) return out;
        for (int i = 0; i < grid.length; i++) out[i] = scale * specs[k].value(additive[k], grid[i], scratch);
        return out;
    }

    void addLinear(double[] beta, double nu) {
        if (linear == null) linear = new double[beta.length];
        for (int c = 0; c < beta.length; c++) linear[c] += nu * beta[c];
    }

    public double clamp(double v) {
        return v < lower ? lower : (v > upper ? upper : v);
    }

    public double predict(double[] x, int nrow, int i) {
        double s = intercept;
        if (linear != null) s += LinearLearner.predict(linear, nlevels, x, nrow, i);
        if (additive != null) {
            double[] scratch = new double[4];
            for (int k = 0; k < additive.length; k++)
                if (additive[k] != null) s += specs[k].value(additive[k], x[i + k * nrow], scratch);
        }
        for (Tree t : trees) s += t.predict(x, nrow, i);
        return clamp(scale * s);
    }

    public double[] predict(double[] x, int nrow) {
        double[] f = new double[nrow];
        for (int i = 0; i < nrow; i++) f[i] = predict(x, nrow, i);
        return f;
    }

    public void write(DataOutputStream out) throws IOException {
        out.writeInt(nlevels.length);
        for (int v : nlevels) out.writeInt(v);
        out.writeDouble(intercept);
        out.writeDouble(lower);
        out.writeDouble(upper);
        out.writeDouble(scale);
        out.writeInt(linear == null ? -1 : linear.length);
        if (linear != null) for (double v : linear) out.writeDouble(v);
        out.writeInt(trees.size());
        for (Tree t : trees) t.write(out);
        out.writeBoolean(specs != null);
        if (specs != null) {
            out.writeInt(specs.length);
            for (int k = 0; k < specs.length; k++) {
                specs[k].write(out);
                out.writeInt(additive[k] == null ? -1 : additive[k].length);
                if (additive[k] != null) for (double v : additive[k]) out.writeDouble(v);
            }
        }
        out.writeInt(marks.size());
        for (int r = 0; r < marks.size(); r++) {
            for (double v : marks.get(r)) out.writeDouble(v);
            writeNullable(out, linearMarks.get(r));
            double[][] a = additiveMarks.get(r);
            out.writeInt(a == null ? -1 : a.length);
            if (a != null) for (double[] c : a) writeNullable(out, c);
        }
    }

    private static void writeNullable(DataOutputStream out, double[] a) throws IOException {
        out.writeInt(a == null ? -1 : a.length);
        if (a != null) for (double v : a) out.writeDouble(v);
    }

    private static double[] readNullable(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < -1 || n > (1 << 26)) throw new IOException("bad array length " + n);
        if (n < 0) return null;
        double[] a = new double[n];
        for (int i = 0; i < n; i++) a[i] = in.readDouble();
        return a;
    }

    public static Ensemble read(DataInputStream in) throws IOException {
        int p = in.readInt();
        if (p < 0 || p > (1 << 24)) throw new IOException("bad feature count " + p);
        int[] nlevels = new int[p];
        for (int k = 0; k < p; k++) nlevels[k] = in.readInt();
        double icpt = in.readDouble(), lo = in.readDouble(), hi = in.readDouble(), sc = in.readDouble();
        int nl = in.readInt();
        double[] lin = null;
        if (nl >= 0) { lin = new double[nl]; for (int k = 0; k < nl; k++) lin[k] = in.readDouble(); }
        int nt = in.readInt();
        if (nt < 0) throw new IOException("bad tree count " + nt);
        List<Tree> trees = new ArrayList<>(nt);
        for (int t = 0; t < nt; t++) trees.add(Tree.read(in));
        Ensemble e = new Ensemble(nlevels, icpt, trees, lin, lo, hi);
        e.scale = sc;
        if (in.readBoolean()) {
            int ns = in.readInt();
            if (ns != p) throw new IOException("bad smoother count " + ns);
            e.specs = new Smoother.Spec[ns];
            e.additive = new double[ns][];
            for (int k = 0; k < ns; k++) {
                e.specs[k] = Smoother.Spec.read(in);
                int len = in.readInt();
                if (len >= 0) {
                    if (len != e.specs[k].size()) throw new IOException("bad coefficient count " + len);
                    e.additive[k] = new double[len];
                    for (int j = 0; j < len; j++) e.additive[k][j] = in.readDouble();
                }
            }
        }
        int nm = in.readInt();
        if (nm < 0 || nm > (1 << 24)) throw new IOException("bad checkpoint count " + nm);
        for (int r = 0; r < nm; r++) {
            double[] mk = {in.readDouble(), in.readDouble(), in.readDouble()};
            if (mk[2] < 0 || mk[2] > trees.size()) throw new IOException("bad checkpoint tree count " + mk[2]);
            e.marks.add(mk);
            e.linearMarks.add(readNullable(in));
            int na = in.readInt();
            if (na < -1 || na > p) throw new IOException("bad checkpoint smoother count " + na);
            double[][] a = na < 0 ? null : new double[na][];
            for (int k = 0; k < na; k++) a[k] = readNullable(in);
            e.additiveMarks.add(a);
        }
        return e;
    }
}
