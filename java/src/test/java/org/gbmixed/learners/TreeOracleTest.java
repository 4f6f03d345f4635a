package org.gbmixed.learners;

import org.gbmixed.base.Features;
import org.gbmixed.base.Parallel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The histogram tree grower against a brute-force greedy tree written here: at every node, every feature and
 * every cut (numeric: between consecutive values present, with the missing rows sent left and right; factors:
 * every prefix of the levels present ordered by their mean target, the missing rows one more level, which for
 * least squares holds the best subset split when min_leaf does not bind) is scored by the weighted least-squares
 * gain S_L^2/W_L + S_R^2/W_R - S^2/W, S = sum g h, W = sum h, under min_leaf rows a side and max_depth; a leaf's
 * value is S/W. With cluster-level splits, a feature constant within clusters is scored with W from the node's
 * cluster weights (recomputed for every node from its rows) and needs min_leaf_clusters clusters a side. The
 * learner must give every row the oracle's leaf value (to 1e-12) on many random problems, including ones where
 * min_leaf binds, ties in numeric values, missing values, factors and features of more than 256 bins; and the
 * fitted tree must send a missing value that a node never saw where the oracle says (the heavier side).
 */
class TreeOracleTest {

    static final class Problem {
        final int n, p;
        final double[] x, g, h;
        final int[] nlevels;
        /** Cluster of each row and the number of clusters (null / 0: no cluster-level splits). */
        int[] cluster;
        int m;
        Problem(int n, int p, double[] x, double[] g, double[] h, int[] nlevels) {
            this.n = n; this.p = p; this.x = x; this.g = g; this.h = h; this.nlevels = nlevels;
        }
        double x(int i, int k) { return x[i + k * n]; }
        Features features() { return new Features("x", x, n, p, nlevels); }
    }

    /** Four features: continuous; continuous with 15% missing; a factor of 4 levels with 10% missing; 6 values (ties). */
    static Problem random(long seed, int n) {
        int p = 4;
        Random rnd = new Random(seed);
        double[] x = new double[n * p], g = new double[n], h = new double[n];
        for (int i = 0; i < n; i++) {
            double a = rnd.nextDouble(), b = rnd.nextDouble(), c = rnd.nextInt(4), d = rnd.nextInt(6);
            x[i] = a;
            x[i + n] = rnd.nextDouble() < 0.15 ? Double.NaN : b;
            x[i + 2 * n] = rnd.nextDouble() < 0.1 ? Double.NaN : c;
            x[i + 3 * n] = d;
            g[i] = (a > 0.7 ? 2 : 0) + (Double.isNaN(x[i + n]) ? -1.5 : b) + (c == 1 ? 1 : 0) + 0.3 * d
                    + rnd.nextGaussian();
            h[i] = 0.5 + rnd.nextDouble();
        }
        return new Problem(n, p, x, g, h, new int[] {0, 0, 4, 0});
    }

    /**
     * Clustered rows (clusters of 1-8 rows): two row-level features (continuous; a factor of 3 levels) and two
     * constant within clusters (continuous with some clusters missing; a factor of 4 levels).
     */
    static Problem clustered(long seed, int m) {
        Random rnd = new Random(seed);
        int[] size = new int[m];
        int n = 0;
        for (int i = 0; i < m; i++) { size[i] = 1 + rnd.nextInt(8); n += size[i]; }
        int p = 4;
        double[] x = new double[n * p], g = new double[n], h = new double[n];
        int[] cluster = new int[n];
        int j = 0;
        for (int i = 0; i < m; i++) {
            double w = rnd.nextDouble() < 0.12 ? Double.NaN : rnd.nextDouble(), f = rnd.nextInt(4);
            double b = rnd.nextGaussian() * 0.7 + (Double.isNaN(w) ? 1 : w > 0.5 ? 1.5 : 0) + (f == 2 ? -1 : 0);
            for (int r = 0; r < size[i]; r++, j++) {
                cluster[j] = i;
                double a = rnd.nextDouble(), c = rnd.nextInt(3);
                x[j] = a; x[j + n] = c; x[j + 2 * n] = w; x[j + 3 * n] = f;
                g[j] = b + (a > 0.6 ? 1 : 0) + (c == 0 ? 0.5 : 0) + 0.5 * rnd.nextGaussian();
                h[j] = 0.5 + rnd.nextDouble();
            }
        }
        Problem pr = new Problem(n, p, x, g, h, new int[] {0, 3, 0, 4});
        pr.cluster = cluster;
        pr.m = m;
        return pr;
    }

