package org.gbmixed;

/**
 * Immutable, validated fitting configuration. Built with {@link Builder}; {@link Builder#build()} throws an
 * {@link IllegalArgumentException} naming the field and the value when a setting is out of range.
 */
public final class Config {
    /** Base learner of a part (the mean, and by default the others). */
    public enum Learner { /** Regression trees. */ TREE, /** Least squares. */ LINEAR, /** P-splines. */ SPLINE }

    /** Boosting rounds ({@link Builder#nrounds}). */
    public final int nrounds;
    /** The mean's learning rate ({@link Builder#learningRate}). */
    public final double learningRate;
    /** The mean's base learner ({@link Builder#learner}). */
    public final Learner learner;
    /** Maximum tree depth ({@link Builder#maxDepth}). */
    public final int maxDepth;
    /** Minimum rows in a leaf ({@link Builder#minLeaf}). */
    public final int minLeaf;
    /** Histogram bins per numeric covariate ({@link Builder#maxBins}). */
    public final int maxBins;
    /** Split at every distinct value instead of bins ({@link Builder#exactSplits}). */
    public final boolean exactSplits;
    /** Seed of the random draws: subsampling, honest folds ({@link Builder#seed}). */
    public final long seed;
    /** Worker threads, 0 = all cores ({@link Builder#threads}). */
    public final int threads;
    /** Learning rates of log R and of the log-Cholesky entries of G ({@link Builder#learningRateDisp}, {@link Builder#learningRateCov}). */
    public final double learningRateDisp, learningRateCov;
    /** Base learners of log R and of G ({@link Builder#learnerDisp}, {@link Builder#learnerCov}). */
    public final Learner learnerDisp, learnerCov;
    /** Minimum clusters in a leaf of a G(w) tree ({@link Builder#minLeafCov}). */
    public final int minLeafCov;
    /** Folds of clusters for cross-fitted residuals, 0 = off ({@link Builder#honestFolds}). */
    public final int honestFolds;
    /** Rounds without a better validation loss before early stopping, 0 = never ({@link Builder#earlyStoppingRounds}). */
    public final int earlyStoppingRounds;
    /** Component-wise linear learner ({@link Builder#componentwise}). */
    public final boolean componentwise;
    /** Fractions of clusters and of the mean's covariates each round uses ({@link Builder#subsample}, {@link Builder#colsample}). */
    public final double subsample, colsample;
    /** Degrees of freedom of each P-spline ({@link Builder#splineDf}). */
    public final double splineDf;
    /** Interior knots of each P-spline ({@link Builder#splineKnots}). */
    public final int splineKnots;
    /** The mean's step values from the marginal likelihood (Newton, GLS) ({@link Builder#newton}). */
    public final boolean newton;
    /** Splits on covariates constant within clusters scored by their marginal-likelihood gain ({@link Builder#clusterSplits}). */
    public final boolean clusterSplits;
    /** The treatment part's own early stopping rounds ({@link Builder#cateStoppingRounds}). */
    public final int cateStoppingRounds;
    /** The loss early stopping watches: 0 joint marginal NLL, 1 row-wise score, 2 squared error. */
    public final int stoppingMetric;
    /** The fewest clusters on each side of a split on a covariate constant within clusters ({@link Builder#minLeafClusters}). */
    public final int minLeafClusters;
    /** The treatment part's learning rate ({@link Builder#learningRateCate}). */
    public final double learningRateCate;
    /** The treatment part's tree depth ({@link Builder#maxDepthCate}). */
    public final int maxDepthCate;
    /** The treatment part's base learner ({@link Builder#learnerCate}). */
    public final Learner learnerCate;
    /**
     * Convergence: boosting stops once a round moves no fitted value or variance parameter by more than tol
     * (0 = never).
     */
    public final double tol;

    /**
     * This configuration with another thread count (the replicates of a bootstrap run one thread each).
     *
     * @param t worker threads, 0 = all cores
     * @return a copy with {@code threads = t}
     */
    public Config withThreads(int t) {
        return new Config(this, t);
    }

