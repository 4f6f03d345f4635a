package org.gbmixed.base;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;
import java.util.function.IntConsumer;

/**
 * The engine's threads. Work is split into tasks whose results do not depend on how many threads run them
 * (each task writes its own output slots, in a fixed order), so fits are bit-identical whatever the thread count.
 */
public final class Parallel {
    public final int threads;
    private final ForkJoinPool pool;

    /** One pool per thread count, shared by every fit (so many fits in a row, e.g. CV, start no new threads). */
    private static final java.util.concurrent.ConcurrentHashMap<Integer, ForkJoinPool> POOLS =
            new java.util.concurrent.ConcurrentHashMap<>();

    /** @param threads 0 = all cores */
    public Parallel(int threads) {
        this.threads = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        pool = this.threads > 1 ? POOLS.computeIfAbsent(this.threads, ForkJoinPool::new) : null;
    }

    public static final Parallel SERIAL = new Parallel(1);

    /** Runs body(i) for i in [0, count), in parallel when there are threads and more than one task. */
    public void forEach(int count, IntConsumer body) {
        if (pool == null || count <= 1) {
            for (int i = 0; i < count; i++) body.accept(i);
            return;
        }
        Range all = new Range(0, count, body);
        // nested (a task of this pool splitting its own work): fork/join within the pool, no blocking wait
        if (java.util.concurrent.ForkJoinTask.getPool() == pool) all.invoke(); else pool.invoke(all);
    }

    /**
     * Runs body on a thread of the pool while the calling thread waits, and returns its result; inline without a
     * pool or when already on it. Many short parallel parts in a row (the nodes of a tree, the rounds) then fork
     * and join among the pool's own threads, instead of each part being handed over from a thread outside the
     * pool, which then sleeps until it is woken. An exception of body reaches the caller as thrown.
     */
    public <T> T call(java.util.function.Supplier<T> body) {
        if (pool == null || java.util.concurrent.ForkJoinTask.getPool() == pool) return body.get();
        Object[] result = new Object[1];
        Throwable[] failure = new Throwable[1];
        pool.invoke(new RecursiveAction() {
            @Override protected void compute() {
                try { result[0] = body.get(); } catch (Throwable t) { failure[0] = t; }
            }
        });
        if (failure[0] instanceof RuntimeException) throw (RuntimeException) failure[0];
        if (failure[0] instanceof Error) throw (Error) failure[0];
        if (failure[0] != null) throw new IllegalStateException(failure[0]);
        @SuppressWarnings("unchecked") T t = (T) result[0];
        return t;
    }

    /** A loop over rows [lo, hi). */
    public interface Rows { void run(int lo, int hi); }

    /** A loop over rows [lo, hi) that gives a value (a partial sum, a maximum). */
    public interface RowsValue { double run(int lo, int hi); }

    /** Rows per block of {@link #forRows}, and the fewest rows it splits. */
    private static final int ROW_BLOCK = 16_384;

    /**
     * body(lo, hi) over [0, n) in fixed blocks of ROW_BLOCK rows (set by n alone), in parallel: for the per-row
     * loops of a round (each row written by one block; a reduction kept per block and combined in block order is
     * the same on any thread count).
     */
    public void forRows(int n, Rows body) {
        int blocks = rowBlocks(n);
        if (blocks == 1) { body.run(0, n); return; }
        forEach(blocks, b -> body.run(b * ROW_BLOCK, Math.min(n, (b + 1) * ROW_BLOCK)));
    }

    /**
     * body over the blocks of {@link #forRows}, their values combined in block order, starting from identity:
     * op(...op(op(identity, v_0), v_1)..., v_last), the same on any thread count.
     */
    public double reduceRows(int n, RowsValue body, java.util.function.DoubleBinaryOperator op, double identity) {
        int blocks = rowBlocks(n);
        if (blocks == 1) return op.applyAsDouble(identity, body.run(0, n));
        double[] v = new double[blocks];
        forEach(blocks, b -> v[b] = body.run(b * ROW_BLOCK, Math.min(n, (b + 1) * ROW_BLOCK)));
        double acc = identity;
        for (double x : v) acc = op.applyAsDouble(acc, x);
        return acc;
    }

    /** The sum of body's values over the blocks, in block order. */
    public double sumRows(int n, RowsValue body) { return reduceRows(n, body, Double::sum, 0); }

    private static int rowBlocks(int n) { return Math.max(1, (n + ROW_BLOCK - 1) / ROW_BLOCK); }

    private static final class Range extends RecursiveAction {
        private final int lo, hi;
        private final IntConsumer body;
        Range(int lo, int hi, IntConsumer body) { this.lo = lo; this.hi = hi; this.body = body; }
        @Override protected void compute() {
            if (hi - lo == 1) { body.accept(lo); return; }
            int mid = (lo + hi) >>> 1;
            invokeAll(new Range(lo, mid, body), new Range(mid, hi, body));
        }
    }
}
