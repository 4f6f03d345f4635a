package org.gbmixed;

/**
 * The base learner of one model part on its own covariates: a regression tree on binned features or the
 * linear learner. It sees a target and weights, never the loss: {@link #fit} returns a step and writes its
 * unscaled fitted values per row; {@link #add} puts a scaled step into the part's ensemble.
 */
final class PartLearner {
    private final TreeLearner tree;
    private final LinearLearner linear;
    private final ComponentwiseLearner comp;
    private final int p;
    private final int maxDepth, minLeaf;
    private final Parallel par;
    private final BinnedFeatures bins;

    PartLearner(Features f, Config.Learner kind, Config cfg, int minLeaf, Parallel par) {
        p = f.p;
        this.maxDepth = cfg.maxDepth;
        this.minLeaf = minLeaf;
        this.par = par;
        if (kind != Config.Learner.TREE) f.requireComplete(kind.name().toLowerCase(java.util.Locale.ROOT));
        if (f.p > 0 && (kind == Config.Learner.SPLINE || (kind == Config.Learner.LINEAR && cfg.componentwise))) {
            comp = new ComponentwiseLearner(f, kind == Config.Learner.SPLINE, cfg.splineKnots, cfg.splineDf, par);
            linear = null;
            tree = null;
            bins = null;
        } else if (kind == Config.Learner.LINEAR) {
            comp = null;
            linear = new LinearLearner(f);
            tree = null;
            bins = null;
        } else {
            comp = null;
            bins = new BinnedFeatures(f, cfg.maxBins, cfg.exactSplits, par);
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
        comp = other.comp == null ? null : other.comp.copy();
    }

    PartLearner sibling() { return new PartLearner(this); }

    /** One fitted base learner, not yet added to an ensemble. */
    static final class Step {
        final Tree tree;
        final double[] beta;        // linear learner
        final int feature;          // component-wise: the selected covariate and its coefficients
        final double[] comp;
        final Smoother.Spec[] specs;
        Step(Tree tree, double[] beta) { this(tree, beta, -1, null, null); }
        Step(Tree tree, double[] beta, int feature, double[] comp, Smoother.Spec[] specs) {
            this.tree = tree; this.beta = beta; this.feature = feature; this.comp = comp; this.specs = specs;
        }
    }

    /** Fits target ~ covariates with weights; out = the (unscaled) fitted values per row. */
    Step fit(double[] target, double[] weight, double[] out) {
        return fit(target, weight, out, null);
    }

    /** The same, using only the covariates with use[k] (trees and component-wise learners); null = all. */
    Step fit(double[] target, double[] weight, double[] out, boolean[] use) {
        if (tree != null) return new Step(tree.fit(target, weight, out, use), null);
        if (comp != null) {
            int k = comp.fit(target, weight, out, use);
            return new Step(null, null, k, comp.coefficients(k).clone(), comp.specs());
        }
        return new Step(null, linear.fit(target, weight, out));
    }

    /** ens += scale * step (in the ensemble's own units: divided by a level-step multiplier). */
    static void add(Ensemble ens, Step step, double scale) {
        scale /= ens.scale;
        if (step.tree != null) {
            step.tree.scale(scale);
            ens.trees.add(step.tree);
        } else if (step.comp != null) {
            ens.addComponent(step.specs, step.feature, step.comp, scale);
        } else {
            ens.addLinear(step.beta, scale);
        }
    }

    /** Gain-based importance per covariate, normalised to sum 1 (zeros for the plain linear learner or no gain). */
    double[] importance() {
        double[] imp = new double[p];
        double[] g = tree != null ? tree.gain : comp != null ? comp.gain : null;
        if (g == null) return imp;
        double tot = 0;
        for (double v : g) tot += v;
        if (tot > 0) for (int k = 0; k < p; k++) imp[k] = g[k] / tot;
        return imp;
    }
}