    private Config(Config o, int t) {
        nrounds = o.nrounds; learningRate = o.learningRate; learner = o.learner; maxDepth = o.maxDepth;
        minLeaf = o.minLeaf; maxBins = o.maxBins; exactSplits = o.exactSplits; seed = o.seed; threads = t;
        learningRateDisp = o.learningRateDisp; learningRateCov = o.learningRateCov; learnerDisp = o.learnerDisp;
        learnerCov = o.learnerCov; minLeafCov = o.minLeafCov; honestFolds = o.honestFolds;
        earlyStoppingRounds = o.earlyStoppingRounds; componentwise = o.componentwise; subsample = o.subsample;
        colsample = o.colsample; splineDf = o.splineDf; splineKnots = o.splineKnots; newton = o.newton;
        clusterSplits = o.clusterSplits; cateStoppingRounds = o.cateStoppingRounds; stoppingMetric = o.stoppingMetric;
        minLeafClusters = o.minLeafClusters; learningRateCate = o.learningRateCate; maxDepthCate = o.maxDepthCate;
        learnerCate = o.learnerCate; tol = o.tol;
    }

    private Config(Builder b) {
        nrounds = b.nrounds;
        learningRate = b.learningRate;
        learner = b.learner;
        maxDepth = b.maxDepth;
        minLeaf = b.minLeaf;
        maxBins = b.maxBins;
        exactSplits = b.exactSplits;
        seed = b.seed;
        threads = b.threads;
        learningRateDisp = Double.isNaN(b.learningRateDisp) ? b.learningRate : b.learningRateDisp;
        learningRateCov = Double.isNaN(b.learningRateCov) ? b.learningRate : b.learningRateCov;
        learnerDisp = b.learnerDispKind;
        learnerCov = b.learnerCovKind;
        minLeafCov = b.minLeafCov;
        honestFolds = b.honestFolds;
        earlyStoppingRounds = b.earlyStoppingRounds;
        componentwise = b.componentwise;
        subsample = b.subsample;
        colsample = b.colsample;
        splineDf = b.splineDf;
        splineKnots = b.splineKnots;
        newton = b.newton;
        clusterSplits = b.clusterSplits;
        cateStoppingRounds = b.cateStoppingRounds;
        stoppingMetric = b.stoppingMetric;
        minLeafClusters = b.minLeafClusters;
        learningRateCate = Double.isNaN(b.learningRateCate) ? b.learningRate : b.learningRateCate;
        maxDepthCate = b.maxDepthCate > 0 ? b.maxDepthCate : b.maxDepth;
        learnerCate = b.learnerCateKind;
        tol = b.tol;
    }