    /**
     * Cluster weights of a node that depend on the node's rows (as ClusterSplitWeights' do): h_j shrunk by the
     * number of rows of j's cluster in the node.
     */
    static double[] nodeClusterWeights(Problem pr, List<Integer> rows) {
        int[] count = new int[pr.m];
        for (int j : rows) count[pr.cluster[j]]++;
        double[] w = new double[pr.n];
        for (int j : rows) w[j] = pr.h[j] / (1 + 0.5 * (count[pr.cluster[j]] - 1));
        return w;
    }

    static final class TestWeights implements TreeLearner.NodeWeights {
        final Problem pr;
        TestWeights(Problem pr) { this.pr = pr; }
        @Override
        public void compute(int[] idx, int lo, int hi, double[] out, boolean[] first) {
            List<Integer> rows = new ArrayList<>();
            for (int t = lo; t < hi; t++) rows.add(idx[t]);
            double[] w = nodeClusterWeights(pr, rows);
            boolean[] seen = new boolean[pr.m];
            for (int j : rows) { out[j] = w[j]; first[j] = !seen[pr.cluster[j]]; seen[pr.cluster[j]] = true; }
        }
    }

    /** A node of the oracle's tree. */
    static final class Node {
        int feature = -1;
        double threshold;         // numeric: left when x <= threshold
        Set<Integer> leftCats;    // factor: level codes (nlevels[k] = missing) going left
        boolean missLeft;         // where a missing value goes
        Node left, right;
        double value;
    }

    /** Brute-force greedy tree: fills out with the leaf value of every row. */
    static final class Oracle {
        final Problem pr;
        final int maxDepth, minLeaf, minLeafClusters;
        final boolean[] clusterLevel;   // features scored with cluster weights (null: none)
        final boolean[] missingAnywhere;
        final double[] out;
        final Node root;
        Oracle(Problem pr, int maxDepth, int minLeaf) { this(pr, maxDepth, minLeaf, null, 1); }
        Oracle(Problem pr, int maxDepth, int minLeaf, boolean[] clusterLevel, int minLeafClusters) {
            this.pr = pr; this.maxDepth = maxDepth; this.minLeaf = minLeaf;
            this.clusterLevel = clusterLevel; this.minLeafClusters = minLeafClusters;
            missingAnywhere = new boolean[pr.p];
            for (int k = 0; k < pr.p; k++) for (int i = 0; i < pr.n; i++) missingAnywhere[k] |= Double.isNaN(pr.x(i, k));
            out = new double[pr.n];
            List<Integer> all = new ArrayList<>();
            for (int i = 0; i < pr.n; i++) all.add(i);
            root = grow(all, 0);
        }

        private double s(List<Integer> rows) { double t = 0; for (int i : rows) t += pr.g[i] * pr.h[i]; return t; }
        private static double w(List<Integer> rows, double[] wt) { double t = 0; for (int i : rows) t += wt[i]; return t; }
        private int clusters(List<Integer> rows) {
            Set<Integer> c = new HashSet<>();
            for (int i : rows) c.add(pr.cluster[i]);
            return c.size();
        }
        private int cat(int i, int k) { double v = pr.x(i, k); return Double.isNaN(v) ? pr.nlevels[k] : (int) v; }

