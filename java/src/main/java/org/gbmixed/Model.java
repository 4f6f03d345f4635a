package org.gbmixed;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * A fitted gbmixed model: the boosted mean, the variance components, the BLUPs and their posterior covariances.
 * Getters return primitive arrays (copies). {@link #toBytes()} / {@link GBMixed#fromBytes(byte[])} round-trip
 * everything needed to predict; the training-row outputs (fittedFixed, fittedRandom) are not serialised.
 */
public final class Model {
    private static final int MAGIC = 0x47424D58;   // "GBMX"
    private static final int FORMAT = 1;

    private final MeanModel mean;
    private final int q, m;
    private final boolean diagonalG;
    private final long nobs;
    private final double[] g, bhat, post, loss, importance;
    private final double sigma2, logLik;
    private final String learner;
    private final double[] fittedFixed, fittedRandom;

    Model(MeanModel mean, int q, boolean diagonalG, int m, long nobs, double[] g, double sigma2, double[] bhat,
          double[] post, double[] loss, double logLik, double[] importance, String learner,
          double[] fittedFixed, double[] fittedRandom) {
        this.mean = mean; this.q = q; this.diagonalG = diagonalG; this.m = m; this.nobs = nobs;
        this.g = g; this.sigma2 = sigma2; this.bhat = bhat; this.post = post; this.loss = loss;
        this.logLik = logLik; this.importance = importance; this.learner = learner;
        this.fittedFixed = fittedFixed; this.fittedRandom = fittedRandom;
    }

    public int nrounds() { return loss.length - 1; }
    public int nclusters() { return m; }
    public int q() { return q; }
    public int nfeatures() { return mean.nlevels.length; }
    public long nobs() { return nobs; }
    public boolean diagonalG() { return diagonalG; }
    public String variant() { return "Base"; }
    public String learner() { return learner; }
    public double[] trainLoss() { return loss.clone(); }
    public double logLik() { return logLik; }
    public double[] covariance() { return g.clone(); }
    public double sigma2() { return sigma2; }
    public double[] importance() { return importance.clone(); }
    public double[] fittedFixed() { return fittedFixed == null ? new double[0] : fittedFixed.clone(); }
    public double[] fittedRandom() { return fittedRandom == null ? new double[0] : fittedRandom.clone(); }

    /** BLUPs, nclusters x q column-major. */
    public double[] ranef() {
        double[] out = new double[m * q];
        for (int i = 0; i < m; i++) for (int a = 0; a < q; a++) out[i + a * m] = bhat[i * q + a];
        return out;
    }

    /** Posterior covariances P_i, block i at offset i*q*q (column-major q x q). */
    public double[] ranefCov() { return post.clone(); }

    /** Learner "linear": the intercept, then one coefficient per expanded column. */
    public double[] linearCoefficients() {
        if (mean.linear == null)
            throw new IllegalStateException("linearCoefficients: the model was fitted with learner \"" + learner
                    + "\", not \"linear\"");
        double[] c = mean.linear.clone();
        c[0] += mean.intercept;
        return c;
    }

    /**
     * Predictions for nrow rows: [0,n) f(x); [n,2n) z' bhat_i (0 for a new cluster, code -1);
     * [2n,3n) the predictive variance of a new y, z'P_i z + sigma^2 (existing) or z'G z + sigma^2 (new).
     */
    public double[] predict(double[] x, int nrow, int[] cluster, double[] z) {
        int p = nfeatures();
        if (nrow < 0) throw new IllegalArgumentException("nrow = " + nrow + ": must be >= 0");
        if (x == null || x.length != (long) nrow * p)
            throw new IllegalArgumentException("x has length " + (x == null ? "null" : x.length) + ", expected nrow * "
                    + p + " = " + (long) nrow * p);
        if (z == null || z.length != (long) nrow * q)
            throw new IllegalArgumentException("z has length " + (z == null ? "null" : z.length) + ", expected nrow * "
                    + q + " = " + (long) nrow * q);
        if (cluster == null || cluster.length != nrow)
            throw new IllegalArgumentException("cluster has length " + (cluster == null ? "null" : cluster.length)
                    + ", expected nrow = " + nrow);
        for (int k = 0; k < p; k++) {
            int nl = mean.nlevels[k];
            for (int i = 0; i < nrow; i++) {
                double v = x[i + k * nrow];
                if (!Double.isFinite(v)) throw new IllegalArgumentException("x[" + (i + 1) + ", " + (k + 1) + "] = " + v + ": must be finite");
                if (nl > 0 && (v != Math.rint(v) || v < 0 || v >= nl))
                    throw new IllegalArgumentException("x[" + (i + 1) + ", " + (k + 1) + "] = " + v
                            + ": factor codes must be integers in 0.." + (nl - 1));
            }
        }
        double[] f = mean.predict(x, nrow);
        double[] res = new double[3 * nrow];
        System.arraycopy(f, 0, res, 0, nrow);
        double[] zr = new double[q];
        for (int i = 0; i < nrow; i++) {
            int c = cluster[i];
            if (c < -1 || c >= m)
                throw new IllegalArgumentException("cluster[" + (i + 1) + "] = " + c + ": must be -1 (new) or in 0.." + (m - 1));
            for (int a = 0; a < q; a++) zr[a] = z[i + a * nrow];
            double rand = 0, var;
            if (c >= 0) {
                for (int a = 0; a < q; a++) rand += zr[a] * bhat[c * q + a];
                var = Dense.quadForm(zr, post, c * q * q, zr, q) + sigma2;
            } else {
                var = Dense.quadForm(zr, g, 0, zr, q) + sigma2;
            }
            res[nrow + i] = rand;
            res[2 * nrow + i] = var;
        }
        return res;
    }

    public byte[] toBytes() {
        try {
            ByteArrayOutputStream bos = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bos);
            out.writeInt(MAGIC);
            out.writeInt(FORMAT);
            out.writeUTF(learner);
            out.writeInt(q);
            out.writeBoolean(diagonalG);
            out.writeInt(m);
            out.writeLong(nobs);
            out.writeDouble(sigma2);
            out.writeDouble(logLik);
            writeArray(out, g);
            writeArray(out, bhat);
            writeArray(out, post);
            writeArray(out, loss);
            writeArray(out, importance);
            out.writeInt(mean.nlevels.length);
            for (int v : mean.nlevels) out.writeInt(v);
            mean.write(out);
            out.flush();
            return bos.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException("model serialisation failed: " + e.getMessage(), e);
        }
    }

    static Model fromBytes(byte[] bytes) {
        if (bytes == null || bytes.length < 8) throw new IllegalArgumentException("bytes: not a serialised gbmixed model (too short)");
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            if (in.readInt() != MAGIC) throw new IllegalArgumentException("bytes: not a serialised gbmixed model (bad magic)");
            int fmt = in.readInt();
            if (fmt != FORMAT) throw new IllegalArgumentException("bytes: model format " + fmt + " is not supported (this engine reads " + FORMAT + ")");
            String learner = in.readUTF();
            int q = in.readInt();
            boolean diag = in.readBoolean();
            int m = in.readInt();
            long nobs = in.readLong();
            double sigma2 = in.readDouble(), logLik = in.readDouble();
            double[] g = readArray(in), bhat = readArray(in), post = readArray(in), loss = readArray(in), imp = readArray(in);
            int p = in.readInt();
            int[] nlevels = new int[p];
            for (int k = 0; k < p; k++) nlevels[k] = in.readInt();
            MeanModel mean = MeanModel.read(in, nlevels);
            return new Model(mean, q, diag, m, nobs, g, sigma2, bhat, post, loss, logLik, imp, learner, null, null);
        } catch (IOException e) {
            throw new IllegalArgumentException("bytes: corrupt serialised gbmixed model (" + e.getMessage() + ")", e);
        }
    }

    private static void writeArray(DataOutputStream out, double[] a) throws IOException {
        out.writeInt(a.length);
        for (double v : a) out.writeDouble(v);
    }

    private static double[] readArray(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > (1 << 28)) throw new IOException("bad array length " + n);
        double[] a = new double[n];
        for (int i = 0; i < n; i++) a[i] = in.readDouble();
        return a;
    }
}
