package org.gbmixed.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Prints the benchmark report (markdown) from a results directory written by run.sh: results.tsv (the RESULT
 * lines of BenchMain and bench.R), versions.tsv, jmh.csv and profile_*.md when present; then the targets of the
 * issue, each met / missed with its ratio.
 * Usage: Report RESULTS_DIR
 */
public final class Report {
    /** One measurement (columns of BenchMain.HEADER). */
    static final class Row {
        String part, route, impl, setting, note;
        int n, rounds;
        double setup, round1, steady, total, peak, live, gc, others;

        static Row parse(String line) {
            String[] f = line.split("\t", -1);
            Row r = new Row();
            r.part = f[0]; r.route = f[1]; r.impl = f[2]; r.setting = f[3];
            r.n = Integer.parseInt(f[4]); r.rounds = Integer.parseInt(f[5]);
            r.setup = num(f[6]); r.round1 = num(f[7]); r.steady = num(f[8]); r.total = num(f[9]);
            r.peak = num(f[10]); r.live = num(f[11]); r.gc = num(f[12]); r.others = num(f[13]);
            r.note = f.length > 14 ? f[14] : "";
            return r;
        }
    }

    /** Report order: part as measured, then N, Java route before R, gbmixed, xgboost4j, gbm, lmer, setting. */
    static int order(Row a, Row b) {
        int c = Integer.compare(a.n, b.n);
        if (c != 0) return c;
        c = a.route.compareTo(b.route) * -1;   // "java" before "R" (lowercase sorts after uppercase)
        if (c != 0) return c;
        c = Integer.compare(rank(a.impl), rank(b.impl));
        return c != 0 ? c : a.setting.compareTo(b.setting);
    }

    private static int rank(String impl) {
        switch (impl) {
            case "gbmixed": return 0;
            case "xgboost4j": return 1;
            case "gbm": return 2;
            default: return 3;
        }
    }

    static double num(String s) {
        try { return Double.parseDouble(s); } catch (NumberFormatException e) { return Double.NaN; }
    }

    private final List<Row> rows = new ArrayList<>();
    private final Map<String, String> versions = new LinkedHashMap<>();
    private final StringBuilder out = new StringBuilder();
    private final List<String[]> targets = new ArrayList<>();

    public static void main(String[] a) throws Exception {
        Locale.setDefault(Locale.ROOT);
        Report r = new Report();
        Path dir = Path.of(a[0]);
        Path res = dir.resolve("results.tsv");
        if (Files.exists(res))
            for (String line : Files.readAllLines(res))
                if (!line.isBlank() && !line.startsWith("part\t")) r.rows.add(Row.parse(line));
        Path ver = dir.resolve("versions.tsv");
        if (Files.exists(ver))
            for (String line : Files.readAllLines(ver)) {
                String[] kv = line.split("\t", 2);
                if (kv.length == 2) r.versions.put(kv[0], kv[1]);
            }
        r.rows.sort(Report::order);
        r.write(dir);
        System.out.print(r.out);
    }

    private void p(String fmt, Object... args) { out.append(String.format(fmt, args)).append('\n'); }

    private static String f(double v, int digits) {
        if (Double.isNaN(v)) return "–";
        return String.format("%." + digits + "f", v);
    }

    private static String sec(double v) {
        if (Double.isNaN(v)) return "–";
        return v >= 100 ? String.format("%.0f", v) : v >= 10 ? String.format("%.1f", v) : v >= 1 ? String.format("%.2f", v)
                : String.format("%.3f", v);
    }

    private static String nfmt(int n) {
        if (n >= 1000 && n % 1000 == 0) {
            int e = (int) Math.round(Math.log10(n));
            if (Math.pow(10, e) == n) return "1e" + e;
        }
        return Integer.toString(n);
    }

    private static String others(Row r) {
        if (Double.isNaN(r.others)) return "–";
        return r.others > 10 ? "**" + f(r.others, 0) + "**" : f(r.others, 0);
    }

    private Row find(Predicate<Row> p) {
        Row last = null;
        for (Row r : rows) if (p.test(r)) last = r;   // the last one wins (a re-run of one part appends)
        return last;
    }

