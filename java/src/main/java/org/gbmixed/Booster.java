package org.gbmixed;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The boosting loop of the Base variant: f boosted with likelihood gradients, G and sigma^2 constant and
 * updated by one EM step per round. Rounds run in chunks ({@link #iterate}) so the caller can report progress
 * and be interrupted between chunks. This class only orchestrates: the algebra is in {@link Likelihood},
 * the learners in {@link TreeLearner} and {@link LinearLearner}.
 *
 * One round (method.md):
 * <pre>
 *   given f, G, sigma^2 and the E-step state (bhat_i, P_i, e):
 *   mean:  fit learner to e_j with weights w_j / sigma^2;  f += nu h       (R-preconditioned gradient step)
 *   E-step with the new f;  EM:  G = mean_i(P_i + bhat_i bhat_i'),  sigma^2 = sum_j w_j (e_j^2 + z_j'P_i z_j) / N
 *   E-step with the new G, sigma^2  -> training NLL of the round
 * </pre>
 */
public final class Booster {
    private static final int INIT_EM_MAX = 500;
    private static final double INIT_EM_TOL = 1e-9;

    private final TrainingData d;
    private final Config cfg;
    private final Likelihood lik;
    private final LogCholesky lc;
    private final double[] f, r, resVar, target, weight, out;
    private final double[] g, l;
    private double sigma2;
    private final double intercept;
    private final List<Tree> trees = new ArrayList<>();
    private final double[] linear;
    private final TreeLearner treeLearner;
    private final LinearLearner linearLearner;
    private double[] loss = new double[16];
    private int rounds;
    private double nll;

    Booster(TrainingData d, Config cfg) {
        this.d = d;
        this.cfg = cfg;
        int n = d.n, q = d.q;
        lik = new Likelihood(d);
        lc = new LogCholesky(q, d.diagonalG);
        f = new double[n];
        r = new double[n];
        resVar = new double[n];
        target = new double[n];
        weight = new double[n];
        out = new double[n];
        g = new double[q * q];
        l = new double[q * q];
        if (cfg.learner == Config.Learner.LINEAR) {
            linearLearner = new LinearLearner(d);
            linear = new double[linearLearner.ncoef];
            treeLearner = null;
        } else {
            treeLearner = new TreeLearner(new BinnedFeatures(d, cfg.maxBins, cfg.exactSplits), cfg.maxDepth, cfg.minLeaf);
            linearLearner = null;
            linear = null;
        }
        // init: f = weighted mean of y, then EM for the constant-variance LMM with that mean
        double sw = 0, swy = 0;
        for (int j = 0; j < n; j++) { sw += d.w[j]; swy += d.w[j] * d.y[j]; }
        intercept = swy / sw;
        Arrays.fill(f, intercept);
        double v = 0;
        for (int j = 0; j < n; j++) { r[j] = d.y[j] - intercept; v += d.w[j] * r[j] * r[j]; }
        v /= sw;
        if (!(v > 0)) v = 1.0;   // constant response: any positive start, EM takes it to its boundary
        sigma2 = v / 2;
        for (int a = 0; a < q; a++) {
            double zz = 0;
            for (int j = 0; j < n; j++) zz += d.z[j + a * n] * d.z[j + a * n];
            zz /= n;
            g[a + a * q] = v / 2 / (zz > 0 ? zz : 1);
        }
        nll = estep();
        for (int it = 0; it < INIT_EM_MAX; it++) {
            double before = nll;
            emStep();
            nll = estep();
            if (Math.abs(before - nll) <= INIT_EM_TOL * (1 + Math.abs(nll))) break;
        }
        loss[0] = nll;
    }

    /** E-step at the current f, G, sigma^2; returns the training NLL. */
    private double estep() {
        for (int j = 0; j < d.n; j++) {
            r[j] = d.y[j] - f[j];
            resVar[j] = sigma2 / d.w[j];
        }
        System.arraycopy(g, 0, l, 0, g.length);
        if (!Dense.cholesky(l, d.q))
            throw new IllegalStateException("random-effects covariance G lost positive definiteness");
        return lik.run(r, resVar, l, 0);
    }

    /** EM update of the constant G and sigma^2 from the current E-step state. */
    private void emStep() {
        int q = d.q, qq = q * q, m = d.m;
        double[] s = new double[qq];
        for (int i = 0; i < m; i++)
            for (int a = 0; a < q; a++)
                for (int b = 0; b < q; b++)
                    s[a + b * q] += lik.post[i * qq + a + b * q] + lik.bhat[i * q + a] * lik.bhat[i * q + b];
        double floor = 1e-10 * (sigma2 > 0 ? sigma2 : 1);
        for (int a = 0; a < q; a++)
            for (int b = 0; b < q; b++) {
                double v = s[a + b * q] / m;
                if (d.diagonalG && a != b) v = 0;
                if (a == b && v < floor) v = floor;
                g[a + b * q] = v;
            }
        double ss = 0;
        for (int i = 0; i < m; i++)
            for (int t = d.start[i]; t < d.start[i + 1]; t++) {
                int j = d.order[t];
                ss += d.w[j] * (lik.e[j] * lik.e[j] + lik.zPz(j, i));
            }
        sigma2 = Math.max(ss / d.n, 1e-300);
    }

    /** Runs up to {@code k} more rounds (never past nrounds); returns the number of rounds done so far. */
    public int iterate(int k) {
        if (k < 0) throw new IllegalArgumentException("rounds = " + k + ": must be >= 0");
        int stop = (int) Math.min((long) rounds + k, cfg.nrounds);
        double nu = cfg.learningRate;
        while (rounds < stop) {
            for (int j = 0; j < d.n; j++) {
                target[j] = lik.e[j];
                weight[j] = d.w[j] / sigma2;
            }
            if (treeLearner != null) {
                Tree t = treeLearner.fit(target, weight, out);
                t.scale(nu);
                trees.add(t);
            } else {
                double[] beta = linearLearner.fit(target, weight, out);
                for (int c = 0; c < beta.length; c++) linear[c] += nu * beta[c];
            }
            for (int j = 0; j < d.n; j++) f[j] += nu * out[j];
            estep();
            emStep();
            nll = estep();
            rounds++;
            if (rounds >= loss.length) loss = Arrays.copyOf(loss, loss.length * 2);
            loss[rounds] = nll;
        }
        return rounds;
    }

    public boolean finished() { return rounds >= cfg.nrounds; }

    public int roundsDone() { return rounds; }

    /** The fitted model at the current round. */
    public Model model() {
        int n = d.n;
        double[] fr = new double[n];
        for (int j = 0; j < n; j++) fr[j] = r[j] - lik.e[j];
        double[] imp = new double[d.p];
        if (treeLearner != null) {
            double tot = 0;
            for (double v : treeLearner.gain) tot += v;
            if (tot > 0) for (int k = 0; k < d.p; k++) imp[k] = treeLearner.gain[k] / tot;
        }
        MeanModel mean = new MeanModel(d.nlevels.clone(), intercept, new ArrayList<>(trees),
                linear == null ? null : linear.clone());
        double logLik = -nll - 0.5 * n * Math.log(2 * Math.PI);
        return new Model(mean, d.q, d.diagonalG, d.m, n, g.clone(), sigma2, lik.bhat.clone(), lik.post.clone(),
                Arrays.copyOf(loss, rounds + 1), logLik, imp, cfg.learner(), f.clone(), fr);
    }
}
