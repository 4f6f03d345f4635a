package org.gbmixed;

/**
 * Immutable, validated fitting configuration. Built with {@link Builder}; {@link Builder#build()} throws an
 * {@link IllegalArgumentException} naming the field and the value when a setting is out of range.
 */
public final class Config {
    /** Base learner for the mean. */
    public enum Learner { TREE, LINEAR, SPLINE }

    final int nrounds;
    final double learningRate;
    final Learner learner;
    final int maxDepth;
    final int minLeaf;
    final int maxBins;
    final boolean exactSplits;
    final long seed;
    final int threads;
    final double learningRateDisp, learningRateCov;
    final Learner learnerDisp, learnerCov;
    final int minLeafCov;
    final int honestFolds;
    final int earlyStoppingRounds;
    final boolean componentwise;
    final double subsample, colsample;
    final double splineDf;
    final int splineKnots;
    final boolean newton;
    final boolean clusterSplits;
    final int cateStoppingRounds;
    /** The loss early stopping watches: 0 joint marginal NLL, 1 row-wise score, 2 squared error. */
    final int stoppingMetric;
    final int minLeafClusters;
    final double learningRateCate;
    final int maxDepthCate;
    final Learner learnerCate;
    /** Convergence: boosting stops once a round moves no fitted value or variance parameter by more than tol (0 = never). */
    final double tol;

    /** This configuration with another thread count (the replicates of a bootstrap run one thread each). */
    Config withThreads(int t) {
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

    public int nrounds() { return nrounds; }
    public double learningRate() { return learningRate; }
    public String learner() { return learner.name().toLowerCase(java.util.Locale.ROOT); }
    public int maxDepth() { return maxDepth; }
    public int minLeaf() { return minLeaf; }
    public int maxBins() { return maxBins; }
    public boolean exactSplits() { return exactSplits; }
    public long seed() { return seed; }
    public int threads() { return threads; }
    public double learningRateDisp() { return learningRateDisp; }
    public double learningRateCov() { return learningRateCov; }
    public String learnerDisp() { return learnerDisp.name().toLowerCase(java.util.Locale.ROOT); }
    public String learnerCov() { return learnerCov.name().toLowerCase(java.util.Locale.ROOT); }
    public int minLeafCov() { return minLeafCov; }
    public int honestFolds() { return honestFolds; }
    public int earlyStoppingRounds() { return earlyStoppingRounds; }
    public boolean componentwise() { return componentwise; }
    public double subsample() { return subsample; }
    public double colsample() { return colsample; }
    public double splineDf() { return splineDf; }
    public int splineKnots() { return splineKnots; }
    public boolean newton() { return newton; }
    public boolean clusterSplits() { return clusterSplits; }
    public int cateStoppingRounds() { return cateStoppingRounds; }
    public double tol() { return tol; }
    public String earlyStoppingMetric() { return METRICS[stoppingMetric]; }
    static final String[] METRICS = {"nll", "rowwise", "mse"};
    public int minLeafClusters() { return minLeafClusters; }
    public double learningRateCate() { return learningRateCate; }
    public int maxDepthCate() { return maxDepthCate; }
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

        public Builder nrounds(int v) { nrounds = v; return this; }
        public Builder learningRate(double v) { learningRate = v; return this; }
        public Builder learner(String v) { learnerName = v; return this; }
        public Builder maxDepth(int v) { maxDepth = v; return this; }
        public Builder minLeaf(int v) { minLeaf = v; return this; }
        public Builder maxBins(int v) { maxBins = v; return this; }
        public Builder exactSplits(boolean v) { exactSplits = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder threads(int v) { threads = v; return this; }
        /** Learning rate of the residual-variance part; NaN = learningRate. */
        public Builder learningRateDisp(double v) { learningRateDisp = v; return this; }
        /** Learning rate of the random-effects covariance part; NaN = learningRate. */
        public Builder learningRateCov(double v) { learningRateCov = v; return this; }
        /** Learner of the residual-variance part; null = learner. */
        public Builder learnerDisp(String v) { learnerDisp = v; return this; }
        /** Learner of the random-effects covariance part; null = learner. */
        public Builder learnerCov(String v) { learnerCov = v; return this; }
        /**
         * Folds of clusters for cross-fitted residuals in the variance parts (0 = off: the variance parts and the
         * EM of constant parts use in-sample residuals, the exact ML fixed point for the linear learner).
         */
        public Builder honestFolds(int v) { honestFolds = v; return this; }
        /** Linear learner fitted one covariate at a time (component-wise); "spline" is always component-wise. */
        public Builder componentwise(boolean v) { componentwise = v; return this; }
        /** Fraction of clusters whose rows the mean learner sees each round (drawn from the seed). */
        public Builder subsample(double v) { subsample = v; return this; }
        /** Fraction of the mean's covariates a tree or component-wise learner may use each round. */
        public Builder colsample(double v) { colsample = v; return this; }
        /** Degrees of freedom of each P-spline (and factor ridge) base learner. */
        public Builder splineDf(double v) { splineDf = v; return this; }
        /** Interior knots of each P-spline basis. */
        public Builder splineKnots(int v) { splineKnots = v; return this; }
        /** Stop when the validation loss has not improved for this many rounds (0 = never stop early). */
        public Builder earlyStoppingRounds(int v) { earlyStoppingRounds = v; return this; }
        /**
         * Newton (GLS) values for every step of the mean: the learners' structure from the conditional residuals,
         * their values from the marginal likelihood (false: plain gradient steps on the conditional residuals).
         */
        public Builder newton(boolean v) { newton = v; return this; }
        /**
         * With Newton steps: score tree splits on covariates constant within clusters by their exact
         * marginal-likelihood gain (false: by the conditional residuals' gain, like every other split).
         */
        public Builder clusterSplits(boolean v) { clusterSplits = v; return this; }
        /**
         * With honest folds: the treatment-effect part's shape stops learning once the out-of-fold likelihood of
         * its steps has not improved for this many rounds (0 = never).
         */
        public Builder cateStoppingRounds(int v) { cateStoppingRounds = v; return this; }
        /**
         * Convergence tolerance: boosting stops (converged) after a round that moves no fitted mean by more than
         * tol sd(y), no log residual variance and no log-Cholesky entry of G by more than tol (on the scale of the
         * start's sd for an off-diagonal). Default 1e-8; 0 = never. A tree round moves f by far more; the linear
         * learner with learning rate 1 reaches it within a few rounds, as an optimiser would.
         */
        public Builder tol(double v) { tol = v; return this; }
        /**
         * The loss early stopping watches on the held-out clusters: "nll" their joint marginal NLL, "rowwise" the
         * row-wise score (each row under its marginal normal), "mse" the squared error of the population-level
         * predictions f(x) (as RMSE judges predictions for new clusters).
         */
        public Builder earlyStoppingMetric(String v) { stoppingMetricName = v; return this; }
        /** The fewest clusters on each side of a tree split on a covariate constant within clusters. */
        public Builder minLeafClusters(int v) { minLeafClusters = v; return this; }
        /** Learning rate of the treatment-effect part tau(x); NaN = learningRate. */
        public Builder learningRateCate(double v) { learningRateCate = v; return this; }
        /** Maximum depth of the treatment-effect part's trees; 0 = maxDepth. */
        public Builder maxDepthCate(int v) { maxDepthCate = v; return this; }
        /** Learner of the treatment-effect part; null = learner. */
        public Builder learnerCate(String v) { learnerCate = v; return this; }
        /** Minimum number of clusters in a leaf of a covariance tree. */
        public Builder minLeafCov(int v) { minLeafCov = v; return this; }

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