        private Node grow(List<Integer> rows, int depth) {
            Node node = new Node();
            double sAll = s(rows), wAll = w(rows, pr.h);
            node.value = wAll > 0 ? sAll / wAll : 0;
            double best = 0;
            List<Integer> bestL = null, bestR = null;
            if (depth < maxDepth && rows.size() >= 2 * minLeaf) {
                double[] wc = clusterLevel != null ? nodeClusterWeights(pr, rows) : null;
                for (int k = 0; k < pr.p; k++) {
                    boolean cl = clusterLevel != null && clusterLevel[k];
                    double[] wt = cl ? wc : pr.h;
                    double wNode = w(rows, wt), parent = sAll * sAll / wNode;
                    for (Cut cut : cuts(rows, k, wt)) {
                        List<Integer> l = cut.left, r = cut.right;
                        if (l.size() < minLeaf || r.size() < minLeaf) continue;
                        if (cl && (clusters(l) < minLeafClusters || clusters(r) < minLeafClusters)) continue;
                        double sl = s(l), wl = w(l, wt), sr = s(r), wr = w(r, wt);
                        double gain = sl * sl / wl + sr * sr / wr - parent;
                        if (gain > best * (1 + 1e-9) + 1e-12) {
                            best = gain; bestL = l; bestR = r;
                            node.feature = k; node.threshold = cut.threshold; node.leftCats = cut.leftCats;
                            boolean nodeHasMissing = false;
                            for (int i : rows) nodeHasMissing |= Double.isNaN(pr.x(i, k));
                            if (nodeHasMissing) node.missLeft = cut.missLeft;
                            else if (pr.nlevels[k] > 0 && missingAnywhere[k]) node.missLeft = false;
                            else node.missLeft = wl >= wr;   // a missing value never seen here: the heavier side
                        }
                    }
                }
            }
            if (bestL == null) {
                node.feature = -1;
                for (int i : rows) out[i] = node.value;
                return node;
            }
            node.left = grow(bestL, depth + 1);
            node.right = grow(bestR, depth + 1);
            return node;
        }

        double predict(double[] x, int nrow, int i) {
            Node t = root;
            while (t.feature >= 0) {
                double v = x[i + t.feature * nrow];
                boolean left;
                if (Double.isNaN(v)) left = t.missLeft;
                else if (t.leftCats != null) left = t.leftCats.contains((int) v);
                else left = v <= t.threshold;
                t = left ? t.left : t.right;
            }
            return t.value;
        }

        static final class Cut {
            final List<Integer> left = new ArrayList<>(), right = new ArrayList<>();
            double threshold;
            Set<Integer> leftCats;
            boolean missLeft;
        }

