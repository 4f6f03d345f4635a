package org.gbmixed;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The boosted mean f(x) = intercept + x' linear (sum of the scaled linear fits) + sum of the scaled trees.
 */
final class MeanModel {
    final int[] nlevels;
    final double intercept;
    final List<Tree> trees;
    final double[] linear;   // cumulative coefficients of the linear learner (intercept first), or null

    MeanModel(int[] nlevels, double intercept, List<Tree> trees, double[] linear) {
        this.nlevels = nlevels;
        this.intercept = intercept;
        this.trees = trees;
        this.linear = linear;
    }

    double[] predict(double[] x, int nrow) {
        double[] f = new double[nrow];
        for (int i = 0; i < nrow; i++) {
            double s = intercept;
            if (linear != null) s += LinearLearner.predict(linear, nlevels, x, nrow, i);
            for (Tree t : trees) s += t.predict(x, nrow, i);
            f[i] = s;
        }
        return f;
    }

    void write(DataOutputStream out) throws IOException {
        out.writeDouble(intercept);
        out.writeInt(linear == null ? -1 : linear.length);
        if (linear != null) for (double v : linear) out.writeDouble(v);
        out.writeInt(trees.size());
        for (Tree t : trees) t.write(out);
    }

    static MeanModel read(DataInputStream in, int[] nlevels) throws IOException {
        double icpt = in.readDouble();
        int nl = in.readInt();
        double[] lin = null;
        if (nl >= 0) { lin = new double[nl]; for (int k = 0; k < nl; k++) lin[k] = in.readDouble(); }
        int nt = in.readInt();
        List<Tree> trees = new ArrayList<>(nt);
        for (int t = 0; t < nt; t++) trees.add(Tree.read(in));
        return new MeanModel(nlevels, icpt, trees, lin);
    }
}
