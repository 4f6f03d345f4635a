package org.gbmixed.boosting;

import org.gbmixed.Config;
import org.gbmixed.base.Parallel;
import org.gbmixed.base.TrainingData;
import org.gbmixed.learners.Ensemble;
import org.gbmixed.learners.PartLearner;
import org.gbmixed.likelihood.Likelihood;
import org.gbmixed.likelihood.LogCholesky;
import org.gbmixed.likelihood.NewtonStep;
import org.gbmixed.model.Model;

import java.util.Arrays;

/**
 * The cyclic boosting loop (method.md). Each round: the mean, then the residual log-variance rho (RBoost,
 * GRBoost), then the log-Cholesky entries theta of G (GBoost, GRBoost), refreshing the E-step between parts;
 * a part that is constant gets one EM step instead. Rounds run in chunks ({@link #iterate}) so the caller can
 * show progress and be interrupted between chunks. This class orchestrates only: the algebra is in
 * {@link Likelihood}, the learners behind {@link PartLearner}, the variance-part steps in {@link VarianceSteps}.
 *
 * <pre>
 *   mean:  fit learner to e_j with weights 1/R_j;  f += nu h                  (R-preconditioned gradient)
 *   rho:   fit learner to (-dl/drho_j)/I_j with weights I_j = 1/2 (1 - z'P z/R_j)^2;  rho += nu_R s h
 *   theta: per entry t, fit learner on cluster rows w_i to (-dl_i/dtheta_t)/I_it, weights I_it (diagonal
 *          Fisher information 1/2 tr(W D_t W D_t), W = Z'V^-1 Z = G^-1 - G^-1 P G^-1, D_t = dG/dtheta_t);
 *          theta += nu_G s h
 *   s = 1, 1/2, 1/4, ...: the first step that does not raise the training NLL by more than a tolerance
 *   after each variance learner, a level step (EM for a common factor of R, of each diagonal of G) moves the
 *   part's intercept fully, so a small variance learning rate only slows the shape, not the level
 *   constant parts: EM, G = mean_i(P_i + bhat_i bhat_i'), sigma^2 = sum_j w_j (e_j^2 + z_j'P_i z_j) / N
 * </pre>
 * Variance functions are clamped: R(x) and each diagonal G_kk(w) within a factor {@link #VAR_RANGE} of the
 * starting scale (var(y), var(y)/mean(z_k^2)); off-diagonal Cholesky entries within 1e4 times sqrt of that scale.
 */
public final class Booster {
    /** Variance functions stay within [start / VAR_RANGE, start * VAR_RANGE]. */
    static final double VAR_RANGE = 1e8;
    private static final int INIT_EM_MAX = 500;
    private static final double INIT_EM_TOL = 1e-9;

    final TrainingData d;
    final Config cfg;
    final Likelihood lik;
    final LogCholesky lc;
    final int np;
    final boolean dispBoosted, covBoosted;
    final MeanPart mean;
    final Ensemble rhoEns;
    final Ensemble[] thetaEns;
    private final PartLearner meanL;
    final PartLearner dispL;
    /** The engine's threads (the variance steps' per-row loops use them too). */
    final Parallel par;
    private final Sampler sampler;
    final PartLearner[] covL;
    // state: f per row; rho (log R for weight 1) per row; theta per cluster (i * np + t); the "raw" arrays are the
    // unclamped sums, so that training values equal what the ensembles predict
    final double[] f, rhoRaw, rho, thetaRaw, theta;
    final double[] r, resVar, lAll;
    private final double[] subsampleWeight;
    final VarianceSteps steps;
    private CrossFit crossFit;
    private double[] loss = new double[16];
    private int rounds;
    double nll;
    /** What early stopping watches: held-out data ({@link Validation}) or the honest folds' out-of-fold loss. */
    interface HeldOut {
        /** The loss at the booster's current state (lower is better). */
        double loss();
    }

    // validation and early stopping
    private HeldOut validation;
    private double[] validLoss = new double[16];
    private int bestRound;
    private Model best, initial;
    private double[][] bestBuf;
    private boolean stopped;
    // convergence (cfg.tol > 0): the last round moved no parameter by more than tol on its scale; the state
    // before the round, and the scales: sd(y) for f, 1 for log R and the log diagonals of L, a start sd for the
    // off-diagonals of L
    private boolean converged;
    private double[] prevF, prevRho, prevTheta;
    private final double ySd;
    private final double[] thetaUnit;
    // the treatment part's own stopping (watchTau)
    private double tauCum, tauBest;
    private int tauBestRound, tauStopRound;

