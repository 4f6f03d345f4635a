package org.gbmixed;

/**
 * The base learner of one model part on its own covariates: a regression tree on binned features or the
 * linear learner. It sees a target and weights, never the loss: {@link #fit} returns a step and writes its
 * unscaled fitted values per row; {@link #add} puts a scaled step into the part's ensemble.
 */
final class PartLearner {
    private final TreeLearner tree;
    private final LinearLearner linear;
    private final int p;
    private final int maxDepth, minLeaf;
    private final Parallel par;
    private final BinnedFeatures bins;

    PartLearner(Features f, Config.Learner kind, int maxDepth, int minLeaf, int maxBins, boolean exact, Parallel par) {
        p = f.p;
        this.maxDepth = maxDepth;
        this.minLeaf = minLeaf;
        this.par = par;
        if (kind == Config.Learner.LINEAR) {
            linear = new LinearLearner(f);
            tree = null;
            bins = null;
        } else {
            bins = new BinnedFeatures(f, maxBins, exact, par);
            tree = new TreeLearner(bins, maxDepth, minLeaf, par);
            linear = null;
        }
    }

    /** A learner of the same kind on the same covariates, sharing the binned data or the linear design. */
    private PartLearner(PartLearner other) {
        p = other.p;
        maxDepth = other.maxDepth;
        minLeaf = other.minLeaf;
        par = other.par;
        bins = other.bins;
        linear = other.linear;   // stateless between fits
        tree = bins == null ? null : new TreeLearner(bins, maxDepth, minLeaf, par);
    }

    PartLearner sibling() { return new PartLearner(this); }

    /** One fitted base learner, not yet added to an ensemble. */
    static final class Step {
        final Tree tree;
        final double[] beta;
        Step(Tree tree, double[] beta) { this.tree = tree; this.beta = beta; }
    }

    /** Fits target ~ covariates with weights; out = the (unscaled) fitted values per row. */
    Step fit(double[] target, double[] weight, double[] out) {
        if (tree != null) return new Step(tree.fit(target, weight, out), null);
        return new Step(null, linear.fit(target, weight, out));
    }

    /** ens += scale * step. */
    static void add(Ensemble ens, Step step, double scale) {
        if (step.tree != null) {
            step.tree.scale(scale);
            ens.trees.add(step.tree);
        } else {
            ens.addLinear(step.beta, scale);
        }
    }

    /** Gain-based importance per covariate, normalised to sum 1 (zeros for the linear learner or no split). */
    double[] importance() {
        double[] imp = new double[p];
        if (tree == null) return imp;
        double tot = 0;
        for (double v : tree.gain) tot += v;
        if (tot > 0) for (int k = 0; k < p; k++) imp[k] = tree.gain[k] / tot;
        return imp;
    }
}