    private Row find(String part, String route, String impl, String settingPrefix, int n) {
        return find(r -> r.part.equals(part) && r.route.equals(route) && r.impl.equals(impl)
                && r.setting.startsWith(settingPrefix) && r.n == n);
    }

    private List<Integer> sizes(String part) {
        List<Integer> s = new ArrayList<>();
        for (Row r : rows) if (r.part.equals(part) && !s.contains(r.n)) s.add(r.n);
        s.sort(Integer::compare);
        return s;
    }

    private void write(Path dir) throws Exception {
        p("## Machine and versions");
        p("");
        p("| | |");
        p("|---|---|");
        for (Map.Entry<String, String> e : versions.entrySet()) p("| %s | %s |", e.getKey(), e.getValue());
        p("");
        p("Times are wall-clock seconds. *others %%*: the share of the machine other processes used during the");
        p("measurement (bold above 10%%: the figure is slowed by someone else and should be re-run on a quiet machine).");
        p("");
        partA();
        partB();
        partC();
        jmh(dir);
        targetsTable();
        for (String name : new String[] {"profile_base.md", "profile_grboost.md"}) {
            Path pf = dir.resolve(name);
            if (Files.exists(pf)) { p(""); out.append(Files.readString(pf)); }
        }
    }

    // ---------------------------------------------------------------- (a)
    private void partA() {
        if (sizes("base").isEmpty()) return;
        p("## (a) Base: trees on n x 20, clusters of 100 (Friedman mean + random intercept)");
        p("");
        p("lr 0.1, depth 6, 256 bins, min_leaf 20 (gbmixed); gbm: interaction.depth 6, shrinkage 0.1, bag.fraction 1,");
        p("n.minobsinnode 20, no cluster column; xgboost4j: hist, max_depth 6, max_bin 256, eta 0.1, nthread 2.");
        p("*s/round*: median of rounds 2..R, each timed alone (Java route); total / rounds (R route, includes setup).");
        p("*setup*: gbmixed = GBMixed.booster (checks, binning, initial EM), xgboost = DMatrix; xgboost's quantile");
        p("sketch and gradient index are built lazily inside round 1 (*round 1*).");
        p("");
        p("| N | implementation | route | setting | rounds | setup s | round 1 s | s/round | total s | heap peak / live MB | others %% | fit |");
        p("|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|");
        for (int n : sizes("base"))
            for (Row r : rows)
                if (r.part.equals("base") && r.n == n)
                    p("| %s | %s | %s | %s | %d | %s | %s | %s | %s | %s | %s | %s |", nfmt(n), r.impl, r.route, r.setting,
                            r.rounds, sec(r.setup), sec(r.round1), sec(r.steady), sec(r.total),
                            Double.isNaN(r.peak) ? "–" : f(r.peak, 0) + " / " + f(r.live, 0), others(r), r.note);
        p("");
    }

    // ---------------------------------------------------------------- (b)
    private void partB() {
        if (sizes("linear").isEmpty()) return;
        p("## (b) learner = \"linear\" (learning_rate 1) against lme4::lmer(REML = FALSE), n x 20, clusters of 100");
        p("");
        p("| N | implementation | route | rounds | setup s | s/round | total s | heap peak / live MB | others %% | result |");
        p("|---|---|---|---:|---:|---:|---:|---:|---:|---|");
        for (int n : sizes("linear"))
            for (Row r : rows)
                if (r.part.equals("linear") && r.n == n)
                    p("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |", nfmt(n), r.impl, r.route,
                            r.rounds == 0 ? "–" : Integer.toString(r.rounds), sec(r.setup), sec(r.steady), sec(r.total),
                            Double.isNaN(r.peak) ? "–" : f(r.peak, 0) + " / " + f(r.live, 0), others(r), r.note);
        p("");
        p("*rounds*: gbmixed's rounds run, up to its convergence stop (gbmixed_control(tol = 1e-8): no fitted value or");
        p("variance parameter moved by more than 1e-8). *conv_round*: the first round after which the training NLL");
        p("stays within 1e-6 of its final value; gbmixed reaches lmer's ML log-likelihood there, so its time to get");
        p("there is setup + conv_round x s/round:");
        p("");
        p("| N | gbmixed (Java) time to converge s | gbmixed (R) total s | lmer total s | lmer / gbmixed (R) |");
        p("|---|---:|---:|---:|---:|");
        for (int n : sizes("linear")) {
            Row j = find("linear", "java", "gbmixed", "", n), r = find("linear", "R", "gbmixed", "", n),
                    l = find("linear", "R", "lmer", "", n);
            double conv = Double.NaN;
            if (j != null) {
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("conv_round=(\\d+)").matcher(j.note);
                if (m.find()) conv = j.setup + j.round1 + (Integer.parseInt(m.group(1)) - 1) * j.steady;
            }
            p("| %s | %s | %s | %s | %s |", nfmt(n), sec(conv), r == null ? "–" : sec(r.total),
                    l == null ? "–" : sec(l.total), r == null || l == null ? "–" : f(l.total / r.total, 2));
        }
        p("");
    }