    /**
     * A booster at round 0 (the initial constant-variance fit done). The facade builds it
     * ({@link org.gbmixed.GBMixed#booster} and its variants) from validated data.
     *
     * @param d the training data, validated and encoded
     * @param cfg the configuration
     */
    public Booster(TrainingData d, Config cfg) {
        this.d = d;
        this.cfg = cfg;
        int n = d.n, q = d.q, m = d.m;
        par = new Parallel(cfg.threads);
        lik = new Likelihood(d, par);
        lc = new LogCholesky(q, d.diagonalG);
        np = lc.size();
        dispBoosted = d.disp.p > 0;
        covBoosted = d.cov.p > 0;
        r = new double[n];
        resVar = new double[n];
        rhoRaw = new double[n];
        rho = new double[n];
        thetaRaw = new double[m * np];
        theta = new double[m * np];
        lAll = new double[m * q * q];
        subsampleWeight = cfg.subsample < 1 ? new double[m] : null;
        sampler = new Sampler(cfg.seed, d.m, cfg.subsample, d.p, cfg.colsample);
        meanL = new PartLearner(d.feat, cfg.learner, cfg, cfg.minLeaf, par);
        meanL.markClusterLevel(d, cfg.newton && cfg.clusterSplits);
        dispL = dispBoosted ? new PartLearner(d.disp, cfg.learnerDisp, cfg, cfg.minLeaf, par) : null;
        covL = covBoosted ? new PartLearner[np] : null;
        if (covBoosted)
            for (int t = 0; t < np; t++)
                covL[t] = t == 0 ? new PartLearner(d.cov, cfg.learnerCov, cfg, cfg.minLeafCov, par)
                        : covL[0].sibling();

        // start: f = weighted mean of y; G, sigma^2 from EM for the constant-variance LMM with that mean
        double sw = 0, swy = 0;
        for (int j = 0; j < n; j++) { sw += d.w[j]; swy += d.w[j] * d.y[j]; }
        double intercept = swy / sw;
        double v = 0;
        for (int j = 0; j < n; j++) v += d.w[j] * (d.y[j] - intercept) * (d.y[j] - intercept);
        v /= sw;
        if (!(v > 0)) v = 1.0;   // constant response: any positive scale; EM takes the variances to their floor
        double logRange = Math.log(VAR_RANGE);
        PartLearner tauL = d.contrast == null ? null
                : cfg.learnerCate == cfg.learner ? meanL.sibling(cfg.maxDepthCate)
                : new PartLearner(d.feat, cfg.learnerCate, cfg, cfg.maxDepthCate, cfg.minLeaf, par);
        mean = new MeanPart(d, cfg, meanL, tauL, new NewtonStep(d, par), intercept, 0);
        f = mean.f;
        rhoEns = new Ensemble(d.disp.nlevels.clone(), Math.log(v / 2), Math.log(v) - logRange, Math.log(v) + logRange);
        double[] g0 = new double[q * q];
        double[] scale = new double[q];
        for (int a = 0; a < q; a++) {
            double zz = 0;
            for (int j = 0; j < n; j++) zz += d.z[j + a * n] * d.z[j + a * n];
            zz /= n;
            scale[a] = v / (zz > 0 ? zz : 1);
            g0[a + a * q] = scale[a] / 2;
        }
        double[] th0 = lc.fromG(g0);
        thetaEns = new Ensemble[np];
        for (int t = 0; t < np; t++) {
            int k = lc.row[t];
            double lo, hi;
            if (lc.row[t] == lc.col[t]) {
                lo = 0.5 * (Math.log(scale[k]) - logRange);
                hi = 0.5 * (Math.log(scale[k]) + logRange);
            } else {
                hi = 1e4 * Math.sqrt(scale[k]);
                lo = -hi;
            }
            thetaEns[t] = new Ensemble(d.cov.nlevels.clone(), th0[t], lo, hi);
        }
        ySd = Math.sqrt(v);
        thetaUnit = new double[np];
        for (int t = 0; t < np; t++) thetaUnit[t] = lc.row[t] == lc.col[t] ? 1 : Math.sqrt(scale[lc.row[t]]);
        setConstantParts();
        steps = dispBoosted || covBoosted ? new VarianceSteps(this) : null;
        // the constant-variance LMM with constant levels: EM for G and sigma^2, with Newton steps for the levels of
        // the mean (the intercept; the average treatment effect) when those are on
        boolean levels = cfg.newton || d.contrast != null;
        nll = estep(rho, theta);
        for (int it = 0; it < INIT_EM_MAX; it++) {
            double before = nll;
            emConstant(true);
            nll = estep(rho, theta);
            if (levels) {
                mean.levelStep(lik, resVar, null);
                nll = estep(rho, theta);
            }
            if (Math.abs(before - nll) <= INIT_EM_TOL * (1 + Math.abs(nll))) break;
        }
        crossFit = cfg.honestFolds > 0 ? new CrossFit(d, cfg, cfg.honestFolds, mean, par) : null;
        loss[0] = nll;
        checkpoint();
    }

