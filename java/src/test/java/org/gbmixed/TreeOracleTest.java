package org.gbmixed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The histogram tree grower against a brute-force greedy tree written here: at every node, every feature and
 * every cut (numeric: between consecutive values present, with the missing rows sent left and right; factors:
 * every prefix of the levels present ordered by their mean target, the missing rows one more level, which for
 * least squares holds the best subset split when min_leaf does not bind) is scored by the weighted least-squares
 * gain S_L^2/W_L + S_R^2/W_R - S^2/W, S = sum g h, W = sum h, under min_leaf rows a side and max_depth; a leaf's
 * value is S/W. The learner must give every row the oracle's leaf value (to 1e-12) on many random problems,
 * including ones where min_leaf binds, ties in numeric values, missing values and a factor.
 */
class TreeOracleTest {

    static final class Problem {
        final int n, p = 4;
        final double[] x, g, h;
        final int[] nlevels = {0, 0, 4, 0};
        Problem(long seed, int n) {
            this.n = n;
            Random rnd = new Random(seed);
            x = new double[n * p]; g = new double[n]; h = new double[n];
            for (int i = 0; i < n; i++) {
                double a = rnd.nextDouble(), b = rnd.nextDouble(), c = rnd.nextInt(4), d = rnd.nextInt(6);
                x[i] = a;                                                  // continuous, distinct
                x[i + n] = rnd.nextDouble() < 0.15 ? Double.NaN : b;       // with missing values
                x[i + 2 * n] = rnd.nextDouble() < 0.1 ? Double.NaN : c;    // factor of 4 levels, missing too
                x[i + 3 * n] = d;                                          // 6 distinct values: ties
                g[i] = (a > 0.7 ? 2 : 0) + (Double.isNaN(x[i + n]) ? -1.5 : b) + (c == 1 ? 1 : 0) + 0.3 * d
                        + rnd.nextGaussian();
                h[i] = 0.5 + rnd.nextDouble();
            }
        }
        double x(int i, int k) { return x[i + k * n]; }
    }

    /** Brute-force greedy tree: fills out with the leaf value of every row. */
    static final class Oracle {
        final Problem pr;
        final int maxDepth, minLeaf;
        final double[] out;
        Oracle(Problem pr, int maxDepth, int minLeaf) {
            this.pr = pr; this.maxDepth = maxDepth; this.minLeaf = minLeaf;
            out = new double[pr.n];
            List<Integer> all = new ArrayList<>();
            for (int i = 0; i < pr.n; i++) all.add(i);
            grow(all, 0);
        }

        private double s(List<Integer> rows) { double t = 0; for (int i : rows) t += pr.g[i] * pr.h[i]; return t; }
        private double w(List<Integer> rows) { double t = 0; for (int i : rows) t += pr.h[i]; return t; }

        private void grow(List<Integer> rows, int depth) {
            double sAll = s(rows), wAll = w(rows);
            List<Integer> bestL = null, bestR = null;
            if (depth < maxDepth && rows.size() >= 2 * minLeaf) {
                double parent = sAll * sAll / wAll, best = 0;
                for (int k = 0; k < pr.p; k++) {
                    for (List<Integer>[] cut : cuts(rows, k)) {
                        List<Integer> l = cut[0], r = cut[1];
                        if (l.size() < minLeaf || r.size() < minLeaf) continue;
                        double sl = s(l), wl = w(l), sr = s(r), wr = w(r);
                        double gain = sl * sl / wl + sr * sr / wr - parent;
                        if (gain > best * (1 + 1e-9) + 1e-12) { best = gain; bestL = l; bestR = r; }
                    }
                }
            }
            if (bestL == null) {
                for (int i : rows) out[i] = sAll / wAll;
                return;
            }
            grow(bestL, depth + 1);
            grow(bestR, depth + 1);
        }

