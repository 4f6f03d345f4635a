package org.gbmixed;

import java.util.SplittableRandom;

/**
 * Cross-fitted ("honest") residuals for the variance parts. Clusters are split into K folds; auxiliary mean
 * models f^(k), each boosted like the main mean but with zero weight on fold k, give every row a mean that did
 * not see its cluster: f_oof(x_j) = f^(fold(j))(x_j). The variance parts then learn from residuals the mean has
 * not overfitted, which removes the downward bias of R and G that in-sample residuals cause (method.md,
 * "Pitfall"). The auxiliary trees are not kept: only their fitted values on the training rows matter.
 */
final class CrossFit {
    final int k;
    private final int[] foldOfCluster;
    private final TrainingData d;
    private final PartLearner learner;
    private final Likelihood lik;
    private final double[][] fAux;
    private final double[] r, target, weight, out;
    /** f_oof per row, refreshed by {@link #boost}. */
    final double[] fOof;

    CrossFit(TrainingData d, Config cfg, int folds, double intercept, PartLearner learner, Parallel par) {
        if (folds < 2 || folds > d.m)
            throw new IllegalArgumentException("honest_folds = " + folds + ": must be 0 (off) or in 2.." + d.m
                    + " (the number of clusters)");
        this.d = d;
        this.k = folds;
        int[] perm = new int[d.m];
        for (int i = 0; i < d.m; i++) perm[i] = i;
        SplittableRandom rnd = new SplittableRandom(cfg.seed ^ 0x5DEECE66DL);
        for (int i = d.m - 1; i > 0; i--) { int j = rnd.nextInt(i + 1); int t = perm[i]; perm[i] = perm[j]; perm[j] = t; }
        foldOfCluster = new int[d.m];
        for (int p = 0; p < d.m; p++) foldOfCluster[perm[p]] = p % folds;
        this.learner = learner;
        lik = new Likelihood(d, par);
        fAux = new double[folds][d.n];
        for (double[] a : fAux) java.util.Arrays.fill(a, intercept);
        r = new double[d.n];
        target = new double[d.n];
        weight = new double[d.n];
        out = new double[d.n];
        fOof = new double[d.n];
        java.util.Arrays.fill(fOof, intercept);
    }

    /**
     * One boosting step of every auxiliary mean, at the current variance state (resVar per row, Cholesky factors
     * lAll with stride lStride), then f_oof.
     */
    void boost(double nu, double[] resVar, double[] lAll, int lStride) {
        for (int f = 0; f < k; f++) {
            double[] fa = fAux[f];
            for (int j = 0; j < d.n; j++) r[j] = d.y[j] - fa[j];
            lik.run(r, resVar, lAll, lStride);
            for (int j = 0; j < d.n; j++) {
                target[j] = lik.e[j];
                weight[j] = foldOfCluster[d.cluster[j]] == f ? 0.0 : 1.0 / resVar[j];
            }
            learner.fit(target, weight, out);
            for (int j = 0; j < d.n; j++) fa[j] += nu * out[j];
        }
        for (int j = 0; j < d.n; j++) fOof[j] = fAux[foldOfCluster[d.cluster[j]]][j];
    }
}
