package org.gbmixed.learners;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * A fitted regression tree on raw covariates. Node t is a leaf when feature[t] < 0 (value[t] is its output);
 * otherwise rows go left when x <= threshold[t] (numeric) or when their level code is in leftLevels[t] (factor),
 * and a missing value (NaN) goes left when missingLeft[t].
 */
public final class Tree {
    public final int[] feature, left, right;
    final double[] threshold, value;
    final long[][] leftLevels;   // bitset of level codes going left, factor splits only
    final boolean[] missingLeft; // where a missing value (NaN) goes

    public Tree(int[] feature, double[] threshold, long[][] leftLevels, boolean[] missingLeft, int[] left, int[] right, double[] value) {
        this.feature = feature; this.threshold = threshold; this.leftLevels = leftLevels; this.missingLeft = missingLeft;
        this.left = left; this.right = right; this.value = value;
    }

    public int size() { return feature.length; }

    /** Prediction for row i of an nrow x p column-major matrix. */
    public double predict(double[] x, int nrow, int i) {
        int t = 0;
        while (feature[t] >= 0) {
            double v = x[i + feature[t] * nrow];
            boolean goLeft;
            if (Double.isNaN(v)) {
                goLeft = missingLeft[t];
            } else if (leftLevels[t] != null) {
                int code = (int) v;
                goLeft = code >= 0 && (code >> 6) < leftLevels[t].length && (leftLevels[t][code >> 6] & (1L << (code & 63))) != 0;
            } else {
                goLeft = v <= threshold[t];
            }
            t = goLeft ? left[t] : right[t];
        }
        return value[t];
    }

    void scale(double nu) {
        for (int t = 0; t < value.length; t++) value[t] *= nu;
    }

    void write(DataOutputStream out) throws IOException {
        out.writeInt(feature.length);
        for (int t = 0; t < feature.length; t++) {
            out.writeInt(feature[t]);
            out.writeDouble(threshold[t]);
            out.writeInt(left[t]);
            out.writeInt(right[t]);
            out.writeDouble(value[t]);
            out.writeBoolean(missingLeft[t]);
            long[] set = leftLevels[t];
            out.writeInt(set == null ? -1 : set.length);
            if (set != null) for (long v : set) out.writeLong(v);
        }
    }

    static Tree read(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 1) throw new IOException("corrupt model: tree with " + n + " nodes");
        int[] f = new int[n], l = new int[n], r = new int[n];
        double[] th = new double[n], v = new double[n];
        long[][] sets = new long[n][];
        boolean[] miss = new boolean[n];
        for (int t = 0; t < n; t++) {
            f[t] = in.readInt(); th[t] = in.readDouble(); l[t] = in.readInt(); r[t] = in.readInt(); v[t] = in.readDouble();
            miss[t] = in.readBoolean();
            int len = in.readInt();
            if (len >= 0) { sets[t] = new long[len]; for (int k = 0; k < len; k++) sets[t][k] = in.readLong(); }
        }
        return new Tree(f, th, sets, miss, l, r, v);
    }
}