    /** {@return the number of boosting rounds} */
    public int nrounds() { return nrounds; }
    /** {@return the learning rate of the mean} */
    public double learningRate() { return learningRate; }
    /** {@return the mean's learner: "tree", "linear" or "spline"} */
    public String learner() { return learner.name().toLowerCase(java.util.Locale.ROOT); }
    /** {@return the maximum depth of every part's trees (tau(x): maxDepthCate)} */
    public int maxDepth() { return maxDepth; }
    /** {@return the fewest rows in a leaf of a tree of the mean, R(x) or tau(x)} */
    public int minLeaf() { return minLeaf; }
    /** {@return the most bins of a numeric covariate} */
    public int maxBins() { return maxBins; }
    /** {@return whether numeric covariates are split at every distinct value} */
    public boolean exactSplits() { return exactSplits; }
    /** {@return the seed of the random draws} */
    public long seed() { return seed; }
    /** {@return the number of threads (0 = all cores)} */
    public int threads() { return threads; }
    /** {@return the learning rate of the residual-variance part (learningRate when not set)} */
    public double learningRateDisp() { return learningRateDisp; }
    /** {@return the learning rate of the random-effects covariance part (learningRate when not set)} */
    public double learningRateCov() { return learningRateCov; }
    /** {@return the learner of the residual-variance part (the mean's when not set)} */
    public String learnerDisp() { return learnerDisp.name().toLowerCase(java.util.Locale.ROOT); }
    /** {@return the learner of the random-effects covariance part (the mean's when not set)} */
    public String learnerCov() { return learnerCov.name().toLowerCase(java.util.Locale.ROOT); }
    /** {@return the fewest clusters in a leaf of a covariance tree} */
    public int minLeafCov() { return minLeafCov; }
    /** {@return the number of honest folds of clusters (0 = off)} */
    public int honestFolds() { return honestFolds; }
    /** {@return the rounds without a better validation loss after which boosting stops (0 = never)} */
    public int earlyStoppingRounds() { return earlyStoppingRounds; }
    /** {@return whether the linear learner fits one covariate at a time} */
    public boolean componentwise() { return componentwise; }
    /** {@return the fraction of clusters the mean learner sees each round} */
    public double subsample() { return subsample; }
    /** {@return the fraction of the mean's covariates a learner may use each round} */
    public double colsample() { return colsample; }
    /** {@return the degrees of freedom of each P-spline base learner} */
    public double splineDf() { return splineDf; }
    /** {@return the number of interior knots of each P-spline basis} */
    public int splineKnots() { return splineKnots; }
    /** {@return whether the mean's steps take Newton (GLS) values} */
    public boolean newton() { return newton; }
    /** {@return whether splits on cluster-level covariates are scored by their marginal-likelihood gain} */
    public boolean clusterSplits() { return clusterSplits; }
    /** {@return the rounds without gain after which the treatment effect's shape stops (0 = never)} */
    public int cateStoppingRounds() { return cateStoppingRounds; }
    /** {@return the convergence tolerance (0 = never stop on convergence)} */
    public double tol() { return tol; }
    /** {@return the loss early stopping watches: "nll", "rowwise" or "mse"} */
    public String earlyStoppingMetric() { return METRICS[stoppingMetric]; }
    static final String[] METRICS = {"nll", "rowwise", "mse"};
    /** {@return the fewest clusters on each side of a split on a cluster-level covariate} */
    public int minLeafClusters() { return minLeafClusters; }
    /** {@return the learning rate of the treatment-effect part (learningRate when not set)} */
    public double learningRateCate() { return learningRateCate; }
    /** {@return the maximum depth of the treatment-effect part's trees (maxDepth when not set)} */
    public int maxDepthCate() { return maxDepthCate; }
    /** {@return the learner of the treatment-effect part (the mean's when not set)} */
    public String learnerCate() { return learnerCate.name().toLowerCase(java.util.Locale.ROOT); }

    /** Mutable builder; every setter returns the builder. */
    public static final class Builder {
        private int nrounds = 500;
        private double learningRate = 0.05;
        private Learner learner = Learner.TREE;
        private String learnerName = "tree";
        private int maxDepth = 4;
        private int minLeaf = 20;
        private int maxBins = 256;
        private boolean exactSplits = false;
        private long seed = 1L;
        private int threads = 0;
        private double learningRateDisp = Double.NaN, learningRateCov = Double.NaN;
        private String learnerDisp = null, learnerCov = null;
        private Learner learnerDispKind, learnerCovKind;
        private int minLeafCov = 10;
        private int honestFolds = 0;
        private int earlyStoppingRounds = 0;
        private boolean componentwise = false;
        private double subsample = 1, colsample = 1;
        private double splineDf = 4;
        private int splineKnots = 20;
        private boolean newton = true;
        private boolean clusterSplits = false;
        private int cateStoppingRounds = 50;
        private double tol = 1e-8;
        private String stoppingMetricName = "mse";
        private int stoppingMetric;
        private int minLeafClusters = 1;
        private double learningRateCate = Double.NaN;
        private int maxDepthCate = 0;
        private String learnerCate = null;
        private Learner learnerCateKind;