    /** Every ensemble records its state, so that a model can be taken back to any round (Model.atRound). */
    private void checkpoint() {
        mean.mu.checkpoint();
        if (mean.tau != null) mean.tau.checkpoint();
        rhoEns.checkpoint();
        for (Ensemble t : thetaEns) t.checkpoint();
        if (crossFit != null) crossFit.checkpoint();
    }

    /** rho and theta from the ensembles' intercepts (all parts constant at the start). */
    private void setConstantParts() {
        Arrays.fill(rhoRaw, rhoEns.intercept);
        Arrays.fill(rho, rhoEns.clamp(rhoEns.intercept));
        for (int i = 0; i < d.m; i++)
            for (int t = 0; t < np; t++) {
                thetaRaw[i * np + t] = thetaEns[t].intercept;
                theta[i * np + t] = thetaEns[t].clamp(thetaEns[t].intercept);
            }
    }

    /** E-step at the in-sample mean f and the given rho, theta; sets r, resVar, lAll and the Likelihood state. */
    double estep(double[] rhoV, double[] thetaV) {
        return estep(f, rhoV, thetaV);
    }

    /**
     * E-step for the variance parts: at the cross-fitted mean when honest folds are on, else at f. The variance
     * steps and the EM of constant parts read this state.
     */
    double estepVar(double[] rhoV, double[] thetaV) {
        return estep(crossFit != null ? crossFit.fOof : f, rhoV, thetaV);
    }

    private double estep(double[] mean, double[] rhoV, double[] thetaV) {
        int q = d.q, qq = q * q;
        par.forRows(d.n, (lo, hi) -> {
            for (int j = lo; j < hi; j++) {
                r[j] = d.y[j] - mean[j];
                resVar[j] = Math.exp(rhoV[j]) / d.w[j];
            }
        });
        int clusters = covBoosted ? d.m : 1;
        double[] li = new double[qq];
        for (int i = 0; i < clusters; i++) {
            lc.toL(thetaV, i * np, li);
            System.arraycopy(li, 0, lAll, i * qq, qq);
        }
        return lik.run(r, resVar, lAll, covBoosted ? qq : 0);
    }

    /**
     * One EM step from the current E-step state for the constant parts: sigma^2 (if rho is constant) and G
     * (if G is constant); with {@code all}, for every part (the initial constant-variance fit).
     */
    private void emConstant(boolean all) {
        int q = d.q, qq = q * q, m = d.m;
        boolean doCov = all || !covBoosted, doDisp = all || !dispBoosted;
        if (doCov) {
            double[] s = new double[qq];
            for (int i = 0; i < m; i++)
                for (int a = 0; a < q; a++)
                    for (int b = 0; b < q; b++)
                        s[a + b * q] += lik.secondMoment(i, a, b);
            for (int k = 0; k < qq; k++) s[k] /= m;
            // keep the diagonal inside the clamp range so that fromG sees an SPD matrix
            for (int a = 0; a < q; a++) {
                int t = diagIndex(a);
                double lo = Math.exp(2 * thetaEns[t].lower);
                if (!(s[a + a * q] > lo)) s[a + a * q] = lo;
            }
            double[] th = lc.fromG(s);
            for (int t = 0; t < np; t++) thetaEns[t].intercept = thetaEns[t].clamp(th[t]);
        }
        if (doDisp) {
            double ss = 0;
            for (int i = 0; i < m; i++)
                for (int t = d.start[i]; t < d.start[i + 1]; t++) {
                    int j = d.order[t];
                    ss += d.w[j] * (lik.e[j] * lik.e[j] + lik.zPz(j, i));
                }
            rhoEns.intercept = rhoEns.clamp(Math.log(Math.max(ss / d.n, Double.MIN_NORMAL)));
        }
        if (doDisp) { Arrays.fill(rhoRaw, rhoEns.intercept); Arrays.fill(rho, rhoEns.intercept); }
        if (doCov)
            for (int i = 0; i < d.m; i++)
                for (int t = 0; t < np; t++) thetaRaw[i * np + t] = theta[i * np + t] = thetaEns[t].intercept;
    }