        @SuppressWarnings("unchecked")
        private List<List<Integer>[]> cuts(List<Integer> rows, int k) {
            List<List<Integer>[]> cuts = new ArrayList<>();
            if (pr.nlevels[k] > 0) {
                // categories present: the levels and, if any, missing (coded nlevels)
                List<Integer> cats = new ArrayList<>();
                for (int i : rows) {
                    double v = pr.x(i, k);
                    int c = Double.isNaN(v) ? pr.nlevels[k] : (int) v;
                    if (!cats.contains(c)) cats.add(c);
                }
                // ordered by their mean target S/W (ties by code): for weighted least squares the best split of
                // the categories into two groups is a prefix of that order (Fisher 1958)
                double[] sc = new double[pr.nlevels[k] + 1], wc = new double[pr.nlevels[k] + 1];
                for (int i : rows) {
                    double v = pr.x(i, k);
                    int c = Double.isNaN(v) ? pr.nlevels[k] : (int) v;
                    sc[c] += pr.g[i] * pr.h[i];
                    wc[c] += pr.h[i];
                }
                cats.sort((a, b) -> {
                    int cmp = Double.compare(sc[a] / wc[a], sc[b] / wc[b]);
                    return cmp != 0 ? cmp : Integer.compare(a, b);
                });
                for (int prefix = 1; prefix < cats.size(); prefix++) {
                    List<Integer> l = new ArrayList<>(), r = new ArrayList<>();
                    for (int i : rows) {
                        double v = pr.x(i, k);
                        int c = Double.isNaN(v) ? pr.nlevels[k] : (int) v;
                        if (cats.indexOf(c) < prefix) l.add(i); else r.add(i);
                    }
                    cuts.add(new List[] {l, r});
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
                    List<Integer> l = new ArrayList<>(), r = new ArrayList<>();
                    for (int i : rows) {
                        double v = pr.x(i, k);
                        boolean left = Double.isNaN(v) ? side == 1 : v <= t;
                        if (left) l.add(i); else r.add(i);
                    }
                    if (!l.isEmpty() && !r.isEmpty()) cuts.add(new List[] {l, r});
                }
            }
            return cuts;
        }
    }

    @Test
    void everyRowGetsTheBruteForceTreesLeafValue() {
        int cases = 0, leavesSeen = 0;
        for (long seed = 1; seed <= 25; seed++) {
            Problem pr = new Problem(seed, 60 + (int) (seed * 7 % 90));
            BinnedFeatures bf = new BinnedFeatures(new Features("x", pr.x, pr.n, pr.p, pr.nlevels), 256, true, Parallel.SERIAL);
            for (int depth : new int[] {1, 2, 4}) {
                for (int minLeaf : new int[] {1, 4, 11, pr.n / 4}) {
                    Oracle o = new Oracle(pr, depth, minLeaf);
                    TreeLearner tl = new TreeLearner(bf, depth, minLeaf, Parallel.SERIAL);
                    double[] out = new double[pr.n];
                    Tree tree = tl.fit(pr.g, pr.h, out);
                    String what = "seed " + seed + ", n " + pr.n + ", depth " + depth + ", min_leaf " + minLeaf;
                    for (int i = 0; i < pr.n; i++) {
                        assertEquals(o.out[i], out[i], 1e-12 * (1 + Math.abs(o.out[i])), what + ", row " + i);
                        // the tree predicts its training rows' leaf values from x (thresholds, level sets, missing sides)
                        assertEquals(out[i], tree.predict(pr.x, pr.n, i), 1e-12 * (1 + Math.abs(out[i])), what + ", predict row " + i);
                    }
                    int[] leafOf = tl.leafOf();
                    java.util.Set<Integer> leaves = new java.util.HashSet<>();
                    for (int i = 0; i < pr.n; i++) leaves.add(leafOf[i]);
                    assertEquals(tl.nleaves(), leaves.size(), what + ": leaf ordinals");
                    leavesSeen += leaves.size();
                    cases++;
                }
            }
        }
        assertTrue(leavesSeen > 4 * cases, "the cases grow real trees: " + leavesSeen + " leaves in " + cases);
    }
}
