package org.gbmixed.boosting;

import org.gbmixed.Config;
import org.gbmixed.base.Parallel;
import org.gbmixed.base.TrainingData;
import org.gbmixed.learners.Ensemble;
import org.gbmixed.likelihood.Likelihood;

import java.util.SplittableRandom;

/**
 * Cross-fitted ("honest") residuals for the variance parts. Clusters are split into K folds; auxiliary means
 * f^(k), each boosted like the main mean ({@link MeanPart}, the same learners, Newton steps and treatment part)
 * but with cluster weight 0 on fold k, give every row a mean that did not see its cluster:
 * f_oof(x_j) = f^(fold(j))(x_j). The variance parts then learn from residuals the mean has not overfitted,
 * which removes the downward bias of R and G that in-sample residuals cause (method.md, "Pitfall").
 */
final class CrossFit {
    final int k;
    private final int[] foldOfCluster;
    private final TrainingData d;
    private final Parallel par;
    /** One E-step state per fold (at its auxiliary mean); fresh[f] when it is current for the next step. */
    private final Likelihood[] lik;
    private final boolean[] fresh;
    private final MeanPart[] parts;
    private final double[][] clusterWeight, heldOut;
    /** Residuals y - f^(f) of each fold's E-step. */
    private final double[][] r;
    /** f_oof per row, refreshed by {@link #step}. */
    final double[] fOof;

    CrossFit(TrainingData d, Config cfg, int folds, MeanPart main, Parallel par) {
        if (folds < 2 || folds > d.m)
            throw new IllegalArgumentException("honest_folds = " + folds + ": must be 0 (off) or in 2.." + d.m
                    + " (the number of clusters)");
        this.d = d;
        this.par = par;
        this.k = folds;
        int[] perm = new int[d.m];
        for (int i = 0; i < d.m; i++) perm[i] = i;
        SplittableRandom rnd = new SplittableRandom(cfg.seed ^ 0x5DEECE66DL);
        for (int i = d.m - 1; i > 0; i--) { int j = rnd.nextInt(i + 1); int t = perm[i]; perm[i] = perm[j]; perm[j] = t; }
        foldOfCluster = new int[d.m];
        for (int p = 0; p < d.m; p++) foldOfCluster[perm[p]] = p % folds;
        lik = new Likelihood[folds];
        for (int f = 0; f < folds; f++) lik[f] = new Likelihood(d, par);
        fresh = new boolean[folds];
        parts = main.auxiliaries(folds, par);
        clusterWeight = new double[folds][d.m];
        heldOut = new double[folds][d.m];
        for (int f = 0; f < folds; f++)
            for (int i = 0; i < d.m; i++) {
                clusterWeight[f][i] = foldOfCluster[i] == f ? 0.0 : 1.0;
                heldOut[f][i] = 1 - clusterWeight[f][i];
            }
        r = new double[folds][d.n];
        fOof = main.f.clone();
    }

    /**
     * Fold f's share of a round: one boosting step of its auxiliary mean at the current variance state (resVar
     * per row, Cholesky factors lAll with stride lStride). Returns what the step's treatment-effect shape increment
     * did to the NLL of the clusters this mean did not see (negative = it helped): summed over folds by
     * {@link #finish}, an out-of-fold score of the treatment part's learning, by which it stops on its own. The
     * folds touch only their own state, so they step at the same time (and alongside the main mean).
     */
    double step(int f, double[] resVar, double[] lAll, int lStride) {
        if (!fresh[f]) estep(f, resVar, lAll, lStride);
        fresh[f] = false;
        parts[f].step(lik[f], resVar, clusterWeight[f], null);
        return parts[f].hasTreatment() ? parts[f].tauStepValue(lik[f], resVar, heldOut[f]) : 0;
    }

    /** After every fold's {@link #step}: f_oof, and the folds' treatment-effect values summed in fold order. */
    double finish(double[] tau) {
        par.forRows(d.n, (lo, hi) -> {
            for (int j = lo; j < hi; j++) fOof[j] = parts[foldOfCluster[d.cluster[j]]].f[j];
        });
        double total = 0;
        for (double v : tau) total += v;
        return total;
    }

    /**
     * Snapshots of the auxiliary means' ensembles, {mu, tau} per fold (tau null without a treatment): fold k's
     * mean left out the clusters of fold k, so together they are a delete-a-group jackknife of the mean.
     */
    Ensemble[][] snapshot() {
        Ensemble[][] out = new Ensemble[k][];
        for (int f = 0; f < k; f++)
            out[f] = new Ensemble[] {parts[f].mu.snapshot(), parts[f].tau == null ? null : parts[f].tau.snapshot()};
        return out;
    }

    private void estep(int f, double[] resVar, double[] lAll, int lStride) {
        double[] fa = parts[f].f, rf = r[f];
        par.forRows(d.n, (lo, hi) -> {
            for (int j = lo; j < hi; j++) rf[j] = d.y[j] - fa[j];
        });
        lik[f].run(rf, resVar, lAll, lStride);
    }

    /**
     * The out-of-fold loss at the current state: each auxiliary mean scored on the clusters it did not see (its
     * fold), at the current variance state, summed over folds, by {@link Likelihood#stoppingLoss}. Cross-validation of the boosting rounds that costs
     * no held-out data: early stopping on it keeps every cluster in the fit. The E-steps it runs serve the next
     * {@link #step} (the state does not change in between).
     */
    double oofLoss(double[] resVar, double[] lAll, int lStride, int metric) {
        double total = 0;
        for (int f = 0; f < k; f++) {
            estep(f, resVar, lAll, lStride);     // leaves r[f] = y - f^(f)
            fresh[f] = true;
            total += lik[f].stoppingLoss(metric, r[f], resVar, lAll, lStride, heldOut[f]);
        }
        return total;
    }

    /** Checkpoints of every auxiliary mean's ensembles (see Ensemble.checkpoint). */
    void checkpoint() {
        for (MeanPart p : parts) {
            p.mu.checkpoint();
            if (p.tau != null) p.tau.checkpoint();
        }
    }

    /** Stops the shape of every auxiliary mean's treatment-effect part (see {@link MeanPart#stopTauShape}). */
    void stopTauShape() {
        for (MeanPart p : parts) p.stopTauShape();
    }
}