    // ---------------------------------------------------------------- (c)
    private void partC() {
        List<Integer> ns = sizes("grboost");
        if (ns.isEmpty()) return;
        p("## (c) GRBoost scaling: dispformula ~ x1 + x2 + x3, covformula ~ w1 + w2, depth 6, lr 0.1, JVM -Xmx2g");
        p("");
        p("*500 rounds (est.)*: setup + round 1 + 499 x s/round, from the rounds measured. Heap: *peak* = sum of the");
        p("heap pools' peak use (garbage included), *live* = largest occupancy right after a collection.");
        p("");
        p("| N | clusters | honest_folds | rounds run | setup s | s/round | total s | 500 rounds (est.) s | heap peak / live MB | GC s | others %% |");
        p("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (String h : new String[] {"0", "3"})
            for (int n : ns) {
                Row r = find("grboost", "java", "gbmixed", "GRBoost honest_folds=" + h + " ", n);
                if (r == null) continue;
                p("| %s | %d | %s | %d | %s | %s | %s | %s | %s / %s | %s | %s |", nfmt(n), n / 100, h, r.rounds, sec(r.setup),
                        sec(r.steady), sec(r.total), sec(est500(r)), f(r.peak, 0), f(r.live, 0), f(r.gc, 2), others(r));
            }
        p("");
        p("Slope of log time vs log N (least squares over the sizes measured; 1 = linear):");
        p("");
        p("| honest_folds | slope of s/round | slope of 500-round time | s/round 1e6 / 1e5 |");
        p("|---:|---:|---:|---:|");
        for (String h : new String[] {"0", "3"}) {
            List<double[]> pts = new ArrayList<>(), pts5 = new ArrayList<>();
            for (int n : ns) {
                Row r = find("grboost", "java", "gbmixed", "GRBoost honest_folds=" + h + " ", n);
                if (r == null) continue;
                pts.add(new double[] {Math.log(n), Math.log(r.steady)});
                pts5.add(new double[] {Math.log(n), Math.log(est500(r))});
            }
            if (pts.size() < 2) continue;
            Row a = find("grboost", "java", "gbmixed", "GRBoost honest_folds=" + h + " ", 100_000);
            Row b = find("grboost", "java", "gbmixed", "GRBoost honest_folds=" + h + " ", 1_000_000);
            p("| %s | %s | %s | %s |", h, f(slope(pts), 2), f(slope(pts5), 2),
                    a == null || b == null ? "–" : f(b.steady / a.steady, 1));
        }
        p("");
    }

    static double est500(Row r) {
        return r.setup + r.round1 + 499 * r.steady;
    }

    static double slope(List<double[]> pts) {
        double mx = 0, my = 0;
        for (double[] q : pts) { mx += q[0]; my += q[1]; }
        mx /= pts.size(); my /= pts.size();
        double sxy = 0, sxx = 0;
        for (double[] q : pts) { sxy += (q[0] - mx) * (q[1] - my); sxx += (q[0] - mx) * (q[0] - mx); }
        return sxy / sxx;
    }

    // ---------------------------------------------------------------- JMH
    private void jmh(Path dir) throws Exception {
        if (!Files.exists(dir.resolve("jmh.csv"))) return;
        p("## JMH (packages org.gbmixed.learners and .likelihood, against the engine jar): one tree, binning, one E-step, histogram kernels");
        p("");
        p("| benchmark | parameters | ms/op | ± (99.9%%) |");
        p("|---|---|---:|---:|");
        for (String name : new String[] {"jmh.csv", "jmh_tree.csv"})
            if (Files.exists(dir.resolve(name))) jmhRows(Files.readAllLines(dir.resolve(name)));
        p("");
    }

    private void jmhRows(List<String> lines) {
        String[] head = splitCsv(lines.get(0));
        int iB = idx(head, "Benchmark"), iS = idx(head, "Score"), iE = idx(head, "Score Error (99.9%)");
        for (String line : lines.subList(1, lines.size())) {
            String[] c = splitCsv(line);
            StringBuilder par = new StringBuilder();
            for (int k = 0; k < head.length && k < c.length; k++)
                if (head[k].startsWith("Param: ") && !c[k].isEmpty())
                    par.append(par.length() > 0 ? ", " : "").append(head[k].substring(7)).append(" = ").append(c[k]);
            p("| %s | %s | %s | %s |", c[iB].replaceAll("^org\\.gbmixed\\.([a-z]+\\.)?", ""), par, f(num(c[iS]), 2), f(num(c[iE]), 2));
        }
    }

    private static int idx(String[] head, String name) {
        for (int i = 0; i < head.length; i++) if (head[i].equals(name)) return i;
        return -1;
    }

    private static String[] splitCsv(String line) {
        List<String> f = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean q = false;
        for (char ch : line.toCharArray()) {
            if (ch == '"') q = !q;
            else if (ch == ',' && !q) { f.add(cur.toString()); cur.setLength(0); }
            else cur.append(ch);
        }
        f.add(cur.toString());
        return f.toArray(new String[0]);
    }

    // ---------------------------------------------------------------- targets
    /** The logLik=... value of a note (as printed, 4 decimals), or null. */
    private static String logLik(String note) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("logLik=(-?[0-9.]+)").matcher(note);
        return m.find() ? m.group(1) : null;
    }

