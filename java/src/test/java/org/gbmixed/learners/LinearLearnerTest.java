package org.gbmixed.learners;

import org.gbmixed.base.Features;
import org.gbmixed.boosting.RoundStepsTest;
import org.gbmixed.likelihood.Basis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The linear learner against weighted least squares solved here (normal equations of the raw design, treatment
 * contrasts for factors, Gauss-Jordan), its prediction of any row from the coefficients, and its refusals of a
 * singular design naming the column.
 */
class LinearLearnerTest {

    /** x1 numeric, x2 a factor of 3 levels, x3 numeric (n rows, column-major). */
    private static double[] design(Random rnd, int n) {
        double[] x = new double[3 * n];
        for (int i = 0; i < n; i++) {
            x[i] = rnd.nextGaussian() * 3 + 5;
            x[i + n] = i % 3;
            x[i + 2 * n] = rnd.nextDouble() * 10 - 2;
        }
        return x;
    }

    /** The raw design row: 1, x1, [x2 == 1], [x2 == 2], x3. */
    private static double[] row(double[] x, int n, int i) {
        int c = (int) x[i + n];
        return new double[] {1, x[i], c == 1 ? 1 : 0, c == 2 ? 1 : 0, x[i + 2 * n]};
    }

    @Test
    void coefficientsAreWeightedLeastSquaresInRawUnits() {
        Random rnd = new Random(3);
        int n = 120, p = 5;
        double[] x = design(rnd, n), g = new double[n], h = new double[n];
        for (int i = 0; i < n; i++) {
            g[i] = 1 + 0.5 * x[i] - 2 * (x[i + n] == 2 ? 1 : 0) + 0.3 * x[i + 2 * n] + rnd.nextGaussian();
            h[i] = 0.2 + 2 * rnd.nextDouble();
        }
        LinearLearner ll = new LinearLearner(new Features("x", x, n, 3, new int[] {0, 3, 0}));
        double[] out = new double[n];
        double[] coef = ll.fit(g, h, out);
        // normal equations X'HX b = X'Hg, solved by Gauss-Jordan
        double[] a = new double[p * p], b = new double[p];
        for (int i = 0; i < n; i++) {
            double[] r = row(x, n, i);
            for (int j = 0; j < p; j++) {
                b[j] += r[j] * h[i] * g[i];
                for (int k = 0; k < p; k++) a[j + k * p] += r[j] * h[i] * r[k];
            }
        }
        double[] inv = RoundStepsTest.inverse(a, p, new double[1]);
        for (int j = 0; j < p; j++) {
            double want = 0;
            for (int k = 0; k < p; k++) want += inv[j + k * p] * b[k];
            assertEquals(want, coef[j], 1e-9 * (1 + Math.abs(want)), "coefficient " + j);
        }
        int[] nlevels = {0, 3, 0};
        for (int i = 0; i < n; i++) {
            double[] r = row(x, n, i);
            double fit = 0;
            for (int j = 0; j < p; j++) fit += r[j] * coef[j];
            assertEquals(fit, out[i], 1e-9 * (1 + Math.abs(fit)), "fitted row " + i);
            assertEquals(fit, LinearLearner.predict(coef, nlevels, x, n, i), 1e-9 * (1 + Math.abs(fit)), "predict row " + i);
        }
        // a level code outside the fit's (unseen, or the baseline) adds nothing
        double[] one = {2.0, 5, 1.5};
        assertEquals(coef[0] + 2 * coef[1] + 1.5 * coef[4], LinearLearner.predict(coef, nlevels, one, 1, 0), 1e-12);
        one[1] = 0;
        assertEquals(coef[0] + 2 * coef[1] + 1.5 * coef[4], LinearLearner.predict(coef, nlevels, one, 1, 0), 1e-12);
        one[1] = 1;
        assertEquals(coef[0] + 2 * coef[1] + coef[2] + 1.5 * coef[4], LinearLearner.predict(coef, nlevels, one, 1, 0), 1e-12);
        // the basis is the scaled design: fromScaled of its least-squares solution gives the same coefficients
        Basis basis = ll.basis();
        assertEquals(p, basis.ncol());
        int[] col = new int[p];
        double[] val = new double[p];
        assertEquals(p, basis.row(7, col, val, 0));
        double[] r7 = row(x, n, 7), raw = new double[p];
        for (int j = 0; j < p; j++) raw[j] = 1;
        double[] back = ll.fromScaled(raw, new double[n]);
        for (int j = 0; j < p; j++) assertEquals(r7[j], val[j] / back[j], 1e-9 * (1 + Math.abs(r7[j])), "scaled column " + j);
    }

    @Test
    void singularDesignsAreRefusedNamingTheColumn() {
        Random rnd = new Random(4);
        int n = 60;
        double[] x = design(rnd, n);
        for (int i = 0; i < n; i++) x[i + 2 * n] = 2 * x[i] - 1;   // x3 = 2 x1 - 1
        String msg = assertThrows(IllegalArgumentException.class,
                () -> new LinearLearner(new Features("x", x, n, 3, new int[] {0, 3, 0}))).getMessage();
        assertTrue(msg.contains("singular or nearly so (column x3 is a linear combination"), msg);
        double[] near = x.clone();
        for (int i = 0; i < n; i++) near[i + 2 * n] += 1e-9 * rnd.nextGaussian();
        msg = assertThrows(IllegalArgumentException.class,
                () -> new LinearLearner(new Features("x", near, n, 3, new int[] {0, 3, 0}))).getMessage();
        assertTrue(msg.contains("column x3"), "nearly collinear: " + msg);
        // a level of a factor with no rows is an all-zero column
        double[] unused = design(rnd, n);
        for (int i = 0; i < n; i++) unused[i + n] = i % 2;
        msg = assertThrows(IllegalArgumentException.class,
                () -> new LinearLearner(new Features("x", unused, n, 3, new int[] {0, 3, 0}))).getMessage();
        assertTrue(msg.contains("design column x2 level 3 is all zero"), msg);
        // a factor level identical to a numeric column: the factor's dummy is named
        double[] dup = design(rnd, n);
        for (int i = 0; i < n; i++) dup[i] = dup[i + n] == 1 ? 1 : 0;
        msg = assertThrows(IllegalArgumentException.class,
                () -> new LinearLearner(new Features("x", dup, n, 3, new int[] {0, 3, 0}))).getMessage();
        assertTrue(msg.contains("column x2 level 2"), msg);
    }
}
