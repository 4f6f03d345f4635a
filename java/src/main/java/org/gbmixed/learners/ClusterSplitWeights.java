package org.gbmixed.learners;

import org.gbmixed.base.TrainingData;
import org.gbmixed.likelihood.Likelihood;

/**
 * Row weights that make a tree's split gain the exact marginal-likelihood (GLS) gain for splits that keep each
 * cluster's rows of a node together (splits on covariates constant within clusters). For the design column
 * a_j = m_j [j in node N] (m_j = 1 for the mean, the treatment contrast t_j for the treatment-effect part):
 * <pre>
 *   a_L' V^-1 a_L = sum_{j in L} hc_j   when L holds whole groups N ∩ cluster i, with
 *   hc_j = cw_i m_j (V^-1 a_N)_j = cw_i (m_j / R_j) (m_j - z_j' P_i u_iN),   u_iN = sum_{k in N ∩ i} z_k m_k / R_k
 * </pre>
 * and a_L'V^-1 r = sum_{j in L} m_j e_j / R_j, the tree's S. The conditional-residual weights m_j^2 / R_j
 * instead make such splits look smaller by about the BLUP's shrinkage (R/n)/(G + R/n): a covariate that the
 * random effects can absorb is then split on late or never. Cost per node O(rows q + clusters q^2).
 */
public final class ClusterSplitWeights implements TreeLearner.NodeWeights {
    private final TrainingData d;
    private final double[] mult;
    private final double[] u, pu;
    private final int[] stamp;
    private int mark;
    private Likelihood lik;
    private double[] resVar, cw;

    /** @param mult m_j per row, or null for 1 */
    public ClusterSplitWeights(TrainingData d, double[] mult) {
        this.d = d;
        this.mult = mult;
        u = new double[d.m * d.q];
        pu = new double[d.m * d.q];
        stamp = new int[d.m];
    }

    /** The E-step state (P_i), R_j and cluster weights (null: 1) of the step about to be taken. */
    public ClusterSplitWeights bind(Likelihood lik, double[] resVar, double[] cw) {
        this.lik = lik;
        this.resVar = resVar;
        this.cw = cw;
        return this;
    }

    @Override
    public void compute(int[] idx, int lo, int hi, double[] out, boolean[] first) {
        int q = d.q, n = d.n;
        double[] z = d.z;
        if (++mark == Integer.MAX_VALUE) { java.util.Arrays.fill(stamp, 0); mark = 1; }
        for (int t = lo; t < hi; t++) {
            int j = idx[t], i = d.cluster[j];
            first[j] = stamp[i] != mark;
            if (first[j]) {
                stamp[i] = mark;
                java.util.Arrays.fill(u, i * q, i * q + q, 0.0);
            }
            double v = (mult == null ? 1 : mult[j]) / resVar[j];
            for (int a = 0; a < q; a++) u[i * q + a] += z[j + a * n] * v;
        }
        for (int t = lo; t < hi; t++) {
            int j = idx[t], i = d.cluster[j];
            if (stamp[i] == mark) {         // P_i u_iN once per cluster
                stamp[i] = -mark;
                lik.applyPost(i, u, i * q, pu, i * q);
            }
            double zpu = 0;
            for (int a = 0; a < q; a++) zpu += z[j + a * n] * pu[i * q + a];
            double m = mult == null ? 1 : mult[j], c = cw == null ? 1 : cw[i];
            out[j] = c * m / resVar[j] * (m - zpu);
        }
    }
}