    private void target(String what, String measured, double ratio, String rule, boolean met) {
        targets.add(new String[] {what, measured, Double.isNaN(ratio) ? "–" : f(ratio, 2), rule,
                Double.isNaN(ratio) ? "not measured" : met ? "**met**" : "**missed**"});
    }

    /** The targets of issue 10 (engine speed with the honest correction on; honest_folds 3 is the default). */
    private void targetsTable() {
        // 1. defaults at least 25x faster than gbm at 1e5 (honest_folds 0 shown for comparison)
        Row gbm = find("base", "R", "gbm", "", 100_000);
        for (String route : new String[] {"R", "java"})
            for (String h : new String[] {"3", "0"}) {
                Row g = find("base", route, "gbmixed", "honest_folds=" + h, 100_000);
                double ratio = g == null || gbm == null ? Double.NaN : gbm.total / g.total;
                target("Base total at 1e5 vs gbm, same trees (" + route + " route, honest_folds " + h
                        + (h.equals("3") ? ", the default" : "") + ")",
                        g == null || gbm == null ? "–" : sec(gbm.total) + " vs " + sec(g.total) + " s", ratio,
                        "gbm / gbmixed >= 25", ratio >= 25);
            }
        // 2. per round <= 1.5 x xgboost hist at 1e6, with the default honest correction
        Row x = find("base", "java", "xgboost4j", "", 1_000_000);
        for (String h : new String[] {"3", "0"}) {
            Row g = find("base", "java", "gbmixed", "honest_folds=" + h, 1_000_000);
            double ratio = g == null || x == null ? Double.NaN : g.steady / x.steady;
            target("Base s/round at 1e6 x 20 vs xgboost4j hist (honest_folds " + h + ")",
                    g == null || x == null ? "–" : sec(g.steady) + " vs " + sec(x.steady) + " s", ratio,
                    "gbmixed / xgboost <= 1.5", ratio <= 1.5);
        }
        // 3. GRBoost 1e6 / 10,000 clusters / 500 rounds / depth 6, defaults: < 60 s, heap <= 2 GB
        for (String h : new String[] {"3", "0"}) {
            Row g = find("grboost", "java", "gbmixed", "GRBoost honest_folds=" + h + " ", 1_000_000);
            double t = g == null ? Double.NaN : est500(g);
            target("GRBoost 1e6 rows, 10,000 clusters, 500 rounds, depth 6 (honest_folds " + h + ")",
                    g == null ? "–" : sec(t) + " s (est. from " + g.rounds + " rounds)", t / 60,
                    "time / 60 s <= 1", t <= 60);
            target("  its heap (JVM -Xmx2g; peak / live)", g == null ? "–" : f(g.peak, 0) + " / " + f(g.live, 0) + " MB",
                    g == null ? Double.NaN : g.peak / 2048, "peak / 2048 MB <= 1", g != null && g.peak <= 2048);
        }
        // 4. 1e5 -> 1e6 at most 11x
        String[][] series = {
                {"grboost", "java", "gbmixed", "GRBoost honest_folds=3 ", "GRBoost honest_folds 3"},
                {"grboost", "java", "gbmixed", "GRBoost honest_folds=0 ", "GRBoost honest_folds 0"},
                {"base", "java", "gbmixed", "honest_folds=3", "Base honest_folds 3 (Java)"},
                {"base", "java", "gbmixed", "honest_folds=0", "Base honest_folds 0 (Java)"},
                {"base", "R", "gbmixed", "honest_folds=3", "Base honest_folds 3 (R)"},
                {"base", "R", "gbmixed", "honest_folds=0", "Base honest_folds 0 (R)"},
                {"linear", "java", "gbmixed", "", "linear (Java)"}};
        for (String[] s : series) {
            Row a = find(s[0], s[1], s[2], s[3], 100_000), b = find(s[0], s[1], s[2], s[3], 1_000_000);
            if (a == null || b == null) continue;
            boolean perRound = !Double.isNaN(a.setup);
            // same rounds: compare totals; otherwise (or R route) per-round times
            double ta = a.rounds == b.rounds ? a.total : perRound ? a.steady : a.total / a.rounds;
            double tb = a.rounds == b.rounds ? b.total : perRound ? b.steady : b.total / b.rounds;
            String what = a.rounds == b.rounds ? "total, " + a.rounds + " rounds" : "per round";
            double ratio = tb / ta;
            target("time 1e5 -> 1e6: " + s[4], sec(ta) + " -> " + sec(tb) + " s (" + what + ")", ratio / 11,
                    "growth / 11 <= 1 (growth " + f(ratio, 1) + "x)", ratio <= 11);
        }
        // 5. linear learner at 1e6: at most half of lmer's time, the same log-likelihood to 4 decimals
        Row lj = find("linear", "R", "gbmixed", "", 1_000_000), ll = find("linear", "R", "lmer", "", 1_000_000);
        double lr = lj == null || ll == null ? Double.NaN : lj.total / ll.total;
        target("linear learner at 1e6 x 20 vs lmer, time (R route, to convergence)",
                lj == null || ll == null ? "–" : sec(lj.total) + " vs " + sec(ll.total) + " s", lr,
                "gbmixed / lmer <= 0.5", lr <= 0.5);
        String a = lj == null ? null : logLik(lj.note), b = ll == null ? null : logLik(ll.note);
        target("  its log-likelihood (4 decimals)", a == null || b == null ? "–" : a + " vs " + b,
                a == null || b == null ? Double.NaN : Math.abs(Double.parseDouble(a) - Double.parseDouble(b)),
                "|difference| < 0.00005", a != null && b != null && a.equals(b));
        p("## Targets");
        p("");
        String run = versions.getOrDefault("run", "");
        if (run.contains("--quick"))
            p("**--quick run: small sizes and few rounds; these verdicts are not the targets' (they need the full run).**\n");
        p("| target | measured | ratio | rule | verdict |");
        p("|---|---|---:|---|---|");
        for (String[] t : targets) p("| %s | %s | %s | %s | %s |", t[0], t[1], t[2], t[3], t[4]);
        p("");
    }
}
