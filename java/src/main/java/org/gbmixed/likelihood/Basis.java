package org.gbmixed.likelihood;

/**
 * The design of one step of the mean, row by row: the columns a base learner gives values to (a tree's leaves,
 * a P-spline's coefficients, the linear learner's expanded covariates), each row with few non-zero entries.
 * {@link NewtonStep} turns a basis into marginal-likelihood (GLS) coefficients. Implementations keep no
 * scratch state, so rows may be read from several threads at once.
 */
public interface Basis {
    /** Number of columns. */
    int ncol();

    /** Upper bound on the non-zero entries of a row. */
    int maxNonZero();

    /**
     * Row j's non-zero columns into col[off..] and their values into val[off..]; returns how many there are.
     */
    int row(int j, int[] col, double[] val, int off);

    /**
     * Whether every row has all ncol() columns, written in column order (the linear learner): then
     * {@link NewtonStep} sums the rows without column bookkeeping.
     */
    default boolean dense() { return false; }

    /** This basis with row j multiplied by m[j] (the treatment contrast of the treatment-effect part). */
    default Basis times(double[] m) {
        Basis a = this;
        return new Basis() {
            public int ncol() { return a.ncol(); }
            public int maxNonZero() { return a.maxNonZero(); }
            public boolean dense() { return a.dense(); }
            public int row(int j, int[] col, double[] val, int off) {
                int k = a.row(j, col, val, off);
                for (int t = off; t < off + k; t++) val[t] *= m[j];
                return k;
            }
        };
    }

    /** The columns of a, then those of b (a joint step of two parts). */
    static Basis concat(Basis a, Basis b) {
        int na = a.ncol();
        return new Basis() {
            public int ncol() { return na + b.ncol(); }
            public int maxNonZero() { return a.maxNonZero() + b.maxNonZero(); }
            public boolean dense() { return a.dense() && b.dense(); }
            public int row(int j, int[] col, double[] val, int off) {
                int k = a.row(j, col, val, off);
                int kb = b.row(j, col, val, off + k);
                for (int t = off + k; t < off + k + kb; t++) col[t] += na;
                return k + kb;
            }
        };
    }

    /** One column: row j has value v[j] (v null: 1), e.g. the intercept or the treatment contrast. */
    static Basis column(double[] v) {
        return new Basis() {
            public int ncol() { return 1; }
            public int maxNonZero() { return 1; }
            public boolean dense() { return true; }
            public int row(int j, int[] col, double[] val, int off) {
                col[off] = 0;
                val[off] = v == null ? 1 : v[j];
                return 1;
            }
        };
    }

    /**
     * The columns of the trees' step without virtual calls in the hot loop: [1, t] (the levels; t only with a
     * treatment), the leaves of mu, then t times the leaves of tau (leafTau null without a treatment part).
     */
    final class LeafRows implements Basis {
        final int[] leafMu, leafTau;
        final double[] t;
        final int nl, kMu, kTau;

        public LeafRows(int[] leafMu, int kMu, int[] leafTau, int kTau, double[] t) {
            this.leafMu = leafMu; this.kMu = kMu; this.leafTau = leafTau; this.kTau = leafTau == null ? 0 : kTau;
            this.t = t;
            nl = t == null ? 1 : 2;
        }

        public int ncol() { return nl + kMu + kTau; }
        public int maxNonZero() { return nl + 1 + (leafTau == null ? 0 : 1); }
        public int row(int j, int[] col, double[] val, int off) {
            col[off] = 0; val[off] = 1;
            int k = off + 1;
            if (t != null) { col[k] = 1; val[k++] = t[j]; }
            col[k] = nl + leafMu[j]; val[k++] = 1;
            if (leafTau != null) { col[k] = nl + kMu + leafTau[j]; val[k++] = t[j]; }
            return k - off;
        }
    }
}
