package org.gbmixed.learners;

/**
 * The values of a growing ensemble on a fixed set of rows, kept up to date incrementally: each refresh adds only
 * the trees added since the last one, the change of the intercept and the change of the linear coefficients.
 * Used for the validation rows, where predicting the whole ensemble every round would cost O(rounds).
 */
public final class EnsembleCache {
    private final Ensemble ens;
    private final double[] x;
    private final int n;
    /** Unclamped sum per row; {@link #value} clamps. */
    final double[] raw;
    private int treesApplied;
    private double interceptApplied;
    private double[] linearApplied;
    private double[][] additiveApplied;

    public EnsembleCache(Ensemble ens, double[] x, int n) {
        this.ens = ens;
        this.x = x;
        this.n = n;
        raw = new double[n];
        refresh();
    }

    public void refresh() {
        double di = ens.intercept - interceptApplied;
        if (di != 0) for (int i = 0; i < n; i++) raw[i] += di;
        interceptApplied = ens.intercept;
        if (ens.linear != null) {
            double[] delta = ens.linear.clone();
            if (linearApplied != null) for (int c = 0; c < delta.length; c++) delta[c] -= linearApplied[c];
            for (int i = 0; i < n; i++) raw[i] += LinearLearner.predict(delta, ens.nlevels, x, n, i);
            linearApplied = ens.linear.clone();
        }
        if (ens.additive != null) {
            if (additiveApplied == null) additiveApplied = new double[ens.additive.length][];
            double[] scratch = new double[4];
            for (int k = 0; k < ens.additive.length; k++) {
                double[] c = ens.additive[k];
                if (c == null) continue;
                double[] delta = c.clone();
                if (additiveApplied[k] != null) for (int j = 0; j < delta.length; j++) delta[j] -= additiveApplied[k][j];
                boolean zero = true;
                for (double v : delta) if (v != 0) { zero = false; break; }
                if (!zero) for (int i = 0; i < n; i++) raw[i] += ens.specs[k].value(delta, x[i + k * n], scratch);
                additiveApplied[k] = c.clone();
            }
        }
        for (; treesApplied < ens.trees.size(); treesApplied++) {
            Tree t = ens.trees.get(treesApplied);
            for (int i = 0; i < n; i++) raw[i] += t.predict(x, n, i);
        }
    }

    public double value(int i) { return ens.clamp(ens.scale * raw[i]); }
}