    private int diagIndex(int a) {
        for (int t = 0; t < np; t++) if (lc.row[t] == a && lc.col[t] == a) return t;
        throw new IllegalStateException("no diagonal entry " + a);
    }

    /**
     * Held-out clusters to watch (before the first round): the same layout as the training arguments of
     * {@link org.gbmixed.GBMixed#booster}, wcov with one row per validation cluster. Their marginal NLL is recorded every
     * round; {@link #bestModel()} is the model at the round where it was lowest, and with
     * early_stopping_rounds &gt; 0 boosting stops once it has not improved for that many rounds.
     *
     * @param x the held-out rows' covariates of the mean, nrow x ncol column-major (ncol as in training)
     * @param nrow number of held-out rows
     * @param y their response
     * @param weights their precision weights (all 1 for none)
     * @param cluster their cluster codes, 0..nclusters-1 (clusters of their own, not the training codes)
     * @param nclusters number of held-out clusters
     * @param z their random-effects design, nrow x q column-major
     * @param xdisp their covariates of the residual log-variance, nrow x ncolDisp (length 0 when R is constant)
     * @param wcov the held-out clusters' covariates of G, nclusters x ncolCov (length 0 when G is constant)
     * @throws IllegalStateException after the first round
     */
    public void setValidation(double[] x, int nrow, double[] y, double[] weights, int[] cluster, int nclusters,
                              double[] z, double[] xdisp, double[] wcov) {
        setValidation(x, nrow, y, weights, cluster, nclusters, z, xdisp, wcov, new double[0]);
    }

    /**
     * The same with the treatment of every held-out row (a model with a treatment-effect part; else length 0).
     *
     * @param x the held-out rows' covariates of the mean, nrow x ncol column-major (ncol as in training)
     * @param nrow number of held-out rows
     * @param y their response
     * @param weights their precision weights (all 1 for none)
     * @param cluster their cluster codes, 0..nclusters-1 (clusters of their own, not the training codes)
     * @param nclusters number of held-out clusters
     * @param z their random-effects design, nrow x q column-major
     * @param xdisp their covariates of the residual log-variance, nrow x ncolDisp (length 0 when R is constant)
     * @param wcov the held-out clusters' covariates of G, nclusters x ncolCov (length 0 when G is constant)
     * @param treatment the held-out rows' 0/1 treatment (length 0 without a treatment-effect part)
     * @throws IllegalStateException after the first round
     */
    public void setValidation(double[] x, int nrow, double[] y, double[] weights, int[] cluster, int nclusters,
                              double[] z, double[] xdisp, double[] wcov, double[] treatment) {
        if (rounds > 0) throw new IllegalStateException("setValidation must come before the first round (" + rounds + " done)");
        TrainingData v = new TrainingData(x, nrow, d.p, d.nlevels, y, weights, cluster, nclusters, z, d.q, d.diagonalG,
                xdisp, d.disp.p, d.disp.nlevels, wcov, d.cov.p, d.cov.nlevels);
        if (treatment != null && treatment.length > 0) v.setTreatment(treatment, d.centre);
        watch(new Validation(v, this));
    }

    /**
     * Early stopping without held-out data (before the first round): the loss watched is the out-of-fold loss of
     * the honest folds' cross-fit means, each scored on the clusters it did not see, so every cluster stays in
     * the fit. Needs honest folds.
     *
     * @throws IllegalStateException after the first round, or without honest folds
     */
    public void setValidationHonest() {
        if (rounds > 0) throw new IllegalStateException("setValidationHonest must come before the first round (" + rounds + " done)");
        if (crossFit == null) throw new IllegalStateException("early stopping on the honest folds needs honest_folds >= 2");
        int stride = covBoosted ? d.q * d.q : 0;
        watch(() -> crossFit.oofLoss(resVar, lAll, stride, cfg.stoppingMetric));
    }

