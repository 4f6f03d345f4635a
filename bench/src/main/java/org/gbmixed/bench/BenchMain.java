package org.gbmixed.bench;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import ml.dmlc.xgboost4j.java.DMatrix;
import ml.dmlc.xgboost4j.java.XGBoost;
import org.gbmixed.Config;
import org.gbmixed.GBMixed;
import org.gbmixed.boosting.Booster;
import org.gbmixed.model.Model;

/**
 * The Java side of the benchmark: one measurement per JVM (run.sh starts a fresh JVM for each), printed as one
 * tab-separated RESULT line (columns in {@link #HEADER}). The engine is driven through its public facade only
 * (GBMixed.booster + Booster.iterate), exactly as the R package drives it.
 * <pre>
 *   gen KIND N FILE                 write a data set for R (BenchData.write)
 *   base N ROUNDS gbmixed HONEST    (a) Base fit, trees: lr 0.1, depth 6, 256 bins, honest_folds HONEST
 *   base N ROUNDS xgboost 0         (a) xgboost4j hist: eta 0.1, depth 6, max_bin 256, nthread 2
 *   linear N ROUNDS                 (b) learner "linear", learning rate 1, constant variances
 *   grboost N ROUNDS HONEST         (c) GRBoost: dispformula ~ x1 + x2 + x3, covformula ~ w1 + w2, depth 6
 *   versions                        Java, engine, xgboost4j, JMH versions
 * </pre>
 * Times: setup = data structures before the first round (gbmixed: GBMixed.booster = validation, binning, initial
 * EM; xgboost: DMatrix); round1 = the first round (gbmixed: JIT warm-up; xgboost: also its lazy quantile sketch
 * and gradient-index build); steady = median time of rounds 2..ROUNDS (each round timed alone; the median
 * resists hiccups of a shared machine); total = setup + all rounds. others_pct: see {@link CpuWatch}.
 */
public final class BenchMain {
    static final String HEADER = "part\troute\timpl\tsetting\tn\trounds\tsetup_s\tround1_s\tsteady_s\ttotal_s"
            + "\tpeak_mb\tlive_mb\tgc_s\tothers_pct\tnote";

