package org.gbmixed.learners;

import org.gbmixed.boosting.Booster;
import org.gbmixed.base.Features;
import org.gbmixed.base.Parallel;

import java.util.concurrent.TimeUnit;
import org.gbmixed.bench.BenchData;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH: one regression tree of the mean (TreeLearner.fit: histograms with subtraction, split search, partition)
 * on the Friedman data, n x 20, depth 6, min_leaf 20, 256 bins, all cores (depth and threads are parameters);
 * and the binning of the 20 features
 * (BinnedFeatures, done once per fit). The tree is fitted on a thread of the engine's pool, as in a boosting round
 * (from a thread outside the pool, every parallel part of a tree would be handed over and waited for). Lives in package org.gbmixed to reach the package-private engine classes;
 * compiled against the engine jar (target/gbmixed-engine.jar), which is on the same class path at run time.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 2)
public class TreeBench {
    @Param({"100000", "1000000"})
    public int n;

    /** Tree depth (run.sh also runs depth 5 and 6 at n = 1e6: the cost of the last level). */
    @Param({"6"})
    public int depth;

    /** Engine threads, 0 = all cores (run.sh also runs 1 and 2: the parallel speed-up of one tree). */
    @Param({"0"})
    public int threads;

    private Features feat;
    private Parallel par;
    private TreeLearner learner;
    private double[] g, h, out;

    @Setup(Level.Trial)
    public void setup() {
        BenchData d = BenchData.make("friedman", n, 1);
        feat = new Features("x", d.x, n, d.p, new int[d.p]);
        par = new Parallel(threads);
        BinnedFeatures bf = new BinnedFeatures(feat, 256, false, par);
        learner = new TreeLearner(bf, depth, 20, par);
        double mean = 0;
        for (double v : d.y) mean += v;
        mean /= n;
        g = new double[n];
        h = new double[n];
        out = new double[n];
        for (int j = 0; j < n; j++) { g[j] = d.y[j] - mean; h[j] = 1; }
    }

    /** On a thread of the engine's pool, as the booster fits its trees (Booster.iterate runs its rounds there). */
    @Benchmark
    public Tree treeFit() {
        return par.call(() -> learner.fit(g, h, out));
    }

    @Benchmark
    public BinnedFeatures binning() {
        return new BinnedFeatures(feat, 256, false, par);
    }
}