    /** Watches h from now on (before the first round; package-private so that tests can script a loss). */
    void watch(HeldOut h) {
        validation = h;
        validLoss[0] = validation.loss();
        bestRound = 0;
        initial = model();
    }

    /**
     * Runs up to {@code k} more rounds, never past nrounds; fewer when early stopping or the convergence stop
     * (Config tol) ends the fit.
     *
     * @param k the most rounds to run, &gt;= 0
     * @return the number of rounds done so far
     */
    public int iterate(int k) {
        if (k < 0) throw new IllegalArgumentException("rounds = " + k + ": must be >= 0");
        return par.call(() -> iterateOnPool(k));
    }

    /** {@link #iterate}, on a thread of the engine's pool. */
    private int iterateOnPool(int k) {
        int stop = (int) Math.min((long) rounds + k, cfg.nrounds);
        while (rounds < stop && !stopped && !converged) {
            if (cfg.tol > 0) keepState();
            round();
            rounds++;
            checkpoint();
            if (rounds >= loss.length) {
                loss = Arrays.copyOf(loss, loss.length * 2);
                validLoss = Arrays.copyOf(validLoss, loss.length);
            }
            loss[rounds] = nll;
            if (cfg.tol > 0 && change() <= cfg.tol) converged = true;
            if (validation != null) {
                double v = validation.loss();
                validLoss[rounds] = v;
                if (v < validLoss[bestRound]) {
                    bestRound = rounds;
                    if (bestBuf == null) bestBuf = new double[3][d.n];
                    best = snapshot(rounds, bestBuf[0], bestBuf[1], bestBuf[2]);
                }
                if (cfg.earlyStoppingRounds > 0 && rounds - bestRound >= cfg.earlyStoppingRounds) stopped = true;
            }
        }
        return rounds;
    }

    private void keepState() {
        if (prevF == null) { prevF = new double[d.n]; prevRho = new double[d.n]; prevTheta = new double[theta.length]; }
        System.arraycopy(f, 0, prevF, 0, d.n);
        System.arraycopy(rho, 0, prevRho, 0, d.n);
        System.arraycopy(theta, 0, prevTheta, 0, theta.length);
    }

    /** The largest move of the last round: of f in units of sd(y), of log R, of theta in its units. */
    private double change() {
        double c = par.reduceRows(d.n, (lo, hi) -> {
            double b = 0;
            for (int j = lo; j < hi; j++) {
                b = Math.max(b, Math.abs(f[j] - prevF[j]) / ySd);
                b = Math.max(b, Math.abs(rho[j] - prevRho[j]));
            }
            return b;
        }, Math::max, 0);
        for (int k = 0; k < theta.length; k++) c = Math.max(c, Math.abs(theta[k] - prevTheta[k]) / thetaUnit[k % np]);
        return Double.isNaN(c) ? Double.POSITIVE_INFINITY : c;
    }

    private void round() {
        if (subsampleWeight != null) {
            boolean[] in = sampler.clusters();
            for (int i = 0; i < d.m; i++) subsampleWeight[i] = in[i] ? 1 : 0;
        }
        boolean[] use = cfg.colsample < 1 ? sampler.columns() : null;
        if (crossFit == null) {
            mean.step(lik, resVar, subsampleWeight, use);
        } else {
            // the main mean and the K cross-fit means step at the same time: each reads the variance state only
            int k = crossFit.k, stride = covBoosted ? d.q * d.q : 0;
            double[] tau = new double[k];
            par.forEach(k + 1, task -> {
                if (task == 0) mean.step(lik, resVar, subsampleWeight, use);
                else tau[task - 1] = crossFit.step(task - 1, resVar, lAll, stride);
            });
            double tauValue = crossFit.finish(tau);
            if (mean.tauShapeLearning() && cfg.cateStoppingRounds > 0) watchTau(tauValue, rounds + 1);
        }
        nll = estepVar(rho, theta);
        if (dispBoosted) {
            nll = steps.dispStep(dispL, cfg.learningRateDisp);
            nll = steps.dispLevel();
        }
        if (covBoosted) {
            nll = steps.covStep(covL, cfg.learningRateCov);
            nll = steps.covLevel();
        }
        emConstant(false);   // the constant parts (none in GRBoost)
        nll = estep(rho, theta);
    }