        /**
         * Number of boosting rounds.
         *
         * @param v the number of boosting rounds, &gt;= 0
         * @return this builder
         */
        public Builder nrounds(int v) { nrounds = v; return this; }
        /**
         * Learning rate (shrinkage) of the mean's steps, and of the other parts' unless they set their own.
         *
         * @param v the learning rate, in (0, 1]
         * @return this builder
         */
        public Builder learningRate(double v) { learningRate = v; return this; }
        /**
         * Learner of the mean, and of the other parts unless they set their own.
         *
         * @param v the mean's learner: "tree", "linear" or "spline" (component-wise P-splines)
         * @return this builder
         */
        public Builder learner(String v) { learnerName = v; return this; }
        /**
         * Maximum depth of every part's trees (the treatment-effect part: see maxDepthCate).
         *
         * @param v the maximum depth of a tree, in 1..30
         * @return this builder
         */
        public Builder maxDepth(int v) { maxDepth = v; return this; }
        /**
         * The fewest rows in a leaf of a tree of the mean, R(x) or tau(x) (G(w): minLeafCov).
         *
         * @param v the fewest rows in a leaf, &gt;= 1
         * @return this builder
         */
        public Builder minLeaf(int v) { minLeaf = v; return this; }
        /**
         * The most bins of a numeric covariate: one per distinct value up to this many, else quantile bins.
         *
         * @param v the most bins of a numeric covariate, in 2..65535
         * @return this builder
         */
        public Builder maxBins(int v) { maxBins = v; return this; }
        /**
         * Split numeric covariates at every distinct value, whatever maxBins.
         *
         * @param v true for a split point at every distinct value, false for at most maxBins bins
         * @return this builder
         */
        public Builder exactSplits(boolean v) { exactSplits = v; return this; }
        /**
         * Seed of the random draws (cluster and covariate subsampling, honest folds).
         *
         * @param v the seed, any value
         * @return this builder
         */
        public Builder seed(long v) { seed = v; return this; }
        /**
         * Number of threads.
         *
         * @param v the number of threads, &gt;= 0 (0 = all cores)
         * @return this builder
         */
        public Builder threads(int v) { threads = v; return this; }
        /**
         * Learning rate of the residual-variance part; NaN = learningRate.
         *
         * @param v the learning rate of R(x), in (0, 1], or NaN for learningRate
         * @return this builder
         */
        public Builder learningRateDisp(double v) { learningRateDisp = v; return this; }
        /**
         * Learning rate of the random-effects covariance part; NaN = learningRate.
         *
         * @param v the learning rate of G(w), in (0, 1], or NaN for learningRate
         * @return this builder
         */
        public Builder learningRateCov(double v) { learningRateCov = v; return this; }
        /**
         * Learner of the residual-variance part; null = learner.
         *
         * @param v the learner of R(x): "tree", "linear" or "spline", or null for the mean's learner
         * @return this builder
         */
        public Builder learnerDisp(String v) { learnerDisp = v; return this; }
        /**
         * Learner of the random-effects covariance part; null = learner.
         *
         * @param v the learner of G(w): "tree", "linear" or "spline", or null for the mean's learner
         * @return this builder
         */
        public Builder learnerCov(String v) { learnerCov = v; return this; }
        /**
         * Folds of clusters for cross-fitted residuals in the variance parts (0 = off: the variance parts and the
         * EM of constant parts use in-sample residuals, the exact ML fixed point for the linear learner).
         *
         * @param v the number of folds of clusters: 0 (off) or &gt;= 2
         * @return this builder
         */
        public Builder honestFolds(int v) { honestFolds = v; return this; }
        /**
         * Linear learner fitted one covariate at a time (component-wise); "spline" is always component-wise.
         *
         * @param v true: the "linear" learner fits one covariate at a time; false: all covariates at once
         * @return this builder
         */
        public Builder componentwise(boolean v) { componentwise = v; return this; }
        /**
         * Fraction of clusters whose rows the mean learner sees each round (drawn from the seed).
         *
         * @param v the fraction of clusters, in (0, 1] (1 = every cluster)
         * @return this builder
         */
        public Builder subsample(double v) { subsample = v; return this; }
        /**
         * Fraction of the mean's covariates a tree or component-wise learner may use each round.
         *
         * @param v the fraction of covariates, in (0, 1] (1 = every covariate)
         * @return this builder
         */
        public Builder colsample(double v) { colsample = v; return this; }
        /**
         * Degrees of freedom of each P-spline (and factor ridge) base learner.
         *
         * @param v the degrees of freedom, a finite number &gt;= 1
         * @return this builder
         */
        public Builder splineDf(double v) { splineDf = v; return this; }
        /**
         * Interior knots of each P-spline basis.
         *
         * @param v the number of interior knots, in 1..1000
         * @return this builder
         */
        public Builder splineKnots(int v) { splineKnots = v; return this; }
        /**
         * Stop when the validation loss has not improved for this many rounds (0 = never stop early).
         *
         * @param v the rounds without a new lowest validation loss, &gt;= 0 (0 = never stop early)
         * @return this builder
         */
        public Builder earlyStoppingRounds(int v) { earlyStoppingRounds = v; return this; }
        /**
         * Newton (GLS) values for every step of the mean: the learners' structure from the conditional residuals,
         * their values from the marginal likelihood (false: plain gradient steps on the conditional residuals).
         *
         * @param v true for Newton (GLS) values, false for plain gradient steps
         * @return this builder
         */
        public Builder newton(boolean v) { newton = v; return this; }
        /**
         * With Newton steps: score tree splits on covariates constant within clusters by their exact
         * marginal-likelihood gain (false: by the conditional residuals' gain, like every other split).
         *
         * @param v true to score such splits by the marginal-likelihood gain, false by the conditional residuals'
         * @return this builder
         */
        public Builder clusterSplits(boolean v) { clusterSplits = v; return this; }
        /**
         * With honest folds: the treatment-effect part's shape stops learning once the out-of-fold likelihood of
         * its steps has not improved for this many rounds (0 = never).
         *
         * @param v the rounds without a new lowest out-of-fold loss, &gt;= 0 (0 = never)
         * @return this builder
         */
        public Builder cateStoppingRounds(int v) { cateStoppingRounds = v; return this; }
        /**
         * Convergence tolerance: boosting stops (converged) after a round that moves no fitted mean by more than
         * tol sd(y), no log residual variance and no log-Cholesky entry of G by more than tol (on the scale of the
         * start's sd for an off-diagonal). Default 1e-8; 0 = never. A tree round moves f by far more; the linear
         * learner with learning rate 1 reaches it within a few rounds, as an optimiser would.
         *
         * @param v the tolerance, in [0, 1) (0 = never stop on convergence)
         * @return this builder
         */
        public Builder tol(double v) { tol = v; return this; }
        /**
         * The loss early stopping watches on the held-out clusters: "nll" their joint marginal NLL, "rowwise" the
         * row-wise score (each row under its marginal normal), "mse" the squared error of the population-level
         * predictions f(x) (as RMSE judges predictions for new clusters).
         *
         * @param v the loss: "nll", "rowwise" or "mse"
         * @return this builder
         */
        public Builder earlyStoppingMetric(String v) { stoppingMetricName = v; return this; }
        /**
         * The fewest clusters on each side of a tree split on a covariate constant within clusters.
         *
         * @param v the fewest clusters on a side, &gt;= 1
         * @return this builder
         */
        public Builder minLeafClusters(int v) { minLeafClusters = v; return this; }
        /**
         * Learning rate of the treatment-effect part tau(x); NaN = learningRate.
         *
         * @param v the learning rate of tau(x), in (0, 1], or NaN for learningRate
         * @return this builder
         */
        public Builder learningRateCate(double v) { learningRateCate = v; return this; }
        /**
         * Maximum depth of the treatment-effect part's trees; 0 = maxDepth.
         *
         * @param v the maximum depth of a tau(x) tree, in 1..30, or 0 for maxDepth
         * @return this builder
         */
        public Builder maxDepthCate(int v) { maxDepthCate = v; return this; }
        /**
         * Learner of the treatment-effect part; null = learner.
         *
         * @param v the learner of tau(x): "tree", "linear" or "spline", or null for the mean's learner
         * @return this builder
         */
        public Builder learnerCate(String v) { learnerCate = v; return this; }
        /**
         * Minimum number of clusters in a leaf of a covariance tree.
         *
         * @param v the fewest clusters in a leaf, &gt;= 1
         * @return this builder
         */
        public Builder minLeafCov(int v) { minLeafCov = v; return this; }

