#!/usr/bin/env bash
# make mutation's helper. --classes: the numeric core PIT mutates (comma-separated, for -DtargetClasses):
# the likelihood and random-effects algebra, the variance steps, the learners, the boosting loop, the model and
# prediction; left out are the facade (GBMixed), argument checking (Config, TrainingData, Features), threads
# (Parallel) and the bootstrap driver (Refits), which the R tests cover. --names: the same as package.Class names. With
# one or more mutations.csv (per-class runs): the score per class and overall, and every surviving mutant
# (class, method, line, mutator) for bench/MUTATION.md.
set -euo pipefail
core="likelihood.Likelihood likelihood.LogCholesky base.Dense boosting.VarianceSteps likelihood.NewtonStep
boosting.MeanPart boosting.Booster boosting.CrossFit learners.TreeLearner learners.BinnedFeatures
learners.Smoother learners.BSpline learners.LinearLearner learners.ComponentwiseLearner learners.PartLearner
learners.Ensemble learners.EnsembleCache likelihood.Basis model.Model learners.Tree
learners.ClusterSplitWeights boosting.Validation boosting.Sampler"
if [ "${1:-}" = "--names" ]; then
  echo $core
  exit 0
fi
if [ "${1:-}" = "--classes" ]; then
  echo $core | tr ' ' '\n' | sed 's/^/org.gbmixed./; s/$/*/' | paste -sd, -
  exit 0
fi
[ $# -gt 0 ] || set -- target/pit-reports/mutations.csv
for csv in "$@"; do
  [ -f "$csv" ] || { echo "mutation-summary: $csv not found (run make mutation)" >&2; exit 1; }
done
awk -F, '
  { cls = $2; sub(/^org\.gbmixed\./, "", cls); sub(/\$.*/, "", cls); sub(/^.*\./, "", cls); st = $6
    n[cls]++; all++
    if (st == "KILLED" || st == "TIMED_OUT" || st == "MEMORY_ERROR" || st == "RUN_ERROR") { k[cls]++; kall++ }
    else if (st == "SURVIVED" || st == "NO_COVERAGE") { s[cls]++; sall++; surv[++ns] = sprintf("%-20s %-28s line %4d  %-9s %s", cls, $4, $5, st, $3) }
  }
  END {
    printf "%-20s %8s %8s %8s %7s\n", "class", "mutants", "killed", "survived", "score"
    for (c in n) printf "%-20s %8d %8d %8d %6.1f%%\n", c, n[c], k[c], s[c], 100 * k[c] / n[c] | "sort"
    close("sort")
    printf "%-20s %8d %8d %8d %6.1f%%\n", "TOTAL", all, kall, sall, 100 * kall / all
    print ""
    print "surviving mutants (class, method, line, status, mutator):"
    for (i = 1; i <= ns; i++) print "  " surv[i]
  }' "$@"
