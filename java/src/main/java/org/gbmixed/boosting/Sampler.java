package org.gbmixed.boosting;

import java.util.SplittableRandom;

/** Row (by cluster) and column subsampling for the mean learner, drawn from the fit's seed. */
final class Sampler {
    private final SplittableRandom rnd;
    private final int m, p, mKeep, pKeep;
    private final int[] permM, permP;
    private final boolean[] clusters, columns;

    Sampler(long seed, int m, double subsample, int p, double colsample) {
        rnd = new SplittableRandom(seed ^ 0x2545F4914F6CDD1DL);
        this.m = m;
        this.p = p;
        mKeep = Math.max(1, (int) Math.ceil(subsample * m));
        pKeep = Math.max(1, (int) Math.ceil(colsample * p));
        permM = new int[m];
        permP = new int[p];
        for (int i = 0; i < m; i++) permM[i] = i;
        for (int k = 0; k < p; k++) permP[k] = k;
        clusters = new boolean[m];
        columns = new boolean[p];
    }

    /** A fresh draw of ceil(subsample * m) clusters. */
    boolean[] clusters() { return draw(permM, m, mKeep, clusters); }

    /** A fresh draw of ceil(colsample * p) covariates. */
    boolean[] columns() { return draw(permP, p, pKeep, columns); }

    private boolean[] draw(int[] perm, int n, int keep, boolean[] out) {
        java.util.Arrays.fill(out, false);
        for (int i = 0; i < keep; i++) {          // partial Fisher-Yates
            int j = i + rnd.nextInt(n - i);
            int t = perm[i]; perm[i] = perm[j]; perm[j] = t;
            out[perm[i]] = true;
        }
        return out;
    }
}
