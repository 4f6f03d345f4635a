package org.gbmixed;

import org.gbmixed.base.TrainingData;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Test data: lme4's sleepstudy and random small clustered problems. */
public final class Problems {
    private Problems() {}

    /** sleepstudy as (Reaction, Days, Subject code 0..17), rows in lme4's order. */
    public static final class Sleep {
        public final double[] reaction, days;
        public final int[] subject;
        public final int n;
        Sleep(double[] r, double[] d, int[] s) { reaction = r; days = d; subject = s; n = r.length; }
    }

    public static Sleep sleepstudy() {
        List<double[]> rows = new ArrayList<>();
        try (BufferedReader br = new BufferedReader(new InputStreamReader(
                Problems.class.getResourceAsStream("/sleepstudy.csv"), StandardCharsets.UTF_8))) {
            br.readLine();
            for (String line; (line = br.readLine()) != null; ) {
                String[] f = line.split(",");
                rows.add(new double[] {Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2])});
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        int n = rows.size();
        double[] r = new double[n], d = new double[n];
        int[] s = new int[n];
        List<Double> ids = new ArrayList<>();
        for (double[] row : rows) if (!ids.contains(row[2])) ids.add(row[2]);
        java.util.Collections.sort(ids);
        for (int i = 0; i < n; i++) {
            r[i] = rows.get(i)[0];
            d[i] = rows.get(i)[1];
            s[i] = ids.indexOf(rows.get(i)[2]);
        }
        return new Sleep(r, d, s);
    }

    /** A random clustered problem with q random effects: z = (1, t, t^2...) style columns. */
    public static TrainingData random(long seed, int m, int maxPerCluster, int q, boolean diagonal) {
        Random rnd = new Random(seed);
        List<Integer> cl = new ArrayList<>();
        for (int i = 0; i < m; i++) {
            int ni = 1 + rnd.nextInt(maxPerCluster);
            for (int j = 0; j < ni; j++) cl.add(i);
        }
        int n = cl.size();
        double[] x = new double[n], y = new double[n], w = new double[n], z = new double[n * q];
        int[] c = new int[n];
        for (int j = 0; j < n; j++) {
            c[j] = cl.get(j);
            x[j] = rnd.nextGaussian();
            y[j] = 2 * rnd.nextGaussian();
            w[j] = 0.5 + rnd.nextDouble();
            z[j] = 1.0;
            for (int a = 1; a < q; a++) z[j + a * n] = rnd.nextGaussian();
        }
        return new TrainingData(x, n, 1, new int[] {0}, y, w, c, m, z, q, diagonal);
    }

    public static Config.Builder config() { return new Config.Builder(); }
}
