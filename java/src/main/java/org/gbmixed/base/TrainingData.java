package org.gbmixed.base;

/**
 * The training data as the facade received it, validated, plus the cluster index (rows grouped by cluster).
 * Held once; learners and the likelihood read from it and never copy it.
 */
public final class TrainingData {
    public final int n, p, m, q;
    public final double[] x;        // n x p column-major
    public final int[] nlevels;     // 0 numeric, K >= 2 factor with codes 0..K-1
    public final double[] y, w;     // response, precision weights
    public final int[] cluster;     // 0..m-1
    public final double[] z;        // n x q column-major
    public final boolean diagonalG;
    /** Covariates of the mean (n rows), of rho (n rows; p = 0: constant) and of G (m cluster rows; p = 0: constant). */
    public final Features feat, disp, cov;
    /** Rows of cluster i are order[start[i] .. start[i+1]). */
    public final int[] order, start;
    /** A 0/1 treatment per row and its contrast t_j = T_j - centre ({@link #setTreatment}), or null. */
    public double[] treat, contrast;
    public double centre = Double.NaN;
    /** The treatment-effect part uses the covariates x[, 0..ncolCate) (the rest only the mean mu does). */
    public int ncolCate;

    public TrainingData(double[] x, int nrow, int ncol, int[] nlevels, double[] y, double[] weights, int[] cluster,
                 int nclusters, double[] z, int q, boolean diagonalG) {
        this(x, nrow, ncol, nlevels, y, weights, cluster, nclusters, z, q, diagonalG,
                new double[0], 0, new int[0], new double[0], 0, new int[0]);
    }

    public TrainingData(double[] x, int nrow, int ncol, int[] nlevels, double[] y, double[] weights, int[] cluster,
                 int nclusters, double[] z, int q, boolean diagonalG,
                 double[] xdisp, int ncolDisp, int[] nlevelsDisp, double[] wcov, int ncolCov, int[] nlevelsCov) {
        if (nrow < 1) throw new IllegalArgumentException("nrow = " + nrow + ": need at least one row");
        if (ncol < 0) throw new IllegalArgumentException("ncol = " + ncol + ": must be >= 0");
        check("y", y, nrow);
        check("weights", weights, nrow);
        check("z", z, (long) nrow * q);
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
        feat = new Features("x", x, nrow, ncol, nlevels);
        disp = new Features("xdisp", xdisp, nrow, ncolDisp, nlevelsDisp);
        cov = new Features("wcov", wcov, nclusters, ncolCov, nlevelsCov);
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

    /**
     * The treatment of the treatment-effect part: T_j in {0, 1} per row; contrast T_j - centre, centre NaN = the
     * mean of T here (training data must have both values; held-out data pass the training centre).
     */
    public void setTreatment(double[] t, double centre) {
        setTreatment(t, centre, p);
    }

    /** The same; tau(x) uses only the first ncolCate covariates of x. */
    public void setTreatment(double[] t, double centre, int ncolCate) {
        check("treatment", t, n);
        if (ncolCate < 0 || ncolCate > p)
            throw new IllegalArgumentException("ncolCate = " + ncolCate + ": must be in 0.." + p + " (the columns of x)");
        this.ncolCate = ncolCate;
        double s = 0;
        for (int j = 0; j < n; j++) {
            if (t[j] != 0 && t[j] != 1)
                throw new IllegalArgumentException("treatment[" + (j + 1) + "] = " + t[j] + ": must be 0 or 1");
            s += t[j];
        }
        if (Double.isNaN(centre)) {
            if (s == 0 || s == n)
                throw new IllegalArgumentException("treatment: all " + n + " rows have treatment " + (int) t[0]
                        + "; a treatment effect needs rows with 0 and with 1");
            centre = s / n;
        }
        if (!(centre > 0 && centre < 1)) throw new IllegalArgumentException("treatment centre = " + centre + ": must be in (0, 1)");
        treat = t;
        this.centre = centre;
        contrast = new double[n];
        for (int j = 0; j < n; j++) contrast[j] = t[j] - centre;
    }

    private static void check(String name, double[] a, long len) {
        if (a == null) throw new IllegalArgumentException(name + " is null");
        if (a.length != len) throw new IllegalArgumentException(name + " has length " + a.length + ", expected " + len);
    }
}
