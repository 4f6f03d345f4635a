package org.gbmixed.base;

/**
 * A covariate matrix one model part learns from: n rows x p columns, column-major; nlevels[k] = 0 for a numeric
 * column, K >= 2 for a factor whose values are the codes 0..K-1. p may be 0 (an intercept-only part).
 * NaN marks a missing value: trees route it to a learned side; the other learners refuse it
 * ({@link #requireComplete}). Infinite values are always an error.
 */
public final class Features {
    public final double[] x;
    public final int n, p;
    public final int[] nlevels;
    /** Whether any value is NaN. */
    final boolean hasMissing;

    /** @param name the argument name used in error messages ("x", "xdisp", "wcov") */
    public Features(String name, double[] x, int n, int p, int[] nlevels) {
        if (n < 0) throw new IllegalArgumentException(name + ": nrow = " + n + ": must be >= 0");
        if (p < 0) throw new IllegalArgumentException(name + ": ncol = " + p + ": must be >= 0");
        if (x == null) throw new IllegalArgumentException(name + " is null");
        if (x.length != (long) n * p)
            throw new IllegalArgumentException(name + " has length " + x.length + ", expected " + n + " x " + p + " = " + (long) n * p);
        if (nlevels == null || nlevels.length != p)
            throw new IllegalArgumentException("nlevels of " + name + " has length "
                    + (nlevels == null ? "null" : nlevels.length) + ", expected " + p);
        for (int k = 0; k < p; k++) {
            if (nlevels[k] == 1 || nlevels[k] < 0)
                throw new IllegalArgumentException("nlevels of " + name + "[" + (k + 1) + "] = " + nlevels[k]
                        + ": must be 0 (numeric) or >= 2");
            checkColumn(name, x, n, k, nlevels[k]);
        }
        boolean miss = false;
        for (double v : x) if (Double.isNaN(v)) { miss = true; break; }
        this.x = x; this.n = n; this.p = p; this.nlevels = nlevels; this.name = name;
        hasMissing = miss;
    }

    private final String name;

    /** Throws when a value is missing: the learner named cannot use incomplete rows. */
    public void requireComplete(String learner) {
        if (!hasMissing) return;
        for (int k = 0; k < p; k++)
            for (int i = 0; i < n; i++)
                if (Double.isNaN(x[i + k * n]))
                    throw new IllegalArgumentException(name + "[" + (i + 1) + ", " + (k + 1) + "] = NaN: missing values "
                            + "are only allowed with learner \"tree\", not \"" + learner + "\"");
    }

    /** Every value finite or NaN (missing); factor columns hold integer codes in 0..K-1. */
    static void checkColumn(String name, double[] x, int n, int k, int nlev) {
        for (int i = 0; i < n; i++) {
            double v = x[i + k * n];
            if (Double.isNaN(v)) continue;
            if (Double.isInfinite(v))
                throw new IllegalArgumentException(name + "[" + (i + 1) + ", " + (k + 1) + "] = " + v + ": must be finite (or NaN for missing)");
            if (nlev > 0 && (v != Math.rint(v) || v < 0 || v >= nlev))
                throw new IllegalArgumentException(name + "[" + (i + 1) + ", " + (k + 1) + "] = " + v
                        + ": factor codes must be integers in 0.." + (nlev - 1));
        }
    }
}
