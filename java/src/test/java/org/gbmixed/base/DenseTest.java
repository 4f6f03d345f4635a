package org.gbmixed.base;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The small dense kernels against hand-computed values: Cholesky (and where it fails), its solve, products. */
class DenseTest {

    @Test
    void choleskyFactorsSolvesAndReportsTheFailingColumn() {
        double[] a = {4, 2, 2, 5};   // [[4, 2], [2, 5]] = L L', L = [[2, 0], [1, 2]]
        assertTrue(Dense.cholesky(a, 2));
        assertArrayEquals(new double[] {2, 1, 0, 2}, a, 1e-15);
        double[] b = {8, 14};        // A x = b, checked by multiplying back
        Dense.cholSolve(a, 2, b);
        assertEquals(8, 4 * b[0] + 2 * b[1], 1e-12);
        assertEquals(14, 2 * b[0] + 5 * b[1], 1e-12);
        assertFalse(Dense.cholesky(new double[] {-1}, 1), "a negative 1 x 1 matrix");
        assertFalse(Dense.cholesky(new double[] {0}, 1), "zero");
        assertEquals(0, Dense.choleskyFailure(new double[] {-1, 0, 0, 1}, 2, null, 0), "fails at column 0");
        assertEquals(1, Dense.choleskyFailure(new double[] {1, 1, 1, 1}, 2, null, 0), "singular: fails at column 1");
        // relative pivot test: pivot 1e-11 of a diagonal 1 fails at relTol 1e-10, passes at 1e-12
        double eps = 1e-11;
        assertEquals(1, Dense.choleskyFailure(new double[] {1, 1, 1, 1 + eps}, 2, new double[] {1, 1 + eps}, 1e-10));
        assertEquals(-1, Dense.choleskyFailure(new double[] {1, 1, 1, 1 + eps}, 2, new double[] {1, 1 + eps}, 1e-12));
        assertFalse(Dense.cholesky(new double[] {Double.POSITIVE_INFINITY}, 1), "infinite");
        // the bound is relTol times the given diagonal: pivot 1e-9 against 1e-10 x 100
        assertEquals(1, Dense.choleskyFailure(new double[] {1, 1, 1, 1 + 1e-9}, 2, new double[] {1, 100}, 1e-10));
    }

    @Test
    void multiplyIsTheMatrixProduct() {
        double[] a = {1, 3, 2, 4}, b = {5, 7, 6, 8}, c = new double[4];   // [[1, 2], [3, 4]] [[5, 6], [7, 8]]
        Dense.multiply(a, b, 2, c);
        assertArrayEquals(new double[] {19, 43, 22, 50}, c, 0.0);
    }
}