        private List<Cut> cuts(List<Integer> rows, int k, double[] wt) {
            List<Cut> cuts = new ArrayList<>();
            if (pr.nlevels[k] > 0) {
                // categories present: the levels and, if any, missing (coded nlevels), ordered by their mean target
                // S/W (ties by code): for weighted least squares the best split of the categories into two groups
                // is a prefix of that order (Fisher 1958)
                List<Integer> cats = new ArrayList<>();
                double[] sc = new double[pr.nlevels[k] + 1], wcat = new double[pr.nlevels[k] + 1];
                for (int i : rows) {
                    int c = cat(i, k);
                    if (!cats.contains(c)) cats.add(c);
                    sc[c] += pr.g[i] * pr.h[i];
                    wcat[c] += wt[i];
                }
                cats.sort((a, b) -> {
                    // a level without weight (rows of clusters left out of this fit) counts as mean 0
                    double ma = wcat[a] > 0 ? sc[a] / wcat[a] : 0, mb = wcat[b] > 0 ? sc[b] / wcat[b] : 0;
                    int cmp = Double.compare(ma, mb);
                    return cmp != 0 ? cmp : Integer.compare(a, b);
                });
                for (int prefix = 1; prefix < cats.size(); prefix++) {
                    Cut cut = new Cut();
                    cut.leftCats = new HashSet<>(cats.subList(0, prefix));
                    cut.missLeft = cut.leftCats.contains(pr.nlevels[k]);
                    for (int i : rows) (cut.leftCats.contains(cat(i, k)) ? cut.left : cut.right).add(i);
                    cuts.add(cut);
                }
                return cuts;
            }
            java.util.TreeSet<Double> values = new java.util.TreeSet<>();
            boolean anyMissing = false;
            for (int i : rows) {
                double v = pr.x(i, k);
                if (Double.isNaN(v)) anyMissing = true; else values.add(v);
            }
            for (double t : values) {
                for (int side = 0; side < (anyMissing ? 2 : 1); side++) {
                    Cut cut = new Cut();
                    cut.threshold = t;
                    cut.missLeft = side == 1;
                    for (int i : rows) {
                        double v = pr.x(i, k);
                        boolean left = Double.isNaN(v) ? cut.missLeft : v <= t;
                        (left ? cut.left : cut.right).add(i);
                    }
                    if (!cut.left.isEmpty() && !cut.right.isEmpty()) cuts.add(cut);
                }
            }
            return cuts;
        }
    }

    /**
     * Fits the learner and checks every row's value, the tree's predictions of the training rows, the leaf
     * ordinals, and where a missing value goes in each feature; returns the number of leaves.
     */
    static int check(Problem pr, BinnedFeatures bf, Oracle o, TreeLearner tl, TreeLearner.NodeWeights nw, String what) {
        double[] out = new double[pr.n];
        Tree tree = tl.fit(pr.g, pr.h, out, null, nw);
        for (int i = 0; i < pr.n; i++) {
            assertEquals(o.out[i], out[i], 1e-12 * (1 + Math.abs(o.out[i])), what + ", row " + i);
            // the tree predicts its training rows' leaf values from x (thresholds, level sets, missing sides)
            assertEquals(out[i], tree.predict(pr.x, pr.n, i), 1e-12 * (1 + Math.abs(out[i])), what + ", predict row " + i);
        }
        // each training row with one feature set missing: the learned side, or the heavier one where no row was missing
        double[] xm = pr.x.clone();
        for (int k = 0; k < pr.p; k++) {
            for (int i = 0; i < pr.n; i++) xm[i + k * pr.n] = Double.NaN;
            for (int i = 0; i < pr.n; i++) {
                double want = o.predict(xm, pr.n, i);
                assertEquals(want, tree.predict(xm, pr.n, i), 1e-12 * (1 + Math.abs(want)), what + ", feature " + k + " missing, row " + i);
            }
            System.arraycopy(pr.x, k * pr.n, xm, k * pr.n, pr.n);
        }
        int[] leafOf = tl.leafOf();
        Set<Integer> leaves = new HashSet<>();
        for (int i = 0; i < pr.n; i++) leaves.add(leafOf[i]);
        assertEquals(tl.nleaves(), leaves.size(), what + ": leaf ordinals");
        for (int i = 0; i < pr.n; i++) assertTrue(leafOf[i] >= 0 && leafOf[i] < tl.nleaves(), what + ": leaf ordinal of row " + i);
        return leaves.size();
    }