        /**
         * Checks every setting and builds the configuration. NaN learning rates and null learners of the other
         * parts become the mean's, maxDepthCate 0 becomes maxDepth.
         *
         * @return the configuration
         * @throws IllegalArgumentException for the first setting out of range, naming it as R does (e.g.
         *     learning_rate) with its value and the rule
         */
        public Config build() {
            if (nrounds < 0) throw bad("nrounds", nrounds, "must be >= 0");
            if (!(learningRate > 0 && learningRate <= 1)) throw bad("learning_rate", learningRate, "must be in (0, 1]");
            learner = parseLearner("learner", learnerName);
            learnerDispKind = learnerDisp == null ? learner : parseLearner("learner_disp", learnerDisp);
            learnerCovKind = learnerCov == null ? learner : parseLearner("learner_cov", learnerCov);
            learnerCateKind = learnerCate == null ? learner : parseLearner("learner_cate", learnerCate);
            if (!Double.isNaN(learningRateCate) && !(learningRateCate > 0 && learningRateCate <= 1))
                throw bad("learning_rate_cate", learningRateCate, "must be in (0, 1]");
            if (maxDepthCate < 0 || maxDepthCate > 30) throw bad("max_depth_cate", maxDepthCate, "must be in 1..30 (0 = max_depth)");
            if (!Double.isNaN(learningRateDisp) && !(learningRateDisp > 0 && learningRateDisp <= 1))
                throw bad("learning_rate_disp", learningRateDisp, "must be in (0, 1]");
            if (!Double.isNaN(learningRateCov) && !(learningRateCov > 0 && learningRateCov <= 1))
                throw bad("learning_rate_cov", learningRateCov, "must be in (0, 1]");
            stoppingMetric = java.util.Arrays.asList(METRICS).indexOf(stoppingMetricName);
            if (stoppingMetric < 0)
                throw bad("early_stopping_metric", "\"" + stoppingMetricName + "\"", "must be \"nll\", \"rowwise\" or \"mse\"");
            if (!(tol >= 0 && tol < 1)) throw bad("tol", tol, "must be in [0, 1) (0 = never stop on convergence)");
            if (cateStoppingRounds < 0) throw bad("cate_stopping_rounds", cateStoppingRounds, "must be >= 0 (0 = never)");
            if (minLeafClusters < 1) throw bad("min_leaf_clusters", minLeafClusters, "must be >= 1");
            if (minLeafCov < 1) throw bad("min_leaf_cov", minLeafCov, "must be >= 1");
            if (!(subsample > 0 && subsample <= 1)) throw bad("subsample", subsample, "must be in (0, 1]");
            if (!(colsample > 0 && colsample <= 1)) throw bad("colsample", colsample, "must be in (0, 1]");
            if (!(splineDf >= 1) || Double.isInfinite(splineDf)) throw bad("spline_df", splineDf, "must be a finite number >= 1");
            if (splineKnots < 1 || splineKnots > 1000) throw bad("spline_knots", splineKnots, "must be in 1..1000");
            if (earlyStoppingRounds < 0) throw bad("early_stopping_rounds", earlyStoppingRounds, "must be >= 0 (0 = off)");
            if (honestFolds < 0 || honestFolds == 1) throw bad("honest_folds", honestFolds, "must be 0 (off) or >= 2");
            if (maxDepth < 1 || maxDepth > 30) throw bad("max_depth", maxDepth, "must be in 1..30");
            if (minLeaf < 1) throw bad("min_leaf", minLeaf, "must be >= 1");
            if (maxBins < 2 || maxBins > 65535) throw bad("max_bins", maxBins, "must be in 2..65535");
            if (threads < 0) throw bad("threads", threads, "must be >= 0 (0 = all cores)");
            return new Config(this);
        }

        private static Learner parseLearner(String field, String name) {
            if (name == null) throw bad(field, "null", "must be \"tree\", \"linear\" or \"spline\"");
            switch (name) {
                case "tree": return Learner.TREE;
                case "linear": return Learner.LINEAR;
                case "spline": return Learner.SPLINE;
                default: throw bad(field, "\"" + name + "\"", "must be \"tree\", \"linear\" or \"spline\"");
            }
        }

        private static IllegalArgumentException bad(String field, Object value, String rule) {
            return new IllegalArgumentException(field + " = " + value + ": " + rule);
        }
    }
}
