package org.gbmixed.learners;

import org.gbmixed.Config;
import org.gbmixed.base.Features;
import org.gbmixed.base.Parallel;
import org.gbmixed.base.TrainingData;
import org.gbmixed.likelihood.Basis;

/**
 * The base learner of one model part on its own covariates: a regression tree on binned features or the
 * linear learner. It sees a target and weights, never the loss: {@link #fit} returns a step and writes its
 * unscaled fitted values per row; {@link #add} puts a scaled step into the part's ensemble.
 */
public final class PartLearner {
    private final TreeLearner tree;
    private final LinearLearner linear;
    private final ComponentwiseLearner comp;
    private final int p;
    private final int maxDepth, minLeaf, minLeafClusters;
    private final Parallel par;
    private final BinnedFeatures bins;

    public PartLearner(Features f, Config.Learner kind, Config cfg, int minLeaf, Parallel par) {
        this(f, kind, cfg, cfg.maxDepth, minLeaf, par);
    }

    public PartLearner(Features f, Config.Learner kind, Config cfg, int maxDepth, int minLeaf, Parallel par) {
        p = f.p;
        this.maxDepth = maxDepth;
        this.minLeaf = minLeaf;
        this.minLeafClusters = cfg.minLeafClusters;
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
            tree = new TreeLearner(bins, maxDepth, minLeaf, cfg.minLeafClusters, par);
            linear = null;
        }
    }

    /** A learner of the same kind on the same covariates, sharing the binned data or the linear design. */
    private PartLearner(PartLearner other, int maxDepth) {
        p = other.p;
        this.maxDepth = maxDepth;
        minLeaf = other.minLeaf;
        par = other.par;
        bins = other.bins;
        linear = other.linear;   // stateless between fits
        minLeafClusters = other.minLeafClusters;
        tree = bins == null ? null : new TreeLearner(bins, maxDepth, minLeaf, minLeafClusters, par);
        comp = other.comp == null ? null : other.comp.copy();
    }

    public PartLearner sibling() { return new PartLearner(this, maxDepth); }

    /** The same, with trees of another maximum depth (the treatment-effect part on the mean's covariates). */
    public PartLearner sibling(int depth) { return new PartLearner(this, depth); }

    /** One fitted base learner, not yet added to an ensemble. */
    public static final class Step {
        public final Tree tree;
        final double[] beta;        // linear learner
        public final int feature;          // component-wise: the selected covariate and its coefficients
        final double[] comp;
        final Smoother.Spec[] specs;
        public Step(Tree tree, double[] beta) { this(tree, beta, -1, null, null); }
        public Step(Tree tree, double[] beta, int feature, double[] comp, Smoother.Spec[] specs) {
            this.tree = tree; this.beta = beta; this.feature = feature; this.comp = comp; this.specs = specs;
        }
    }

    /** Fits target ~ covariates with weights; out = the (unscaled) fitted values per row. */
    public Step fit(double[] target, double[] weight, double[] out) {
        return fit(target, weight, out, null);
    }

    /** The same, using only the covariates with use[k] (trees and component-wise learners); null = all. */
    public Step fit(double[] target, double[] weight, double[] out, boolean[] use) {
        if (tree != null) return new Step(tree.fit(target, weight, out, use), null);
        if (comp != null) {
            int k = comp.fit(target, weight, out, use);
            return new Step(null, null, k, comp.coefficients(k).clone(), comp.specs());
        }
        return new Step(null, linear.fit(target, weight, out));
    }

    /**
     * The structure of a step whose values a Newton step will set ({@link #basis}, {@link #setValues}): the tree
     * grown on target/weight, the covariate the component-wise learner selects; the linear learner needs none.
     */
    public Step structure(double[] target, double[] weight, double[] out, boolean[] use, TreeLearner.NodeWeights nw) {
        if (linear != null) return new Step(null, null);
        if (tree != null) return new Step(tree.fit(target, weight, out, use, nw), null);
        return fit(target, weight, out, use);
    }

    /**
     * Marks the covariates constant within clusters (rows of clusters): their tree histograms are then summed
     * by cluster, and with score (cluster_splits) their splits get the cluster-level gains.
     */
    public void markClusterLevel(TrainingData d, boolean score) {
        if (bins != null) bins.markClusterLevel(d.cluster, d.m, score);
    }

    /** The design of a step's structure: its columns are the values {@link #setValues} takes. */
    public Basis basis(Step step) {
        if (tree != null) return tree.leafBasis();
        if (comp != null) return comp.smoothers[step.feature].basis();
        return linear.basis();
    }

    /** For a tree learner: its last tree's leaf of every row (else null), and the number of leaves. */
    public int[] leafOf() { return tree == null ? null : tree.leafOf(); }
    public int nleaves() { return tree == null ? 0 : tree.nleaves(); }

    /** The penalty of the step's values (component-wise smoothers, for weights of mean meanWeight), or null. */
    public double[] penalty(Step step, double meanWeight) {
        return comp != null ? comp.smoothers[step.feature].penalty(meanWeight) : null;
    }

    /** The step with its values replaced by c (in the columns of {@link #basis}); out = its fit per row. */
    public Step setValues(Step step, double[] c, double[] out) {
        if (tree != null) {
            tree.setLeafValues(step.tree, c, out);
            return step;
        }
        if (comp != null) {
            comp.setCoefficients(step.feature, c, out);
            return new Step(null, null, step.feature, c.clone(), step.specs);
        }
        return new Step(null, linear.fromScaled(c, out));
    }

    /** ens += scale * step (in the ensemble's own units: divided by a level-step multiplier). */
    public static void add(Ensemble ens, Step step, double scale) {
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
    public double[] importance() {
        double[] imp = new double[p];
        double[] g = tree != null ? tree.gain : comp != null ? comp.gain : null;
        if (g == null) return imp;
        double tot = 0;
        for (double v : g) tot += v;
        if (tot > 0) for (int k = 0; k < p; k++) imp[k] = g[k] / tot;
        return imp;
    }
}