    /**
     * The treatment part stops on its own: its shape stops learning once the out-of-fold NLL of its increments
     * (summed over rounds) has not reached a new low for cateStoppingRounds rounds. round: the round just done
     * (package-private so that tests can script the values).
     */
    void watchTau(double value, int round) {
        tauCum += value;
        if (tauCum < tauBest) { tauBest = tauCum; tauBestRound = round; }
        if (round - tauBestRound >= cfg.cateStoppingRounds) {
            mean.stopTauShape();
            crossFit.stopTauShape();
            tauStopRound = round;
        }
    }

    /**
     * When the treatment part's shape stopped learning.
     *
     * @return the round after which it stopped (0: it did not stop)
     */
    public int cateStopRound() { return tauStopRound; }

    /**
     * Whether boosting is over.
     *
     * @return true once nrounds rounds are done, early stopping stopped the fit, or it converged
     */
    public boolean finished() { return rounds >= cfg.nrounds || stopped || converged; }

    /**
     * Whether the fit converged (the convergence stop, Config tol).
     *
     * @return true when the last round moved no fitted value or variance parameter by more than tol
     */
    public boolean converged() { return converged; }

    /**
     * Whether early stopping ended the fit.
     *
     * @return true when early stopping ended the fit before nrounds
     */
    public boolean stoppedEarly() { return stopped; }

    /**
     * The round with the lowest validation loss.
     *
     * @return that round (0: the start); without validation data the current round
     */
    public int bestRound() { return validation == null ? rounds : bestRound; }

    /**
     * The model at the best validation round.
     *
     * @return that model, with the loss histories of every round run; without validation data the current model
     */
    public Model bestModel() {
        if (validation == null || bestRound == rounds) return model();
        if (bestRound == 0) return initial.withHistory(history(), validHistory(), 0);
        return best.withHistory(history(), validHistory(), bestRound);
    }

    private double[] history() { return Arrays.copyOf(loss, rounds + 1); }

    private double[] validHistory() { return validation == null ? new double[0] : Arrays.copyOf(validLoss, rounds + 1); }

    /**
     * The rounds run.
     *
     * @return the number of rounds done so far
     */
    public int roundsDone() { return rounds; }

    String variant() {
        return dispBoosted ? (covBoosted ? "GRBoost" : "RBoost") : (covBoosted ? "GBoost" : "Base");
    }

    /**
     * The fitted model at the current round (BLUPs, variance components and predictions of this state).
     *
     * @return the model
     */
    public Model model() {
        return snapshot(rounds);
    }

    /** The model of the current state after round {@code atRound} (its loss histories are complete so far). */
    private Model snapshot(int atRound) {
        return snapshot(atRound, new double[d.n], new double[d.n], new double[d.n]);
    }

    /**
     * The same into the given n-arrays: the best-round snapshot reuses three buffers, so a validation loss that
     * improves every round allocates nothing proportional to n (bestModel() hands out copies).
     */
    private Model snapshot(int atRound, double[] fOut, double[] fr, double[] rv) {
        int n = d.n, q = d.q, qq = q * q;
        System.arraycopy(f, 0, fOut, 0, n);
        for (int j = 0; j < n; j++) { fr[j] = r[j] - lik.e[j]; rv[j] = Math.exp(rho[j]); }
        double[] gCl = new double[d.m * qq], li = new double[qq], gi = new double[qq];
        for (int i = 0; i < d.m; i++) {
            lc.toL(theta, i * np, li);
            LogCholesky.gFromL(li, q, gi);
            System.arraycopy(gi, 0, gCl, i * qq, qq);
        }
        Ensemble[] th = new Ensemble[np];
        double[] impCov = new double[d.cov.p];
        for (int t = 0; t < np; t++) {
            th[t] = thetaEns[t].snapshot();
            if (covBoosted) {
                double[] imp = covL[t].importance();
                for (int k = 0; k < imp.length; k++) impCov[k] += imp[k] / np;
            }
        }
        double logLik = -nll - 0.5 * n * Math.log(2 * Math.PI);
        return new Model(variant(), cfg.learner(), mean.mu.snapshot(), mean.tau == null ? null : mean.tau.snapshot(),
                d.centre, crossFit == null ? new Ensemble[0][] : crossFit.snapshot(), rhoEns.snapshot(), th, q,
                d.diagonalG, d.m, n,
                lik.blups(), lik.posteriors(), gCl, history(), validHistory(), atRound, logLik,
                meanL.importance(), mean.tauImportance(), dispBoosted ? dispL.importance() : new double[0], impCov,
                fOut, fr, rv);
    }
}