    @Test
    void everyRowGetsTheBruteForceTreesLeafValue() {
        int cases = 0, leavesSeen = 0;
        for (long seed = 1; seed <= 25; seed++) {
            // seed 25 has more than 256 distinct values in the continuous features: 16-bit bins
            int n = seed == 25 ? 290 : 60 + (int) (seed * 7 % 90);
            Problem pr = random(seed, n);
            BinnedFeatures bf = new BinnedFeatures(pr.features(), 256, true, Parallel.SERIAL);
            if (seed == 25) assertNotNull(bf.bins16[0], "more than 256 bins are stored as shorts");
            for (int depth : new int[] {1, 2, 4}) {
                for (int minLeaf : new int[] {1, 4, 11, pr.n / 4}) {
                    Oracle o = new Oracle(pr, depth, minLeaf);
                    TreeLearner tl = new TreeLearner(bf, depth, minLeaf, Parallel.SERIAL);
                    leavesSeen += check(pr, bf, o, tl, null, "seed " + seed + ", n " + pr.n + ", depth " + depth + ", min_leaf " + minLeaf);
                    cases++;
                }
            }
        }
        assertTrue(leavesSeen > 4 * cases, "the cases grow real trees: " + leavesSeen + " leaves in " + cases);
    }

    @Test
    void clusterLevelFeaturesAreScoredWithTheNodesClusterWeights() {
        int cases = 0, clusterSplits = 0;
        for (long seed = 1; seed <= 12; seed++) {
            Problem pr = clustered(seed, 20 + (int) (seed * 5 % 25));
            BinnedFeatures bf = new BinnedFeatures(pr.features(), 256, true, Parallel.SERIAL);
            bf.markClusterLevel(pr.cluster, pr.m, true);
            assertNotNull(bf.clusterLevel);
            assertEquals("[false, false, true, true]", Arrays.toString(bf.clusterLevel), "the features constant within clusters");
            for (int depth : new int[] {1, 2, 4}) {
                for (int[] ml : new int[][] {{1, 1}, {3, 2}, {1, 4}, {6, 7}}) {
                    Oracle o = new Oracle(pr, depth, ml[0], bf.clusterLevel, ml[1]);
                    TreeLearner tl = new TreeLearner(bf, depth, ml[0], ml[1], Parallel.SERIAL);
                    check(pr, bf, o, tl, new TestWeights(pr), "seed " + seed + ", depth " + depth + ", min_leaf " + ml[0]
                            + ", min_leaf_clusters " + ml[1]);
                    clusterSplits += countSplits(o.root, bf.clusterLevel);
                    cases++;
                }
            }
            // without node weights the cluster-level features are ordinary features
            Oracle o = new Oracle(pr, 3, 2);
            check(pr, bf, o, new TreeLearner(bf, 3, 2, 5, Parallel.SERIAL), null, "seed " + seed + " without node weights");
            // marked without scoring (cluster_splits off, the default): ordinary splits, even given node weights,
            // from histograms summed by cluster for the cluster-level features
            BinnedFeatures summed = new BinnedFeatures(pr.features(), 256, true, Parallel.SERIAL);
            summed.markClusterLevel(pr.cluster, pr.m, false);
            for (int depth : new int[] {1, 3, 5})
                check(pr, summed, new Oracle(pr, depth, 2), new TreeLearner(summed, depth, 2, 5, Parallel.SERIAL),
                        new TestWeights(pr), "seed " + seed + ", depth " + depth + ", summed by cluster");
        }
        assertTrue(clusterSplits > cases, "the cases split on cluster-level features: " + clusterSplits + " in " + cases);
    }