    public static void main(String[] a) throws Exception {
        Locale.setDefault(Locale.ROOT);
        switch (a[0]) {
            case "gen": {
                BenchData.make(a[1], Integer.parseInt(a[2]), 1).write(Path.of(a[3]));
                return;
            }
            case "versions": {
                Properties pr = new Properties();
                try (InputStream in = BenchMain.class.getResourceAsStream("/bench.properties")) { pr.load(in); }
                System.out.println("java\t" + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
                System.out.println("engine\t" + GBMixed.version());
                System.out.println("xgboost4j\t" + pr.getProperty("xgboost4j"));
                System.out.println("jmh\t" + pr.getProperty("jmh"));
                System.out.println("cores\t" + Runtime.getRuntime().availableProcessors());
                return;
            }
            case "base": {
                int n = Integer.parseInt(a[1]), rounds = Integer.parseInt(a[2]);
                if (a[3].equals("xgboost")) xgboost(n, rounds); else base(n, rounds, Integer.parseInt(a[4]));
                return;
            }
            case "linear":
                linear(Integer.parseInt(a[1]), Integer.parseInt(a[2]));
                return;
            case "grboost":
                grboost(Integer.parseInt(a[1]), Integer.parseInt(a[2]), Integer.parseInt(a[3]));
                return;
            default:
                throw new IllegalArgumentException("unknown command " + a[0]);
        }
    }

    /** Timing of one fit: setup, then every round alone. */
    private static final class Clock {
        final CpuWatch cpu = new CpuWatch();
        double setup, round1, rest, others = Double.NaN;
        double[] each;
        int rounds;
        double total() { return setup + round1 + rest; }
        /** Median of rounds 2..R. */
        double steady() {
            if (rounds < 2) return round1;
            double[] s = java.util.Arrays.copyOfRange(each, 1, rounds);
            java.util.Arrays.sort(s);
            int k = s.length;
            return k % 2 == 1 ? s[k / 2] : (s[k / 2 - 1] + s[k / 2]) / 2;
        }
        void record(int rounds, java.util.function.IntConsumer round) {
            record(rounds, round, () -> false);
        }

        /** The same, stopping early once {@code done} says so (a booster that converged): rounds = those run. */
        void record(int rounds, java.util.function.IntConsumer round, java.util.function.BooleanSupplier done) {
            double[] all = new double[rounds];
            jdk.jfr.Recording jfr = startJfr();
            int r = 0;
            for (; r < rounds && !done.getAsBoolean(); r++) {
                double t = now();
                round.accept(r);
                all[r] = now() - t;
            }
            stopJfr(jfr);
            this.rounds = rounds = Math.max(r, 1);
            each = java.util.Arrays.copyOf(all, rounds);
            if (Boolean.getBoolean("bench.rounds")) {   // -Dbench.rounds=true: every round's time on stderr
                StringBuilder sb = new StringBuilder("rounds:");
                for (double v : each) sb.append(String.format(" %.4f", v));
                System.err.println(sb);
            }
            round1 = each[0];
            rest = 0;
            for (int k = 1; k < rounds; k++) rest += each[k];
            others = cpu.othersPercent();
        }
    }

    static double now() { return System.nanoTime() / 1e9; }

    /**
     * With -Dbench.jfr=FILE, a JFR recording (settings "profile": Java samples every 10 ms) covers the boosting
     * rounds only, not data generation or setup.
     */
    static jdk.jfr.Recording startJfr() {
        String file = System.getProperty("bench.jfr");
        if (file == null) return null;
        try {
            jdk.jfr.Recording rec = new jdk.jfr.Recording(jdk.jfr.Configuration.getConfiguration("profile"));
            rec.setDestination(Path.of(file));
            rec.start();
            return rec;
        } catch (Exception e) {
            throw new IllegalStateException("cannot start JFR: " + e, e);
        }
    }

    static void stopJfr(jdk.jfr.Recording rec) {
        if (rec == null) return;
        rec.stop();   // writes the destination
        rec.close();
    }

    private static Config.Builder treeConfig(int rounds) {
        return new Config.Builder().nrounds(rounds).learningRate(0.1).learner("tree").maxDepth(6).maxBins(256)
                .minLeaf(20).seed(1L).threads(Integer.getInteger("bench.threads", 0));
    }

    private static Clock iterate(Booster b, int rounds, Clock c) {
        c.record(rounds, r -> b.iterate(1), b::finished);
        return c;
    }

    static void base(int n, int rounds, int honest) {
        BenchData d = BenchData.make("friedman", n, 1);
        HeapWatch hw = new HeapWatch();
        hw.start();
        Config cfg = treeConfig(rounds).honestFolds(honest).build();
        Clock c = new Clock();
        c.cpu.start();
        double t0 = now();
        Booster b = GBMixed.booster(d.x, n, d.p, new int[d.p], d.y, ones(n), d.cluster, d.m, d.z, 1, false, cfg);
        c.setup = now() - t0;
        iterate(b, rounds, c);
        hw.stop();
        Model mod = b.model();
        double[] ff = mod.fittedFixed(), fr = mod.fittedRandom();
        double se = 0, sef = 0;
        for (int j = 0; j < n; j++) {
            double e = d.y[j] - ff[j] - fr[j];
            se += e * e;
            double ef = BenchData.friedman(d.x, n, j) - ff[j];
            sef += ef * ef;
        }
        emit("base", "java", "gbmixed", "honest_folds=" + honest, n, rounds, c, hw,
                String.format("rmse(y)=%.3f rmse(f)=%.3f sigma=%.3f", Math.sqrt(se / n), Math.sqrt(sef / n), Math.sqrt(mod.sigma2())));
    }

    static void xgboost(int n, int rounds) throws Exception {
        BenchData d = BenchData.make("friedman", n, 1);
        int p = d.p;
        float[] rowMajor = new float[n * p];
        float[] label = new float[n];
        for (int j = 0; j < n; j++) {
            label[j] = (float) d.y[j];
            for (int k = 0; k < p; k++) rowMajor[j * p + k] = (float) d.x[j + k * n];
        }
        HeapWatch hw = new HeapWatch();
        hw.start();
        Clock c = new Clock();
        c.cpu.start();
        double t0 = now();
        DMatrix dm = new DMatrix(rowMajor, n, p, Float.NaN);
        dm.setLabel(label);
        c.setup = now() - t0;
        Map<String, Object> par = new HashMap<>();
        par.put("tree_method", "hist");
        par.put("max_depth", 6);
        par.put("max_bin", 256);
        par.put("eta", 0.1);
        par.put("nthread", 2);
        par.put("objective", "reg:squarederror");
        par.put("verbosity", 0);
        ml.dmlc.xgboost4j.java.Booster b = XGBoost.train(dm, par, 0, new HashMap<>(), null, null);
        c.record(rounds, it -> {
            try { b.update(dm, it); } catch (ml.dmlc.xgboost4j.java.XGBoostError e) { throw new IllegalStateException(e); }
        });
        hw.stop();
        float[][] pred = b.predict(dm);
        double se = 0, sef = 0;
        for (int j = 0; j < n; j++) {
            double e = d.y[j] - pred[j][0];
            se += e * e;
            double ef = BenchData.friedman(d.x, n, j) - pred[j][0];
            sef += ef * ef;
        }
        emit("base", "java", "xgboost4j", "hist nthread=2", n, rounds, c, hw,
                String.format("rmse(y)=%.3f rmse(f)=%.3f (no random effect)", Math.sqrt(se / n), Math.sqrt(sef / n)));
        b.dispose();
        dm.dispose();
    }

    static void linear(int n, int rounds) {
        BenchData d = BenchData.make("lmm", n, 1);
        HeapWatch hw = new HeapWatch();
        hw.start();
        Config cfg = new Config.Builder().nrounds(rounds).learningRate(1.0).learner("linear").honestFolds(0)
                .seed(1L).threads(0).build();
        Clock c = new Clock();
        c.cpu.start();
        double t0 = now();
        Booster b = GBMixed.booster(d.x, n, d.p, new int[d.p], d.y, ones(n), d.cluster, d.m, d.z, 1, false, cfg);
        c.setup = now() - t0;
        iterate(b, rounds, c);
        hw.stop();
        Model mod = b.model();
        double[] loss = mod.trainLoss();
        double fin = loss[loss.length - 1];
        int conv = loss.length - 1;
        while (conv > 0 && Math.abs(loss[conv - 1] - fin) < 1e-6) conv--;
        // the fit stops at convergence (Config.tol): the rounds column holds the rounds run
        emit("linear", "java", "gbmixed", "learner=linear lr=1", n, c.rounds, c, hw,
                String.format("logLik=%.4f conv_round=%d (|nll-final|<1e-6) sigma=%.4f G=%.4f", mod.logLik(), conv,
                        Math.sqrt(mod.sigma2()), mod.covariance()[0]));
    }

    static void grboost(int n, int rounds, int honest) {
        BenchData d = BenchData.make("grboost", n, 1);
        double[] xdisp = d.firstColumns(3);
        HeapWatch hw = new HeapWatch();
        hw.start();
        Config cfg = treeConfig(rounds).honestFolds(honest).build();
        Clock c = new Clock();
        c.cpu.start();
        double t0 = now();
        Booster b = GBMixed.booster(d.x, n, d.p, new int[d.p], d.y, ones(n), d.cluster, d.m, d.z, 1, false,
                xdisp, 3, new int[3], d.w, 2, new int[2], cfg);
        c.setup = now() - t0;
        iterate(b, rounds, c);
        hw.stop();
        Model mod = b.model();
        emit("grboost", "java", "gbmixed", "GRBoost honest_folds=" + honest + " m=" + d.m, n, rounds, c, hw,
                String.format("%s logLik=%.1f max_heap=%.0fMB", mod.variant(), mod.logLik(), HeapWatch.maxHeapMb()));
    }

    static double[] ones(int n) {
        double[] w = new double[n];
        java.util.Arrays.fill(w, 1.0);
        return w;
    }

    static void emit(String part, String route, String impl, String setting, int n, int rounds, Clock c, HeapWatch hw,
                     String note) {
        System.out.println(String.format("RESULT\t%s\t%s\t%s\t%s\t%d\t%d\t%.3f\t%.3f\t%.4f\t%.3f\t%.0f\t%.0f\t%.2f\t%.0f\t%s",
                part, route, impl, setting, n, rounds, c.setup, c.round1, c.steady(), c.total(),
                hw.peakUsedMb(), hw.liveMb(), hw.gcSeconds(), c.others, note));
    }
}
