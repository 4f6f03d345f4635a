package org.gbmixed;

/**
 * The training data as the facade received it, validated, plus the cluster index (rows grouped by cluster).
 * Held once; learners and the likelihood read from it and never copy it.
 */
final class TrainingData {
    final int n, p, m, q;
    final double[] x;        // n x p column-major
    final int[] nlevels;     // 0 numeric, K >= 2 factor with codes 0..K-1
    final double[] y, w;     // response, precision weights
    final int[] cluster;     // 0..m-1
    final double[] z;        // n x q column-major
    final boolean diagonalG;
    /** Rows of cluster i are order[start[i] .. start[i+1]). */
    final int[] order, start;

    TrainingData(double[] x, int nrow, int ncol, int[] nlevels, double[] y, double[] weights, int[] cluster,
                 int nclusters, double[] z, int q, boolean diagonalG) {
        if (nrow < 1) throw new IllegalArgumentException("nrow = " + nrow + ": need at least one row");
        if (ncol < 0) throw new IllegalArgumentException("ncol = " + ncol + ": must be >= 0");
        check("x", x, (long) nrow * ncol);
        check("y", y, nrow);
        check("weights", weights, nrow);
        check("z", z, (long) nrow * q);
        if (nlevels == null || nlevels.length != ncol)
            throw new IllegalArgumentException("nlevels has length " + (nlevels == null ? "null" : nlevels.length)
                    + ", expected ncol = " + ncol);
        if (cluster == null || cluster.length != nrow)
            throw new IllegalArgumentException("cluster has length " + (cluster == null ? "null" : cluster.length)
                    + ", expected nrow = " + nrow);
        if (nclusters < 1) throw new IllegalArgumentException("nclusters = " + nclusters + ": must be >= 1");
        if (q < 1) throw new IllegalArgumentException("q = " + q + ": need at least one random effect");
        for (int i = 0; i < nrow; i++) {
            if (!Double.isFinite(y[i])) throw new IllegalArgumentException("y[" + (i + 1) + "] = " + y[i] + ": must be finite");
            if (!(weights[i] > 0) || Double.isInfinite(weights[i]))
                throw new IllegalArgumentException("weights[" + (i + 1) + "] = " + weights[i] + ": must be finite and > 0");
        }
        for (int k = 0; k < ncol; k++) {
            if (nlevels[k] == 1 || nlevels[k] < 0)
                throw new IllegalArgumentException("nlevels[" + (k + 1) + "] = " + nlevels[k] + ": must be 0 (numeric) or >= 2");
            for (int i = 0; i < nrow; i++) {
                double v = x[i + k * nrow];
                if (!Double.isFinite(v))
                    throw new IllegalArgumentException("x[" + (i + 1) + ", " + (k + 1) + "] = " + v + ": must be finite");
                if (nlevels[k] > 0 && (v != Math.rint(v) || v < 0 || v >= nlevels[k]))
                    throw new IllegalArgumentException("x[" + (i + 1) + ", " + (k + 1) + "] = " + v
                            + ": factor codes must be integers in 0.." + (nlevels[k] - 1));
            }
        }
        for (int i = 0; i < z.length; i++)
            if (!Double.isFinite(z[i])) throw new IllegalArgumentException("z[" + (i + 1) + "] = " + z[i] + ": must be finite");
        int[] count = new int[nclusters];
        for (int i = 0; i < nrow; i++) {
            int c = cluster[i];
            if (c < 0 || c >= nclusters)
                throw new IllegalArgumentException("cluster[" + (i + 1) + "] = " + c + ": codes must be in 0.." + (nclusters - 1));
            count[c]++;
        }
        for (int c = 0; c < nclusters; c++)
            if (count[c] == 0) throw new IllegalArgumentException("cluster code " + c + " has no rows");
        this.n = nrow; this.p = ncol; this.m = nclusters; this.q = q;
        this.x = x; this.nlevels = nlevels; this.y = y; this.w = weights; this.cluster = cluster; this.z = z;
        this.diagonalG = diagonalG;
        start = new int[nclusters + 1];
        for (int c = 0; c < nclusters; c++) start[c + 1] = start[c] + count[c];
        int[] next = start.clone();
        order = new int[nrow];
        for (int i = 0; i < nrow; i++) order[next[cluster[i]]++] = i;
    }

    private static void check(String name, double[] a, long len) {
        if (a == null) throw new IllegalArgumentException(name + " is null");
        if (a.length != len) throw new IllegalArgumentException(name + " has length " + a.length + ", expected " + len);
    }
}