    /**
     * Rows without weight (the clusters an honest fold leaves out): a factor level of only such rows orders as
     * mean 0, a node without weight has value 0; and a child of exactly 2 min_leaf rows still splits.
     */
    @Test
    void zeroWeightRowsAndChildrenOfExactlyTwiceMinLeaf() {
        for (long seed = 1; seed <= 6; seed++) {
            Problem pr = random(seed, 90);
            for (int i = 0; i < pr.n; i++) {
                boolean level3 = !Double.isNaN(pr.x(i, 2)) && pr.x(i, 2) == 3;
                if (level3 || i % 7 == 0) pr.h[i] = 0;   // level 3 of the factor has no weight at all
            }
            BinnedFeatures bf = new BinnedFeatures(pr.features(), 256, true, Parallel.SERIAL);
            for (int depth : new int[] {1, 3}) {
                Oracle o = new Oracle(pr, depth, 4);
                check(pr, bf, o, new TreeLearner(bf, depth, 4, Parallel.SERIAL), null, "zero weights, seed " + seed + ", depth " + depth);
            }
        }
        // every weight zero: one leaf of value 0
        Problem none = random(7, 40);
        java.util.Arrays.fill(none.h, 0.0);
        BinnedFeatures bn = new BinnedFeatures(none.features(), 256, true, Parallel.SERIAL);
        double[] out = new double[none.n];
        new TreeLearner(bn, 3, 2, Parallel.SERIAL).fit(none.g, none.h, out);
        for (double v : out) assertEquals(0.0, v, 0.0, "a node without weight has value 0");
        // root 30 rows: the best split leaves 10 = 2 min_leaf on the left, which splits 5 | 5
        int n = 30;
        double[] x = new double[n], g = new double[n], h = new double[n];
        for (int i = 0; i < n; i++) { x[i] = i; g[i] = i < 5 ? 20 : i < 10 ? 10 : 0; h[i] = 1; }
        Problem exact = new Problem(n, 1, x, g, h, new int[] {0});
        BinnedFeatures be = new BinnedFeatures(exact.features(), 256, true, Parallel.SERIAL);
        double[] oe = new double[n];
        new TreeLearner(be, 2, 5, Parallel.SERIAL).fit(g, h, oe);
        assertEquals(20, oe[0], 1e-12);
        assertEquals(10, oe[7], 1e-12);
        assertEquals(0, oe[20], 1e-12);
    }

    private static int countSplits(Node t, boolean[] onFeatures) {
        if (t.feature < 0) return 0;
        return (onFeatures[t.feature] ? 1 : 0) + countSplits(t.left, onFeatures) + countSplits(t.right, onFeatures);
    }

    /** A factor whose best split puts exactly min_leaf rows on one side (first or last in the level order). */
    @Test
    void factorSplitsExactlyAtMinLeafAreTaken() {
        for (int extreme : new int[] {0, 3}) {
            int[] size = {5, 20, 20, 5};
            double[] mean = {1, 0, 0.5, -1};
            mean[extreme] = extreme == 0 ? 20 : -20;
            int n = 50;
            double[] x = new double[n], g = new double[n], h = new double[n];
            Random rnd = new Random(extreme);
            int j = 0;
            for (int lev = 0; lev < 4; lev++) {
                for (int r = 0; r < size[lev]; r++, j++) { x[j] = lev; g[j] = mean[lev] + 0.1 * rnd.nextGaussian(); h[j] = 1; }
            }
            Problem pr = new Problem(n, 1, x, g, h, new int[] {4});
            BinnedFeatures bf = new BinnedFeatures(pr.features(), 256, true, Parallel.SERIAL);
            for (int minLeaf : new int[] {4, 5, 6}) {
                Oracle o = new Oracle(pr, 1, minLeaf);
                TreeLearner tl = new TreeLearner(bf, 1, minLeaf, Parallel.SERIAL);
                check(pr, bf, o, tl, null, "extreme level " + extreme + ", min_leaf " + minLeaf);
                if (minLeaf <= 5) assertEquals(Set.of(extreme), extreme == 0 ? flip(o.root.leftCats) : o.root.leftCats,
                        "the extreme level of 5 rows is split off");
            }
        }
    }

    private static Set<Integer> flip(Set<Integer> left) {
        Set<Integer> s = new HashSet<>(Set.of(0, 1, 2, 3));
        s.removeAll(left);
        return s;
    }

    /**
     * A feature of more than 65,536 distinct values (32-bit bins) and 16-bit bins at large n against a fast
     * one-feature oracle (rows sorted by x: every node is a range of them), the nodes built in parallel.
     */
    @Test
    void wideBinsGiveTheSortedOraclesTree() {
        int n = 70_000;
        Random rnd = new Random(11);
        double[] x = new double[n], g = new double[n], h = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = rnd.nextDouble();
            // above 0.8 g is constant: that node cannot gain from a split and is a leaf with a histogram
            g[i] = x[i] > 0.8 ? 3 : (x[i] > 0.3 ? 1 : 0) + Math.sin(20 * x[i]) + rnd.nextGaussian();
            h[i] = 0.5 + rnd.nextDouble();
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(x[a], x[b]));
        double[] want = new double[n];
        int depth = 3, minLeaf = 100;
        sortedOracle(order, 0, n, depth, minLeaf, g, h, want);
        Parallel par = new Parallel(2);
        {
            for (int maxBins : new int[] {0, 40_000}) {
                BinnedFeatures bf = new BinnedFeatures(new Features("x", x, n, 1, new int[] {0}), maxBins, maxBins == 0, par);
                if (maxBins == 0) {
                    assertNotNull(bf.bins32[0], "more than 65,536 bins are stored as ints");
                    // depth 8: more leaves than the learner's first leaf table (64)
                    double[] deep = new double[n], got = new double[n];
                    sortedOracle(order, 0, n, 8, 50, g, h, deep);
                    TreeLearner tl = new TreeLearner(bf, 8, 50, par);
                    tl.fit(g, h, got);
                    assertTrue(tl.nleaves() > 64, "leaves " + tl.nleaves());
                    for (int i = 0; i < n; i++) assertEquals(deep[i], got[i], 1e-9 * (1 + Math.abs(deep[i])), "depth 8, row " + i);
                }
                else { assertNotNull(bf.bins16[0]); assertNull(bf.bins32[0]); }
                double[] expect = want;
                if (maxBins > 0) {
                    // quantile bins: the oracle's cuts are the bins' upper ends
                    expect = new double[n];
                    Integer[] byBin = order.clone();
                    sortedOracle(byBin, 0, n, depth, minLeaf, g, h, expect, bf);
                }
                double[] out = new double[n];
                Tree t = new TreeLearner(bf, depth, minLeaf, par).fit(g, h, out);
                for (int i = 0; i < n; i++) {
                    assertEquals(expect[i], out[i], 1e-9 * (1 + Math.abs(expect[i])), "max_bins " + maxBins + ", row " + i);
                    assertEquals(out[i], t.predict(x, n, i), 1e-12 * (1 + Math.abs(out[i])));
                }
            }
        }
    }

    @Test
    void byteFeaturesBuiltInRowBlocksGiveTheOraclesTreeOnAnyThreadCount() {
        // 70,000 rows: the root's and the first levels' histograms are built in blocks of rows summed in block order
        // (nodes of 2 x 16,384 rows or more); a second byte feature, constant, makes rows8 two bytes wide
        int n = 70_000;
        Random rnd = new Random(12);
        double[] x = new double[2 * n], g = new double[n], h = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = rnd.nextDouble();
            x[n + i] = 1;
            g[i] = (x[i] > 0.3 ? 1 : 0) + Math.sin(20 * x[i]) + rnd.nextGaussian();
            h[i] = 0.5 + rnd.nextDouble();
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(x[a], x[b]));
        // the weights as given; then one weight for all rows but every third block of 50 rows (a left-out fold),
        // which weigh 0: the rows of positive weight are counted from W, those of weight 0 only counted, and both
        // still count for min_leaf
        double[] unit = new double[n];
        for (int i = 0; i < n; i++) unit[i] = (i / 50) % 3 == 2 ? 0 : 0.37;
        for (double[] wt : new double[][] {h, unit}) {
            String what = wt == h ? "weights as given" : "one weight, a third of the rows 0";
            double[][] outs = new double[3][];
            for (int threads = 1; threads <= 3; threads++) {
                Parallel par = new Parallel(threads);
                BinnedFeatures bf = new BinnedFeatures(new Features("x", x, n, 2, new int[] {0, 0}), 256, false, par);
                assertEquals(2, bf.p8, "both features are bytes");
                assertEquals(1, bf.col8[1]);
                double[] expect = new double[n], out = new double[n];
                int minLeaf = wt == h ? 30 : 3000;   // 3000: a third of the rows of a leaf may be the weightless
                sortedOracle(order.clone(), 0, n, 4, minLeaf, g, wt, expect, bf);
                Tree t = new TreeLearner(bf, 4, minLeaf, par).fit(g, wt, out);
                for (int i = 0; i < n; i++) {
                    assertEquals(expect[i], out[i], 1e-9 * (1 + Math.abs(expect[i])), what + ", " + threads + " threads, row " + i);
                    assertEquals(out[i], t.predict(x, n, i), 1e-12 * (1 + Math.abs(out[i])));
                }
                for (int k = 0; k < t.size(); k++) if (t.feature[k] >= 0) assertEquals(0, t.feature[k], "never the constant");
                // subtrees from 2,048 rows a side (as the engine does from 32,768): the same tree, node for node
                TreeLearner small = new TreeLearner(bf, 4, minLeaf, 1, par, 2048);
                double[] outSub = new double[n];
                Tree ts = small.fit(g, wt, outSub);
                assertArrayEquals(out, outSub, 0.0, what + ", subtrees from 2048 rows, " + threads + " threads");
                assertArrayEquals(t.feature, ts.feature, what + ": the same nodes in the same order");
                assertArrayEquals(t.value, ts.value, 0.0);
                TreeLearner serial = new TreeLearner(bf, 4, minLeaf, 1, Parallel.SERIAL, Integer.MAX_VALUE);
                serial.fit(g, wt, new double[n]);
                assertArrayEquals(serial.leafOf(), small.leafOf(), what + ": the same leaf ordinals as a serial growth");
                outs[threads - 1] = out;
            }
            assertTrue(Arrays.equals(outs[0], outs[1]) && Arrays.equals(outs[0], outs[2]), what + ": bit-identical for 1, 2, 3 threads");
        }
    }

    private static void sortedOracle(Integer[] ord, int lo, int hi, int depth, int minLeaf, double[] g, double[] h, double[] out) {
        sortedOracle(ord, lo, hi, depth, minLeaf, g, h, out, null);
    }

    /** Best cut of the range ord[lo, hi) between distinct values (or distinct bins of bf); recursion to depth. */
    private static void sortedOracle(Integer[] ord, int lo, int hi, int depth, int minLeaf, double[] g, double[] h,
                                     double[] out, BinnedFeatures bf) {
        double s = 0, w = 0;
        for (int t = lo; t < hi; t++) { s += g[ord[t]] * h[ord[t]]; w += h[ord[t]]; }
        int cut = -1;
        if (depth > 0 && hi - lo >= 2 * minLeaf) {
            double best = 0, sl = 0, wl = 0, parent = s * s / w;
            for (int t = lo; t < hi - 1; t++) {
                sl += g[ord[t]] * h[ord[t]]; wl += h[ord[t]];
                int a = ord[t], b = ord[t + 1];
                boolean boundary = bf == null ? true : bf.bin(0, a) != bf.bin(0, b);
                if (!boundary || t + 1 - lo < minLeaf || hi - t - 1 < minLeaf) continue;
                double gain = sl * sl / wl + (s - sl) * (s - sl) / (w - wl) - parent;
                if (gain > best * (1 + 1e-12) + 1e-12 * parent) { best = gain; cut = t + 1; }
            }
        }
        if (cut < 0) {
            for (int t = lo; t < hi; t++) out[ord[t]] = s / w;
            return;
        }
        sortedOracle(ord, lo, cut, depth - 1, minLeaf, g, h, out, bf);
        sortedOracle(ord, cut, hi, depth - 1, minLeaf, g, h, out, bf);
    }
}
